"""Every figure the README and the docs pages quote from the real-data studies and the
humaneval demonstration banked under docs/ (real-data/, humaneval-demo/), recomputed from those
files: the same check as test_readme_figures.py (see there), for the studies of issue 30."""

from __future__ import annotations

import pytest
from banked import Figure, curve_point, load_json, mean_ci, page_text, render


def real(name: str, method: str, key: str) -> float:
    return load_json(f"real-data/beta-0.8/{name}/results.json")["methods"][method]["final"][key]


def real88(name: str) -> dict:
    """A data set's seed-88 results at today's defaults (β ← θ)."""
    return load_json(f"real-data/{name}/seed-88/results.json")


def gap88(name: str, ref: str, method: str) -> float:
    """The tau = 1 gap of a method to a front (ref: pretrained_g or temperature_tuned_mle)."""
    return load_json(f"real-data/{name}/seed-88/frontier.json")[f"vs_{ref}"][method]["gap_at_tau1"]


def over(name: str) -> dict:
    """A data set's results over seeds at today's defaults (docs/real-data/<name>/results.json)."""
    return load_json(f"real-data/{name}/results.json")


def per_seed(name: str, method: str, key: str) -> tuple[float, ...]:
    """Each seed's final `key` of a method, in the seeds' order; method "pretrain": after MLE."""
    if method == "pretrain":
        return tuple(load_json(f"real-data/{name}/seed-{s}/results.json")["after_mle"]
                     for s in over(name)["seeds"])  # fmt: skip
    return tuple(s["final"][key] for s in over(name)["methods"][method]["seeds"])


def front_cell(name: str, ref: str, method: str) -> tuple:
    """Seeds whose tau = 1 point beats the front, of how many, and each seed's gap."""
    row = load_json(f"real-data/{name}/frontier.json")[f"vs_{ref}"][method]
    return (row["seeds_below_at_tau1"], row["seeds"], *row["gap_at_tau1"])


def over_row(name: str, method: str, key: str) -> tuple:
    """docs/real-data.md's over-seeds row: paper, mean ± CI, per seed, paired p, NLL-test mean ±
    CI, the pre-trained G's and tuned MLE's front cells (MLE: the first only)."""
    m = over(name)["methods"][method]
    paper = (m["paper"][key],) if method in ("seqgan", "mle") else ()
    paired = () if method == "seqgan" else (over(name)["t_tests_vs_seqgan"][method]["paired"]["p"],)
    refs = ("pretrained_g",) + (() if method == "mle" else ("temperature_tuned_mle",))
    return (*paper, *mean_ci(per_seed(name, method, key)), *per_seed(name, method, key), *paired,
            *mean_ci(per_seed(name, method, "nll_test")),
            *(v for ref in refs for v in front_cell(name, ref, method)))  # fmt: skip


def over_fmt(method: str) -> str:
    cells = [".3f"] * (method in ("seqgan", "mle")) + [".3f"] * 5 + [".3f"] * (method != "seqgan")
    fronts = 1 + (method != "mle")
    return "|".join(cells + [".3f", ".3f"] + ["d", "d", "+.3f", "+.3f", "+.3f"] * fronts)


def over_quote(method: str) -> str:
    label = over("nottingham")["methods"][method]["label"]
    paper = "{}" if method in ("seqgan", "mle") else "–"
    paired = "–" if method == "seqgan" else "{}"
    front = "{} of {} ({}, {}, {})"
    tuned = "–" if method == "mle" else front
    return f"| {label} | {paper} | {{}} ± {{}} | {{}}, {{}}, {{}} | {paired} | {{}} ± {{}} | {front} | {tuned} |"


FIGURES: list[Figure] = [
    # real data with β blended at 0.8 (docs/real-data/beta-0.8), seed 88
    *(Figure("docs/real-data.md", "| {} | **{}** |", f"real-data/beta-0.8/{name}/results.json", f"mle then seqgan final {key}",
             lambda n=name, k=key: (real(n, "mle", k), real(n, "seqgan", k)), ".3f")
      for name, key in (("poems", "bleu2"), ("obama", "bleu3"), ("obama", "bleu4"))),
    *(Figure("docs/real-data.md", "| {} / {} |", f"real-data/beta-0.8/{name}/results.json", "mle then seqgan final nll_test",
             lambda n=name: (real(n, "mle", "nll_test"), real(n, "seqgan", "nll_test")), ".3f")
      for name in ("poems", "obama", "nottingham")),
    Figure("docs/real-data.md", "| **{}** | {} |", "real-data/beta-0.8/nottingham/results.json", "mle then seqgan final bleu4",
           lambda: (real("nottingham", "mle", "bleu4"), real("nottingham", "seqgan", "bleu4")), ".3f"),
    Figure("docs/real-data.md", "| **{}** | {} |", "real-data/beta-0.8/nottingham/results.json", "mle then seqgan final mse",
           lambda: (real("nottingham", "mle", "mse"), real("nottingham", "seqgan", "mse")), ".2f"),
    # real data at today's defaults (β ← θ), seed 88: README's table and reading
    *(Figure("README.md", f"| {label} | {key.upper()[:4]}-{key[4:]} |" + " {} |" * 7, f"real-data/{name}/seed-88/results.json",
             "paper mle, paper seqgan, after_mle, then final key of mle, seqgan, shuffled, row_shuffled", lambda n=name, k=key: (
                 real88(n)["methods"]["mle"]["paper"][k], real88(n)["methods"]["seqgan"]["paper"][k], real88(n)["after_mle"],
                 *(real88(n)["methods"][m][k] for m in ("mle", "seqgan", "shuffled", "row_shuffled"))), ".3f")
      for label, name, key in (("Chinese quatrains", "poems", "bleu2"), ("Nottingham", "nottingham", "bleu4"))),
    Figure("README.md", "front (by {} BLEU-2 on poems, {} BLEU-4 on Nottingham) and below tuned MLE's (by {}, {})",
           "real-data/*/seed-88/frontier.json", "minus seqgan's gap_at_tau1 to the pre-trained G's and tuned MLE's fronts",
           lambda: tuple(-gap88(n, ref, "seqgan") for ref in ("pretrained_g", "temperature_tuned_mle")
                         for n in ("poems", "nottingham")), ".3f"),
    Figure("README.md", "NLL-test ({} against MLE's {})", "real-data/poems/seed-88/results.json", "row_shuffled, mle final nll_test",
           lambda: tuple(real88("poems")["methods"][m]["final"]["nll_test"] for m in ("row_shuffled", "mle")), ".3f"),
    # ... and docs/real-data.md's per-seed tables
    *(Figure("docs/real-data.md", f"| {real88(n)['methods'][m]['label']} | " + ("{} | {} |" if m in ("seqgan", "mle") else "– | {} |"),
             f"real-data/{n}/seed-88/results.json", f"{m}: paper and final {k}", lambda n=n, m=m, k=k: tuple(
                 ([real88(n)["methods"][m]["paper"][k]] if m in ("seqgan", "mle") else []) + [real88(n)["methods"][m][k]]), ".3f")
      for n, k in (("poems", "bleu2"),) for m in ("seqgan", "shuffled", "row_shuffled", "mle")),
    *(Figure("docs/real-data.md", "| {} | {} | " + ("{} |" if m != "mle" else "– |"), f"real-data/{n}/seed-88/frontier.json",
             f"{m}: final nll_test, gaps at tau = 1 to the pre-trained G's and tuned MLE's fronts", lambda n=n, m=m: (
                 real88(n)["methods"][m]["final"]["nll_test"], gap88(n, "pretrained_g", m),
                 *([gap88(n, "temperature_tuned_mle", m)] if m != "mle" else [])), ".3f|+.3f|+.3f" if m != "mle" else ".3f|+.3f")
      for n in ("poems",) for m in ("seqgan", "shuffled", "row_shuffled", "mle")),
    *(Figure("docs/real-data.md", f"BLEU-{k} {{}}):", f"real-data/{n}/seed-88/results.json", "after_mle",
             lambda n=n: real88(n)["after_mle"], ".3f") for n, k in (("poems", 2),)),
    Figure("docs/real-data.md", "level with MLE (p {})", "real-data/poems/seed-88/results.json", "Welch p of seqgan vs mle",
           lambda: real88("poems")["t_tests_vs_seqgan"]["mle"]["p"], ".2f"),
    # docs/real-data.md: results over seeds 88, 89, 90 (docs/real-data/<set>/results.json, frontier.json)
    *(Figure("docs/real-data.md", over_quote(m), f"real-data/{n}/results.json + frontier.json", "paper, mean ± CI, per seed, "
             "paired p, NLL-test mean ± CI, front cells", lambda n=n, m=m, k=k: over_row(n, m, k), over_fmt(m))
      for n, k in (("nottingham", "bleu4"),) for m in ("seqgan", "shuffled", "row_shuffled", "mle")),
    Figure("docs/real-data.md", "wall time {} min for the three; the pre-trained G after 30 MLE epochs: BLEU-4 {} ± {}, per seed {}, {}, {}):",
           "real-data/nottingham/results.json", "wall_s / 60, after_mle of each seed", lambda: (
               over("nottingham")["wall_s"] / 60, *mean_ci(per_seed("nottingham", "pretrain", "")),
               *per_seed("nottingham", "pretrain", "")), ".1f|.3f|.3f|.3f|.3f|.3f"),
    Figure("docs/real-data.md", "SeqGAN is level with MLE ({} ± {} against {} ± {}, paired p {}) and with the pre-trained G it starts from ({})",
           "real-data/nottingham/results.json", "seqgan, mle mean ± CI, paired p, pre-trained G's mean", lambda: (
               *mean_ci(per_seed("nottingham", "seqgan", "bleu4")), *mean_ci(per_seed("nottingham", "mle", "bleu4")),
               over("nottingham")["t_tests_vs_seqgan"]["mle"]["paired"]["p"], mean_ci(per_seed("nottingham", "pretrain", ""))[0]), ".3f"),
    Figure("docs/real-data.md", "by {}–{} BLEU-4", "real-data/nottingham/frontier.json", "smallest and largest -gap of seqgan at tau = 1",
           lambda: (min(g for ref in ("pretrained_g", "temperature_tuned_mle") for g in front_cell("nottingham", ref, "seqgan")[2:]) * -1,
                    max(g for ref in ("pretrained_g", "temperature_tuned_mle") for g in front_cell("nottingham", ref, "seqgan")[2:]) * -1)[::-1], ".3f"),
    Figure("docs/real-data.md", "`shuffled` in seed 89 (BLEU-4 {}, NLL-test {}:", "real-data/nottingham/seed-89/results.json",
           "shuffled final bleu4, nll_test", lambda: tuple(load_json("real-data/nottingham/seed-89/results.json")["methods"]["shuffled"]["final"][k]
                                                          for k in ("bleu4", "nll_test")), ".3f"),
    Figure("docs/real-data.md", "{} % for `shuffled` in seed 89 and {} % for `row_shuffled` in seed 90", "real-data/nottingham/results.json",
           "checks: distinct", lambda: (100 * over("nottingham")["checks"]["89"]["shuffled"]["distinct"],
                                        100 * over("nottingham")["checks"]["90"]["row_shuffled"]["distinct"]), ".1f"),
    # docs/evaluation.md: the real-data verdict at β = 0.8
    *(Figure("docs/evaluation.md", f"| {label} | {{}} of {{}} | {{}} |", f"real-data/beta-0.8/{name}/frontier.json",
             "vs_temperature_tuned_mle.seqgan: points_below, points_compared, max_gap", lambda name=name: (
                 *(load_json(f"real-data/beta-0.8/{name}/frontier.json")["vs_temperature_tuned_mle"]["seqgan"][k]
                   for k in ("points_below", "points_compared", "max_gap")),), "d|d|+.3f")
      for label, name in (("Chinese quatrains (BLEU-2)", "poems"), ("Nottingham (BLEU-4)", "nottingham"), ("Obama (BLEU-3)", "obama"))),
    Figure("docs/evaluation.md", "Poems, τ = 1: SeqGAN {} at NLL-test {}; MLE at τ = 0.9 gives {} at {} and at τ = 1 {} at {}",
           "real-data/beta-0.8/poems/frontier.json", "curves: seqgan at 1.0, mle at 0.9 and 1.0 (bleu2, nll_test)", lambda: (
               *curve_point("real-data/beta-0.8/poems/frontier.json", "seqgan", 1.0, "bleu2"),
               *curve_point("real-data/beta-0.8/poems/frontier.json", "mle", 0.9, "bleu2"),
               *curve_point("real-data/beta-0.8/poems/frontier.json", "mle", 1.0, "bleu2")), ".3f"),
    # docs/humaneval.md: the scripted-rater demonstration on the poems runs of seed 88
    *(Figure("docs/humaneval.md", f"| {src} | {{}} | {{}}–{{}} | {{}} | {{}} |", "humaneval-demo/study/score.json",
             f"sources.{src}: score, low, high, answers, items", lambda src=src: tuple(
                 load_json("humaneval-demo/study/score.json")["sources"][src][k]
                 for k in ("score", "low", "high", "answers", "items")), ".3f|.3f|.3f|d|d")
      for src in ("real", "seqgan", "mle")),
    Figure("docs/humaneval.md", "Fleiss' κ {}: the raters", "humaneval-demo/study/score.json", "fleiss_kappa",
           lambda: load_json("humaneval-demo/study/score.json")["fleiss_kappa"], ".3f"),
]  # fmt: skip


@pytest.mark.parametrize("fig", FIGURES, ids=lambda f: f"{f.page}:{f.quoted[:40]}")
def test_quoted_figure_matches_its_banked_file(fig):
    expected = render(fig)
    assert expected in page_text(fig.page), (
        f"{fig.page} does not quote {expected!r} ({fig.how}, from docs/{fig.file})"
    )


def test_the_table_covers_the_real_data_pages():
    assert {"README.md", "docs/real-data.md", "docs/evaluation.md", "docs/humaneval.md"} <= {
        f.page for f in FIGURES
    }
