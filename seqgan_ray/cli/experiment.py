"""`seqgan-ray experiment`: the paper's studies, every method side by side on one task (cli.py
mounts this next to the training commands)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import typer

from seqgan_ray import config as C
from seqgan_ray.cli.common import (
    ORACLE_OPTION,
    base_config,
    data_argument,
    data_preset_option,
    print_config_opt,
    with_overrides,
)
from seqgan_ray.cli.options import Flags, Overrides, command, opt
from seqgan_ray.errors import UserError

experiment_app = typer.Typer(
    no_args_is_help=True, help="The paper's studies, methods side by side."
)

# The config fields an experiment sets for all its methods (cli/options.py)
EXPERIMENT_FLAGS = (
    Flags("run", C.RunConfig, ("seed",)),
    Flags(
        "schedule", C.ScheduleConfig, ("test_samples", "adversarial_iterations", "checkpoint_every")
    ),
)


@dataclass(frozen=True)
class ExperimentOptions:
    """The options of every `experiment` command besides its preset, data and config flags."""

    out: Path | None = opt(None, "experiment directory")
    methods: str | None = opt(
        None,
        "comma-separated subset of seqgan,shuffled,row_shuffled,mle,ss,pg_bleu,constant,random, "
        "and our "
        "reward variants seqgan+baseline, seqgan+logit, seqgan+maligan (default: all but the "
        "variants on synthetic data, seqgan,mle on text and music)",
    )
    seeds: str | None = opt(
        None,
        "comma-separated seeds (88,89,90): one whole experiment per seed in OUT/seed-S (each "
        "seed draws S, initialisations, roll-outs, negatives and samples anew; the oracle "
        "stays) and results over seeds with 95 % t-intervals",
    )
    jobs: int | None = opt(None, "methods run at once (default: one per usable CPU)")
    init_from: Path | None = opt(
        None,
        "start every method from this finished MLE pre-training instead of running one: a run "
        "directory, or an experiment directory (its pretrain/, or seed-S/pretrain/ per seed)",
    )
    frontier: bool = opt(
        False,
        "also sweep each final generator over temperature (frontier.json/.png; with --seeds, "
        "each seed's and OUT/frontier.md over seeds)",
    )
    temperatures: str | None = opt(
        None, "comma-separated temperatures for --frontier (default 0.6..1.5)"
    )
    frontier_samples: int = opt(10_000, "samples per method and temperature")
    progress: bool = opt(
        True, "show the pre-training's bar, then runs done / total and the elapsed time"
    )
    print_config: bool = print_config_opt()


@experiment_app.command("synthetic")
@command(options=ExperimentOptions, overrides=EXPERIMENT_FLAGS)
def experiment_synthetic(
    preset: str = typer.Option("table1-cpu", help="a preset (table1-cpu, paper, demo, tiny, ...)"),
    oracle: Path | None = ORACLE_OPTION,
    *,
    options: ExperimentOptions,
    overrides: Overrides,
) -> None:
    """Table 1 and Figure 2: SeqGAN vs Random, MLE, SS, PG-BLEU, and the constant-reward,
    shuffled-Q and row-shuffled-Q controls."""
    _experiment("synthetic", None, preset, oracle, options, overrides)


@experiment_app.command("text")
@command(options=ExperimentOptions, overrides=EXPERIMENT_FLAGS)
def experiment_text(
    data: Path = data_argument("text"),
    preset: str = data_preset_option("text-cpu", "text"),
    *,
    options: ExperimentOptions,
    overrides: Overrides,
) -> None:
    """Paper §5 on text: SeqGAN vs MLE with the same budget, BLEU on the test split, Welch
    t-test."""
    _experiment("text", data, preset, None, options, overrides)


@experiment_app.command("music")
@command(options=ExperimentOptions, overrides=EXPERIMENT_FLAGS)
def experiment_music(
    data: Path = data_argument("music"),
    preset: str = data_preset_option("music-cpu", "music"),
    *,
    options: ExperimentOptions,
    overrides: Overrides,
) -> None:
    """Paper §5 on music: SeqGAN vs MLE with the same budget, BLEU on the test split, Welch
    t-test."""
    _experiment("music", data, preset, None, options, overrides)


def _experiment(
    kind: str,
    data: Path | None,
    preset: str,
    oracle: Path | None,
    options: ExperimentOptions,
    overrides: Overrides,
) -> None:
    from seqgan_ray.studies.experiment import (
        REAL_DATA_METHODS,
        RUN_ORDER,
        parse_methods,
        real_data_labels,
    )

    chosen = parse_methods(options.methods, RUN_ORDER if kind == "synthetic" else REAL_DATA_METHODS)
    cfg = base_config(kind, data, preset, None, oracle)
    out = options.out or Path("runs") / f"experiment-{kind}-{preset}"
    title, paper = "Synthetic data", None
    if kind != "synthetic":  # named after the data; paper numbers only on the paper's data
        title, paper = real_data_labels(cfg.task.data, preset)
    _study(cfg, overrides, out, chosen, options, title, paper)


def _study(
    cfg: C.RunConfig,
    overrides: Overrides,
    out: Path,
    methods: tuple[str, ...],
    o: ExperimentOptions,
    title: str,
    paper: dict | None,
) -> None:
    """`experiment synthetic|text|music`: the methods side by side, then the optional frontier."""
    from seqgan_ray.studies.experiment import pretraining_source, run_experiment
    from seqgan_ray.studies.frontier import frontier_over_seeds, parse_temperatures, run_frontier
    from seqgan_ray.studies.progress import StudyBar
    from seqgan_ray.studies.seeds import parse_seeds, seed_config, seed_dir

    taus = parse_temperatures(o.temperatures)
    seed_list = parse_seeds(o.seeds)
    if seed_list is not None and "seed" in overrides.get("run", {}):
        raise UserError("give --seed or --seeds, not both")
    if o.frontier_samples < 2:
        raise UserError(f"--frontier-samples must be >= 2 (got {o.frontier_samples})")
    if o.jobs is not None and o.jobs < 1:
        raise UserError(f"--jobs must be >= 1 (got {o.jobs})")
    cfg = with_overrides(cfg, overrides)
    if o.print_config:  # the base config; each method and seed changes only its own fields
        typer.echo(cfg.to_json())
        return
    results = run_experiment(
        cfg, out, methods, o.jobs, typer.echo, title, paper, seed_list, o.progress, o.init_from
    )
    typer.echo((out / "results.md").read_text())
    typer.echo(f"wall time {results['wall_s'] / 60:.1f} min; results in {out}")
    if o.frontier:
        methods = list(results["methods"])  # with those finished in earlier invocations
        t0 = time.perf_counter()
        typer.echo(f"temperature sweep over {', '.join(map(str, taus))} ...")
        units = (
            [(cfg, out)]
            if seed_list is None
            else [(seed_config(cfg, s), seed_dir(out, s)) for s in seed_list]
        )
        # every method's final G and, as a reference, the pre-trained G they all started from
        with StudyBar("temperature sweeps", len(units) * (len(methods) + 1), o.progress) as bar:
            for unit_cfg, where in units:
                pre = None if o.init_from is None else pretraining_source(o.init_from, unit_cfg)
                run_frontier(where, methods, taus, o.frontier_samples, typer.echo, bar.advance, pre)
                typer.echo(f"frontier in {where / 'frontier.json'}")
        if seed_list is not None:
            frontier_over_seeds(out, seed_list)
            typer.echo((out / "frontier.md").read_text())
        typer.echo(f"temperature sweeps took {(time.perf_counter() - t0) / 60:.1f} min")
