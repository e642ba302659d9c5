"""`seqgan-ray sweep`: hyperparameter sweeps with Ray Tune (cli.py mounts this next to the
training commands)."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from seqgan_ray.cli.common import (
    BASELINE_OPTION,
    PRINT_CONFIG_OPTION,
    REWARD_OPTION,
    base_config,
    data_command,
    with_method,
)
from seqgan_ray.errors import UserError

sweep_app = typer.Typer(no_args_is_help=True, help="Hyperparameter sweeps with Ray Tune.")


@sweep_app.command("synthetic")
def sweep_synthetic(
    preset: str = typer.Option("demo", help="the base config's preset"),
    config: Path | None = typer.Option(None, help="a config.json as the base instead"),
    oracle: Path | None = typer.Option(None, help="official target_params(_py3).pkl"),
    num_samples: int = typer.Option(8, help="trials"),
    max_concurrent: int | None = typer.Option(
        None, help="trials at once (default: one per CPU core locally, unlimited on a cluster)"
    ),
    search_space: Path | None = typer.Option(
        None,
        help='JSON: {"schedule.g_steps": {"choice": [1, 2]}, ...} (default: Figure 3\'s knobs)',
    ),
    scheduler: str = typer.Option("asha", help="asha (early stopping) or fifo"),
    rollout_workers: int = typer.Option(
        1, help="roll-out actors per trial (a CPU each, a share of a small cluster)"
    ),
    out: Path | None = typer.Option(None, help="sweep directory"),
    resume: bool = typer.Option(False, help="continue a sweep whose driver died"),
    address: str | None = typer.Option(None, help="Ray cluster to join (default: local Ray)"),
    verbose: bool = typer.Option(False, help="show Ray's and Tune's own output"),
    reward: str | None = REWARD_OPTION,
    reward_baseline: str | None = BASELINE_OPTION,
    callback: list[str] | None = typer.Option(
        None,
        help="also log every trial to mlflow (MLFLOW_TRACKING_URI, else ./mlflow.db) or wandb "
        "(WANDB_MODE=offline without an account); repeatable. Tune's CSV, JSON and TensorBoard "
        "loggers are always on",
    ),
    progress: bool = typer.Option(True, help="show trials done / total and the elapsed time"),
    print_config: bool = PRINT_CONFIG_OPTION,
) -> None:
    """Sweep the adversarial schedule with Ray Tune (ASHA on NLL-oracle)."""
    _sweep("synthetic", None, **locals())


def _sweep(
    kind: str,
    data: Path | None,
    preset: str,
    config: Path | None,
    oracle: Path | None,
    out: Path | None,
    num_samples: int,
    max_concurrent: int | None,
    search_space: Path | None,
    scheduler: str,
    rollout_workers: int,
    resume: bool,
    address: str | None,
    verbose: bool,
    reward: str | None = None,
    reward_baseline: str | None = None,
    callback: list[str] | None = None,
    progress: bool = True,
    print_config: bool = False,
) -> None:
    import os

    from seqgan_ray.distributed.session import connect, is_embedded
    from seqgan_ray.driver.tracking import check_callbacks
    from seqgan_ray.studies.tune import load_space, run_sweep, trial_bundles, trial_layout
    from seqgan_ray.tasks import main_metric, preflight

    callbacks = tuple(dict.fromkeys(callback or ()))
    check_callbacks(callbacks)  # before Ray starts or anything is written

    cfg = with_method(
        base_config(kind, data, preset, config, oracle), None, reward, reward_baseline
    )
    if print_config:  # the base config every trial starts from
        typer.echo(cfg.to_json())
        return
    out = out or Path("runs") / f"sweep-{kind}-{config.stem if config else preset}"
    space = load_space(search_space)
    if max_concurrent is not None and max_concurrent < 1:
        raise UserError(f"--max-concurrent must be >= 1 (got {max_concurrent})")
    if rollout_workers < 1:
        raise UserError(f"--rollout-workers must be >= 1 (got {rollout_workers})")
    preflight(cfg)
    num_cpus = None
    if is_embedded(address):
        # Logical CPUs for `max_concurrent` trials' bundles; trials alternate between their
        # learner and roll-out actors, so a trial keeps about one core busy at a time.
        max_concurrent = max_concurrent or (os.cpu_count() or 1)
        per_trial = sum(b["CPU"] for b in trial_bundles(trial_layout(rollout_workers)))
        num_cpus = int(-(-per_trial * max_concurrent // 1))
    connect(address, verbose, num_cpus)
    t0 = time.perf_counter()
    outcome = run_sweep(
        cfg, out, space, num_samples, max_concurrent, scheduler, rollout_workers, resume,
        echo=typer.echo, callbacks=callbacks, progress=progress,
    )  # fmt: skip
    typer.echo((out / "sweep_results.md").read_text())
    metric = main_metric(cfg)
    best = (outcome["best"] or {}).get(f"best_{metric.key}")
    typer.echo(
        f"{outcome['trials']} trials in {(time.perf_counter() - t0) / 60:.1f} min; best "
        f"{metric.label} {best if best is None else round(best, 4)}; "
        f"its config: {out / 'best_config.json'}"
    )


for _kind, _preset in (("text", "text-cpu"), ("music", "music-cpu")):
    sweep_app.command(_kind)(
        data_command(
            sweep_synthetic,
            _kind,
            _preset,
            _sweep,
            f"Sweep the adversarial schedule on {_kind} data (ASHA on BLEU, maximised).",
        )
    )
