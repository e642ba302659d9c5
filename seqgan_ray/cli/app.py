"""`seqgan-ray`: the command line. Each command builds a config and calls one library function."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import typer

from seqgan_ray import config as C
from seqgan_ray.cli.bench import bench_app, set_threads
from seqgan_ray.cli.common import (
    BASELINE_OPTION,
    PRINT_CONFIG_OPTION,
    REWARD_OPTION,
    base_config,
    data_command,
    with_method,
)
from seqgan_ray.cli.data import metrics_app, prepare_app, sample
from seqgan_ray.cli.experiment import experiment_app
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

# Options of `train synthetic` that override ScheduleConfig fields of the same name
# (tests/test_cli.py keeps this list and the dataclass in step).
SCHEDULE_OPTIONS = (
    "batch_size",
    "mle_epochs",
    "d_pretrain_rounds",
    "adversarial_iterations",
    "g_steps",
    "d_steps",
    "k_epochs",
    "rollout_num",
    "rollout_update_rate",
    "num_negatives",
    "num_positives",
    "eval_interval",
    "eval_samples",
    "test_samples",
    "checkpoint_every",
    "temperature",
    "score_dtype",
)


@train_app.command("synthetic")
def train_synthetic(
    preset: str = typer.Option(
        "paper", help="paper (DESIGN.md §2, for GPUs), demo (~5 min on 2 CPU cores) or tiny"
    ),
    config: Path | None = typer.Option(
        None, help="a config.json (a run's, or a sweep's best_config.json) instead of --preset"
    ),
    oracle: Path | None = typer.Option(
        None, help="official target_params(_py3).pkl; default: a seeded random oracle"
    ),
    out: Path | None = typer.Option(None, help="run directory (default runs/TASK-PRESET-TIME)"),
    seed: int | None = typer.Option(None, help="run seed (paper: 88)"),
    method: str | None = typer.Option(
        None,
        help="seqgan (default), a baseline (mle, ss, pg_bleu, random) or control (constant, "
        "shuffled); METHOD+VARIANT (seqgan+logit) sets the reward options too",
    ),
    reward: str | None = REWARD_OPTION,
    reward_baseline: str | None = BASELINE_OPTION,
    resume: Path | None = typer.Option(
        None, help="continue the run in this directory from its last checkpoint"
    ),
    device: str | None = typer.Option(None, help="auto, cpu or cuda"),
    threads: int | None = typer.Option(None, help="torch CPU threads (default: all cores)"),
    batch_size: int | None = typer.Option(None, help="sequences per G and D batch"),
    mle_epochs: int | None = typer.Option(None, help="MLE pre-training epochs"),
    d_pretrain_rounds: int | None = typer.Option(None, help="D pre-training rounds"),
    adversarial_iterations: int | None = typer.Option(None, help="adversarial iterations"),
    g_steps: int | None = typer.Option(None, help="generator updates per iteration"),
    d_steps: int | None = typer.Option(None, help="discriminator rounds per iteration"),
    k_epochs: int | None = typer.Option(None, help="epochs per discriminator round (k)"),
    rollout_num: int | None = typer.Option(None, help="Monte Carlo roll-outs N"),
    rollout_update_rate: float | None = typer.Option(
        None, help="beta <- rate*beta + (1-rate)*theta"
    ),
    num_negatives: int | None = typer.Option(None, help="negatives per d-step (default |S|)"),
    num_positives: int | None = typer.Option(
        None, help="real sequences per d-step, drawn anew each time (default all of S)"
    ),
    eval_interval: int | None = typer.Option(None, help="epochs between evaluations"),
    eval_samples: int | None = typer.Option(None, help="samples per evaluation"),
    test_samples: int | None = typer.Option(
        None, help="samples for the final evaluation (NLL-oracle or BLEU)"
    ),
    checkpoint_every: int | None = typer.Option(
        None, help="adversarial iterations between checkpoints"
    ),
    temperature: float | None = typer.Option(
        None, help="sampling temperature for evaluation and samples.txt (training samples at 1)"
    ),
    score_dtype: str | None = typer.Option(None, help="float32 or bfloat16 for D in roll-outs"),
    progress: bool = typer.Option(True, help="show a progress bar"),
    use_ray: bool = typer.Option(
        True, "--ray/--no-ray", help="run on Ray (default) or everything in this process"
    ),
    address: str | None = typer.Option(
        None,
        help="Ray cluster to join ('auto' on a cluster node); default: RAY_ADDRESS, "
        "else a private local Ray",
    ),
    rollout_workers: int | None = typer.Option(
        None,
        help="roll-out actors K (default: as many as fit, one per CPU; 0: roll-outs in the learner)",
    ),
    cpus_per_rollout_worker: float | None = typer.Option(
        None, help="CPUs (= torch threads) per actor (default 1, a fraction on a small cluster)"
    ),
    gpus_per_rollout_worker: float | None = typer.Option(
        None, help="GPUs per roll-out actor (0.25 ok; default: a share of the cluster's GPUs)"
    ),
    learner_cpus: float | None = typer.Option(
        None, help="CPUs of the learner actor (default: all cores locally, 1 on a cluster)"
    ),
    learner_gpus: float | None = typer.Option(
        None, help="GPUs of the learner actor (default: 1 when the cluster has GPUs)"
    ),
    max_learner_restarts: int = typer.Option(
        3, help="times a lost learner actor is rebuilt from the last checkpoint before giving up"
    ),
    verbose: bool = typer.Option(False, help="show Ray's start-up and worker logs"),
    print_config: bool = PRINT_CONFIG_OPTION,
) -> None:
    """Run the paper's synthetic-data experiment (oracle LSTM, Algorithm 1)."""
    _train("synthetic", None, **locals())


def _train(
    kind: str,
    data: Path | None,
    *,
    preset: str,
    config: Path | None,
    oracle: Path | None,
    out: Path | None,
    seed: int | None,
    method: str | None,
    reward: str | None,
    reward_baseline: str | None,
    resume: Path | None,
    device: str | None,
    threads: int | None,
    progress: bool,
    use_ray: bool,
    address: str | None,
    rollout_workers: int | None,
    cpus_per_rollout_worker: float | None,
    gpus_per_rollout_worker: float | None,
    learner_cpus: float | None,
    learner_gpus: float | None,
    verbose: bool,
    max_learner_restarts: int = 3,
    print_config: bool = False,
    **schedule,
) -> None:
    """`train synthetic|text|music`: build the config (or take a run's to resume) and train."""
    from seqgan_ray.driver.trainer import train

    set_threads(threads)
    if max_learner_restarts < 0:
        raise UserError(f"--max-learner-restarts must be >= 0 (got {max_learner_restarts})")
    if resume is not None:
        given = [f"--{k.replace('_', '-')}" for k, v in schedule.items() if v is not None]
        given += [
            f"--{k}"
            for k, v in {
                "config": config,
                "oracle": oracle,
                "seed": seed,
                "device": device,
                "method": method,
                "reward": reward,
                "reward-baseline": reward_baseline,
            }.items()
            if v is not None
        ]
        if given or (out is not None and out != resume):
            raise UserError(
                f"--resume continues a run with its saved config; drop {', '.join(given) or '--out'}"
            )
        cfg, run_dir = None, resume
    else:
        cfg = base_config(kind, data, preset, config, oracle)
        cfg = C.override(cfg, "schedule", **schedule)
        cfg = C.override(cfg, "run", seed=seed, device=device)
        cfg = with_method(cfg, method, reward, reward_baseline)
        name = config.stem if config else preset
        run_dir = out or Path("runs") / f"{kind}-{name}-{time.strftime('%Y%m%d-%H%M%S')}"
    if print_config:  # nothing is written or started
        saved = None if cfg is not None else C.RunConfig.from_file(resume / "config.json")
        typer.echo((cfg or saved).to_json())
        return
    t0 = time.perf_counter()
    ray_options = dict(
        rollout_workers=rollout_workers,
        cpus_per_rollout_worker=cpus_per_rollout_worker,
        gpus_per_rollout_worker=gpus_per_rollout_worker,
        learner_cpus=learner_cpus,
        learner_gpus=learner_gpus,
    )
    runtime = _ray_runtime(address, verbose, **ray_options) if use_ray else None
    try:
        summary = train(
            cfg,
            run_dir,
            resume=resume is not None,
            show_progress=progress,
            runtime=runtime,
            max_learner_restarts=max_learner_restarts,
        )
    finally:
        if runtime is not None:
            runtime.shutdown()
    summary["wall_s"] = round(time.perf_counter() - t0, 1)
    _print_summary(summary)


for _kind, _preset, _doc in (
    ("text", "poems", "Train on a prepared text corpus (BLEU against its test split, paper §5)."),
    ("music", "nottingham", "Train on prepared MIDI melodies (BLEU-4, pitch MSE; paper §5)."),
):
    train_app.command(_kind)(data_command(train_synthetic, _kind, _preset, _train, _doc))


def _ray_runtime(address: str | None, verbose: bool, **options):
    """The Ray runtime (Ray starts when the run needs its learner; options left None are chosen
    to fit the machine or cluster, and the layout is printed)."""
    from seqgan_ray.distributed.runtime import RayOptions, RayRuntime

    return RayRuntime(RayOptions(**options), address, verbose, echo=typer.echo)


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
