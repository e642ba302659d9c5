"""The statistics of `humaneval score`: the paper's human score, its interval, the comparisons
between sources and the raters' agreement. Pure functions of the answers and the key.

Shapes: R raters, S sources, I items, C answer categories (2: person, machine).

Why these choices: the answers of one rater are not independent (a lenient rater says "person"
often, to every source), so treating every answer as a coin flip of its own (a Wilson interval
per source, a chi-square test on pooled counts) would overstate the evidence whenever raters
differ, the more so the more items each rater saw. Both the interval and the tests therefore take the rater as the
unit that was sampled. The items are treated as fixed: the interval says how much the score
would move with other raters judging these items, not with other items.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from seqgan_ray.errors import UserError

LEVEL = 0.95
RESAMPLES = 10_000


class Counts(NamedTuple):
    """Per-rater tallies: yes[r, s] items of source s rater r judged human, of total[r, s]."""

    raters: list[str]
    sources: list[str]
    yes: np.ndarray  # (R, S) int
    total: np.ndarray  # (R, S) int


def tally(
    answers: Sequence[tuple[str, str, bool]], key: dict[str, str], sources: list[str]
) -> Counts:
    """(rater, item, human) answers -> per-rater, per-source counts, sources in the given order."""
    unknown = {item for _, item, _ in answers if item not in key}
    if unknown:
        raise UserError(f"{len(unknown)} answered items are not in key.json (another study's DB?)")
    raters = sorted({rater for rater, _, _ in answers})
    r_of, s_of = {r: i for i, r in enumerate(raters)}, {s: i for i, s in enumerate(sources)}
    yes = np.zeros((len(raters), len(sources)), dtype=np.int64)
    total = np.zeros_like(yes)
    for rater, item, human in answers:
        r, s = r_of[rater], s_of[key[item]]
        yes[r, s] += int(human)
        total[r, s] += 1
    return Counts(raters, sources, yes, total)


def human_scores(counts: Counts) -> np.ndarray:
    """The paper's rule (§5): +1 for each answer "written by a person", averaged over all the
    answers a source's items got. (S,) float, nan for a source nobody has judged yet."""
    yes, total = counts.yes.sum(0), counts.total.sum(0)
    return np.where(total > 0, yes / np.maximum(total, 1), np.nan)


def rater_bootstrap(
    counts: Counts, resamples: int = RESAMPLES, seed: int = 0, level: float = LEVEL
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval of each source's score from a cluster bootstrap over raters: draw R
    raters with replacement, keep all of each drawn rater's answers, recompute the pooled score.
    It keeps each rater's answers together, as they were correlated. (low (S,), high (S,)).
    With one rater the interval is the point: it has nothing to say about other raters."""
    rng = np.random.default_rng(seed)
    drawn = rng.integers(0, len(counts.raters), size=(resamples, len(counts.raters)))  # (B, R)
    yes, total = counts.yes[drawn].sum(1), counts.total[drawn].sum(1)  # (B, S)
    with np.errstate(invalid="ignore", divide="ignore"):
        scores = yes / total  # nan where a resample holds no answer for the source
    tail = 100 * (1 - level) / 2
    with warnings.catch_warnings():  # a source nobody judged yet: nan, said as such
        warnings.simplefilter("ignore", RuntimeWarning)
        low, high = np.nanpercentile(scores, [tail, 100 - tail], axis=0)  # (S,) each
    return low, high


class Comparison(NamedTuple):
    a: str
    b: str
    diff: float  # mean over raters of (rater's score of a - rater's score of b)
    raters: int  # raters who judged items of both sources
    statistic: float  # Wilcoxon's W (the smaller signed-rank sum); nan without raters
    p: float  # two-sided; nan without raters


def compare(counts: Counts, a: str, b: str) -> Comparison:
    """Source a against source b, paired within raters: each rater's own score of a minus their
    score of b, tested across raters with the Wilcoxon signed-rank test (two-sided; zero
    differences dropped, as Wilcoxon did). Pairing removes each rater's leniency; the test
    assumes neither normality (per-rater scores of a few binary answers are lumpy and bounded)
    nor anything of the answers within a rater. With few raters the exact test cannot reach
    small p-values (5 raters all agreeing: p = 0.0625), which is the honest answer."""
    from scipy.stats import wilcoxon

    i, j = counts.sources.index(a), counts.sources.index(b)
    both = (counts.total[:, i] > 0) & (counts.total[:, j] > 0)  # (R,)
    rate = counts.yes[both] / counts.total[both]  # (R', S)
    diff = rate[:, i] - rate[:, j]  # (R',)
    if not len(diff):
        return Comparison(a, b, math.nan, 0, math.nan, math.nan)
    nonzero = diff[diff != 0]
    if not len(nonzero):  # every rater scored both alike: no evidence of a difference
        return Comparison(a, b, 0.0, len(diff), 0.0, 1.0)
    result = wilcoxon(nonzero)
    return Comparison(
        a, b, float(diff.mean()), len(diff), float(result.statistic), float(result.pvalue)
    )


def fleiss_kappa(table: np.ndarray) -> float | None:
    """Fleiss' kappa of an (I, C) table: table[i, c] raters who put item i in category c.

    Items rated fewer than twice carry no agreement and are left out. With the same number of
    ratings per item this is Fleiss (1971) exactly; when raters stopped early each item's
    agreement is taken among its own raters and the category shares over all ratings. None when
    undefined (no item rated twice, or every rating in one category)."""
    table = np.asarray(table, dtype=np.float64)
    n = table.sum(1)  # (I,) ratings per item
    table, n = table[n >= 2], n[n >= 2]
    if not len(n):
        return None
    agreement = ((table**2).sum(1) - n) / (n * (n - 1))  # (I,) P_i
    shares = table.sum(0) / n.sum()  # (C,) p_j
    chance = float((shares**2).sum())  # P_e
    if chance >= 1:
        return None
    return (float(agreement.mean()) - chance) / (1 - chance)


def agreement_table(answers: Sequence[tuple[str, str, bool]]) -> np.ndarray:
    """(I, 2) counts per answered item: [judged human, judged machine]."""
    rows: dict[str, list[int]] = {}
    for _, item, human in answers:
        rows.setdefault(item, [0, 0])[0 if human else 1] += 1
    return np.array(list(rows.values()), dtype=np.int64).reshape(-1, 2)


def score(
    answers: Sequence[tuple[str, str, bool]],
    key: dict[str, str],
    sources: list[str],
    real: str,
    seed: int = 0,
) -> dict:
    """Everything `humaneval score` reports, as a JSON-ready dict. `sources` orders the table
    (real first); the comparisons are each generated source against `real` and every pair of
    generated sources, in that order."""
    if not answers:
        raise UserError("no answers yet; raters answer at `humaneval serve`")
    counts = tally(answers, key, sources)
    point = human_scores(counts)
    low, high = rater_bootstrap(counts, seed=seed)
    generated = [s for s in sources if s != real]
    pairs = [(g, real) for g in generated] + [
        (a, b) for k, a in enumerate(generated) for b in generated[k + 1 :]
    ]
    items = {s: sum(1 for v in key.values() if v == s) for s in sources}
    return {
        "rule": "+1 when judged written by a person, averaged over a source's answers (paper §5)",
        "interval": f"{LEVEL:.0%} percentile cluster bootstrap over raters "
        f"({RESAMPLES} resamples, seed {seed})",
        "test": "Wilcoxon signed-rank across raters of per-rater score differences, two-sided",
        "raters": len(counts.raters),
        "answers": len(answers),
        "sources": {
            s: {
                "score": _num(point[k]),
                "low": _num(low[k]),
                "high": _num(high[k]),
                "answers": int(counts.total[:, k].sum()),
                "items": items[s],
                "raters": int((counts.total[:, k] > 0).sum()),
            }
            for k, s in enumerate(sources)
        },
        "comparisons": [
            {k: _num(v) for k, v in compare(counts, a, b)._asdict().items()} for a, b in pairs
        ],
        "fleiss_kappa": fleiss_kappa(agreement_table(answers)),
    }


def _num(v):
    """JSON has no nan: None instead."""
    if isinstance(v, str):
        return v
    if isinstance(v, (int, np.integer)):
        return int(v)
    return None if math.isnan(v) else float(v)
