"""`seqgan-ray`: the command line. Each command builds a config and calls one library function."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import typer

from . import config as C
from .allocator import keep_freed_memory
from .cli_bench import bench_app, set_threads
from .cli_data import metrics_app, prepare_app, sample
from .data_presets import DATA_PRESETS, data_preset
from .errors import UserError
from .report import report

app = typer.Typer(
    no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False, help=__doc__
)
train_app = typer.Typer(no_args_is_help=True, help="Train SeqGAN on a task.")
experiment_app = typer.Typer(
    no_args_is_help=True, help="The paper's studies, methods side by side."
)
app.add_typer(train_app, name="train")
app.add_typer(bench_app, name="bench")
app.add_typer(experiment_app, name="experiment")
app.add_typer(prepare_app, name="prepare")
app.add_typer(metrics_app, name="metrics")
app.command("sample")(sample)
app.command("report")(report)
sweep_app = typer.Typer(no_args_is_help=True, help="Hyperparameter sweeps with Ray Tune.")
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


REWARD_OPTION = typer.Option(
    None,
    help="d (the paper: Q = D's P(real)); ours, not the paper's: logit (log D/(1-D), with the "
    "batch-mean baseline unless --reward-baseline says otherwise) or maligan (MaliGAN's "
    "normalised weights D/(1-D) over the batch)",
)
BASELINE_OPTION = typer.Option(
    None, help="none (the paper) or batch-mean (ours: subtract Q's per-position batch mean)"
)
PRINT_CONFIG_OPTION = typer.Option(
    False, help="print the resolved config as JSON (a --config file) and exit"
)


def _with_method(
    cfg: C.RunConfig, method: str | None, reward: str | None, baseline: str | None
) -> C.RunConfig:
    """`cfg` with --method (a name or METHOD+VARIANT), --reward and --reward-baseline applied."""
    from dataclasses import replace

    if method is not None:
        cfg = replace(cfg, method=C.method_named(cfg.method, method))
    if reward == "logit" and baseline is None:
        baseline = "batch-mean"  # the logit reward is meant with its baseline (issue 15)
    return C.override(cfg, "method", reward=reward, reward_baseline=baseline)


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
    from .trainer import train

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
        cfg = _base_config(kind, data, preset, config, oracle)
        cfg = C.override(cfg, "schedule", **schedule)
        cfg = C.override(cfg, "run", seed=seed, device=device)
        cfg = _with_method(cfg, method, reward, reward_baseline)
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


def _base_config(
    kind: str, data: Path | None, preset: str, config: Path | None, oracle: Path | None = None
) -> C.RunConfig:
    """The run config before command-line overrides: a preset or a config file, and for real
    data the prepared directory's sizes and special ids (D's filter table follows its length)."""
    if kind == "synthetic":
        cfg = C.RunConfig.from_file(config) if config else C.preset(preset)
        return C.override(cfg, "task", oracle_path=str(oracle.resolve()) if oracle else None)
    from dataclasses import replace

    from .tasks.data import read_data_config

    task = read_data_config(kind, data)
    if config is None:
        return data_preset(preset, kind).bind(task)
    cfg = C.RunConfig.from_file(config)
    orders = cfg.task.bleu_orders if cfg.task.kind == kind else task.bleu_orders
    return replace(cfg, task=replace(task, bleu_orders=orders))


def _data_command(template, kind: str, default_preset: str, run, doc: str):
    """A `text|music DATA` command with the options of the synthetic `template` command: a
    data directory in place of the oracle, and the real-data presets."""
    import inspect
    import typing

    hints = typing.get_type_hints(template)
    presets = ", ".join(n for n, p in DATA_PRESETS.items() if p.kind == kind)
    params = [
        inspect.Parameter(
            "data",
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
            default=typer.Argument(..., help=f"a directory from `seqgan-ray prepare {kind}`"),
            annotation=Path,
        )
    ]
    for param in inspect.signature(template).parameters.values():
        if param.name == "oracle":
            continue
        if param.name == "preset":
            param = param.replace(default=typer.Option(default_preset, help=presets))
        params.append(param.replace(annotation=hints[param.name]))

    def command(data: Path, **options) -> None:
        run(kind, data, oracle=None, **options)

    command.__signature__ = inspect.Signature(params)
    command.__annotations__ = {p.name: p.annotation for p in params} | {"return": None}
    command.__doc__ = doc
    command.__name__ = f"{template.__name__.split('_')[0]}_{kind}"
    return command


for _kind, _preset, _doc in (
    ("text", "poems", "Train on a prepared text corpus (BLEU against its test split, paper §5)."),
    ("music", "nottingham", "Train on prepared MIDI melodies (BLEU-4, pitch MSE; paper §5)."),
):
    train_app.command(_kind)(_data_command(train_synthetic, _kind, _preset, _train, _doc))


def _ray_runtime(address: str | None, verbose: bool, **options):
    """The Ray runtime (Ray starts when the run needs its learner; options left None are chosen
    to fit the machine or cluster, and the layout is printed)."""
    from .distributed.runtime import RayOptions, RayRuntime

    return RayRuntime(RayOptions(**options), address, verbose, echo=typer.echo)


@experiment_app.command("synthetic")
def experiment_synthetic(
    preset: str = typer.Option("table1-cpu", help="a preset (table1-cpu, paper, demo, tiny, ...)"),
    oracle: Path | None = typer.Option(
        None, help="official target_params(_py3).pkl; default: a seeded random oracle"
    ),
    out: Path | None = typer.Option(None, help="experiment directory"),
    methods: str | None = typer.Option(
        None,
        help="comma-separated subset of seqgan,shuffled,mle,ss,pg_bleu,constant,random, and "
        "our reward variants seqgan+baseline, seqgan+logit, seqgan+maligan "
        "(default: all but the variants on synthetic data, seqgan,mle on text and music)",
    ),
    seed: int | None = typer.Option(None, help="run seed (paper: 88)"),
    seeds: str | None = typer.Option(
        None,
        help="comma-separated seeds (88,89,90): one whole experiment per seed in OUT/seed-S "
        "(each seed draws S, initialisations, roll-outs, negatives and samples anew; the "
        "oracle stays) and results over seeds with 95 % t-intervals",
    ),
    test_samples: int | None = typer.Option(
        None, help="samples for each method's final evaluation (paper, synthetic: 100,000)"
    ),
    jobs: int | None = typer.Option(None, help="methods run at once (default: one per CPU)"),
    frontier: bool = typer.Option(
        False, help="also sweep each final generator over temperature (frontier.json/.png)"
    ),
    temperatures: str | None = typer.Option(
        None, help="comma-separated temperatures for --frontier (default 0.6..1.5)"
    ),
    frontier_samples: int = typer.Option(10_000, help="samples per method and temperature"),
    progress: bool = typer.Option(
        True, help="show the pre-training's bar, then runs done / total and the elapsed time"
    ),
    print_config: bool = PRINT_CONFIG_OPTION,
) -> None:
    """Table 1 and Figure 2: SeqGAN vs Random, MLE, SS, PG-BLEU, and the constant-reward and
    shuffled-Q controls."""
    _experiment("synthetic", None, **locals())


def _experiment(kind: str, data: Path | None, *, preset: str, methods: str | None, **options):
    from .experiment import REAL_DATA_METHODS, RUN_ORDER, parse_methods, real_data_labels

    chosen = parse_methods(methods, RUN_ORDER if kind == "synthetic" else REAL_DATA_METHODS)
    cfg = _base_config(kind, data, preset, None, options.pop("oracle"))
    options["out"] = options["out"] or Path("runs") / f"experiment-{kind}-{preset}"
    if kind != "synthetic":  # named after the data; paper numbers only on the paper's data
        title, paper = real_data_labels(cfg.task.data, preset)
        options |= {"title": title, "paper": paper}
    _study(cfg, methods=chosen, **options)


def _study(
    cfg: C.RunConfig,
    out: Path,
    methods: tuple[str, ...],
    seed: int | None,
    test_samples: int | None,
    jobs: int | None,
    frontier: bool,
    temperatures: str | None,
    frontier_samples: int,
    seeds: str | None = None,
    progress: bool = True,
    print_config: bool = False,
    title: str = "Synthetic data",
    paper: dict | None = None,
) -> None:
    """`experiment synthetic|text|music`: the methods side by side, then the optional frontier."""
    from .experiment import run_experiment
    from .frontier import parse_temperatures, run_frontier
    from .progress import StudyBar
    from .seeds import parse_seeds, seed_dir

    taus = parse_temperatures(temperatures)
    seed_list = parse_seeds(seeds)
    if seed_list is not None and seed is not None:
        raise UserError("give --seed or --seeds, not both")
    if frontier_samples < 2:
        raise UserError(f"--frontier-samples must be >= 2 (got {frontier_samples})")
    if jobs is not None and jobs < 1:
        raise UserError(f"--jobs must be >= 1 (got {jobs})")
    cfg = C.override(cfg, "schedule", test_samples=test_samples)
    cfg = C.override(cfg, "run", seed=seed)
    if print_config:  # the base config; each method and seed changes only its own fields
        typer.echo(cfg.to_json())
        return
    results = run_experiment(cfg, out, methods, jobs, typer.echo, title, paper, seed_list, progress)
    typer.echo((out / "results.md").read_text())
    typer.echo(f"wall time {results['wall_s'] / 60:.1f} min; results in {out}")
    if frontier:
        t0 = time.perf_counter()
        typer.echo(f"temperature sweep over {', '.join(map(str, taus))} ...")
        units = [out] if seed_list is None else [seed_dir(out, s) for s in seed_list]
        with StudyBar("temperature sweeps", len(units) * len(methods), progress) as bar:
            for where in units:
                run_frontier(where, methods, taus, frontier_samples, typer.echo, bar.advance)
                typer.echo(f"frontier in {where / 'frontier.json'}")
        typer.echo(f"temperature sweeps took {(time.perf_counter() - t0) / 60:.1f} min")


for _kind, _preset in (("text", "text-cpu"), ("music", "music-cpu")):
    experiment_app.command(_kind)(
        _data_command(
            experiment_synthetic,
            _kind,
            _preset,
            _experiment,
            f"Paper §5 on {_kind}: SeqGAN vs MLE with the same budget, BLEU on the test split, "
            "Welch t-test.",
        )
    )


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

    from .distributed.session import connect, is_embedded
    from .tasks import main_metric, preflight
    from .tracking import check_callbacks
    from .tune import load_space, run_sweep, trial_bundles, trial_layout

    callbacks = tuple(dict.fromkeys(callback or ()))
    check_callbacks(callbacks)  # before Ray starts or anything is written

    cfg = _with_method(
        _base_config(kind, data, preset, config, oracle), None, reward, reward_baseline
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
        _data_command(
            sweep_synthetic,
            _kind,
            _preset,
            _sweep,
            f"Sweep the adversarial schedule on {_kind} data (ASHA on BLEU, maximised).",
        )
    )


def _print_summary(summary: dict) -> None:
    parts = [f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}" for k, v in summary.items()]
    typer.echo("done: " + " ".join(parts))


def main() -> None:
    """Console entry point: bad input is one message on stderr and exit code 2, never a traceback.

    Typer runs in standalone mode, so it reports usage errors itself (usage line, "Did you mean",
    exit 2) with whichever click it is built on: typer >= 0.20 raises its vendored
    `typer._click` exceptions, which an `except click.ClickException` here would miss.
    Our own checks of the input raise UserError from inside the commands."""
    keep_freed_memory()
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
