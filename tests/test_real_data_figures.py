"""Every figure the README and the docs pages quote from the real-data studies and the
humaneval demonstration banked under docs/ (real-data/, humaneval-demo/), recomputed from those
files: the same check as test_readme_figures.py (see there), for the studies of issue 30."""

from __future__ import annotations

import pytest
from banked import Figure, curve_point, load_json, page_text, render


def real(name: str, method: str, key: str) -> float:
    return load_json(f"real-data/beta-0.8/{name}/results.json")["methods"][method]["final"][key]


def real88(name: str) -> dict:
    """A data set's seed-88 results at today's defaults (β ← θ)."""
    return load_json(f"real-data/{name}/seed-88/results.json")


def gap88(name: str, ref: str, method: str) -> float:
    """The tau = 1 gap of a method to a front (ref: pretrained_g or temperature_tuned_mle)."""
    return load_json(f"real-data/{name}/seed-88/frontier.json")[f"vs_{ref}"][method]["gap_at_tau1"]


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
      for n, k in (("poems", "bleu2"), ("nottingham", "bleu4")) for m in ("seqgan", "shuffled", "row_shuffled", "mle")),
    *(Figure("docs/real-data.md", "| {} | {} | " + ("{} |" if m != "mle" else "– |"), f"real-data/{n}/seed-88/frontier.json",
             f"{m}: final nll_test, gaps at tau = 1 to the pre-trained G's and tuned MLE's fronts", lambda n=n, m=m: (
                 real88(n)["methods"][m]["final"]["nll_test"], gap88(n, "pretrained_g", m),
                 *([gap88(n, "temperature_tuned_mle", m)] if m != "mle" else [])), ".3f|+.3f|+.3f" if m != "mle" else ".3f|+.3f")
      for n in ("poems", "nottingham") for m in ("seqgan", "shuffled", "row_shuffled", "mle")),
    *(Figure("docs/real-data.md", f"BLEU-{k} {{}}):", f"real-data/{n}/seed-88/results.json", "after_mle",
             lambda n=n: real88(n)["after_mle"], ".3f") for n, k in (("poems", 2), ("nottingham", 4))),
    Figure("docs/real-data.md", "(p {} and {})", "real-data/*/seed-88/results.json", "Welch p of seqgan vs mle, poems then nottingham",
           lambda: tuple(real88(n)["t_tests_vs_seqgan"]["mle"]["p"] for n in ("poems", "nottingham")), ".2f"),
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
