"""The experiment's figures: learning curves (paper Figure 2) and the game's diagnostics.

Both read only results.json's dict and the runs' metrics.jsonl; with several seeds a line is
the seeds' mean and the shaded band their range (min to max).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .rundir import read_metrics

# (key, panel title, log scale) of the diagnostics figure, in reading order.
DIAGNOSTIC_PANELS = (
    ("adv/grad_norm", "policy-gradient norm before clipping (clip 5.0)", True),
    ("adv/clipped", "fraction of g-steps clipped", False),
    ("adv/update_norm", "||Δθ|| of the optimizer step", True),
    ("adv/q_mean", "Q mean (D's reward)", True),
    ("adv/q_std", "Q std across the batch", True),
    ("adv/q_ess", "ESS fraction of sequence weights", False),
    ("d/p_real_train", "D's P(real): train (—), held-out real (- -)", False),
    ("d/p_real_fake", "D's P(real): fresh G samples", False),
)


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_learning_curves(results: dict, path: str | Path) -> None:
    """The main metric against epoch for every method, the pre-training/adversarial boundary
    marked (the paper's Figure 2); a method's `band` ([epoch, lo, hi] over seeds) is shaded."""
    metric = results.get("metric") or {"key": "nll_oracle", "label": "NLL-oracle"}
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for m, row in results["methods"].items():
        curve = row["curve"]
        if curve:
            xs, ys = zip(*curve)
            (line,) = ax.plot(xs, ys, label=row["label"], lw=1.6 if m == "seqgan" else 1.0)
            if row.get("band"):
                bx, lo, hi = zip(*row["band"])
                ax.fill_between(bx, lo, hi, color=line.get_color(), alpha=0.2, lw=0)
        else:  # Random: no training, one final value
            ax.axhline(row[metric["key"]], ls=":", c="gray", label=row["label"])
    boundary = results["pretrain_epochs"] - 0.5  # between the last MLE epoch and iteration 0
    ax.axvline(boundary, c="k", ls="--", lw=0.8)
    ymin, ymax = ax.get_ylim()
    ax.text(boundary, ymax, " adversarial training / baselines start", va="top", fontsize=8)
    ax.set_xlabel("epoch (pre-training, then adversarial iteration)")
    ax.set_ylabel(metric["label"])
    if results.get("seeds"):
        ax.set_title(
            f"mean of seeds {', '.join(map(str, results['seeds']))}; band: range", fontsize=9
        )
    if not math.isfinite(ymin):
        ax.set_ylim(auto=True)
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def diagnostic_series(runs: Sequence[str | Path], key: str) -> tuple[np.ndarray, np.ndarray]:
    """(iterations, mean over runs) of `key` in the adversarial rows of each run's metrics."""
    by_step: dict[int, list[float]] = {}
    for run in runs:
        for r in read_metrics(Path(run) / "metrics.jsonl"):
            if r["phase"] == "adversarial" and r.get(key) is not None:
                by_step.setdefault(r["step"], []).append(r[key])
    steps = sorted(by_step)
    return np.array(steps), np.array([np.mean(by_step[s]) for s in steps])


def plot_diagnostics(
    methods: dict[str, tuple[str, Sequence[str | Path]]], path: str | Path
) -> bool:
    """The game's diagnostics (diagnostics.py) against adversarial iteration, one line per
    method (label, its run directories: one per seed, averaged). False when no run logged any."""
    plt = _pyplot()
    fig, axes = plt.subplots(2, 4, figsize=(15, 6.5))
    drawn = False
    for ax, (key, title, log) in zip(axes.flat, DIAGNOSTIC_PANELS):
        for i, (label, runs) in enumerate(methods.values()):
            color = f"C{i}"
            xs, ys = diagnostic_series(runs, key)
            if len(xs):
                ax.plot(xs, ys, c=color, lw=1, label=label)
                drawn = True
            if key == "d/p_real_train":
                hx, hy = diagnostic_series(runs, "d/p_real_heldout")
                if len(hx):
                    ax.plot(hx, hy, c=color, lw=1, ls="--")
        if log and ax.lines and all(np.all(line.get_ydata() > 0) for line in ax.lines):
            ax.set_yscale("log")
        ax.set_title(title, fontsize=8)
        ax.set_xlabel("adversarial iteration", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="lower center", ncol=min(4, len(labels)), fontsize=7)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return drawn
