"""`seqgan-ray sweep`: hyperparameter sweeps with Ray Tune (cli.py mounts this next to the
training commands)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import typer

from seqgan_ray import api
from seqgan_ray.cli.common import (
    REWARD_FLAGS,
    base_config,
    data_argument,
    data_preset_option,
    print_config_opt,
    with_overrides,
)
from seqgan_ray.cli.options import Overrides, command, opt

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
    from seqgan_ray.tasks import main_metric

    cfg = with_overrides(base_config(kind, data, preset, o.config, oracle), overrides)
    if o.print_config:  # the base config every trial starts from
        typer.echo(cfg.to_json())
        return
    out = o.out or Path("runs") / f"sweep-{kind}-{o.config.stem if o.config else preset}"
    t0 = time.perf_counter()
    outcome = api.sweep(
        cfg, out, o.search_space, num_samples=o.num_samples, max_concurrent=o.max_concurrent,
        scheduler=o.scheduler, rollout_workers=o.rollout_workers, resume=o.resume,
        address=o.address, callbacks=o.callback or (), progress=o.progress, verbose=o.verbose,
        echo=typer.echo,
    )  # fmt: skip
    typer.echo((out / "sweep_results.md").read_text())
    metric = main_metric(cfg)
    best = (outcome["best"] or {}).get(f"best_{metric.key}")
    typer.echo(
        f"{outcome['trials']} trials in {(time.perf_counter() - t0) / 60:.1f} min; best "
        f"{metric.label} {best if best is None else round(best, 4)}; "
        f"its config: {out / 'best_config.json'}"
    )
