"""`seqgan-ray`: the command line. Each command builds a config and calls one library function."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

import typer

import seqgan_ray
from seqgan_ray import api
from seqgan_ray import config as C
from seqgan_ray.cli.bench import bench_app, set_threads
from seqgan_ray.cli.common import (
    METHOD_FLAGS,
    ORACLE_OPTION,
    RUN_FLAGS,
    base_config,
    data_argument,
    data_preset_option,
    print_config_opt,
    with_overrides,
)
from seqgan_ray.cli.data import metrics_app, prepare_app, sample
from seqgan_ray.cli.experiment import experiment_app
from seqgan_ray.cli.humaneval import humaneval_app
from seqgan_ray.cli.options import Flags, Overrides, command, flag_names, opt
from seqgan_ray.cli.sweep import sweep_app
from seqgan_ray.core.process import setup_process
from seqgan_ray.errors import UserError
from seqgan_ray.studies.report import report

app = typer.Typer(
    no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False, help=__doc__
)
train_app = typer.Typer(no_args_is_help=True, help="Train SeqGAN on a task.")
app.add_typer(train_app, name="train")
app.add_typer(bench_app, name="bench")
app.add_typer(experiment_app, name="experiment")
app.add_typer(prepare_app, name="prepare")
app.add_typer(metrics_app, name="metrics")
app.command("sample")(sample)
app.command("report")(report)
app.add_typer(sweep_app, name="sweep")
app.add_typer(humaneval_app, name="humaneval")


def _print_version(given: bool) -> None:
    if given:
        typer.echo(f"seqgan-ray {seqgan_ray.__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: bool = typer.Option(
        False,
        "--version",
        help="print the version and exit",
        callback=_print_version,
        is_eager=True,
    ),
) -> None:
    pass


# The config fields `train` sets from the command line, each as --field-name (cli/options.py)
TRAIN_FLAGS = (RUN_FLAGS, METHOD_FLAGS, Flags("schedule", C.ScheduleConfig))


@dataclass(frozen=True)
class TrainOptions:
    """The options of every `train` command besides its preset, data and config flags."""

    config: Path | None = opt(
        None, "a config.json (a run's, or a sweep's best_config.json) instead of --preset"
    )
    out: Path | None = opt(None, "run directory (default runs/TASK-PRESET-TIME)")
    resume: Path | None = opt(None, "continue the run in this directory from its last checkpoint")
    init_from: Path | None = opt(
        None,
        "start after the MLE pre-training of this run (e.g. an experiment's pretrain/): its G, "
        "optimizer and MLE metrics; task, generator, seed and MLE epochs must match",
    )
    threads: int | None = opt(None, "torch CPU threads (default: all cores)")
    progress: bool = opt(True, "show a progress bar")
    use_ray: bool = opt(
        True, "run on Ray (default) or everything in this process", "--ray/--no-ray"
    )
    address: str | None = opt(
        None,
        "Ray cluster to join ('auto' on a cluster node); default: RAY_ADDRESS, else a private "
        "local Ray",
    )
    rollout_workers: int | None = opt(
        None,
        "roll-out actors K (default: as many as fit, one per CPU; 0: roll-outs in the learner)",
    )
    cpus_per_rollout_worker: float | None = opt(
        None, "CPUs (= torch threads) per actor (default 1, a fraction on a small cluster)"
    )
    gpus_per_rollout_worker: float | None = opt(
        None, "GPUs per roll-out actor (0.25 ok; default: a share of the cluster's GPUs)"
    )
    learner_cpus: float | None = opt(
        None, "CPUs of the learner actor (default: all cores locally, 1 on a cluster)"
    )
    learner_gpus: float | None = opt(
        None, "GPUs of the learner actor (default: 1 when the cluster has GPUs)"
    )
    max_learner_restarts: int = opt(
        3, "times a lost learner actor is rebuilt from the last checkpoint before giving up"
    )
    verbose: bool = opt(False, "show Ray's start-up and worker logs")
    print_config: bool = print_config_opt()


@train_app.command("synthetic")
@command(options=TrainOptions, overrides=TRAIN_FLAGS)
def train_synthetic(
    preset: str = typer.Option(
        "paper", help="paper (DESIGN.md §2, for GPUs), demo (~5 min on 2 CPU cores) or tiny"
    ),
    oracle: Path | None = ORACLE_OPTION,
    *,
    options: TrainOptions,
    overrides: Overrides,
) -> None:
    """Run the paper's synthetic-data experiment (oracle LSTM, Algorithm 1)."""
    _train("synthetic", None, preset, oracle, options, overrides)


@train_app.command("text")
@command(options=TrainOptions, overrides=TRAIN_FLAGS)
def train_text(
    data: Path = data_argument("text"),
    preset: str = data_preset_option("poems", "text"),
    *,
    options: TrainOptions,
    overrides: Overrides,
) -> None:
    """Train on a prepared text corpus (BLEU against its test split, paper §5)."""
    _train("text", data, preset, None, options, overrides)


@train_app.command("music")
@command(options=TrainOptions, overrides=TRAIN_FLAGS)
def train_music(
    data: Path = data_argument("music"),
    preset: str = data_preset_option("nottingham", "music"),
    *,
    options: TrainOptions,
    overrides: Overrides,
) -> None:
    """Train on prepared MIDI melodies (BLEU-4, pitch MSE; paper §5)."""
    _train("music", data, preset, None, options, overrides)


def _train(
    kind: str,
    data: Path | None,
    preset: str,
    oracle: Path | None,
    o: TrainOptions,
    overrides: Overrides,
) -> None:
    """`train synthetic|text|music`: build the config (or take a run's to resume) and train."""
    from seqgan_ray.distributed.layout import RayOptions

    set_threads(o.threads)
    if o.resume is not None:
        given = flag_names(overrides, TRAIN_FLAGS)
        given += [f"--{k}" for k, v in {"config": o.config, "oracle": oracle}.items() if v]
        if o.init_from is not None:
            given.append("--init-from")
        if given or (o.out is not None and o.out != o.resume):
            raise UserError(
                f"--resume continues a run with its saved config; drop {', '.join(given) or '--out'}"
            )
        cfg, run_dir = None, o.resume
    else:
        cfg = with_overrides(base_config(kind, data, preset, o.config, oracle), overrides)
        name = o.config.stem if o.config else preset
        run_dir = o.out or Path("runs") / f"{kind}-{name}-{time.strftime('%Y%m%d-%H%M%S')}"
    if o.print_config:  # nothing is written or started
        saved = None if cfg is not None else C.RunConfig.from_file(o.resume / "config.json")
        typer.echo((cfg or saved).to_json())
        return
    ray = o.use_ray and RayOptions(
        rollout_workers=o.rollout_workers,
        cpus_per_rollout_worker=o.cpus_per_rollout_worker,
        gpus_per_rollout_worker=o.gpus_per_rollout_worker,
        learner_cpus=o.learner_cpus,
        learner_gpus=o.learner_gpus,
    )
    summary = api.train(
        cfg,
        run_dir,
        ray=ray,
        address=o.address,
        resume=o.resume is not None,
        init_from=o.init_from,
        progress=o.progress,
        max_learner_restarts=o.max_learner_restarts,
        verbose=o.verbose,
        echo=typer.echo,
    )
    _print_summary(summary)


def _print_summary(summary: dict) -> None:
    parts = [f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}" for k, v in summary.items()]
    typer.echo("done: " + " ".join(parts))


def main() -> None:
    """Console entry point: bad input is one message on stderr and exit code 2, never a traceback.

    Typer runs in standalone mode, so it reports usage errors itself (usage line, "Did you mean",
    exit 2) with whichever click it is built on: typer >= 0.20 raises its vendored
    `typer._click` exceptions, which an `except click.ClickException` here would miss.
    Our own checks of the input raise UserError from inside the commands."""
    setup_process()
    try:
        app()  # exits: 0 on success, 2 on a usage error
    except UserError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:  # outside a command (typer maps one inside a command itself)
        typer.echo("interrupted", err=True)
        sys.exit(130)


if __name__ == "__main__":
    main()
