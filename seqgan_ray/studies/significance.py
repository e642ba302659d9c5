"""Significance: Welch t-tests on per-sequence metrics (one seed), paired t-tests and t-intervals
over seeds' means (several seeds)."""

from __future__ import annotations

import numpy as np
from scipy import stats


def welch(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    """Two-sided Welch t-test of mean(a) vs mean(b) (unequal variances), as in paper Table 1.

    Returns t, p, the Welch–Satterthwaite degrees of freedom and both means.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return welch_from_stats(
        (a.mean(), a.std(ddof=1) if len(a) > 1 else 0.0, len(a)),
        (b.mean(), b.std(ddof=1) if len(b) > 1 else 0.0, len(b)),
    )


def welch_from_stats(a: tuple, b: tuple) -> dict[str, float]:
    """`welch` from each sample's (mean, std with ddof 1, size): all the test needs, so a method
    whose per-sequence scores were not kept is still compared from its results.json row."""
    (ma, sa, na), (mb, sb, nb) = a, b
    if na < 2 or nb < 2:
        raise ValueError("a t-test needs at least two values on each side")
    result = stats.ttest_ind_from_stats(ma, sa, na, mb, sb, nb, equal_var=False)
    va, vb = sa**2 / na, sb**2 / nb
    dof = (va + vb) ** 2 / (va**2 / (na - 1) + vb**2 / (nb - 1))
    return {
        "t": float(result.statistic),
        "p": float(result.pvalue),
        "dof": float(dof),
        "mean_a": float(ma),
        "mean_b": float(mb),
    }


def t_interval(values, level: float = 0.95) -> list[float] | None:
    """[lo, hi] of the two-sided Student-t confidence interval for the mean of `values` (e.g.
    the seeds' means): mean ± t_{(1+level)/2, n-1} · s / sqrt(n). None for fewer than two values."""
    x = np.asarray(values, dtype=np.float64)
    if len(x) < 2:
        return None
    half = stats.t.ppf((1.0 + level) / 2.0, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x))
    return [float(x.mean() - half), float(x.mean() + half)]


def paired(a, b) -> dict[str, float] | None:
    """Two-sided paired t-test of a vs b (e.g. two methods' means, seed by seed): t, p, the
    degrees of freedom n - 1 and the mean difference a - b. None for fewer than two pairs."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if len(a) != len(b):
        raise ValueError("a paired t-test needs as many values on each side")
    if len(a) < 2:
        return None
    result = stats.ttest_rel(a, b)
    return {
        "t": float(result.statistic),
        "p": float(result.pvalue),
        "dof": float(len(a) - 1),
        "mean_diff": float((a - b).mean()),
    }


def pooled(means, stds, sizes) -> tuple[float, float, int]:
    """Mean, sample std (ddof 1) and size of the concatenation of several samples, exactly, from
    each sample's mean, std (ddof 1) and size (law of total variance): seeds' results combine
    from their results.json alone, without the per-sequence scores."""
    m, s, n = (np.asarray(x, dtype=np.float64) for x in (means, stds, sizes))
    total = n.sum()
    mean = float((n * m).sum() / total)
    within = ((n - 1) * s**2).sum()
    between = (n * (m - mean) ** 2).sum()
    return mean, float(np.sqrt((within + between) / (total - 1))), int(total)
