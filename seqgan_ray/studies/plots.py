"""The experiment's figures: learning curves (paper Figure 2) and the game's diagnostics.

Both read only results.json's dict and the runs' metrics.jsonl; with several seeds a line is
the seeds' mean and the shaded band their range (min to max).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from seqgan_ray.driver.rundir import read_metrics

# (key, panel title, log scale) of the diagnostics figure, in reading order.
DIAGNOSTIC_PANELS = (
    ("adv/grad_norm", "policy-gradient norm before clipping (clip 5.0)", True),
    ("adv/clipped", "fraction of g-steps clipped", False),
    ("adv/update_norm", "||Δθ|| of the optimizer step", True),
    ("adv/q_mean", "Q mean (D's reward)", True),
    ("adv/q_std", "Q std across the batch", True),
    ("adv/q_ess", "ESS fraction of sequences: of Q (—), of the update's weights (- -)", False),
    ("d/p_real_train", "D's P(real): train (—), held-out real (- -)", False),
    ("d/p_real_fake", "D's P(real): fresh G samples", False),
)

# LantaoYu/SeqGAN save/experiment-log.txt: NLL-oracle of its SeqGAN run at adversarial iterations
# 0..150 (sequence_gan.py evaluates iteration k after its g-step, so after k + 1 g-steps), drawn on
# the synthetic learning curves.
OFFICIAL_LOG = (
    (0, 9.08457),
    (10, 9.03079),
    (30, 8.91642),
    (50, 8.83388),
    (100, 8.70113),
    (150, 8.68320),
)
# A panel's second key, drawn dashed beside its first.
PANEL_TWINS = {"d/p_real_train": ("d/p_real_heldout",), "adv/q_ess": ("adv/w_ess",)}


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_learning_curves(results: dict, path: str | Path) -> None:
    """The main metric against epoch for every method, the pre-training/adversarial boundary
    marked (the paper's Figure 2); a method's `band` ([epoch, lo, hi] over seeds) is shaded."""
    metric = results["metric"]
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
    if metric["key"] == "nll_oracle":  # the synthetic task: the official code's own run beside
        curves = [row["curve"] for row in results["methods"].values() if row["curve"]]
        last = max((c[-1][0] for c in curves), default=0)
        shown = official_log_points(results["pretrain_epochs"], last)
        if shown:
            ax.plot(*zip(*shown), "kx", ms=6, label="official code's SeqGAN log (adversarial)")
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


def official_log_points(pretrain_epochs: int, last_epoch: float) -> list[tuple[float, float]]:
    """OFFICIAL_LOG on our epoch axis, up to one iteration past our last point. Its iteration k
    is evaluated after k + 1 g-steps, as our adversarial step k (epoch pretrain_epochs + k) is;
    the one iteration of slack keeps its point at 50 beside a 50-iteration run's last (step 49),
    one g-step apart, instead of dropping the comparison the run was sized for."""
    return [
        (pretrain_epochs + k, y) for k, y in OFFICIAL_LOG if pretrain_epochs + k <= last_epoch + 1
    ]


def epoch_positions(rows: Sequence[dict]) -> list[float | None]:
    """Each metrics row's place on the epoch axis: its `epoch`; D's pre-training rounds, which
    have none, spread evenly between the last MLE epoch and adversarial iteration 0; None for
    the final evaluation."""
    mle = max((r["epoch"] for r in rows if r.get("phase") == "mle"), default=-1) + 1
    rounds = sum(r.get("phase") == "d_pretrain" for r in rows)
    out: list[float | None] = []
    for r in rows:
        if "epoch" in r:
            out.append(float(r["epoch"]))
        elif r.get("phase") == "d_pretrain":
            out.append(mle - 1 + (r["step"] + 1) / (rounds + 1))
        else:
            out.append(None)
    return out


def diagnostic_series(
    runs: Sequence[str | Path], key: str, axis: str = "step"
) -> tuple[np.ndarray, np.ndarray]:
    """(x, mean over runs) of `key` in each run's metrics. axis "step": the adversarial rows
    against their iteration; "epoch": every row on the epoch axis (epoch_positions)."""
    by_x: dict[float, list[float]] = {}
    for run in runs:
        rows = read_metrics(Path(run) / "metrics.jsonl")
        if axis == "step":
            xs = [r["step"] if r["phase"] == "adversarial" else None for r in rows]
        else:
            xs = epoch_positions(rows)
        for x, r in zip(xs, rows):
            if x is not None and r.get(key) is not None:
                by_x.setdefault(x, []).append(r[key])
    steps = sorted(by_x)
    return np.array(steps), np.array([np.mean(by_x[s]) for s in steps])


LINE_STYLES = ("-", "--", ":")


def draw_panel(
    ax,
    methods: dict[str, tuple[str, Sequence[str | Path]]],
    keys: Sequence[str],
    title: str,
    log: bool = False,
    axis: str = "step",
) -> bool:
    """One panel: a colour per method (label, its run directories, averaged), a line style per
    key of `keys`. False when no run logged any of them."""
    drawn = False
    for i, (label, runs) in enumerate(methods.values()):
        for key, style in zip(keys, LINE_STYLES):
            xs, ys = diagnostic_series(runs, key, axis)
            if len(xs):
                ax.plot(xs, ys, c=f"C{i}", lw=1, ls=style, label=label if style == "-" else None)
                drawn = True
    if log and ax.lines and all(np.all(line.get_ydata() > 0) for line in ax.lines):
        ax.set_yscale("log")
    ax.set_title(title, fontsize=8)
    ax.set_xlabel("adversarial iteration" if axis == "step" else "epoch", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.3)
    return drawn


def plot_diagnostics(
    methods: dict[str, tuple[str, Sequence[str | Path]]], path: str | Path
) -> bool:
    """The game's diagnostics (diagnostics.py) against adversarial iteration, one line per
    method (label, its run directories: one per seed, averaged). False when no run logged any."""
    plt = _pyplot()
    fig, axes = plt.subplots(2, 4, figsize=(15, 6.5))
    drawn = False
    for ax, (key, title, log) in zip(axes.flat, DIAGNOSTIC_PANELS):
        drawn |= draw_panel(ax, methods, (key, *PANEL_TWINS.get(key, ())), title, log)
    legend(fig, axes.flat[0])
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return drawn


def legend(fig, axes, top: float = 1.0) -> None:
    """The methods' legend below the panels (from one axes or several, each label once), and
    the layout that leaves room for it (and above `top`, for a title)."""
    found: dict = {}
    for ax in np.atleast_1d(axes).flat:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            found.setdefault(label, handle)
    handles, labels = list(found.values()), list(found)
    if handles:
        fig.legend(handles, labels, loc="lower center", ncol=min(4, len(labels)), fontsize=7)
    fig.tight_layout(rect=(0, 0.07, 1, top))


def draw_trials(ax, curves: dict[str, tuple[Sequence[float], Sequence[float]]], label: str):
    """A sweep's trials: each trial's metric against its wall time in minutes."""
    for name, (minutes, values) in curves.items():
        ax.plot(minutes, values, lw=1, label=name[-14:])
    ax.set_xlabel("trial wall time (min)")
    ax.set_ylabel(label)
    ax.grid(alpha=0.3)
    if len(curves) <= 12:
        ax.legend(fontsize=6)
