"""Welch's t-test on per-sequence metrics: is one method's mean really different from another's?"""

from __future__ import annotations

import numpy as np
from scipy import stats


def welch(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    """Two-sided Welch t-test of mean(a) vs mean(b) (unequal variances), as in paper Table 1.

    Returns t, p, the Welch–Satterthwaite degrees of freedom and both means.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if len(a) < 2 or len(b) < 2:
        raise ValueError("a t-test needs at least two values on each side")
    result = stats.ttest_ind(a, b, equal_var=False)
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    dof = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    return {
        "t": float(result.statistic),
        "p": float(result.pvalue),
        "dof": float(dof),
        "mean_a": float(a.mean()),
        "mean_b": float(b.mean()),
    }
