"""The Python API: what the `seqgan-ray` commands do, as functions the commands themselves call.

A config is a frozen `RunConfig` (config.py): take a named preset, change fields by their
dotted names, then train it, run an experiment (every method side by side) or a Ray Tune sweep,
and read what a run left on disk.

    from seqgan_ray import change, load_run, preset, train

    cfg = change(preset("tiny"), {"schedule.adversarial_iterations": 2, "seed": 1})
    summary = train(cfg, "runs/tiny", ray=False)    # in this process; ray=True: on Ray
    load_run("runs/tiny").final["final/nll_oracle"]

Bad input (an unknown preset or field, a value a config rejects, a run directory that already
holds a run) raises `seqgan_ray.errors.UserError` with one clear message, which the CLI prints as
one line with exit code 2. Heavy modules (torch, Ray, Tune) are imported only when a function
needs them, so `import seqgan_ray` stays cheap.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seqgan_ray import presets
from seqgan_ray.config import ConfigError, RunConfig, read_json
from seqgan_ray.methods import method_named

if TYPE_CHECKING:
    from seqgan_ray.distributed.layout import RayOptions

__all__ = [
    "Run",
    "change",
    "experiment",
    "load_results",
    "load_run",
    "preset",
    "sweep",
    "train",
]

SECTIONS = ("task", "generator", "discriminator", "schedule", "method")


def preset(name: str, data: str | Path | None = None) -> RunConfig:
    """A named preset's config.

    Args:
        name: a synthetic-data preset (`paper`, `demo`, `tiny`, `table1-cpu`, ...; all in
            `seqgan_ray.presets.PRESETS`), or with `data` a real-data preset (`poems`,
            `text-cpu`, `nottingham`, `music-cpu`, ...; `seqgan_ray.presets.DATA_PRESETS`).
        data: a directory made by `seqgan-ray prepare text|music`; the preset is bound to it
            (its sizes and special ids; D's filter table follows its sequence length).

    Returns:
        The run config, ready to change with [change][seqgan_ray.api.change] or to train.

    Raises:
        ConfigError: for an unknown name, or a real-data preset of another kind than `data`.
    """
    if data is None:
        return presets.preset(name)
    from seqgan_ray.tasks.corpus import read_data_config

    found = presets.DATA_PRESETS.get(name)
    if found is None:
        raise ConfigError(
            f"unknown data preset {name!r}; choose one of {', '.join(presets.DATA_PRESETS)}"
        )
    return found.bind(read_data_config(found.kind, Path(data)))


def change(cfg: RunConfig, changes: Mapping[str, Any]) -> RunConfig:
    """`cfg` with fields changed, each named as in a sweep's search space.

    Args:
        cfg: the config to start from (it is not modified: configs are frozen).
        changes: `{"section.field": value}` for a section's field (`schedule.mle_epochs`,
            `generator.adv_lr`, `task.oracle_path`, ...) and `{"field": value}` for the run's
            own `seed` and `device`. `method.name` takes a method or METHOD+VARIANT
            (`seqgan+logit`) and sets the reward options with it; `method.reward: "logit"` comes
            with the batch-mean baseline unless `method.reward_baseline` is given too.

    Returns:
        The new config, validated like any other.

    Raises:
        ConfigError: for an unknown section or field, or a value the config rejects.

    Example:
        `change(preset("demo"), {"schedule.g_steps": 2, "method.name": "mle", "seed": 7})`
    """
    sections: dict[str, dict[str, Any]] = {}
    for key, value in changes.items():
        section, _, name = key.rpartition(".")
        sections.setdefault(section or "run", {})[name] = value
    for section, values in sections.items():
        _check_fields(cfg, section, values)
    method = dict(sections.pop("method", {}))
    if "name" in method:
        cfg = replace(cfg, method=method_named(cfg.method, method.pop("name")))
    if method.get("reward") == "logit":  # the logit reward is meant with its baseline (issue 15)
        method.setdefault("reward_baseline", "batch-mean")
    for section, values in {**sections, "method": method}.items():
        if section == "run":
            cfg = replace(cfg, **values)
        elif values:
            cfg = replace(cfg, **{section: replace(getattr(cfg, section), **values)})
    return cfg


def _check_fields(cfg: RunConfig, section: str, values: Mapping[str, Any]) -> None:
    if section == "run":
        known = {f.name for f in fields(RunConfig)} - set(SECTIONS)
    elif section in SECTIONS:
        known = {f.name for f in fields(getattr(cfg, section))}
    else:
        raise ConfigError(f"unknown config section {section!r}; choose from {', '.join(SECTIONS)}")
    unknown = sorted(set(values) - known)
    if unknown:
        where = "the run's own fields" if section == "run" else f"config section {section!r}"
        raise ConfigError(
            f"unknown field(s) {', '.join(unknown)} in {where}; known: {', '.join(sorted(known))}"
        )


def train(
    cfg: RunConfig | None,
    out: str | Path,
    *,
    ray: bool | RayOptions = True,
    address: str | None = None,
    resume: bool = False,
    init_from: str | Path | None = None,
    progress: bool = False,
    max_learner_restarts: int = 3,
    verbose: bool = False,
    echo: Callable[[str], None] | None = print,
) -> dict[str, Any]:
    """Train one run (Algorithm 1: MLE pre-training, D pre-training, the adversarial loop).

    Args:
        cfg: the run's config; None with `resume`, which continues with the saved one.
        out: the run directory; it receives `config.json`, `metrics.jsonl`, `checkpoint.pt`,
            `samples.txt` and the final per-sequence scores. It must not hold a run already,
            unless `resume`.
        ray: True runs the learner, the roll-out pool and the negative sampling on Ray with a
            layout chosen to fit the machine or cluster; a `RayOptions`
            (`seqgan_ray.distributed.layout.RayOptions`: roll-out workers K, CPUs and GPUs per
            piece) fixes what it gives; False runs everything in this process. Both give the
            same numbers (roll-outs are seeded by index, not by worker).
        address: the Ray cluster to join (`"auto"` on a cluster node); default `RAY_ADDRESS`,
            else a private local Ray.
        resume: continue the run in `out` from its last checkpoint.
        init_from: start after the MLE pre-training of this run directory (e.g. an
            experiment's `pretrain/`); its task, generator, seed and MLE epochs must match.
        progress: show a progress bar on stderr.
        max_learner_restarts: times a lost learner actor is rebuilt from the last checkpoint.
        verbose: show Ray's start-up and worker logs.
        echo: where the chosen Ray layout is printed (None: nowhere).

    Returns:
        The run's summary: `out`, the main metric after MLE and after the adversarial phase
        (e.g. `nll_oracle_after_mle`), every `final/...` value of the final evaluation, and
        `wall_s`.
    """
    from seqgan_ray.distributed.layout import RayOptions
    from seqgan_ray.driver.trainer import train as run_algorithm

    if max_learner_restarts < 0:
        raise ConfigError(f"--max-learner-restarts must be >= 0 (got {max_learner_restarts})")
    if resume and init_from is not None:
        raise ConfigError("--resume continues a run with its saved config; drop --init-from")
    t0 = time.perf_counter()
    runtime = None
    if ray is not False:
        from seqgan_ray.distributed.runtime import RayRuntime

        options = RayOptions() if ray is True else ray
        runtime = RayRuntime(options, address, verbose, echo=echo)
    try:
        summary = run_algorithm(
            cfg,
            out,
            resume=resume,
            runtime=runtime,
            show_progress=progress,
            init_from=init_from,
            max_learner_restarts=max_learner_restarts,
        )
    finally:
        if runtime is not None:
            runtime.shutdown()
    return {**summary, "wall_s": round(time.perf_counter() - t0, 1)}


def experiment(
    cfg: RunConfig,
    out: str | Path,
    methods: Sequence[str] | None = None,
    *,
    seeds: Sequence[int] | None = None,
    jobs: int | None = None,
    init_from: str | Path | None = None,
    progress: bool = False,
    echo: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Run (or finish) an experiment: every method from one shared MLE pre-training, side by
    side, as `seqgan-ray experiment` does (paper Table 1 on the synthetic task).

    Args:
        cfg: the base config; each method changes only its `method` section.
        out: the experiment directory: a run directory per method, `pretrain/`,
            `results.json` and `results.md`. An interrupted experiment continues where it
            stopped when called again with the same arguments.
        methods: a subset of `seqgan`, `shuffled`, `row_shuffled`, `mle`, `ss`, `pg_bleu`,
            `constant`, `random` and reward variants such as `seqgan+logit` (default: the
            paper's methods and controls on synthetic data, `seqgan` and `mle` on real data).
        seeds: one whole experiment per seed in `OUT/seed-S`, and results over seeds with 95 %
            t-intervals.
        jobs: methods run at once (default: one per usable CPU).
        init_from: start every method from this finished MLE pre-training instead of running
            one (a run directory, or an experiment directory).
        progress: show the pre-training's bar, then runs done / total.
        echo: where progress lines go.

    Returns:
        `results.json`'s content (also readable later with
        [load_results][seqgan_ray.api.load_results]).
    """
    from seqgan_ray.studies.experiment import (
        REAL_DATA_METHODS,
        RUN_ORDER,
        parse_methods,
        real_data_labels,
        run_experiment,
    )

    synthetic = cfg.task.kind == "synthetic"
    default = RUN_ORDER if synthetic else REAL_DATA_METHODS
    chosen = parse_methods(None if methods is None else ",".join(methods), default)
    title, paper = "Synthetic data", None
    if not synthetic:
        title, paper = real_data_labels(cfg.task.data, "from the Python API")
    return run_experiment(
        cfg, out, chosen, jobs, echo, title, paper, seeds, progress, init_from
    )  # fmt: skip


def sweep(
    cfg: RunConfig,
    out: str | Path,
    space: str | Path | Mapping[str, Mapping[str, list]] | None = None,
    *,
    num_samples: int = 8,
    max_concurrent: int | None = None,
    scheduler: str = "asha",
    rollout_workers: int = 1,
    resume: bool = False,
    address: str | None = None,
    callbacks: Sequence[str] = (),
    progress: bool = False,
    verbose: bool = False,
    echo: Callable[[str], None] = print,
) -> dict[str, Any]:
    """A Ray Tune sweep of the adversarial schedule from one shared MLE pre-training, as
    `seqgan-ray sweep` runs it.

    Args:
        cfg: the base config every trial starts from.
        out: the sweep directory: `pretrain/`, Tune's trials under `tune/`,
            `sweep_results.md` and `best_config.json`.
        space: dotted fields mapped to one distribution, e.g.
            `{"schedule.g_steps": {"choice": [1, 2]}, "generator.adv_lr": {"loguniform":
            [1e-3, 3e-2]}}`, or a JSON file of that (default: Figure 3's knobs).
        num_samples: trials.
        max_concurrent: trials at once (default: one per usable CPU locally, unlimited on a
            cluster).
        scheduler: `asha` (early stopping on the main metric) or `fifo`.
        rollout_workers: roll-out actors per trial.
        resume: continue a sweep whose driver died.
        address: the Ray cluster to join (default: a private local Ray).
        callbacks: also log every trial to `mlflow` and/or `wandb`.
        progress: show trials done / total.
        verbose: show Ray's and Tune's own output.
        echo: where progress lines go.

    Returns:
        The outcome: `trials`, `best` (the best trial's parameters and metrics, or None) and
        the paths written.
    """
    from seqgan_ray.core.process import usable_cpus
    from seqgan_ray.distributed.session import connect, is_embedded
    from seqgan_ray.driver.tracking import check_callbacks
    from seqgan_ray.studies.tune import load_space, run_sweep, trial_bundles, trial_layout
    from seqgan_ray.tasks import preflight

    callbacks = tuple(dict.fromkeys(callbacks))
    check_callbacks(callbacks)  # before Ray starts or anything is written
    if max_concurrent is not None and max_concurrent < 1:
        raise ConfigError(f"--max-concurrent must be >= 1 (got {max_concurrent})")
    if rollout_workers < 1:
        raise ConfigError(f"--rollout-workers must be >= 1 (got {rollout_workers})")
    space = load_space(dict(space) if isinstance(space, Mapping) else space)
    preflight(cfg)
    num_cpus = None
    if is_embedded(address):
        # Logical CPUs for `max_concurrent` trials' bundles; trials alternate between their
        # learner and roll-out actors, so a trial keeps about one core busy at a time.
        max_concurrent = max_concurrent or usable_cpus()
        per_trial = sum(b["CPU"] for b in trial_bundles(trial_layout(rollout_workers)))
        num_cpus = int(-(-per_trial * max_concurrent // 1))
    connect(address, verbose, num_cpus)
    return run_sweep(
        cfg, out, space, num_samples, max_concurrent, scheduler, rollout_workers, resume,
        echo=echo, callbacks=callbacks, progress=progress,
    )  # fmt: skip


@dataclass(frozen=True)
class Run:
    """A run directory as training left it (read with [load_run][seqgan_ray.api.load_run]).

    Attributes:
        path: the run directory.
    """

    path: Path

    @cached_property
    def config(self) -> RunConfig:
        """The resolved config the run was trained with (`config.json`)."""
        return RunConfig.from_file(self.path / "config.json")

    @cached_property
    def metrics(self) -> list[dict[str, Any]]:
        """Every row of `metrics.jsonl`: `phase`, `step` and namespaced values
        (`pretrain/g_nll`, `adv/reward_mean`, `d/acc`, `eval/nll_oracle`, `perf/step_s`, ...)."""
        from seqgan_ray.driver.rundir import read_metrics

        return read_metrics(self.path / "metrics.jsonl")

    @property
    def final(self) -> dict[str, float]:
        """The final evaluation (`final/nll_oracle`, `final/nll_test`, or `final/bleu2`, ...);
        empty while the run has not finished."""
        rows = [r for r in self.metrics if r["phase"] == "final"]
        return {k: v for k, v in rows[-1].items() if k.startswith("final/")} if rows else {}

    def curve(self, key: str) -> list[tuple[int, float]]:
        """`(epoch, value)` at every row that logged `key` (e.g. `eval/nll_oracle`), from MLE
        pre-training through the adversarial phase."""
        return [(r["epoch"], r[key]) for r in self.metrics if key in r and "epoch" in r]


def load_run(path: str | Path) -> Run:
    """The run in `path` (a run directory, or one method's directory inside an experiment).

    Raises:
        UserError: when `path` holds no run (`metrics.jsonl`).
    """
    from seqgan_ray.errors import UserError

    path = Path(path)
    if not (path / "metrics.jsonl").is_file():
        raise UserError(f"{path} holds no run (no metrics.jsonl)")
    return Run(path)


def load_results(path: str | Path) -> dict[str, Any]:
    """An experiment's results (`results.json`: each method's final values, the t-tests against
    SeqGAN, the curves, and with seeds the results over seeds), as
    [experiment][seqgan_ray.api.experiment] returned them."""
    path = Path(path)
    return read_json(path / "results.json" if path.is_dir() else path, "experiment results")
