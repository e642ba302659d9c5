"""Quality–diversity frontiers: each method's final generator swept over sampling temperature.

NLL-oracle (quality) can be won by sharpening a generator: lower the temperature of an MLE model
and NLL-oracle falls while NLL-test (its NLL of held-out real data, i.e. coverage) rises
(Caccia et al., "Language GANs Falling Short", ICLR 2020). So a method is better than MLE only
if its (NLL-test, NLL-oracle) point lies below MLE's *curve* over temperatures, not below MLE's
single tau = 1 point. This module computes the curves and says where each method lies: against
the pre-trained G itself (MLE stopped where pre-training ends: early-stopped MLE, the point every
method starts from), against temperature-tuned MLE (which trains on for the same budget and may
overfit), and against the temperature-tuned `shuffled` control (SeqGAN's own rewards with their
assignment to sequences destroyed), so "below MLE" can be told apart from "below MLE because any
policy-gradient sharpening is". With several seeds, each seed is swept
and OUT/frontier.{json,md,png} say how the seeds agree.
On text and music the quality axis is the task's BLEU (higher is better) instead.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch

from seqgan_ray.atomic import atomic_write
from seqgan_ray.config import RunConfig
from seqgan_ray.core.models import Generator
from seqgan_ray.core.sampling import sample_sequences
from seqgan_ray.driver import checkpoint
from seqgan_ray.driver.rundir import RunDir
from seqgan_ray.errors import UserError
from seqgan_ray.tasks import Metric, main_metric, make_task

DEFAULT_TEMPERATURES = (0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.25, 1.5)
# The references a method's points are compared with, each over its own temperature sweep:
# frontier.json key -> (reference method, what it is called in frontier.md). "pretrain" is the
# experiment's MLE pre-training (its pretrain/ or --init-from source), swept like a method.
PRETRAINED = "pretrain"
REFERENCES = {
    "vs_pretrained_g": (PRETRAINED, "pre-trained G (early-stopped MLE) over temperature"),
    "vs_temperature_tuned_mle": ("mle", "temperature-tuned MLE"),
    "vs_temperature_tuned_shuffled": ("shuffled", "temperature-tuned shuffled-Q control"),
}


def load_generator(run_dir: str | Path) -> tuple[RunConfig, Generator]:
    """The generator in a run directory's last checkpoint (CPU, eval mode)."""
    state = checkpoint.load(RunDir(run_dir).checkpoint)
    cfg = RunConfig.from_dict(state["config"])
    gen = Generator.from_config(cfg)
    gen.load_state_dict(state["learner"]["generator"])
    return cfg, gen.eval().requires_grad_(False)


def parse_temperatures(text: str | None) -> tuple[float, ...]:
    if not text:
        return DEFAULT_TEMPERATURES
    try:
        values = tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise UserError(f"--temperatures must be comma-separated numbers (got {text!r})") from None
    if not values or any(v <= 0 for v in values):
        raise UserError(f"temperatures must be > 0 (got {text!r})")
    return tuple(sorted(set(values)))


@torch.no_grad()
def sweep(
    task,
    generator: Generator,
    temperatures: Sequence[float],
    samples: int,
    key: tuple,
    metric: Metric = Metric("nll_oracle", "NLL-oracle", False),
) -> list[dict[str, float]]:
    """(temperature, quality, NLL-test) for one generator at each temperature; quality is the
    task's main metric (NLL-oracle, or BLEU-n on real data).

    Every generator is sampled with the same keys (common random numbers), so differences
    between methods are not sampling noise of the uniforms.
    """
    points = []
    for tau in temperatures:
        ys = sample_sequences(generator.policy(), samples, (*key, repr(float(tau))), tau)
        points.append(
            {
                "temperature": float(tau),
                metric.key: task.quality(ys)[metric.key],
                "nll_test": task.nll_test(generator, tau),
            }
        )
    return points


def pareto_front(points: list[dict], key: str, higher: bool) -> list[dict]:
    """The points no other point beats on both axes (better quality at no higher NLL-test),
    by NLL-test. Temperature need not move NLL-test one way: past some tau it rises again
    (the curve folds back), and the folded-back branch is dominated, not a reference."""
    sign = 1.0 if higher else -1.0
    front: list[dict] = []
    for p in sorted(points, key=lambda p: (p["nll_test"], -sign * p[key])):
        if not front or sign * p[key] > sign * front[-1][key]:
            front.append(p)
    return front


def below_curve(
    points: list[dict], reference: list[dict], key: str = "nll_oracle", higher: bool = False
) -> dict[str, float]:
    """Where `points` lie against the `reference` (temperature-tuned MLE's) Pareto front: for
    each point whose NLL-test lies inside the front's range, its quality minus the front's at
    that NLL-test (linear between front points). Positive gap = the point beats tuned MLE at
    equal diversity. A point past the front's highest NLL-test is counted only when the front's
    best already beats it (MLE at a lower tau might reach further; we do not extrapolate).
    `gap_at_tau1`: the gap of the tau = 1 point (the generator as trained), None when it is not
    compared."""
    sign = 1.0 if higher else -1.0
    front = pareto_front(reference, key, higher)
    xs = np.array([p["nll_test"] for p in front])
    ys = np.array([p[key] for p in front])
    gaps = {
        i: float(sign * (p[key] - np.interp(p["nll_test"], xs, ys)))  # the front's best past it
        for i, p in enumerate(points)
        if xs[0] <= p["nll_test"] <= xs[-1]
        or (p["nll_test"] > xs[-1] and sign * (p[key] - ys[-1]) <= 0)
    }
    at1 = [gaps[i] for i, p in enumerate(points) if p.get("temperature") == 1.0 and i in gaps]
    return {
        "points_compared": len(gaps),
        "points_below": sum(g > 0 for g in gaps.values()),
        "max_gap": max(gaps.values()) if gaps else None,
        "gap_at_tau1": at1[0] if at1 else None,
    }


def run_frontier(
    out: str | Path,
    methods: Sequence[str],
    temperatures: Sequence[float],
    samples: int,
    echo: Callable[[str], None] = print,
    done: Callable[[str], None] | None = None,
    pretrain: str | Path | None = None,
) -> dict:
    """Sweep the final generator of every method of the experiment in `out`, and the pre-trained
    G in `pretrain` (default OUT/pretrain) when it is there; `done(line)` is called after each
    method (the study's progress bar). frontier.json is rewritten after each
    method, and a method it already holds at these temperatures and samples is not swept again
    (its curve would be the same: same generator, same keys), so an interrupted sweep resumes."""
    out = Path(out)
    nothing = UserError(f"{out} holds no finished method runs to sweep")
    configs = [out / m / "config.json" for m in methods if (out / m / "config.json").exists()]
    if not configs:
        raise nothing
    cfg = RunConfig.from_file(configs[0])
    metric = main_metric(cfg)
    result = {
        "metric": {"key": metric.key, "label": metric.label, "higher": metric.higher_is_better},
        "temperatures": list(temperatures),
        "samples": samples,
        "curves": {},
    }
    # a method already swept needs no checkpoint (a seed copied without them still has its curves)
    earlier = _earlier_curves(out / "frontier.json", result)
    where = {PRETRAINED: Path(pretrain or out / PRETRAINED)} | {m: out / m for m in methods}
    present = [m for m in where if m in earlier or RunDir(where[m]).checkpoint.exists()]
    if not set(present) - {PRETRAINED}:
        raise nothing
    task = None
    curves = result["curves"]
    for m in present:
        if m in earlier:
            curves[m], how = earlier[m], " (swept before)"
        else:
            _, gen = load_generator(where[m])
            task = task or make_task(cfg, torch.device("cpu"))
            curves[m] = sweep(task, gen, temperatures, samples, (cfg.seed, "frontier"), metric)
            how = ""
            _save(out / "frontier.json", result)
        at1 = min(curves[m], key=lambda p: abs(p["temperature"] - 1.0))
        line = f"{m}: tau=1 {metric.label} {at1[metric.key]:.3f} NLL-test {at1['nll_test']:.3f}"
        echo(f"  {line}{how}")
        if done is not None:
            done(line)
    refs = [ref for ref, _ in REFERENCES.values()]
    for j, (name, (ref, _)) in enumerate(REFERENCES.items()):
        if ref in curves:  # every method against it, a reference only against earlier ones
            result[name] = {
                m: below_curve(c, curves[ref], metric.key, metric.higher_is_better)
                for m, c in curves.items()
                if m not in refs[: j + 1]
            }
    _save(out / "frontier.json", result)
    plot_frontier({out.name: result}, out / "frontier.png")
    return result


def _save(path: Path, result: dict) -> None:
    with atomic_write(path) as tmp:  # a kill mid-write leaves the previous file
        Path(tmp).write_text(json.dumps(result, indent=2) + "\n")


def _earlier_curves(path: Path, now: dict) -> dict[str, list[dict]]:
    """The curves an earlier sweep wrote to `path`, if it used the same metric, temperatures
    and samples; else none."""
    try:
        old = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    same = all(old.get(k) == now[k] for k in ("metric", "temperatures", "samples"))
    return old.get("curves", {}) if same else {}


def frontier_over_seeds(out: str | Path, seeds: Sequence[int]) -> dict:
    """OUT/frontier.json, .md and .png from each seed's frontier (OUT/seed-S/frontier.json): per
    reference and method, in how many seeds the tau = 1 point lies on the better side of the
    reference's front (below it for NLL-oracle, above it for BLEU; `seeds_below_at_tau1` and
    `points_below` in the JSON either way), its gap per seed, and those points over all seeds."""
    from seqgan_ray.studies.experiment import label
    from seqgan_ray.studies.seeds import counted, seed_dir

    out = Path(out)
    per_seed = {s: json.loads((seed_dir(out, s) / "frontier.json").read_text()) for s in seeds}
    first = per_seed[seeds[0]]
    result = {"metric": first["metric"], "seeds": list(seeds), "samples": first["samples"]}
    lines = [f"# Frontier over seeds {', '.join(map(str, seeds))}", ""]
    lines.append(
        "Gap: the method's quality minus the reference's Pareto front at the same NLL-test "
        "(positive = better at equal diversity); tau = 1 is the generator as trained."
    )
    for name, (_, title) in REFERENCES.items():
        verdicts = {s: per_seed[s].get(name, {}) for s in seeds}
        methods = list(dict.fromkeys(m for v in verdicts.values() for m in v))
        if not methods:
            continue
        rows = {}
        for m in methods:
            mine = [verdicts[s][m] for s in seeds if m in verdicts[s]]
            gaps = [v["gap_at_tau1"] for v in mine]
            rows[m] = {
                "seeds": len(mine),
                "seeds_below_at_tau1": sum(g is not None and g > 0 for g in gaps),
                "gap_at_tau1": gaps,
                "points_below": sum(v["points_below"] for v in mine),
                "points_compared": sum(v["points_compared"] for v in mine),
            }
        result[name] = rows
        lines += ["", f"## Against the {title}", ""]
        side = "above" if result["metric"]["higher"] else "below"  # the better side of the front
        lines += [f"| method | tau = 1 {side} it | gap at tau = 1, per seed | points {side} |"]
        lines += ["| --- | --- | --- | --- |"]
        for m, r in rows.items():
            gaps = ", ".join("–" if g is None else f"{g:+.3f}" for g in r["gap_at_tau1"])
            lines.append(
                f"| {label(m)} | {r['seeds_below_at_tau1']} of {counted(r['seeds'], 'seed')} | {gaps} | "
                f"{r['points_below']} of {r['points_compared']} |"
            )
    _save(out / "frontier.json", result)
    (out / "frontier.md").write_text("\n".join(lines) + "\n\n![frontier](frontier.png)\n")
    plot_frontier({f"seed {s}": per_seed[s] for s in seeds}, out / "frontier.png")
    return result


def plot_frontier(results: dict, path: str | Path) -> None:
    """One panel per frontier in `results` ({title: a run_frontier result}), on one y-axis."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from seqgan_ray.studies.experiment import LABELS

    fig, axes = plt.subplots(
        1, len(results), figsize=(6.5 * len(results), 4.5), sharey=True, squeeze=False
    )
    for ax, (title, result) in zip(axes[0], results.items()):
        _draw_frontier(ax, result, LABELS)
        ax.set_title(f"{title}: temperature sweep; circles: tau = 1", fontsize=9)
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _draw_frontier(ax, result: dict, labels: dict) -> None:
    metric = result["metric"]  # run_frontier writes it, and only its fresh results are plotted
    key = metric["key"]
    for m, points in result["curves"].items():
        xs = [p["nll_test"] for p in points]
        ys = [p[key] for p in points]
        (line,) = ax.plot(xs, ys, marker=".", label=labels.get(m, m))
        for p in points:
            if p["temperature"] == 1.0:
                ax.plot(p["nll_test"], p[key], "o", mfc="none", ms=9, c=line.get_color())
    ax.set_xlabel("NLL-test (diversity: lower is better)")
    better = "higher" if metric["higher"] else "lower"
    ax.set_ylabel(f"{metric['label']} (quality: {better} is better)")
    ax.grid(alpha=0.3)
