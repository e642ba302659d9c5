"""`seqgan-ray sweep`: hyperparameter sweeps with Ray Tune (cli.py mounts this next to the
training commands)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import typer

from seqgan_ray.cli.common import (
    REWARD_FLAGS,
    base_config,
    data_argument,
    data_preset_option,
    print_config_opt,
    with_overrides,
)
from seqgan_ray.cli.options import Overrides, command, opt
from seqgan_ray.errors import UserError

sweep_app = typer.Typer(no_args_is_help=True, help="Hyperparameter sweeps with Ray Tune.")


@dataclass(frozen=True)
class SweepOptions:
    """The options of every `sweep` command besides its preset, data and config flags."""

    config: Path | None = opt(None, "a config.json as the base instead")
    num_samples: int = opt(8, "trials")
    max_concurrent: int | None = opt(
        None, "trials at once (default: one per CPU core locally, unlimited on a cluster)"
    )
    search_space: Path | None = opt(
        None, 'JSON: {"schedule.g_steps": {"choice": [1, 2]}, ...} (default: Figure 3\'s knobs)'
    )
    scheduler: str = opt("asha", "asha (early stopping) or fifo")
    rollout_workers: int = opt(
        1, "roll-out actors per trial (a CPU each, a share of a small cluster)"
    )
    out: Path | None = opt(None, "sweep directory")
    resume: bool = opt(False, "continue a sweep whose driver died")
    address: str | None = opt(None, "Ray cluster to join (default: local Ray)")
    verbose: bool = opt(False, "show Ray's and Tune's own output")
    callback: list[str] | None = opt(
        None,
        "also log every trial to mlflow (MLFLOW_TRACKING_URI, else ./mlflow.db) or wandb "
        "(WANDB_MODE=offline without an account); repeatable. Tune's CSV, JSON and TensorBoard "
        "loggers are always on",
    )
    progress: bool = opt(True, "show trials done / total and the elapsed time")
    print_config: bool = print_config_opt()


@sweep_app.command("synthetic")
@command(options=SweepOptions, overrides=(REWARD_FLAGS,))
def sweep_synthetic(
    preset: str = typer.Option("demo", help="the base config's preset"),
    oracle: Path | None = typer.Option(None, help="official target_params(_py3).pkl"),
    *,
    options: SweepOptions,
    overrides: Overrides,
) -> None:
    """Sweep the adversarial schedule with Ray Tune (ASHA on NLL-oracle)."""
    _sweep("synthetic", None, preset, oracle, options, overrides)


@sweep_app.command("text")
@command(options=SweepOptions, overrides=(REWARD_FLAGS,))
def sweep_text(
    data: Path = data_argument("text"),
    preset: str = data_preset_option("text-cpu", "text"),
    *,
    options: SweepOptions,
    overrides: Overrides,
) -> None:
    """Sweep the adversarial schedule on text data (ASHA on BLEU, maximised)."""
    _sweep("text", data, preset, None, options, overrides)


@sweep_app.command("music")
@command(options=SweepOptions, overrides=(REWARD_FLAGS,))
def sweep_music(
    data: Path = data_argument("music"),
    preset: str = data_preset_option("music-cpu", "music"),
    *,
    options: SweepOptions,
    overrides: Overrides,
) -> None:
    """Sweep the adversarial schedule on music data (ASHA on BLEU, maximised)."""
    _sweep("music", data, preset, None, options, overrides)


def _sweep(
    kind: str,
    data: Path | None,
    preset: str,
    oracle: Path | None,
    o: SweepOptions,
    overrides: Overrides,
) -> None:
    from seqgan_ray.core.process import usable_cpus
    from seqgan_ray.distributed.session import connect, is_embedded
    from seqgan_ray.driver.tracking import check_callbacks
    from seqgan_ray.studies.tune import load_space, run_sweep, trial_bundles, trial_layout
    from seqgan_ray.tasks import main_metric, preflight

    callbacks = tuple(dict.fromkeys(o.callback or ()))
    check_callbacks(callbacks)  # before Ray starts or anything is written

    cfg = with_overrides(base_config(kind, data, preset, o.config, oracle), overrides)
    if o.print_config:  # the base config every trial starts from
        typer.echo(cfg.to_json())
        return
    out = o.out or Path("runs") / f"sweep-{kind}-{o.config.stem if o.config else preset}"
    space = load_space(o.search_space)
    max_concurrent = o.max_concurrent
    if max_concurrent is not None and max_concurrent < 1:
        raise UserError(f"--max-concurrent must be >= 1 (got {max_concurrent})")
    if o.rollout_workers < 1:
        raise UserError(f"--rollout-workers must be >= 1 (got {o.rollout_workers})")
    preflight(cfg)
    num_cpus = None
    if is_embedded(o.address):
        # Logical CPUs for `max_concurrent` trials' bundles; trials alternate between their
        # learner and roll-out actors, so a trial keeps about one core busy at a time.
        max_concurrent = max_concurrent or usable_cpus()
        per_trial = sum(b["CPU"] for b in trial_bundles(trial_layout(o.rollout_workers)))
        num_cpus = int(-(-per_trial * max_concurrent // 1))
    connect(o.address, o.verbose, num_cpus)
    t0 = time.perf_counter()
    outcome = run_sweep(
        cfg, out, space, o.num_samples, max_concurrent, o.scheduler, o.rollout_workers, o.resume,
        echo=typer.echo, callbacks=callbacks, progress=o.progress,
    )  # fmt: skip
    typer.echo((out / "sweep_results.md").read_text())
    metric = main_metric(cfg)
    best = (outcome["best"] or {}).get(f"best_{metric.key}")
    typer.echo(
        f"{outcome['trials']} trials in {(time.perf_counter() - t0) / 60:.1f} min; best "
        f"{metric.label} {best if best is None else round(best, 4)}; "
        f"its config: {out / 'best_config.json'}"
    )
