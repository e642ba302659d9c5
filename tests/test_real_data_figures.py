"""Every figure the README and the docs pages quote from the real-data studies and the
humaneval demonstration banked under docs/ (real-data/, humaneval-demo/), recomputed from those
files: the same check as test_readme_figures.py (see there), for the studies of issue 30."""

from __future__ import annotations

import pytest
from banked import Figure, assert_quoted, curve_point, load_json, mean_ci


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


README_SETS = (
    ("poems", "bleu2", "Chinese quatrains (BLEU-2)"),
    ("nottingham", "bleu4", "Nottingham (BLEU-4)"),
    ("obama", "bleu3", "Obama (BLEU-3)"),
)
SETS = tuple(n for n, _, _ in README_SETS)
README_METHODS = (("seqgan", "**SeqGAN**"), ("mle", "MLE (40 more epochs)"), ("shuffled", "`shuffled`"),
                  ("row_shuffled", "`row_shuffled`"))  # fmt: skip


def readme_row(name: str, method: str, key: str) -> tuple:
    """The README's over-seeds row: mean ± CI, per seed, paper, seeds above the pre-trained G's
    front of how many, and above tuned MLE's (not for MLE)."""
    values = per_seed(name, method, key)
    paper = (over(name)["methods"][method]["paper"][key],) if method in ("seqgan", "mle") else ()
    refs = ("pretrained_g",) + (() if method == "mle" else ("temperature_tuned_mle",))
    return (
        *mean_ci(values),
        *values,
        *paper,
        *(v for ref in refs for v in front_cell(name, ref, method)[:2]),
    )


def readme_quote(method: str, label: str) -> str:
    paper = "{}" if method in ("seqgan", "mle") else "–"
    tuned = "–" if method == "mle" else "{} of {}"
    return f"| | {label} | {{}} ± {{}} | {{}}, {{}}, {{}} | {paper} | {{}} of {{}} / {tuned} |"


def readme_fmt(method: str) -> str:
    return "|".join(
        [".3f"] * (5 + (method in ("seqgan", "mle"))) + ["d", "d"] * (1 + (method != "mle"))
    )


def below_pretrained_g() -> tuple[int, int]:
    """Every data set: seeds whose SeqGAN tau = 1 point is not above the pre-trained G's front,
    of all their seeds."""
    cells = [front_cell(n, "pretrained_g", "seqgan") for n in SETS]
    return sum(c[1] - c[0] for c in cells), sum(c[1] for c in cells)


def wall_figure(name: str, metric: str) -> Figure:
    """docs/real-data.md's heading line of a set over seeds: wall time, the pre-trained G's value."""
    return Figure("docs/real-data.md", f"wall time {{}} min for the three; the pre-trained G after 30 MLE epochs: {metric} {{}} ± {{}}, per seed {{}}, {{}}, {{}}):",
                  f"real-data/{name}/results.json", "wall_s / 60, after_mle of each seed", lambda: (
                      over(name)["wall_s"] / 60, *mean_ci(per_seed(name, "pretrain", "")),
                      *per_seed(name, "pretrain", "")), ".1f|.3f|.3f|.3f|.3f|.3f")  # fmt: skip


def versus_mle_figure(name: str, key: str, quote: str) -> Figure:
    """A verdict's SeqGAN and MLE mean ± CI, their paired p and the pre-trained G's mean."""
    return Figure("docs/real-data.md", quote, f"real-data/{name}/results.json", "seqgan, mle mean ± CI, paired p, pre-trained G's mean", lambda: (
        *mean_ci(per_seed(name, "seqgan", key)), *mean_ci(per_seed(name, "mle", key)),
        over(name)["t_tests_vs_seqgan"]["mle"]["paired"]["p"], mean_ci(per_seed(name, "pretrain", ""))[0]), ".3f")  # fmt: skip


def checks_figures(name: str, keys: tuple[str, ...]) -> list[Figure]:
    """docs/real-data.md's checks table of a set: a row per source, a cell per key, seeds 88/89/90."""
    cells = " | ".join("{} / {} / {}" if k == "length" else "{} % / {} % / {} %" for k in keys)
    return [Figure("docs/real-data.md", f"| {m} | {cells} |", f"real-data/{name}/results.json", f"checks of {m} per seed: {', '.join(keys)}",
                   lambda m=m: tuple((1 if k == "length" else 100) * over(name)["checks"][str(s)][m if m != "pre-trained G" else "pretrain"][k]
                                     for k in keys for s in (88, 89, 90)), ".1f")
            for m in ("pre-trained G", "seqgan", "shuffled", "row_shuffled", "mle", "test split")]  # fmt: skip


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
    # README: the over-seeds table and its reading
    *(Figure("README.md", f"| {title} | pre-trained G | {{}} ± {{}} | {{}}, {{}}, {{}} | – | – |", f"real-data/{n}/seed-*/results.json",
             "after_mle: mean ± CI, per seed", lambda n=n: (*mean_ci(per_seed(n, "pretrain", "")), *per_seed(n, "pretrain", "")), ".3f")
      for n, _, title in README_SETS),
    *(Figure("README.md", readme_quote(m, label), f"real-data/{n}/results.json + frontier.json",
             "mean ± CI, per seed, paper, seeds above the fronts", lambda n=n, m=m, k=k: readme_row(n, m, k), readme_fmt(m))
      for n, k, _ in README_SETS for m, label in README_METHODS),
    Figure("README.md", "level on poems (paired p {}, the paper's gap +0.072) and on Nottingham (paired p {}, the paper's +0.020)",
           "real-data/*/results.json", "t_tests_vs_seqgan.mle.paired.p", lambda: tuple(
               over(n)["t_tests_vs_seqgan"]["mle"]["paired"]["p"] for n in ("poems", "nottingham")), ".3f"),
    Figure("README.md", "above MLE on Obama ({} ± {} against {} ± {}, paired p {}; the paper's gap +0.037)",
           "real-data/obama/results.json", "seqgan, mle mean ± CI, paired p", lambda: (
               *mean_ci(per_seed("obama", "seqgan", "bleu3")), *mean_ci(per_seed("obama", "mle", "bleu3")),
               over("obama")["t_tests_vs_seqgan"]["mle"]["paired"]["p"]), ".3f"),
    *(Figure(page, quote, "real-data/*/frontier.json", "seqgan's seeds below the pre-trained G's front (not above it), of all seeds",
             lambda: below_pretrained_g(), "d")
      for page, quote in (("README.md", "below the pre-trained G's front in {} of {}"),
                          ("docs/real-data.md", "τ = 1 point lies below the pre-trained G's front in {} of {} (set, seed) pairs"))),
    Figure("README.md", "above tuned MLE's in {} of {}", "real-data/*/frontier.json", "seqgan's seeds above tuned MLE's front, of all",
           lambda: tuple(sum(front_cell(n, "temperature_tuned_mle", "seqgan")[i] for n in SETS) for i in (0, 1)), "d"),
    *(Figure(page, "{}–{} tokens", "real-data/poems/results.json", "checks: smallest and largest mean length of the methods' samples",
             lambda: (min(lengths := [c["length"] for cs in over("poems")["checks"].values() for m, c in cs.items() if m not in ("test split", "pretrain")]),
                      max(lengths)), ".1f") for page in ("README.md", "docs/real-data.md")),
    # docs/real-data.md: poems over seeds, its verdict and checks
    *(Figure("docs/real-data.md", over_quote(m), "real-data/poems/results.json + frontier.json", "paper, mean ± CI, per seed, "
             "paired p, NLL-test mean ± CI, front cells", lambda m=m: over_row("poems", m, "bleu2"), over_fmt(m))
      for m in ("seqgan", "shuffled", "row_shuffled", "mle")),
    Figure("docs/real-data.md", "wall time {} min for the three, partly beside the test suite; the pre-trained G after 30 MLE epochs: BLEU-2 {} ± {}, per seed {}, {}, {}):",
           "real-data/poems/results.json", "wall_s / 60, after_mle of each seed", lambda: (
               over("poems")["wall_s"] / 60, *mean_ci(per_seed("poems", "pretrain", "")), *per_seed("poems", "pretrain", "")), ".1f|.3f|.3f|.3f|.3f|.3f"),
    Figure("docs/real-data.md", "level on BLEU-2 ({} ± {}, {} ± {}, {}; SeqGAN − MLE paired p {})", "real-data/poems/results.json",
           "seqgan, mle mean ± CI, pre-trained G's mean, paired p", lambda: (
               *mean_ci(per_seed("poems", "seqgan", "bleu2")), *mean_ci(per_seed("poems", "mle", "bleu2")),
               mean_ci(per_seed("poems", "pretrain", ""))[0], over("poems")["t_tests_vs_seqgan"]["mle"]["paired"]["p"]), ".3f"),
    Figure("docs/real-data.md", "in 3 of 3 seeds** (by {}–{}) and above tuned MLE's in 1 of 3 ({} in seed 90, {} and {} in the others)",
           "real-data/poems/frontier.json", "seqgan's gaps at tau = 1", lambda: (
               -max(front_cell("poems", "pretrained_g", "seqgan")[2:]), -min(front_cell("poems", "pretrained_g", "seqgan")[2:]),
               *(front_cell("poems", "temperature_tuned_mle", "seqgan")[i] for i in (4, 2, 3))),
           ".3f|.3f|+.3f|+.3f|+.3f"),
    Figure("docs/real-data.md", "(paired p {} and {})", "real-data/poems/results.json", "paired p of shuffled, row_shuffled",
           lambda: tuple(over("poems")["t_tests_vs_seqgan"][m]["paired"]["p"] for m in ("shuffled", "row_shuffled")), ".3f"),
    Figure("docs/real-data.md", "the row control's high seeds ({}, {})", "real-data/poems/results.json", "row_shuffled seeds 88, 89",
           lambda: per_seed("poems", "row_shuffled", "bleu2")[:2], ".3f"),
    *checks_figures("poems", ("length", "distinct", "in_train", "in_test")),
    # docs/real-data.md: results over seeds 88, 89, 90 (docs/real-data/<set>/results.json, frontier.json)
    *(Figure("docs/real-data.md", over_quote(m), f"real-data/{n}/results.json + frontier.json", "paper, mean ± CI, per seed, "
             "paired p, NLL-test mean ± CI, front cells", lambda n=n, m=m, k=k: over_row(n, m, k), over_fmt(m))
      for n, k in (("nottingham", "bleu4"), ("obama", "bleu3")) for m in ("seqgan", "shuffled", "row_shuffled", "mle")),
    wall_figure("nottingham", "BLEU-4"),
    versus_mle_figure("nottingham", "bleu4", "SeqGAN is level with MLE ({} ± {} against {} ± {}, paired p {}) and with the pre-trained G it starts from ({})"),
    Figure("docs/real-data.md", "by {}–{} BLEU-4", "real-data/nottingham/frontier.json", "smallest and largest -gap of seqgan at tau = 1",
           lambda: (min(g for ref in ("pretrained_g", "temperature_tuned_mle") for g in front_cell("nottingham", ref, "seqgan")[2:]) * -1,
                    max(g for ref in ("pretrained_g", "temperature_tuned_mle") for g in front_cell("nottingham", ref, "seqgan")[2:]) * -1)[::-1], ".3f"),
    Figure("docs/real-data.md", "`shuffled` in seed 89 (BLEU-4 {}, NLL-test {}:", "real-data/nottingham/seed-89/results.json",
           "shuffled final bleu4, nll_test", lambda: tuple(load_json("real-data/nottingham/seed-89/results.json")["methods"]["shuffled"]["final"][k]
                                                          for k in ("bleu4", "nll_test")), ".3f"),
    Figure("docs/real-data.md", "{} % for `shuffled` in seed 89 and {} % for `row_shuffled` in seed 90", "real-data/nottingham/results.json",
           "checks: distinct", lambda: (100 * over("nottingham")["checks"]["89"]["shuffled"]["distinct"],
                                        100 * over("nottingham")["checks"]["90"]["row_shuffled"]["distinct"]), ".1f"),
    # docs/real-data.md: Obama over seeds, its verdict and the checks that show its collapse
    wall_figure("obama", "BLEU-3"),
    versus_mle_figure("obama", "bleu3", "SeqGAN is above MLE on BLEU-3 ({} ± {} against {} ± {}, paired p {}) and above the pre-trained G it starts from ({})"),
    *checks_figures("obama", ("length", "short", "distinct", "in_train", "in_test")),
    *(Figure(page, quote, "real-data/obama/results.json", "checks over seeds: seqgan's short, mle's short, seqgan's distinct, in_test; ranges",
             lambda: tuple(100 * f(over("obama")["checks"][str(s)][m][k] for s in (88, 89, 90))
                           for m, k in (("seqgan", "short"), ("mle", "short"), ("seqgan", "distinct"), ("seqgan", "in_test"))
                           for f in (min, max)), ".1f")
      for page, quote in (("README.md", "{}–{} % of at most 5 tokens (test split 2.1 %, MLE {}–{} %), {}–{} % distinct, {}–{} % verbatim test"),)),
    Figure("docs/real-data.md", "point lies above tuned MLE's front in {} of {} seeds, yet below the pre-trained G's front in {} of {}",
           "real-data/obama/frontier.json", "seqgan's front cells", lambda: (
               *front_cell("obama", "temperature_tuned_mle", "seqgan")[:2],
               *(lambda c: (c[1] - c[0], c[1]))(front_cell("obama", "pretrained_g", "seqgan"))), "d"),
    Figure("docs/real-data.md", "a mean length of {}–{} tokens against the test split's {}", "real-data/obama/results.json",
           "checks: seqgan's length range, test split's", lambda: (
               min(over("obama")["checks"][str(s)]["seqgan"]["length"] for s in (88, 89, 90)),
               max(over("obama")["checks"][str(s)]["seqgan"]["length"] for s in (88, 89, 90)),
               over("obama")["checks"]["88"]["test split"]["length"]), ".1f"),
    Figure("docs/real-data.md", "(p {} and {}); `shuffled` in seed 89 falls to BLEU-3 {} (mean length {} tokens)", "real-data/obama/results.json",
           "paired p of the controls, shuffled seed 89", lambda: (
               *(over("obama")["t_tests_vs_seqgan"][m]["paired"]["p"] for m in ("shuffled", "row_shuffled")),
               per_seed("obama", "shuffled", "bleu3")[1], over("obama")["checks"]["89"]["shuffled"]["length"]), ".3f|.3f|.3f|.1f"),
    # docs/evaluation.md: the real-data verdict at β ← θ over seeds
    *(Figure("docs/evaluation.md", f"| {title} | {{}} of {{}} | {{}} of {{}} | {{}}, {{}}, {{}} |", f"real-data/{n}/frontier.json",
             "seqgan: seeds above the pre-trained G's and tuned MLE's fronts, gaps to the pre-trained G's", lambda n=n: (
                 *front_cell(n, "pretrained_g", "seqgan")[:2], *front_cell(n, "temperature_tuned_mle", "seqgan")[:2],
                 *front_cell(n, "pretrained_g", "seqgan")[2:]), "d|d|d|d|+.3f|+.3f|+.3f")
      for n, _, title in README_SETS),
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
    assert_quoted(fig)


def test_the_table_covers_the_real_data_pages():
    assert {"README.md", "docs/real-data.md", "docs/evaluation.md", "docs/humaneval.md"} <= {
        f.page for f in FIGURES
    }
