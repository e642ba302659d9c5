"""Every figure the README and the docs pages quote from a banked file under docs/, recomputed
from that file, so a quoted number cannot drift from its evidence (issue 29 §3).

FIGURES is the table: the page, the quoted text with `{}` where each number goes, the banked
file, how the number is computed from it, and the format (rounding) it is quoted at. The test
renders the numbers into the text and looks for it on the page (whitespace and line breaks
folded). A page that rewords a quote, or a banked file that changes, fails here; a new quote of
a banked number gets a row. Negative numbers are quoted with the typographic minus (U+2212) on
the pages, so the rendering uses it too.
"""

from __future__ import annotations

import statistics

import numpy as np
import pytest
from banked import (
    DOCS,
    SEEDS,
    T1,
    Figure,
    adversarial,
    agreed,
    assert_quoted,
    at_step,
    clipped_share,
    curve_point,
    d_adam_steps,
    fig3,
    fig3_schedule,
    final_row,
    first_unclipped,
    frontier_cell,
    frontier_gap,
    frontier_points,
    game,
    load_json,
    lowest_eval,
    mean_ci,
    mean_final,
    median_step_s,
    paired,
    paired_p,
    paper,
    pretrained,
    pretrained_gap,
    results,
    seed_final,
    seqgan_lows,
    seqgan_minus_pretrained,
    sweep_best,
    sweep_minutes,
    sweep_trials,
)

OFFD = "table1-cpu-official-d"  # issue 29 §1, in progress


T1_METHODS = ("seqgan", "mle", "shuffled", "constant", "ss", "pg_bleu", "random")


def table1_rows(page: str, study: str = T1, methods: tuple[str, ...] = T1_METHODS) -> list[Figure]:
    """A three-seed table's NLL-oracle mean ± CI, per-seed values and NLL-test mean ± CI."""
    rows = []
    for method in methods:
        for key in ("nll_oracle", "nll_test"):
            rows.append(
                Figure(
                    page,
                    "{} ± {}",
                    f"{study}/seed-*/results.json",
                    f"{method} final {key}: mean and 95 % t half-width over seeds",
                    lambda m=method, k=key: mean_ci(seed_final(m, k, study)),
                    ".3f",
                )
            )
        rows.append(
            Figure(
                page,
                "{}, {}, {}",
                f"{study}/seed-*/results.json",
                f"{method} final nll_oracle per seed",
                lambda m=method: seed_final(m, study=study),
                ".3f",
            )
        )
    return rows + [
        Figure(page, "| {} ± {} | {}, {}, {} |", f"{study}/seed-*/pretrain/metrics.jsonl",
               "pre-trained G's final/nll_oracle: mean ± CI, then per seed",
               lambda: (*mean_ci(pretrained(study=study)), *pretrained(study=study)), ".3f"),
        Figure(page, "{} ± {} |", f"{study}/seed-*/pretrain/metrics.jsonl", "pre-trained G's final/nll_test: mean ± CI",
               lambda: mean_ci(pretrained("nll_test", study)), ".3f"),
    ]  # fmt: skip


FIGURES: list[Figure] = [
    *table1_rows("README.md"),
    *table1_rows("docs/synthetic.md"),
    # SeqGAN against where pre-training left it (issue 29 §3: "+0.034 in every seed" was wrong)
    Figure("README.md", "by {}, {}, {} in the three seeds (paired p {})",
           f"{T1}/seed-*/results.json, seed-*/pretrain/metrics.jsonl",
           "SeqGAN final − pre-trained G final per seed; paired t-test", lambda: (
               *seqgan_minus_pretrained(), paired_p(seed_final("seqgan"), pretrained())),
           "+.3f|+.3f|+.3f|.3f"),
    Figure("docs/synthetic.md", "by {}, {} and {} in seeds 88, 89, 90 (mean {}, paired p {})",
           f"{T1}/seed-*/results.json, seed-*/pretrain/metrics.jsonl",
           "as above, and their mean", lambda: (
               *seqgan_minus_pretrained(), statistics.fmean(seqgan_minus_pretrained()),
               paired_p(seed_final("seqgan"), pretrained())), "+.3f|+.3f|+.3f|+.3f|.3f"),
    Figure("docs/evaluation.md", "SeqGAN − pre-trained G: {}, {}, {} NLL-oracle at NLL-test {}, {}, {}",
           f"{T1}/seed-*/results.json", "per seed; SeqGAN's final nll_test",
           lambda: (*seqgan_minus_pretrained(), *seed_final("seqgan", "nll_test")), "+.3f|+.3f|+.3f|.3f|.3f|.3f"),
    Figure("docs/synthetic.md", "NLL-test {}, {}, {} against {}, {}, {}", f"{T1}/seed-*/results.json",
           "SeqGAN's final nll_test per seed, the pre-trained G's",
           lambda: (*seed_final("seqgan", "nll_test"), *pretrained("nll_test")), ".3f"),
    Figure("README.md", "level ({}, paired p {})", f"{T1}/results.json",
           "t_tests_vs_seqgan.mle.paired: mean_diff, p", lambda: (
               load_json(f"{T1}/results.json")["t_tests_vs_seqgan"]["mle"]["paired"]["mean_diff"],
               load_json(f"{T1}/results.json")["t_tests_vs_seqgan"]["mle"]["paired"]["p"]), "+.3f|.2f"),
    Figure("README.md", "(SeqGAN − `shuffled` {}, paired p {})", f"{T1}/results.json",
           "t_tests_vs_seqgan.shuffled.paired: mean_diff, p", lambda: (
               load_json(f"{T1}/results.json")["t_tests_vs_seqgan"]["shuffled"]["paired"]["mean_diff"],
               paired_p(seed_final("seqgan"), seed_final("shuffled"))), "+.3f|.3f"),
    # the pre-trained G (early-stopped MLE) as the frontier's reference (issue 29 §3)
    Figure("docs/evaluation.md", "τ = 1: {} / {}, {} / {}, {} / {}", f"{T1}/seed-*/pretrain/metrics.jsonl",
           "final/nll_oracle / final/nll_test per seed", lambda: tuple(
               v for pair in zip(pretrained(), pretrained("nll_test"), strict=True) for v in pair), ".3f"),
    Figure("docs/synthetic.md", "(τ = 1: {} / {}, {} / {}, {} / {} in seeds 88, 89, 90;",
           f"{T1}/seed-*/pretrain/metrics.jsonl", "as above", lambda: tuple(
               v for pair in zip(pretrained(), pretrained("nll_test"), strict=True) for v in pair), ".3f"),
    Figure("docs/evaluation.md", "beats tuned MLE's front by {}, {}, {} and SeqGAN's curve by {}, {}, {}",
           f"{T1}/seed-*/frontier.json", "pre-trained G's point below curves.mle / curves.seqgan",
           lambda: (*pretrained_gap("mle"), *pretrained_gap("seqgan")), ".3f"),
    Figure("docs/synthetic.md", "tuned MLE's front at its own NLL-test by {}, {}, {} and below SeqGAN's own temperature curve by {}, {}, {}",
           f"{T1}/seed-*/frontier.json", "as above",
           lambda: (*pretrained_gap("mle"), *pretrained_gap("seqgan")), ".3f"),
    Figure("README.md", "tuned MLE's front at its own NLL-test by {}–{} and SeqGAN's temperature curve by {}–{}",
           f"{T1}/seed-*/frontier.json", "range over seeds of the gaps above", lambda: (
               min(pretrained_gap("mle")), max(pretrained_gap("mle")),
               min(pretrained_gap("seqgan")), max(pretrained_gap("seqgan"))), ".3f"),
    Figure("docs/evaluation.md", "below it (by {}, {}, {})", f"{T1}/seed-*/frontier.json",
           "tuned shuffled's front below the pre-trained G", lambda: tuple(-g for g in pretrained_gap("shuffled")), ".3f"),
    Figure("docs/synthetic.md", "pre-trained G's τ = 1 point (by {}, {}, {}); the constant reward's does not (the pre-trained G beats it by {}, {}, {})",
           f"{T1}/seed-*/frontier.json", "shuffled's front below it; it below constant's front",
           lambda: (*(-g for g in pretrained_gap("shuffled")), *pretrained_gap("constant")), ".3f"),
    # the frontier over seeds (frontier.json, gap of the tau = 1 point)
    *(Figure(page, "({}, {}, {})", f"{T1}/frontier.json", f"vs_temperature_tuned_{ref}.{m}.gap_at_tau1",
             lambda r=ref, m=m: frontier_gap(r, m), "+.3f")
      for page in ("docs/synthetic.md", "docs/evaluation.md")
      for ref, m in (("mle", "seqgan"), ("mle", "shuffled"), ("mle", "constant"), ("mle", "seqgan+baseline"),
                     ("mle", "seqgan+logit"), ("shuffled", "seqgan"), ("shuffled", "constant"))),
    Figure("docs/evaluation.md", "gap {}, {}, {} | level", f"{T1}/frontier.json",
           "vs_temperature_tuned_mle.seqgan.gap_at_tau1", lambda: frontier_gap("mle", "seqgan"), "+.3f"),
    Figure("docs/evaluation.md", "gap {}, {}, {} | above", f"{T1}/frontier.json",
           "vs_temperature_tuned_shuffled.seqgan.gap_at_tau1", lambda: frontier_gap("shuffled", "seqgan"), "+.3f"),
    Figure("docs/figure3.md", "spreads over {} across seeds ({}, {}, {})", f"{T1}/frontier.json",
           "range and values of vs_temperature_tuned_shuffled.seqgan.gap_at_tau1", lambda: (
               max(frontier_gap("shuffled", "seqgan")) - min(frontier_gap("shuffled", "seqgan")),
               *frontier_gap("shuffled", "seqgan")), ".2f|.3f|.3f|.3f"),
    # MLE's drift and the clipping of SeqGAN against shuffled
    Figure("docs/synthetic.md", "NLL-oracle rises from {} to {}", f"{T1}/results.json",
           "after_mle; methods.mle.nll_oracle (means over seeds)", lambda: (
               load_json(f"{T1}/results.json")["after_mle"],
               load_json(f"{T1}/results.json")["methods"]["mle"]["final"]["nll_oracle"]), ".3f"),
    Figure("docs/synthetic.md", "until iteration {}–{}, {} % of all g-steps", f"{T1}/seed-*/seqgan/metrics.jsonl",
           "first adversarial step with adv/clipped < 1, min and max over seeds; mean adv/clipped", lambda: (
               min(first_unclipped(f"{T1}/seed-{s}/seqgan/metrics.jsonl") for s in SEEDS),
               max(first_unclipped(f"{T1}/seed-{s}/seqgan/metrics.jsonl") for s in SEEDS),
               100 * statistics.fmean(clipped_share(f"{T1}/seed-{s}/seqgan/metrics.jsonl") for s in SEEDS)), ".0f"),
    Figure("docs/synthetic.md", "all clipped only until iterations {}–{} and {} % of its g-steps", f"{T1}/seed-*/shuffled/metrics.jsonl",
           "first adversarial step with adv/clipped < 1, min and max over seeds; mean adv/clipped", lambda: (
               min(first_unclipped(f"{T1}/seed-{s}/shuffled/metrics.jsonl") for s in SEEDS),
               max(first_unclipped(f"{T1}/seed-{s}/shuffled/metrics.jsonl") for s in SEEDS),
               100 * statistics.fmean(clipped_share(f"{T1}/seed-{s}/shuffled/metrics.jsonl") for s in SEEDS)), ".4g"),
    Figure("docs/synthetic.md", "give a lower NLL-oracle in every seed (by {}, {}, {};", f"{T1}/seed-*/results.json",
           "SeqGAN − shuffled final nll_oracle per seed",
           lambda: tuple(np.subtract(seed_final("seqgan"), seed_final("shuffled"))), ".2f"),
    Figure("docs/synthetic.md", "(seed 88: {} / {}, lower NLL-oracle", f"{T1}/seed-88/results.json",
           "pg_bleu final nll_oracle / nll_test", lambda: tuple(
               load_json(f"{T1}/seed-88/results.json")["methods"]["pg_bleu"]["final"][k]
               for k in ("nll_oracle", "nll_test")), ".2f"),
    Figure("docs/synthetic.md", "cooled to τ = 0.6 (seed 88) it reaches {} / {}", f"{T1}/seed-88/frontier.json",
           "curves.ss at temperature 0.6", lambda: tuple(
               load_json(f"{T1}/seed-88/frontier.json")["curves"]["ss"][0][k] for k in ("nll_oracle", "nll_test")), ".2f"),
    # the official D schedule, one seed (docs/table1-cpu/official-d)
    Figure("docs/synthetic.md", "official D **{} / {}**", f"{T1}/official-d/metrics.jsonl",
           "final/nll_oracle, final/nll_test", lambda: tuple(
               final_row(f"{T1}/official-d/metrics.jsonl")[k] for k in ("final/nll_oracle", "final/nll_test")), ".3f"),
    Figure("README.md", "reached {} / {}", f"{T1}/official-d/metrics.jsonl",
           "final/nll_oracle, final/nll_test", lambda: tuple(
               final_row(f"{T1}/official-d/metrics.jsonl")[k] for k in ("final/nll_oracle", "final/nll_test")), ".3f"),
    Figure("README.md", "after 50 iterations (SeqGAN {} / {}, `shuffled` {} / {};", f"{OFFD}/seed-88/results.json",
           "seqgan's and shuffled's NLL-oracle / NLL-test (100,000 samples)", lambda: tuple(
               load_json(f"{OFFD}/seed-88/results.json")["methods"][m]["final"][k]
               for m in ("seqgan", "shuffled") for k in ("nll_oracle", "nll_test")), ".3f"),
    Figure("docs/synthetic.md", "{} s median per iteration, {} s mean with the evaluations", f"{T1}/official-d/metrics.jsonl",
           "median and mean of adversarial perf/step_s", lambda: (
               median_step_s(f"{T1}/official-d/metrics.jsonl"),
               statistics.fmean(r["perf/step_s"] for r in adversarial(f"{T1}/official-d/metrics.jsonl"))), ".0f"),
    Figure("docs/synthetic.md", "(from iteration {} on only iteration {}'s step was clipped)", f"{T1}/official-d/metrics.jsonl",
           "adversarial steps with adv/clipped > 0 after the first unclipped run", lambda: (
               9, *[r["step"] for r in adversarial(f"{T1}/official-d/metrics.jsonl") if r["step"] >= 9 and r["adv/clipped"] > 0]), "d"),
    Figure("docs/synthetic.md", "costs {}× the time per iteration ({} s against {} s median", f"{T1}/official-d, seed-88/seqgan",
           "ratio of the median adversarial perf/step_s", lambda: (
               median_step_s(f"{T1}/official-d/metrics.jsonl") / median_step_s(f"{T1}/seed-88/seqgan/metrics.jsonl"),
               median_step_s(f"{T1}/official-d/metrics.jsonl"), median_step_s(f"{T1}/seed-88/seqgan/metrics.jsonl")), ".2g|.0f|.2g"),
    *(Figure("docs/synthetic.md", "| {} | {} / {} | {} / {} |", f"{T1}/seed-88/seqgan, official-d",
             f"eval/nll_oracle / eval/nll_test at iteration {it}, table1-cpu then official D", lambda it=it: (
                 it, *(at_step(f"{T1}/{run}/metrics.jsonl", it)[k] for run in ("seed-88/seqgan", "official-d")
                       for k in ("eval/nll_oracle", "eval/nll_test"))), "d|.2f|.2f|.2f|.2f")
      for it in (10, 20)),
    # the paper's D size at table1-cpu's schedule (docs/table1-cpu/full-d)
    Figure("docs/synthetic.md", "It ends at **{} / {}**", f"{T1}/full-d/metrics.jsonl",
           "final/nll_oracle, final/nll_test", lambda: tuple(
               final_row(f"{T1}/full-d/metrics.jsonl")[k] for k in ("final/nll_oracle", "final/nll_test")), ".3f"),
    Figure("docs/synthetic.md", "{} s median per iteration at two threads, against the quarter D's {} s",
           f"{T1}/full-d, seed-88/seqgan", "median adversarial perf/step_s", lambda: (
               median_step_s(f"{T1}/full-d/metrics.jsonl"), median_step_s(f"{T1}/seed-88/seqgan/metrics.jsonl")), ".1f"),
    Figure("docs/synthetic.md", "falls under the clip from iteration {} ({} % of g-steps clipped, quarter D {} %)",
           f"{T1}/full-d, seed-88/seqgan", "first unclipped step; mean adv/clipped", lambda: (
               first_unclipped(f"{T1}/full-d/metrics.jsonl"), 100 * clipped_share(f"{T1}/full-d/metrics.jsonl"),
               100 * clipped_share(f"{T1}/seed-88/seqgan/metrics.jsonl")), ".3g"),
    Figure("docs/synthetic.md", "D at accuracy {} at iteration 20 (quarter D {})", f"{T1}/full-d, seed-88/seqgan",
           "d/acc at adversarial step 20", lambda: tuple(
               at_step(f"{T1}/{run}/metrics.jsonl", 20)["d/acc"] for run in ("full-d", "seed-88/seqgan")), ".2f"),
    Figure("docs/synthetic.md", "held-out real data {} at iteration 20 and {} at the end (quarter D {} and {})",
           f"{T1}/full-d, seed-88/seqgan", "d/p_real_heldout at steps 20 and 199", lambda: tuple(
               at_step(f"{T1}/{run}/metrics.jsonl", it)["d/p_real_heldout"]
               for run in ("full-d", "seed-88/seqgan") for it in (20, 199)), ".2g"),
    Figure("docs/synthetic.md", "drifts back more slowly ({} at 200 against {})", f"{T1}/full-d, seed-88/seqgan",
           "eval/nll_oracle at the last iteration", lambda: tuple(
               at_step(f"{T1}/{run}/metrics.jsonl", 199)["eval/nll_oracle"] for run in ("full-d", "seed-88/seqgan")), ".2f"),
    # Figure 3 (docs/figure3-cpu), in the README and on its page
    *(Figure(page, "| {} / {} | {} / {} |", f"figure3-cpu/{s}/results.json",
             "seqgan then mle final nll_oracle / nll_test", lambda s=s: tuple(
                 fig3(s, m, k) for m in ("seqgan", "mle") for k in ("nll_oracle", "nll_test")), ".3f")
      for page in ("README.md", "docs/figure3.md")
      for s in ("fig3-cpu-g100-d1-k10", "fig3-cpu-g30-d1-k30", "fig3-cpu-g1-d1-k10")),
    *(Figure(page, "{} / {} |", f"figure3-cpu/{s}/results.json", "shuffled final nll_oracle / nll_test",
             lambda s=s: tuple(fig3(s, "shuffled", k) for k in ("nll_oracle", "nll_test")), ".3f")
      for page in ("README.md", "docs/figure3.md") for s in ("fig3-cpu-g1-d1-k10", "fig3-cpu-g1-d5-k3")),
    Figure("README.md", "| {} / {} | {} / {} |", "figure3-cpu/fig3-cpu-g1-d5-k3/results.json",
           "seqgan then mle final", lambda: tuple(
               fig3("fig3-cpu-g1-d5-k3", m, k) for m in ("seqgan", "mle") for k in ("nll_oracle", "nll_test")), ".3f"),
    Figure("docs/figure3.md", "| {} / {} | {} / {} |", "figure3-cpu/fig3-cpu-g1-d5-k3/results.json",
           "mle final; shuffled final", lambda: tuple(
               fig3("fig3-cpu-g1-d5-k3", m, k) for m in ("mle", "shuffled") for k in ("nll_oracle", "nll_test")), ".3f"),
    *(Figure(page, "by {} at τ = 1", "figure3-cpu/fig3-cpu-g1-d5-k3/frontier.json",
             "vs_temperature_tuned_shuffled.seqgan.gap_at_tau1", lambda: load_json(
                 "figure3-cpu/fig3-cpu-g1-d5-k3/frontier.json")["vs_temperature_tuned_shuffled"]["seqgan"]["gap_at_tau1"], "+.3f")
      for page in ("README.md", "docs/figure3.md")),
    # the demo sweep (docs/sweep-demo)
    Figure("README.md", "best NLL-oracle {}", "sweep-demo/sweep_results.csv", "min of best_nll_oracle",
           lambda: min(float(line.split(",")[7]) for line in (DOCS / "sweep-demo/sweep_results.csv").read_text().splitlines()[1:]), ".3f"),
    Figure("docs/sweeps.md", "| **{}** | 4 (ran to the end) |", "sweep-demo/sweep_results.csv", "min of best_nll_oracle",
           lambda: min(float(line.split(",")[7]) for line in (DOCS / "sweep-demo/sweep_results.csv").read_text().splitlines()[1:]), ".3f"),
    # --- rows added for the figures the table did not cover yet -------------------------------
    # Table 1's other columns: the schedule in the labels, the paper column (results.json keeps
    # the paper's Table 1 beside each method), SeqGAN − method with its paired p, the frontier cells
    *(Figure(page, "| after MLE pre-training ({} epochs) |", f"{T1}/results.json", "pretrain_epochs",
             lambda: results()["pretrain_epochs"], "d") for page in ("README.md", "docs/synthetic.md")),
    *(Figure(page, "| MLE ({} more epochs) |", f"{T1}/results.json", "config.schedule.adversarial_iterations",
             lambda: results()["config"]["schedule"]["adversarial_iterations"], "d")
      for page in ("README.md", "docs/synthetic.md")),
    Figure("README.md", "{} MLE epochs, on 2 cores", f"{T1}/results.json", "pretrain_epochs",
           lambda: results()["pretrain_epochs"], "d"),
    *(Figure(page, "{}, {}, {} | {} |" if paper(m) else "{}, {}, {} | – |", f"{T1}/results.json",
             f"{m}'s seeds, then methods.{m}.paper.nll_oracle (the paper's Table 1)",
             lambda m=m: (*seed_final(m), *([paper(m)] if paper(m) else [])), ".3f")
      for page, methods in (("README.md", ("seqgan", "mle", "shuffled", "constant", "ss", "pg_bleu", "random")),
                            ("docs/synthetic.md", ("seqgan", "mle", "shuffled", "constant", "seqgan+baseline",
                                                   "seqgan+logit", "ss", "pg_bleu", "random")))
      for m in methods),
    Figure("docs/synthetic.md", "(official log) | {} ({}) | {} ± {} |", f"{T1}/results.json, seed-*/pretrain",
           "mean SeqGAN − pre-trained G, paired p; the pre-trained G's nll_test", lambda: (
               statistics.fmean(seqgan_minus_pretrained()), paired_p(seed_final("seqgan"), pretrained()),
               *mean_ci(pretrained("nll_test"))), "+.3f|.3f|.3f|.3f"),
    *(Figure("docs/synthetic.md", "| {} ({}) | {} ± {} |", f"{T1}/results.json",
             f"t_tests_vs_seqgan.{m}.paired mean_diff (p); {m}'s nll_test mean ± CI",
             lambda m=m: (*paired(m), *mean_ci(seed_final(m, "nll_test"))), f"+.3f|{p_spec}|.3f|.3f")
      for m, p_spec in (("mle", ".2f"), ("shuffled", ".3f"), ("constant", ".3f"), ("seqgan+baseline", ".2f"),
                        ("seqgan+logit", ".3f"), ("ss", ".1g"), ("pg_bleu", ".1g"), ("random", ".1g"))),
    *(Figure("docs/synthetic.md", "| {} of 3 ({}, {}, {}) | {} of 3 ({}, {}, {}) |", f"{T1}/frontier.json",
             f"{m}: seeds below and gaps at tau = 1, against tuned MLE then tuned shuffled",
             lambda m=m: (*frontier_cell("mle", m), *frontier_cell("shuffled", m)), "d|+.3f|+.3f|+.3f|d|+.3f|+.3f|+.3f")
      for m in ("seqgan", "constant")),
    *(Figure("docs/synthetic.md", "| {} of 3 ({}, {}, {}) | {} of 3 |", f"{T1}/frontier.json",
             f"{m}: as above, only the count against tuned shuffled", lambda m=m: (
                 *frontier_cell("mle", m), frontier_cell("shuffled", m)[0]), "d|+.3f|+.3f|+.3f|d")
      for m in ("seqgan+baseline", "seqgan+logit")),
    Figure("docs/synthetic.md", "| {} of 3 ({}, {}, {}) | – |", f"{T1}/frontier.json", "shuffled against tuned MLE",
           lambda: frontier_cell("mle", "shuffled"), "d|+.3f|+.3f|+.3f"),
    Figure("docs/synthetic.md", "| {} of 3 ({} to {}) | {} of 3 |", f"{T1}/frontier.json",
           "random: count, largest and smallest gap against tuned MLE; count against tuned shuffled", lambda: (
               frontier_cell("mle", "random")[0], max(frontier_cell("mle", "random")[1:]),
               min(frontier_cell("mle", "random")[1:]), frontier_cell("shuffled", "random")[0]), "d|.2f|.2f|d"),
    Figure("docs/synthetic.md", "its one comparable point below in {} of 3 | likewise |", f"{T1}/frontier.json",
           "vs_temperature_tuned_mle.ss.points_below (of points_compared, one a seed)", lambda: (
               results(f"{T1}/frontier.json")["vs_temperature_tuned_mle"]["ss"]["points_below"]), "d"),
    # the README's verdicts
    Figure("README.md", "after a dip to {}–{} early in the run", f"{T1}/seed-*/seqgan/metrics.jsonl",
           "lowest adversarial eval/nll_oracle of each seed: smallest and largest", lambda: (
               min(v for _, v in seqgan_lows()), max(v for _, v in seqgan_lows())), ".2f"),
    *(Figure(page, quoted, f"{T1}/seed-*/results.json, seed-*/pretrain/metrics.jsonl",
             "seeds where SeqGAN's final nll_oracle and nll_test both exceed the pre-trained G's", lambda: sum(
                 o > po and t > pt for o, t, po, pt in zip(seed_final("seqgan"), seed_final("seqgan", "nll_test"),
                                                             pretrained(), pretrained("nll_test"), strict=True)), "d")
      for page, quoted in (("README.md", "worse on both axes in {} of 3 seeds"),
                           ("docs/evaluation.md", "**worse on both axes in {} of 3**"))),
    Figure("README.md", "and above tuned `shuffled`'s front in {} of 3 seeds", f"{T1}/frontier.json",
           "seeds with vs_temperature_tuned_shuffled.seqgan.gap_at_tau1 < 0",
           lambda: sum(g < 0 for g in frontier_gap("shuffled", "seqgan")), "d"),
    # Figure 3's strategies and iterations (config.schedule of each experiment)
    *(Figure(page, f"| ({letter}) {{}}, {{}}, {{}} | {{}} |", f"figure3-cpu/{s}/results.json",
             "config.schedule: g_steps, d_steps, k_epochs, adversarial_iterations", lambda s=s: fig3_schedule(s), "d")
      for page in ("README.md", "docs/figure3.md")
      for letter, s in (("a", "fig3-cpu-g100-d1-k10"), ("b", "fig3-cpu-g30-d1-k30"),
                        ("c", "fig3-cpu-g1-d1-k10"), ("d", "fig3-cpu-g1-d5-k3"))),
    Figure("README.md", "that gap spreads over {} across `table1-cpu`'s seeds", f"{T1}/frontier.json",
           "range of vs_temperature_tuned_shuffled.seqgan.gap_at_tau1", lambda: (
               max(frontier_gap("shuffled", "seqgan")) - min(frontier_gap("shuffled", "seqgan"))), ".2f"),
    # the demo sweep
    Figure("README.md", "{} trials in {} min on 2 cores, best NLL-oracle {}, the official strategy ({}, {}, {})",
           "sweep-demo/sweep_results.csv, sweep_results.md", "trials, the sweep's minutes, the best trial's "
           "best_nll_oracle and its g_steps, d_steps, k_epochs", lambda: (
               len(sweep_trials()), sweep_minutes(), float(sweep_best()["best_nll_oracle"]),
               *(int(sweep_best()[f"schedule.{k}"]) for k in ("g_steps", "d_steps", "k_epochs"))), "d|.1f|.3f|d|d|d"),
    # docs/synthetic.md: what the three-seed table says
    Figure("docs/synthetic.md", "It is lowest early — {}, {}, {} at iterations {}, {}, {} of seeds 88, 89, 90",
           f"{T1}/seed-*/seqgan/metrics.jsonl", "each seed's lowest adversarial eval/nll_oracle and its step",
           lambda: (*(v for _, v in seqgan_lows()), *(st for st, _ in seqgan_lows())), ".2f|.2f|.2f|d|d|d"),
    Figure("docs/synthetic.md", "They are level: {}, p {}.", f"{T1}/results.json", "t_tests_vs_seqgan.mle.paired",
           lambda: paired("mle"), "+.3f|.2f"),
    Figure("docs/synthetic.md", "(88: level, Welch p {}; 89: SeqGAN worse, p {}; 90: SeqGAN better by {}, p {};",
           f"{T1}/results.json", "t_tests_vs_seqgan.mle.per_seed: p; seed 90's mean_b − mean_a", lambda: (
               *(results()["t_tests_vs_seqgan"]["mle"]["per_seed"][s]["p"] for s in ("88", "89")),
               results()["t_tests_vs_seqgan"]["mle"]["per_seed"]["90"]["mean_b"]
               - results()["t_tests_vs_seqgan"]["mle"]["per_seed"]["90"]["mean_a"],
               results()["t_tests_vs_seqgan"]["mle"]["per_seed"]["90"]["p"]), ".2f|.2g|.3f|.1g"),
    Figure("docs/synthetic.md", "S less: NLL-test {} against MLE's {}.", f"{T1}/results.json",
           "seqgan, mle final nll_test (means)", lambda: (mean_final("seqgan", "nll_test"), mean_final("mle", "nll_test")), ".2f"),
    Figure("docs/synthetic.md", "paired p {}), at a higher NLL-test ({} against {}); the constant reward does the same more mildly (paired p {})",
           f"{T1}/results.json", "shuffled's paired p; shuffled, seqgan final nll_test; constant's paired p", lambda: (
               paired("shuffled")[1], mean_final("shuffled", "nll_test"), mean_final("seqgan", "nll_test"),
               paired("constant")[1]), ".3f|.2f|.2f|.3f"),
    Figure("docs/synthetic.md", "below tuned MLE's front in {} of 3 seeds by {} and above it in the third by {}",
           f"{T1}/frontier.json", "vs_temperature_tuned_mle.seqgan: seeds below; the two positive gaps; the negative one", lambda: (
               frontier_cell("mle", "seqgan")[0], agreed(tuple(g for g in frontier_gap("mle", "seqgan") if g > 0), ".2f"),
               -min(frontier_gap("mle", "seqgan"))), "d|.2f|.2f"),
    Figure("docs/synthetic.md", "`shuffled` lies below tuned MLE in all three (by {}–{}) and SeqGAN above tuned `shuffled` in all three (by {}–{})",
           f"{T1}/frontier.json", "ranges of the gaps", lambda: (
               min(frontier_gap("mle", "shuffled")), max(frontier_gap("mle", "shuffled")),
               -max(frontier_gap("shuffled", "seqgan")), -min(frontier_gap("shuffled", "seqgan"))), ".2f"),
    *(Figure("docs/synthetic.md", quoted, f"{T1}/results.json, seed-*/pretrain", "pre-trained G's mean nll_test, then MLE's",
             lambda: (mean_ci(pretrained("nll_test"))[0], mean_final("mle", "nll_test")), ".2f")
      for quoted in ("overfits S: NLL-test {} → {}", "overfitted (NLL-test {} → {})")),
    Figure("docs/synthetic.md", "ends worse than where it started ({}; ω falls", f"{T1}/results.json", "ss final nll_oracle",
           lambda: mean_final("ss"), ".3f"),
    Figure("docs/synthetic.md", "by far the best NLL-test ({})", f"{T1}/results.json", "ss final nll_test",
           lambda: mean_final("ss", "nll_test"), ".3f"),
    Figure("docs/synthetic.md", "PG-BLEU's NLL-oracle of {} is not quality", f"{T1}/results.json", "pg_bleu final nll_oracle",
           lambda: mean_final("pg_bleu"), ".1f"),
    Figure("docs/synthetic.md", "its NLL-test is the worst of all ({})", f"{T1}/results.json", "pg_bleu final nll_test",
           lambda: mean_final("pg_bleu", "nll_test"), ".1f"),
    Figure("docs/synthetic.md", "in seed 90, its lowest NLL-oracle ({})", f"{T1}/seed-90/results.json", "shuffled final nll_oracle",
           lambda: seed_final("shuffled")[2], ".3f"),
    Figure("docs/synthetic.md", "SeqGAN ({}, paired p {}) with the lower NLL-test ({}), the logit reward is worse ({}, p {})",
           f"{T1}/results.json", "seqgan+baseline and seqgan+logit: final means and paired p", lambda: (
               mean_final("seqgan+baseline"), paired("seqgan+baseline")[1], mean_final("seqgan+baseline", "nll_test"),
               mean_final("seqgan+logit"), paired("seqgan+logit")[1]), ".3f|.2f|.3f|.3f|.3f"),
    # the game table (mean of the three seeds) and the prose read off it
    *(Figure("docs/synthetic.md", f"| {label} | {{}} | {{}} | {{}} | {{}} | {{}} | {{}} | {{}} | {{}} | {{}} | {{}} | {{}} |",
             f"{T1}/seed-*/{m}/metrics.jsonl", f"{m} at iteration {it}: evaluations, then 5-iteration means", lambda m=m, it=it: (
                 it, *(game(m, it, k) for k in ("eval/nll_oracle", "eval/nll_test", "d/acc", "d/p_real_train",
                                                 "d/p_real_heldout", "d/p_real_fake", "adv/q_mean", "adv/q_ess",
                                                 "adv/grad_norm", "adv/clipped"))),
             f"d|.2f|.2f|.3f|.3f|#.3g|{'.2g' if (m, it) == ('shuffled', 100) else '#.3g'}|#.3g|#.3g|.3g|.2g")
      for m, label in (("seqgan", "SeqGAN"), ("shuffled", "`shuffled`")) for it in (0, 20, 50, 100, 199)),
    # the game's prose on docs/synthetic.md, read off the game table and the seeds' runs
    Figure("docs/synthetic.md", "D wins quickly: accuracy {} by iteration 20 and {} by 50, the mean reward falls from {} to {}",
           f"{T1}/seed-*/seqgan/metrics.jsonl", "game table: d/acc at 20 and 50, adv/q_mean at 0 and 199", lambda: (
               game("seqgan", 20, "d/acc"), game("seqgan", 50, "d/acc"), game("seqgan", 0, "adv/q_mean"),
               game("seqgan", 199, "adv/q_mean")), ".2f|.2f|.2f|.1g"),
    Figure("docs/synthetic.md", "update (ESS {}). D's reward does not generalise: at the end it gives its own training rows P(real) {}, real oracle samples it never saw {}, and G's samples {}",
           f"{T1}/seed-*/seqgan/metrics.jsonl", "game table at 199: adv/q_ess, d/p_real_train, _heldout, _fake", lambda: tuple(
               game("seqgan", 199, k) for k in ("adv/q_ess", "d/p_real_train", "d/p_real_heldout", "d/p_real_fake")),
           ".2f|.3f|.2g|.1g"),
    Figure("docs/synthetic.md", "turns upward at iterations {}–{}, when D's P(real) of held-out real data has fallen from {} to {}–{}, and keeps rising as it falls to {}",
           f"{T1}/seed-*/seqgan/metrics.jsonl", "steps of each seed's lowest evaluation; game d/p_real_heldout at 0, "
           "each seed's d/p_real_heldout at that step, game at 199", lambda: (
               min(st for st, _ in seqgan_lows()), max(st for st, _ in seqgan_lows()), game("seqgan", 0, "d/p_real_heldout"),
               *sorted(at_step(f"{T1}/seed-{s}/seqgan/metrics.jsonl", st)["d/p_real_heldout"]
                       for s, (st, _) in zip(SEEDS, seqgan_lows(), strict=True))[::2],
               game("seqgan", 199, "d/p_real_heldout")), "d|d|.2f|.2f|.2f|.1g"),
    Figure("docs/synthetic.md", "(held-out real data stays at P(real) {})", f"{T1}/seed-*/shuffled/metrics.jsonl",
           "game table: shuffled's d/p_real_heldout at 199", lambda: game("shuffled", 199, "d/p_real_heldout"), ".2f"),
    Figure("docs/synthetic.md", "until the last tens of iterations ({} → {};", f"{T1}/seed-*/seqgan/metrics.jsonl",
           "game table: adv/grad_norm at 0 and 199", lambda: (
               game("seqgan", 0, "adv/grad_norm"), game("seqgan", 199, "adv/grad_norm")), ".0f|.1f"),
    Figure("docs/synthetic.md", "({} against {} at iteration 50)", f"{T1}/seed-*/seqgan, shuffled",
           "game table: eval/nll_oracle at 50, seqgan then shuffled", lambda: (
               game("seqgan", 50, "eval/nll_oracle"), game("shuffled", 50, "eval/nll_oracle")), ".2f"),
    # the official D schedule (docs/table1-cpu/official-d), beside seed 88's table1-cpu run
    Figure("docs/synthetic.md", "`table1-cpu` gives D {} Adam steps over 200 iterations, the official schedule {}, so `table1-cpu` keeps {} % of them",
           f"{T1}/seed-88/seqgan/config.json, official-d/config.json", "D's batches: (rounds x epochs + iterations x "
           "d-steps x k) x (negatives + positives) / batch", lambda: (
               d_adam_steps("seed-88/seqgan"), d_adam_steps("official-d"),
               100 * d_adam_steps("seed-88/seqgan") / d_adam_steps("official-d")), ",.0f|,.0f|.0f"),
    *(Figure("docs/synthetic.md", f"| {label} | {{}} / {{}} | {{}} / {{}} |", f"{T1}/seed-88/seqgan, official-d",
             f"eval/nll_oracle / eval/nll_test at steps {it} and {it_od}", lambda it=it, it_od=it_od: (
                 *(at_step(f"{T1}/seed-88/seqgan/metrics.jsonl", it)[k] for k in ("eval/nll_oracle", "eval/nll_test")),
                 *(at_step(f"{T1}/official-d/metrics.jsonl", it_od)[k] for k in ("eval/nll_oracle", "eval/nll_test")),
             ), ".2f")
      for label, it, it_od in (("0", 0, 0), ("30 (end)", 30, 29))),
    *(Figure("docs/synthetic.md", "| {}, {} / {} / {} | {}, {}, {} |", f"{T1}/official-d/metrics.jsonl",
             f"step {it}: d/acc, d/p_real_train, _heldout, _fake; adv/q_mean, adv/q_ess, adv/grad_norm", lambda it=it: tuple(
                 at_step(f"{T1}/official-d/metrics.jsonl", it)[k] for k in (
                     "d/acc", "d/p_real_train", "d/p_real_heldout", "d/p_real_fake", "adv/q_mean", "adv/q_ess",
                     "adv/grad_norm")), f".3f|.3f|.4f|.4f|{q_spec}|.2f|{g_spec}")
      for it, q_spec, g_spec in ((0, ".2g", ".3g"), (10, ".2g", ".2g"), (20, ".1g", ".2g"), (29, ".1g", ".2g"))),
    Figure("docs/synthetic.md", "`table1-cpu`'s D at iterations 0/10/20/29: accuracy {}, {}, {}, {}, P(real) held-out {}, {}, {}, {}.)",
           f"{T1}/seed-88/seqgan/metrics.jsonl", "d/acc, then d/p_real_heldout, at steps 0, 10, 20, 29", lambda: tuple(
               at_step(f"{T1}/seed-88/seqgan/metrics.jsonl", it)[k]
               for k in ("d/acc", "d/p_real_heldout") for it in (0, 10, 20, 29)), ".2f"),
    Figure("docs/synthetic.md", "it gives unseen oracle samples a *lower* P(real) ({}) than G's own samples ({})",
           f"{T1}/official-d/metrics.jsonl", "d/p_real_heldout, d/p_real_fake at step 0", lambda: tuple(
               at_step(f"{T1}/official-d/metrics.jsonl", 0)[k] for k in ("d/p_real_heldout", "d/p_real_fake")), ".4f"),
    Figure("docs/synthetic.md", "(ESS {}–{} at iterations 10, 20 and 30; per iteration from 9 on {}–{}, median {})",
           f"{T1}/official-d/metrics.jsonl", "adv/q_ess at the table's steps 10, 20, 29; its range and median over steps 9-29",
           lambda: (
               min(at_step(f"{T1}/official-d/metrics.jsonl", it)["adv/q_ess"] for it in (10, 20, 29)),
               max(at_step(f"{T1}/official-d/metrics.jsonl", it)["adv/q_ess"] for it in (10, 20, 29)),
               min(r["adv/q_ess"] for r in adversarial(f"{T1}/official-d/metrics.jsonl") if r["step"] >= 9),
               max(r["adv/q_ess"] for r in adversarial(f"{T1}/official-d/metrics.jsonl") if r["step"] >= 9),
               statistics.median(r["adv/q_ess"] for r in adversarial(f"{T1}/official-d/metrics.jsonl") if r["step"] >= 9)),
           ".2f"),
    # the paper's D size (docs/table1-cpu/full-d), beside seed 88's quarter-D runs
    Figure("docs/synthetic.md", "against the quarter D's {} / {} in the same seed", f"{T1}/seed-88/results.json",
           "seqgan final nll_oracle / nll_test", lambda: tuple(
               load_json(f"{T1}/seed-88/results.json")["methods"]["seqgan"]["final"][k] for k in ("nll_oracle", "nll_test")), ".3f"),
    Figure("docs/synthetic.md", "the seed-to-seed spread of SeqGAN is ±{}", f"{T1}/seed-*/results.json",
           "half-width of SeqGAN's 95 % interval over seeds", lambda: mean_ci(seed_final("seqgan"))[1], ".2f"),
    Figure("docs/synthetic.md", "below MLE ({}) and below where pre-training left it ({}) on NLL-oracle but not on NLL-test ({} against {})",
           f"{T1}/seed-88, full-d", "seed 88's mle final, pre-trained G; full-d's final nll_test, the pre-trained G's", lambda: (
               load_json(f"{T1}/seed-88/results.json")["methods"]["mle"]["final"]["nll_oracle"], pretrained()[0],
               final_row(f"{T1}/full-d/metrics.jsonl")["final/nll_test"], pretrained("nll_test")[0]), ".3f"),
    Figure("docs/synthetic.md", "still {} above the paper's {}", f"{T1}/full-d/metrics.jsonl, results.json",
           "full-d's final/nll_oracle − methods.seqgan.paper", lambda: (
               final_row(f"{T1}/full-d/metrics.jsonl")["final/nll_oracle"] - paper("seqgan"), paper("seqgan")), ".2f|.3f"),
    Figure("docs/synthetic.md", "reward {} at the end", f"{T1}/full-d/metrics.jsonl", "adv/q_mean at the last step",
           lambda: adversarial(f"{T1}/full-d/metrics.jsonl")[-1]["adv/q_mean"], ".1g"),
    Figure("docs/synthetic.md", "NLL-oracle is lowest at iterations 30–80 ({}–{}, 5,000 samples)", f"{T1}/full-d/metrics.jsonl",
           "range of eval/nll_oracle over steps 30-80, which holds the lowest", lambda: (
               lowest_eval(f"{T1}/full-d/metrics.jsonl")[1] if 30 <= lowest_eval(f"{T1}/full-d/metrics.jsonl")[0] <= 80
               else float("nan"), max(at_step(f"{T1}/full-d/metrics.jsonl", it)["eval/nll_oracle"] for it in range(30, 81, 10))),
           ".2f"),
    Figure("docs/synthetic.md", "(ESS {} at the end)", f"{T1}/full-d/metrics.jsonl", "adv/q_ess at the last step",
           lambda: adversarial(f"{T1}/full-d/metrics.jsonl")[-1]["adv/q_ess"], ".2f"),
    # docs/evaluation.md: seed 88's curves, the frontier table over seeds, the real-data verdict
    *(Figure("docs/evaluation.md", f"| {tau} |" + " {} / {} |" * 5, f"{T1}/seed-88/frontier.json",
             f"curves at temperature {tau}: mle, seqgan, shuffled, constant, ss (nll_oracle / nll_test)", lambda tau=tau: tuple(
                 v for m in ("mle", "seqgan", "shuffled", "constant", "ss")
                 for v in curve_point(f"{T1}/seed-88/frontier.json", m, tau, "nll_oracle")), ".3f")
      for tau in (0.6, 0.8, 1.0, 1.25, 1.5)),
    *(Figure("docs/evaluation.md", "| {} of 3 ({}, {}, {}) | {} of {} |" + (" {} of 3 ({}, {}, {}) | {} of {} |" if m != "shuffled" else " – | – |"),
             f"{T1}/frontier.json", f"{m}: seeds below and gaps at tau = 1, points below of compared; against tuned MLE then shuffled",
             lambda m=m: tuple(v for ref in (("mle", "shuffled") if m != "shuffled" else ("mle",))
                               for v in (*frontier_cell(ref, m), *frontier_points(ref, m))),
             "|".join(["d", "+.3f", "+.3f", "+.3f", "d", "d"] * (2 if m != "shuffled" else 1)))
      for m in ("seqgan", "shuffled", "constant", "seqgan+baseline", "seqgan+logit")),
    Figure("docs/evaluation.md", "level (below in {} of 3) |", f"{T1}/frontier.json", "vs_temperature_tuned_mle.seqgan.seeds_below_at_tau1",
           lambda: frontier_cell("mle", "seqgan")[0], "d"),
    # docs/figure3.md: SeqGAN's tau = 1 gaps in (c) and (d)
    *(Figure("docs/figure3.md", quoted, f"figure3-cpu/{s}/frontier.json",
             "vs_temperature_tuned_mle / _shuffled .seqgan.gap_at_tau1", lambda s=s: tuple(
                 load_json(f"figure3-cpu/{s}/frontier.json")[f"vs_temperature_tuned_{ref}"]["seqgan"]["gap_at_tau1"]
                 for ref in ("mle", "shuffled")), "+.3f")
      for s, quoted in (("fig3-cpu-g1-d1-k10", "| {} / {} | 10,000 |"), ("fig3-cpu-g1-d5-k3", "| {} / **{}** | 10,000 |"))),
]  # fmt: skip


@pytest.mark.parametrize("fig", FIGURES, ids=lambda f: f"{f.page}:{f.quoted[:40]}")
def test_quoted_figure_matches_its_banked_file(fig):
    assert_quoted(fig)


def test_the_table_covers_the_readme_and_the_study_pages():
    pages = {f.page for f in FIGURES}
    assert {"README.md", "docs/synthetic.md", "docs/evaluation.md", "docs/figure3.md"} <= pages
    assert "docs/sweeps.md" in pages
