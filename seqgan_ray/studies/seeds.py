"""Several seeds of one experiment: what a seed changes, and the results over seeds.

    OUT/seed-S/          a whole single-seed experiment (pretrain/, <method>/, results.json, ...)
    OUT/results.json     per method: `seeds` (each seed's results), `ci95` (t-interval over the
                         seeds' means), the pooled fields of a single-seed table; tests
    OUT/results.md       mean ± half-width of the 95 % interval, rendered from results.json

Comparisons: per seed, Welch on the per-sequence scores (each seed's results.json); across
seeds, a paired t-test on the seeds' means (seed s of SeqGAN against seed s of the method: they
share the pre-training, the real set and the evaluation keys).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from seqgan_ray.config import RunConfig, override
from seqgan_ray.errors import UserError
from seqgan_ray.studies.sample_checks import render_checks
from seqgan_ray.studies.significance import paired, pooled, t_interval


def counted(n: int, noun: str) -> str:
    """`counted(1, "seed")` -> "1 seed", `counted(3, "seed")` -> "3 seeds"."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def parse_seeds(text: str | None) -> tuple[int, ...] | None:
    """`--seeds 88,89,90` -> (88, 89, 90); None when not given."""
    if text is None:
        return None
    try:
        seeds = tuple(dict.fromkeys(int(s) for s in text.split(",") if s.strip()))
    except ValueError:
        raise UserError(f"--seeds must be comma-separated integers (got {text!r})") from None
    if not seeds or any(s < 0 for s in seeds):
        raise UserError(f"--seeds must be integers >= 0 (got {text!r})")
    return seeds


def seed_config(cfg: RunConfig, seed: int) -> RunConfig:
    """`cfg` with every random number drawn anew from `seed`: the run seed (initialisations,
    roll-outs, negatives, evaluation samples, ...) and, on the synthetic task, the draws of the
    real set S and of the held-out set. The oracle stays: the official file, or the random
    oracle of the base config's seed. Real data keeps its prepared splits."""
    cfg = override(cfg, "run", seed=seed)
    task = cfg.task
    if task.kind != "synthetic":
        return cfg
    oracle = task.random_oracle_seed
    return replace(
        cfg, task=replace(task, data_seed=seed, oracle_seed=None if oracle == seed else oracle)
    )


def seed_dir(out: Path, seed: int) -> Path:
    return out / f"seed-{seed}"


def aggregate(out: Path, methods: Sequence[str], seeds: Sequence[int], base: dict) -> dict:
    """results.json over seeds from each seed's own results.json alone, per-sequence scores not
    needed (`base`: title, config, ...)."""
    per_seed = {s: json.loads((seed_dir(out, s) / "results.json").read_text()) for s in seeds}
    first = per_seed[seeds[0]]
    key = first["metric"]["key"]
    rows = {}
    for m in methods:
        seed_rows = [
            {"seed": s, key: r["methods"][m][key], "std": r["methods"][m]["std"],
             "n": r["methods"][m]["n"], "final": r["methods"][m]["final"]}
            for s, r in per_seed.items()
        ]  # fmt: skip
        mean, std, n = pooled(*zip(*((row[key], row["std"], row["n"]) for row in seed_rows)))
        finals = [row["final"] for row in seed_rows]
        final_keys = [k for k in finals[0] if all(k in f for f in finals)]
        means = [row[key] for row in seed_rows]
        curve, band = _mean_curve([per_seed[s]["methods"][m]["curve"] for s in seeds])
        rows[m] = {
            **{k: v for k, v in first["methods"][m].items() if k in ("label", "paper")},
            key: mean,  # pooled over every seed's per-sequence scores
            "std": std,
            "n": n,
            "final": {k: float(np.mean([f[k] for f in finals])) for k in final_keys},
            "curve": curve,
            "band": band,
            "seeds": seed_rows,
            "mean_of_seeds": float(np.mean(means)),
            "ci95": t_interval(means),
            "final_ci95": {k: t_interval([f[k] for f in finals]) for k in final_keys},
        }
    tests = {}
    if "seqgan" in methods:
        ours = [row[key] for row in rows["seqgan"]["seeds"]]
        for m in methods:
            if m == "seqgan":
                continue
            tests[m] = {
                "paired": paired(ours, [row[key] for row in rows[m]["seeds"]]),
                "per_seed": {str(s): r["t_tests_vs_seqgan"][m] for s, r in per_seed.items()},
            }
    after = [r["after_mle"] for r in per_seed.values() if r.get("after_mle") is not None]
    own_wall = {str(s): r["wall_s"] for s, r in per_seed.items() if "wall_s" in r}
    checks = {str(s): r["checks"] for s, r in per_seed.items() if "checks" in r}
    return {
        **base,
        **({"seed_wall_s": own_wall} if own_wall else {}),
        "seeds": list(seeds),
        "metric": first["metric"],
        "pretrain_epochs": first["pretrain_epochs"],
        "after_mle": float(np.mean(after)) if after else None,
        "methods": rows,
        "t_tests_vs_seqgan": tests,
        **({"checks": checks} if checks else {}),
    }


def _mean_curve(curves: list[list[list[float]]]) -> tuple[list, list]:
    """Seeds' curves [[epoch, value], ...] -> the mean curve and the band [[epoch, min, max]]
    at the epochs every seed evaluated."""
    by_epoch: dict[float, list[float]] = {}
    for curve in curves:
        for epoch, value in curve:
            by_epoch.setdefault(epoch, []).append(value)
    epochs = [e for e in sorted(by_epoch) if len(by_epoch[e]) == len(curves)]
    mean = [[e, float(np.mean(by_epoch[e]))] for e in epochs]
    band = [[e, float(min(by_epoch[e])), float(max(by_epoch[e]))] for e in epochs]
    return mean, band


def _with_interval(mean: float, interval: list[float] | None) -> str:
    if interval is None:
        return f"{mean:.3f}"
    return f"{mean:.3f} ± {(interval[1] - interval[0]) / 2:.3f}"


def render_seed_results(results: dict, format_p, column_label) -> str:
    """results.md of a multi-seed experiment, from its results.json alone (`format_p` and
    `column_label` as the single-seed table writes p-values and column names)."""
    rows, tests, seeds = results["methods"], results["t_tests_vs_seqgan"], results["seeds"]
    metric = results["metric"]
    key, label = metric["key"], metric["label"]
    first = next(iter(rows.values()))
    others = [k for k in first["final"] if k != key]
    # no paper column for a user's own data (experiment.real_data_labels)
    has_paper = any(row["paper"].get(key) is not None for row in rows.values())
    head = (
        f"| method | {label}: mean of seeds ± 95 % CI | per seed ({', '.join(map(str, seeds))}) "
        + ("| paper " if has_paper else "")
        + "| paired p vs SeqGAN (seed means) | Welch p vs SeqGAN, per seed |"
    )
    head += "".join(f" {column_label(k)} ± 95 % CI |" for k in others)
    lines = [
        f"# {results['title']}: {label} over {counted(len(seeds), 'seed')} "
        f"({'higher' if metric['higher'] else 'lower'} is better)",
        "",
        head,
        "|" + " --- |" * (head.count("|") - 1),
    ]
    for m, row in rows.items():
        paper = row["paper"].get(key)
        test = tests.get(m)
        pair = "–" if test is None or test["paired"] is None else format_p(test["paired"]["p"])
        welch = "–" if test is None else ", ".join(
            format_p(t["p"]) for t in test["per_seed"].values()
        )  # fmt: skip
        per_seed = ", ".join(f"{r[key]:.3f}" for r in row["seeds"])
        line = (
            f"| {row['label']} | {_with_interval(row['mean_of_seeds'], row['ci95'])} | {per_seed} "
            + (f"| {'–' if paper is None else f'{paper:.3f}'} " if has_paper else "")
            + f"| {pair} | {welch} |"
        )
        for k in others:
            line += f" {_with_interval(row['final'][k], row['final_ci95'].get(k))} |"
        lines.append(line)
    n = first["seeds"][0]["n"]
    lines += [
        "",
        f"Each seed: {label} per sequence of {n:,} samples per method. ± is the half-width of the "
        f"95 % t-interval over the seeds' means (none for one seed); the paired t-test compares SeqGAN's "
        "seed means with the method's, seed by seed; the Welch p-values compare per-sequence "
        "scores within each seed. Variants are ours, not the paper's.",
    ]
    lines += closing_lines(results, label, ", mean of seeds: {value:.3f}")
    if results.get("checks"):
        lines += render_checks(results["checks"])
    return "\n".join(lines) + "\n"


def closing_lines(results: dict, label: str, value_format: str) -> list[str]:
    """The last lines of a results.md (one seed or several): the main metric after the shared
    MLE pre-training, `value_format` giving how its value reads, and the wall time."""
    lines = []
    if results.get("after_mle") is not None:
        value = value_format.format(value=results["after_mle"])
        epochs = results["pretrain_epochs"]
        lines.append(f"{label} after the shared MLE pre-training ({epochs} epochs){value}.")
    if "wall_s" in results:
        lines.append(f"Wall time: {results['wall_s'] / 60:.1f} min.")
    if "seed_wall_s" in results:  # seeds run one at a time (`--seeds S`), then joined here
        walls = ", ".join(f"{s}: {w / 60:.1f} min" for s, w in results["seed_wall_s"].items())
        lines.append(f"Seeds run alone, their own wall times: {walls}.")
    return lines
