"""`seqgan-ray experiment`: the paper's studies, every method side by side on one task (cli.py
mounts this next to the training commands)."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from seqgan_ray import config as C
from seqgan_ray.cli.common import PRINT_CONFIG_OPTION, base_config, data_command
from seqgan_ray.errors import UserError

experiment_app = typer.Typer(
    no_args_is_help=True, help="The paper's studies, methods side by side."
)


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
    from seqgan_ray.studies.experiment import (
        REAL_DATA_METHODS,
        RUN_ORDER,
        parse_methods,
        real_data_labels,
    )

    chosen = parse_methods(methods, RUN_ORDER if kind == "synthetic" else REAL_DATA_METHODS)
    cfg = base_config(kind, data, preset, None, options.pop("oracle"))
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
    from seqgan_ray.studies.experiment import run_experiment
    from seqgan_ray.studies.frontier import parse_temperatures, run_frontier
    from seqgan_ray.studies.progress import StudyBar
    from seqgan_ray.studies.seeds import parse_seeds, seed_dir

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
        data_command(
            experiment_synthetic,
            _kind,
            _preset,
            _experiment,
            f"Paper §5 on {_kind}: SeqGAN vs MLE with the same budget, BLEU on the test split, "
            "Welch t-test.",
        )
    )
