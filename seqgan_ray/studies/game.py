"""The game between G and D in numbers: the diagnostics of adversarial training (logged every
iteration by the trainer, core/diagnostics.py) read at a few iterations, as a markdown table.

Why a table beside the figures: "D wins by iteration 20, its reward stops generalising to held-out
real data, and the policy gradient shrinks" is a claim about numbers, and a reader should be able
to check it with one command (`seqgan-ray report RUN_OR_EXPERIMENT`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

# (metrics.jsonl key, column); an iteration's diagnostics are averaged over a short window
# (they are noisy step to step), NLL values are the evaluation at or before the iteration.
COLUMNS = (
    ("eval/nll_oracle", "NLL-oracle"),
    ("eval/nll_test", "NLL-test"),
    ("d/acc", "D acc"),
    ("d/p_real_train", "P(real) train"),
    ("d/p_real_heldout", "P(real) held-out"),
    ("d/p_real_fake", "P(real) fake"),
    ("adv/q_mean", "Q mean"),
    ("adv/q_ess", "ESS of Q"),
    ("adv/w_ess", "ESS of weights"),
    ("adv/grad_norm", "grad norm"),
    ("adv/clipped", "clipped"),
)
FRACTIONS = (0.0, 0.1, 0.25, 0.5, 1.0)  # where in the adversarial phase the table looks


def iterations_to_show(n: int) -> list[int]:
    """The first and last iteration of `n` and those at 10, 25 and 50 % (0, 20, 50, 100, 199)."""
    return sorted({int(f * (n - 1) + 0.5) for f in FRACTIONS}) if n > 0 else []  # half up


def game_at(rows: Sequence[dict], iteration: int, window: int) -> dict[str, float]:
    """One run's diagnostics at `iteration`: each per-iteration value averaged over the
    `window` iterations up to it, each evaluation the last one at or before it; nothing when
    the run has not reached it."""
    adv = [r for r in rows if r.get("phase") == "adversarial" and r["step"] <= iteration]
    if not adv or adv[-1]["step"] != iteration:
        return {}
    recent = [r for r in adv if r["step"] > iteration - window]
    values = {}
    for key, _ in COLUMNS:
        if key.startswith("eval/"):
            seen = [r[key] for r in adv if key in r]
            if seen:
                values[key] = seen[-1]
        else:
            seen = [r[key] for r in recent if key in r]
            if seen:
                values[key] = sum(seen) / len(seen)
    return values


def game_table(groups: dict[str, tuple[str, list[Path]]], iterations: int) -> list[str]:
    """Markdown lines: per method (label, its runs: one per seed) and shown iteration, the mean
    over its runs. Methods without a discriminator or g-steps log none of it and are left out."""
    from seqgan_ray.driver.rundir import read_metrics

    window = max(1, iterations // 40)
    shown = iterations_to_show(iterations)
    lines = [
        "| method | iteration | " + " | ".join(name for _, name in COLUMNS) + " |",
        "|" + " --- |" * (len(COLUMNS) + 2),
    ]
    for name, runs in groups.values():
        logs = [read_metrics(run / "metrics.jsonl") for run in runs]
        if not any("d/p_real_heldout" in r for rows in logs for r in rows):
            continue
        for it in shown:
            points = [game_at(rows, it, window) for rows in logs]
            cells = []
            for key, _ in COLUMNS:
                seen = [p[key] for p in points if key in p]
                cells.append(f"{sum(seen) / len(seen):.3g}" if len(seen) == len(points) else "–")
            lines.append(f"| {name} | {it} | " + " | ".join(cells) + " |")
    if len(lines) == 2:
        return []
    return [
        "## The game",
        "",
        f"Diagnostics at {len(shown)} iterations (mean over the runs of a method; D's and the "
        f"policy gradient's values averaged over the {window} iteration(s) up to it, NLL at the "
        "evaluation at or before it). P(real) held-out: D on real sequences it never trained "
        "on; grad norm: the policy gradient before clipping; clipped: the fraction of g-steps "
        "clipped.",
        "",
        *lines,
    ]
