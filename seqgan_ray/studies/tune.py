"""Hyperparameter sweeps with Ray Tune. Every trial is an ordinary training run.

The MLE pre-training does not depend on the swept (adversarial-phase) parameters, so the sweep
runs it once and every trial starts from it (as `experiment synthetic` does); the checkpoint
travels to the trials through Ray's object store, so trials may run on any node. A trial
reports after each of its checkpoints in the adversarial phase (`checkpoint_every` is set to the
evaluation interval), with its run directory as the Tune checkpoint: ASHA can stop it there, and a
paused or restored trial continues with `train(..., resume=True)`.

Search-space files are JSON objects mapping dotted config fields to one distribution:
    {"schedule.g_steps": {"choice": [1, 2]}, "generator.adv_lr": {"loguniform": [1e-3, 3e-2]}}
"""

from __future__ import annotations

import csv
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path
from typing import Any

from seqgan_ray.config import RunConfig, override, read_json
from seqgan_ray.errors import UserError
from seqgan_ray.tasks import main_metric

# Figure 3 of the paper: these decide whether SeqGAN converges.
DEFAULT_SPACE: dict[str, dict[str, list]] = {
    "schedule.g_steps": {"choice": [1, 2, 5]},
    "schedule.d_steps": {"choice": [1, 3, 5]},
    "schedule.k_epochs": {"choice": [1, 2, 3]},
    "schedule.rollout_num": {"choice": [4, 8, 16]},
    "generator.adv_lr": {"loguniform": [1e-3, 3e-2]},
    "schedule.rollout_update_rate": {"uniform": [0.0, 0.9]},
}
DISTRIBUTIONS = ("choice", "uniform", "loguniform", "randint")
SWEEPABLE = ("generator", "discriminator", "schedule", "method")


def load_space(path: str | Path | dict | None) -> dict[str, dict[str, list]]:
    """The search space from a JSON file, a dict of the same shape (the Python API) or the
    default, every key and range checked."""
    if path is None:
        return DEFAULT_SPACE
    space = path if isinstance(path, dict) else read_json(path, "search space file")
    if isinstance(path, dict):
        path = "(given as a dict)"
    if not isinstance(space, dict) or not space:
        raise UserError(f"search space {path} must be a non-empty JSON object")
    problems = []
    for key, dist in space.items():
        section, _, name = key.partition(".")
        known = (
            {f.name for f in fields(getattr(RunConfig(), section))}
            if section in SWEEPABLE
            else set()
        )
        if name not in known:
            problems.append(
                f"{key!r} is not a config field (use section.field, e.g. schedule.g_steps)"
            )
        if not (isinstance(dist, dict) and len(dist) == 1 and next(iter(dist)) in DISTRIBUTIONS):
            problems.append(f"{key!r} needs exactly one of {', '.join(DISTRIBUTIONS)}")
        elif not isinstance(next(iter(dist.values())), list) or not next(iter(dist.values())):
            problems.append(f"{key!r}: the distribution's argument must be a non-empty list")
    if problems:
        raise UserError(f"bad search space {path}: " + "; ".join(problems))
    return space


def apply_params(cfg: RunConfig, params: dict[str, Any]) -> RunConfig:
    """`cfg` with dotted-key trial parameters applied (validated like any config)."""
    for key, value in params.items():
        section, _, name = key.partition(".")
        cfg = override(cfg, section, **{name: value})
    return cfg


def _tune_space(space: dict[str, dict[str, list]]) -> dict[str, Any]:
    from ray import tune

    out = {}
    for key, dist in space.items():
        ((kind, args),) = dist.items()
        out[key] = tune.choice(args) if kind == "choice" else getattr(tune, kind)(*args)
    return out


# A trial's own process (Tune's function trainable): it only waits on its actors.
TRIAL_DRIVER_CPUS = 0.5


def trial_layout(rollout_workers: int, cap=None):
    """One trial's learner, roll-out actors and sampling tasks (distributed/layout.py). With
    `cap` None, a whole CPU each (an embedded Ray is sized to the trials); on a cluster, the
    layout `train` would choose beside the trial's driver: time-shared on a small cluster.
    Trials run on the CPU: a GPU layout would give one trial every GPU."""
    from seqgan_ray.distributed.layout import Capacity, Layout, RayOptions, choose_layout

    dedicated = Layout(1.0, 0.0, 1, rollout_workers, 1.0, 0.0, 1.0)
    if cap is None:
        return dedicated
    room = Capacity(cap.cpus - TRIAL_DRIVER_CPUS, cap.gpus, cap.largest_node)
    try:
        options = RayOptions(rollout_workers=rollout_workers)
        return choose_layout(options, room, rollout_workers, use_gpus=False)
    except UserError:
        check_fits(trial_bundles(dedicated), {"CPU": cap.cpus, "GPU": cap.gpus})
        raise


def trial_bundles(layout) -> list[dict[str, float]]:
    """What one trial reserves up front, a bundle per piece, so its actors never wait on
    resources another trial holds: the trial's driver, the learner actor, each roll-out actor,
    and room for its negative-sampling tasks."""
    learner = {"CPU": layout.learner_cpus, "GPU": layout.learner_gpus}
    worker = {"CPU": layout.worker_cpus, "GPU": layout.worker_gpus}
    tasks = {"CPU": layout.task_cpus * layout.tasks_at_once}
    bundles = [{"CPU": TRIAL_DRIVER_CPUS}, learner, *([worker] * layout.workers), tasks]
    return [{k: v for k, v in b.items() if v} for b in bundles]


def check_fits(bundles: list[dict[str, float]], available: dict[str, float]) -> None:
    """Fail fast, not with pending trials, when one trial needs more than the whole cluster."""
    for resource in ("CPU", "GPU"):
        need = sum(b.get(resource, 0.0) for b in bundles)
        have = available.get(resource, 0.0)
        if need > have:
            raise UserError(
                f"one trial needs {need:g} {resource} ({len(bundles)} bundle(s)) but the cluster has "
                f"{have:g}; lower --rollout-workers or add nodes"
            )


def _trial(params: dict, base: dict, pretrain: dict, eval_interval: int, layout: dict) -> None:
    """One Tune trial: an ordinary training run from the shared pre-training."""
    from ray import tune

    from seqgan_ray.core.process import setup_process
    from seqgan_ray.distributed.layout import Layout
    from seqgan_ray.distributed.runtime import RayOptions, RayRuntime
    from seqgan_ray.driver.rundir import RunDir
    from seqgan_ray.driver.trainer import train

    setup_process()
    cfg = apply_params(RunConfig.from_dict(base), params)
    cfg = override(cfg, "schedule", checkpoint_every=eval_interval)
    key = main_metric(cfg).key  # NLL-oracle (minimised) or BLEU-n (maximised)
    pre_dir = Path(tempfile.mkdtemp(prefix="seqgan-trial-")) / "pretrain"
    run_dir = _trial_run_dir()
    resume = False
    restored = tune.get_checkpoint()
    if restored is not None:  # a paused or restored trial: continue its own run
        shutil.rmtree(run_dir, ignore_errors=True)  # the checkpoint, not a leftover, is the run
        with restored.as_directory() as d:
            shutil.copytree(d, run_dir)
        resume = True
    else:
        pre_dir.mkdir()
        (pre_dir / "checkpoint.pt").write_bytes(pretrain["checkpoint"])
        (pre_dir / "metrics.jsonl").write_text(pretrain["metrics"])

    def report(latest: dict) -> None:
        if latest["phase"] not in ("adversarial", "done") or f"eval/{key}" not in latest:
            return
        metrics = {
            key: latest[f"eval/{key}"],
            "nll_test": latest.get("eval/nll_test", float("nan")),
            "adversarial_step": latest["step"] if latest["phase"] == "adversarial" else -1,
        }
        with tempfile.TemporaryDirectory() as tmp:
            for f in ("checkpoint.pt", "metrics.jsonl", "config.json"):
                shutil.copy(RunDir(run_dir).path / f, Path(tmp) / f)
            tune.report(metrics, checkpoint=tune.Checkpoint.from_directory(tmp))

    # The trial's own learner and roll-out actors, inside the bundles Tune reserved for it.
    runtime = RayRuntime(RayOptions(), layout=Layout(**layout))
    try:
        summary = train(
            cfg,
            run_dir,
            resume=resume,
            show_progress=False,
            init_from=None if resume else pre_dir,
            on_checkpoint=report,
            runtime=runtime,
        )
    finally:
        runtime.shutdown()
    tune.report({key: summary[f"final/{key}"], "final": 1.0})


def _trials_done(key: str, label: str):
    """A Tune callback moving this process's study bar (progress.py): trials finished / all, and
    the latest reported metric. Tune pickles it with the RunConfig, so it holds no bar itself."""
    from ray.tune import Callback

    from seqgan_ray.studies.progress import active

    class TrialsDone(Callback):
        def on_step_end(self, iteration, trials, **info):
            bar = active()
            if bar is not None:
                done = sum(t.status in ("TERMINATED", "ERROR") for t in trials)
                bar.set(done, max(len(trials), bar.bar.tasks[0].total or 0))

        def on_trial_result(self, iteration, trials, trial, result, **info):
            bar = active()
            if bar is not None and result.get(key) is not None:
                bar.note(f"trial {trial.trial_id}: {label} {result[key]:.4f}")

    return TrialsDone()


def _trial_run_dir() -> Path:
    """The trial's run directory: `run` in the trial's working directory, which Tune makes the
    trial's current directory and, with SyncConfig(sync_artifacts=True), copies to
    SWEEP/tune/sweep/<trial>/run after each checkpoint and at the end (so its metrics.jsonl and
    TensorBoard files outlive the trial). With RAY_CHDIR_TO_TRIAL_DIR=0 trials share one current
    directory, so each gets a private temporary one instead (not kept)."""
    import os

    if os.environ.get("RAY_CHDIR_TO_TRIAL_DIR", "1") == "0":
        return Path(tempfile.mkdtemp(prefix="seqgan-trial-")) / "run"
    return Path.cwd() / "run"


def run_sweep(
    cfg: RunConfig,
    out: str | Path,
    space: dict[str, dict[str, list]],
    num_samples: int,
    max_concurrent: int | None,
    scheduler: str,
    rollout_workers: int,
    resume: bool,
    echo: Callable[[str], None] = print,
    callbacks: tuple[str, ...] = (),
    progress: bool = False,
) -> dict:
    """Pre-train once, run the Tune sweep, and write its table, best config and plot.

    `callbacks`: "mlflow" and/or "wandb" loggers beside Tune's own CSV/JSON/TensorBoard ones
    (tracking.tune_callbacks); `progress`: the pre-training's bar, then trials done / total."""
    from ray import tune
    from ray.tune.schedulers import ASHAScheduler, FIFOScheduler

    from seqgan_ray.distributed.session import cluster_capacity
    from seqgan_ray.driver.rundir import RunDir
    from seqgan_ray.driver.tracking import tune_callbacks
    from seqgan_ray.driver.trainer import train
    from seqgan_ray.studies.experiment import pretrain_config
    from seqgan_ray.studies.progress import StudyBar, on_terminal

    out = Path(out).resolve()
    loggers = tune_callbacks(callbacks, out.name)  # a missing package fails before any work
    if scheduler not in ("asha", "fifo"):
        raise UserError(f"--scheduler must be asha or fifo (got {scheduler!r})")
    if num_samples < 1:
        raise UserError(f"--num-samples must be >= 1 (got {num_samples})")
    if rollout_workers < 1:
        raise UserError(f"--rollout-workers must be >= 1 (got {rollout_workers})")
    layout = trial_layout(rollout_workers, cluster_capacity())
    echo(f"each trial's {layout.describe()}")
    bundles = trial_bundles(layout)
    t0 = time.perf_counter()

    metric = main_metric(cfg)
    pre = out / "pretrain"
    if not RunDir(pre).final_scores(metric.key).exists():
        echo("pre-training G by MLE once for every trial ...")
        train(
            pretrain_config(cfg),
            pre,
            resume=(pre / "checkpoint.pt").exists(),
            show_progress=on_terminal(progress),
        )
    pretrain = {
        "checkpoint": (pre / "checkpoint.pt").read_bytes(),
        "metrics": (pre / "metrics.jsonl").read_text(),
    }
    s = cfg.schedule
    trainable = tune.with_resources(
        tune.with_parameters(
            _trial,
            base=cfg.to_dict(),
            pretrain=pretrain,
            eval_interval=s.eval_interval,
            layout=layout.to_dict(),
        ),
        tune.PlacementGroupFactory(bundles),
    )
    reports = max(1, s.adversarial_iterations // s.eval_interval)
    sched = (
        ASHAScheduler(
            time_attr="training_iteration", max_t=reports + 1, grace_period=max(1, reports // 4)
        )
        if scheduler == "asha"
        else FIFOScheduler()
    )
    storage = out / "tune"
    if resume and tune.Tuner.can_restore(str(storage / "sweep")):
        echo("resuming the sweep (finished trials are kept) ...")
        tuner = tune.Tuner.restore(
            str(storage / "sweep"), trainable, resume_unfinished=True, resume_errored=True
        )
    else:
        if (storage / "sweep").exists() and not resume:
            raise UserError(
                f"{out} already holds a sweep; continue it with --resume or choose another --out"
            )
        tuner = tune.Tuner(
            trainable,
            param_space=_tune_space(space),
            tune_config=tune.TuneConfig(
                metric=metric.key,
                mode="max" if metric.higher_is_better else "min",
                num_samples=num_samples,
                max_concurrent_trials=max_concurrent,
                scheduler=sched,
            ),
            run_config=tune.RunConfig(
                name="sweep",
                storage_path=str(storage),
                verbose=0,
                callbacks=[*loggers, _trials_done(metric.key, metric.label)],
                sync_config=tune.SyncConfig(sync_artifacts=True),  # trials' run directories
            ),
        )
    with StudyBar("trials", num_samples, progress):
        grid = tuner.fit()
    return write_outcome(grid, cfg, out, time.perf_counter() - t0)


def write_outcome(grid, cfg: RunConfig, out: Path, wall_s: float) -> dict:
    """sweep_results.csv/.md (a row per trial), best_config.json and sweep_curves.png."""
    metric = main_metric(cfg)
    key, best_key = metric.key, f"best_{metric.key}"
    sign = -1.0 if metric.higher_is_better else 1.0
    rows = []
    for result in grid:
        df = result.metrics_dataframe
        params = {k: v for k, v in (result.config or {}).items()}
        row = {
            "trial": _trial_id(result.path),
            **params,
            best_key: float(sign * (sign * df[key]).min())
            if df is not None and key in df
            else None,
            "iterations": int(df["training_iteration"].max()) if df is not None and len(df) else 0,
            "wall_s": float(df["time_total_s"].max()) if df is not None and len(df) else 0.0,
            "status": "error" if result.error else "ok",
        }
        rows.append((row, df))
    rows.sort(
        key=lambda r: (
            r[0][best_key] is None,
            sign * (r[0][best_key] or 0.0),
            r[0]["trial"],  # ties (same parameters, same seed) in a stable order
        )
    )
    table = [r for r, _ in rows]
    keys = list(dict.fromkeys(k for r in table for k in r))
    with open(out / "sweep_results.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=keys)
        writer.writeheader()
        writer.writerows(table)
    md = ["| " + " | ".join(keys) + " |", "|" + " --- |" * len(keys)]
    md += ["| " + " | ".join(_cell(r.get(k)) for k in keys) + " |" for r in table]
    (out / "sweep_results.md").write_text(
        f"# Sweep: {len(table)} trials, {wall_s / 60:.1f} min\n\n" + "\n".join(md) + "\n"
    )
    best = next((r for r in table if r[best_key] is not None), None)
    summary = {
        "trials": len(table),
        "wall_s": wall_s,
        "best": best,
        "worst": table[-1] if table else None,
    }
    if best is not None:
        params = {k: v for k, v in best.items() if "." in k}
        (out / "best_config.json").write_text(apply_params(cfg, params).to_json() + "\n")
    _plot(rows, out / "sweep_curves.png", key, metric.label)
    return summary


def _trial_id(path: str | None) -> str:
    """Tune's trial id ("373bd_00000") from its directory name, which also spells every
    parameter (the table has a column per parameter already)."""
    if not path:
        return "?"
    name = Path(path).name
    match = re.match(r"_?trial_([0-9a-f]+_\d+)", name)
    return match.group(1) if match else name


def _cell(v) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def _plot(rows, path: Path, key: str, label: str) -> None:
    from seqgan_ray.studies.plots import _pyplot, draw_trials

    curves = {}
    for row, df in rows:
        if df is None or key not in df:
            continue
        part = df[df[key].notna()]
        if "final" in part:  # the last report is the final large-sample evaluation, not a curve
            part = part[part["final"].isna()]
        curves[row["trial"]] = (part["time_total_s"] / 60, part[key])
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    draw_trials(ax, curves, label)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
