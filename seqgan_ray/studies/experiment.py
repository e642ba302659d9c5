"""The paper's studies as one experiment: shared MLE pre-training, every method as its own
ordinary run directory, Welch t-tests of SeqGAN against each method on the task's per-sequence
main metric (synthetic: Table 1 and Figure 2 on NLL-oracle; text and music: §5 on BLEU).

    OUT/pretrain/       MLE pre-training (the state every method but Random starts from), unless
                        `init_from` names another run's finished one (experiment.json says which)
    OUT/<method>/       one normal run per method (resumable, runnable on its own)
    OUT/results.json    everything the table and the plot are made from
    OUT/results.md      the Table-1-style table, rendered from results.json only
    OUT/learning_curves.png, OUT/diagnostics.png (the game, diagnostics.py)

With `seeds`, each seed is such an experiment in OUT/seed-S and OUT/results.* hold the results
over seeds (seeds.py). Independent runs (methods, and every seed's methods) run in parallel
processes when there are free CPUs; a run whose directory already holds a final evaluation, or
whose row is in its results.json, is not run again, and an interrupted one resumes, so a killed
multi-seed experiment resumes too.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import replace
from multiprocessing import get_context
from pathlib import Path

from seqgan_ray.atomic import atomic_write
from seqgan_ray.config import RunConfig, override
from seqgan_ray.core.process import usable_cpus
from seqgan_ray.driver.rundir import RunDir, read_metrics
from seqgan_ray.errors import UserError
from seqgan_ray.methods import METHODS, VARIANTS, method_named
from seqgan_ray.studies.plots import plot_diagnostics, plot_learning_curves
from seqgan_ray.studies.results_md import render_results
from seqgan_ray.studies.sample_checks import experiment_checks
from seqgan_ray.studies.seeds import aggregate, seed_config, seed_dir
from seqgan_ray.studies.significance import welch_from_stats
from seqgan_ray.tasks import main_metric

# Paper Table 1 (NLL-oracle); the constant-reward control is ours.
PAPER_TABLE1 = {
    "random": 10.310,
    "mle": 9.038,
    "ss": 8.985,
    "pg_bleu": 8.946,
    "seqgan": 8.736,
    "constant": None,
    "shuffled": None,
    "row_shuffled": None,
}
LABELS = {
    "pretrain": "Pre-trained G (early-stopped MLE)",
    "random": "Random",
    "mle": "MLE",
    "ss": "Scheduled sampling",
    "pg_bleu": "PG-BLEU",
    "constant": "Constant reward (control)",
    "shuffled": "Shuffled Q (control)",
    "row_shuffled": "Row-shuffled Q (control)",
    "seqgan": "SeqGAN",
}
VARIANT_LABELS = {
    "baseline": "batch-mean baseline",
    "logit": "logit reward + baseline",
    "maligan": "MaliGAN weights",
}
LABELS |= {
    f"{m}+{v}": f"{LABELS[m]} + {text} (variant, not the paper's)"
    for m in ("seqgan", "shuffled", "row_shuffled")
    for v, text in VARIANT_LABELS.items()
}
# Paper §5 (BLEU against the whole test set; Nottingham also the pitch MSE, lower is better).
PAPER_REAL = {
    "poems": {"bleu2": {"mle": 0.667, "seqgan": 0.739}},
    "obama": {"bleu3": {"mle": 0.519, "seqgan": 0.556}, "bleu4": {"mle": 0.416, "seqgan": 0.427}},
    "nottingham": {
        "bleu4": {"mle": 0.921, "seqgan": 0.941},
        "mse": {"mle": 22.38, "seqgan": 20.62},
    },
}
# Longest first, so the slowest run starts at once and the short ones fill the other slots
# (measured on table1-cpu, one core each: SeqGAN 54 min, SS 37, MLE 27, PG-BLEU 18, constant 4,
# random 1; putting MLE after PG-BLEU left it running alone for its last 11 minutes). The two
# shuffling controls and the reward variants (seqgan+logit, ...) cost what SeqGAN costs and start
# right after it.
RUN_ORDER = ("seqgan", "shuffled", "row_shuffled", "ss", "mle", "pg_bleu", "constant", "random")
REAL_DATA_METHODS = ("seqgan", "mle")  # the paper's real-data comparison


def real_data_labels(data: str | Path, preset: str) -> tuple[str, dict]:
    """The title and paper numbers of a real-data experiment: named after the data directory and
    the preset; the paper's §5 numbers only when the directory was prepared from the paper's own
    data (tasks.sources.paper_dataset: the source's SHA-256), whatever the preset is called."""
    from seqgan_ray.tasks.sources import PAPER_TITLES, paper_dataset

    name = Path(data).name
    dataset = paper_dataset(data)
    if dataset is None:
        return f"{name} ({preset})", {}
    return f"{PAPER_TITLES[dataset]} ({name}, {preset})", PAPER_REAL.get(dataset, {})


def label(name: str) -> str:
    return LABELS.get(name, name)


def method_config(cfg: RunConfig, name: str) -> RunConfig:
    """`cfg` running the experiment method `name` (a method, or METHOD+VARIANT)."""
    return replace(cfg, method=method_named(cfg.method, name))


def order_methods(methods: Sequence[str]) -> list[str]:
    """`methods` longest first: by RUN_ORDER, a variant right after its method."""
    return sorted(methods, key=lambda m: (RUN_ORDER.index(m.partition("+")[0]), m))


def pretrain_config(cfg: RunConfig) -> RunConfig:
    """MLE pre-training only: the MLE method with no further epochs."""
    return override(method_config(cfg, "mle"), "schedule", adversarial_iterations=0)


def parse_methods(text: str | None, default: tuple[str, ...] = RUN_ORDER) -> tuple[str, ...]:
    if not text:
        return default
    names = tuple(dict.fromkeys(m.strip() for m in text.split(",") if m.strip()))
    unknown = [m for m in names if m.partition("+")[0] not in METHODS]
    if unknown or not names:
        raise UserError(
            f"unknown method(s) {', '.join(unknown) or '(none)'}; choose from "
            f"{', '.join(METHODS)}, or seqgan+VARIANT with VARIANT one of {', '.join(VARIANTS)}"
        )
    for name in names:  # a bad variant or combination (mle+logit) fails before anything runs
        method_config(RunConfig(), name)
    return names


def run_experiment(
    cfg: RunConfig,
    out: str | Path,
    methods: Sequence[str] = RUN_ORDER,
    jobs: int | None = None,
    echo: Callable[[str], None] = print,
    title: str = "Synthetic data",
    paper: dict[str, dict[str, float | None]] | None = None,
    seeds: Sequence[int] | None = None,
    progress: bool = False,
    init_from: str | Path | None = None,
) -> dict:
    """Run (or finish) the experiment in `out` and write its results; returns results.json's dict.

    `paper` maps a final metric key (nll_oracle, bleu2, mse, ...) to the paper's value per
    method, shown beside ours (default: Table 1 for the synthetic task). `seeds`: one whole
    experiment per seed (seeds.seed_config) in OUT/seed-S, and the results over seeds.
    `progress`: the pre-training's own bar, then runs done / total (progress.py).
    `init_from`: every method starts from this finished MLE pre-training (a run, or an
    experiment's pretrain or seed-S/pretrain) instead of a shared one run here: Figure 3's
    strategies and a sweep of D's schedule then start from the very same G."""
    from seqgan_ray.studies.progress import StudyBar, on_terminal

    out = Path(out)
    cpus = usable_cpus()
    runs = order_methods(methods)
    units = (
        [(cfg, out)] if seeds is None else [(seed_config(cfg, s), seed_dir(out, s)) for s in seeds]
    )
    # A method already in its seed's results.json is finished and only read again, so a seed
    # run on another machine joins by copying its directory, and a seed kept without its
    # checkpoints and per-sequence scores (docs/table1-cpu) takes new methods without running
    # its others again: its results.json rows are all the results need.
    done = {unit_out: _methods_done(unit_out, unit_cfg) for unit_cfg, unit_out in units}
    units_to_run = [(c, u) for c, u in units if seeds is None or not set(runs) <= done[u]]
    work = [(m, c, u) for m in runs for c, u in units_to_run if m not in done[u]]
    pretrained = {  # checked before experiment.json is written: a wrong --init-from costs nothing
        unit_out: unit_out / "pretrain"
        if init_from is None
        else pretraining_source(Path(init_from), unit_cfg)
        for unit_cfg, unit_out in units
    }
    _claim(out, cfg, methods, seeds, init_from)
    # a seed run alone (to join others later) keeps its own wall time as well
    clocks = [_Clock(out)] + (
        [_Clock(units[0][1])] if seeds is not None and len(units) == 1 else []
    )

    def tick() -> None:
        for clock in clocks:
            clock.save()

    # 1. The shared MLE pre-training of each seed that still has a method to run, every core.
    needed = {u for m, _, u in work if m != "random"}
    for unit_cfg, unit_out in units_to_run if init_from is None else []:
        if unit_out in needed:
            echo(f"pre-training G by MLE (shared by every method; seed {unit_cfg.seed}) ...")
            _pretrain(unit_cfg, unit_out / "pretrain", cpus, on_terminal(progress))
            tick()

    # 2. The methods of every seed, in parallel where CPUs allow, longest first.
    jobs = max(1, min(jobs or cpus, len(work) or 1))
    threads = max(1, cpus // jobs)
    if work:
        running = {m for m, _, _ in work}
        ran = [m for m in runs if m in running]
        kept = [m for m in order_methods(set(runs).union(*done.values())) if m not in running]
        also = f"; {', '.join(kept)} kept from earlier" if kept else ""
        echo(f"running {', '.join(ran)} ({jobs} at a time, {threads} thread(s) each){also} ...")
    with (
        ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn")) as pool,
        StudyBar("runs", len(work), progress) as bar,
    ):
        futures = {
            pool.submit(
                _run_one,
                method_config(unit_cfg, m).to_dict(),
                str(unit_out / m),
                None if m == "random" else str(pretrained[unit_out]),
                threads,
            ): (m, unit_cfg.seed)
            for m, unit_cfg, unit_out in work
        }
        for future in as_completed(futures):
            summary = future.result()
            m, seed = futures[future]
            value = summary[f"final/{main_metric(cfg).key}"]
            line = f"{m} (seed {seed}): {main_metric(cfg).label} {value:.4f}"
            echo(f"  {line}")
            bar.advance(line)
            tick()

    # 3. Results: each seed's, then (with seeds) those over seeds. A method a seed finished in
    #    an earlier invocation stays in them beside the ones asked for now, so a study run a few
    #    methods at a time never drops one (its row may be all that is left of it). A seed with
    #    nothing left to run is summed up again too: its rows may come from invocations banked
    #    apart (one method each), whose own tables each lacked the other's.
    if paper is None and cfg.task.kind == "synthetic":
        paper = {"nll_oracle": PAPER_TABLE1}
    for unit_cfg, unit_out in units:
        results = collect_results(
            unit_out,
            unit_cfg,
            order_methods({*runs, *done[unit_out]}),
            title,
            paper or {},
            pretrained[unit_out],
        )
        if seeds is not None:
            if len(clocks) == 2:
                results["wall_s"] = clocks[1].save()
            elif "wall_s" in (earlier := _earlier_results(unit_out)):
                results["wall_s"] = earlier["wall_s"]  # the seed's own, run alone elsewhere
            _write_results(results, unit_out, [unit_out])
    if seeds is not None:
        in_every_seed = order_methods({*runs, *set.intersection(*(done[u] for _, u in units))})
        results = aggregate(
            out, in_every_seed, list(seeds), {"title": title, "config": cfg.to_dict()}
        )
    results["wall_s"] = clocks[0].save()
    _write_results(results, out, [unit_out for _, unit_out in units])
    return results


class _Clock:
    """Wall time summed over the invocations that built an experiment directory, kept in its
    wall.json and saved whenever a pre-training or a method finishes: a resumed experiment must
    not report only its last, possibly trivial, invocation, and one killed before writing its
    results still counts up to its last finished step. (A directory from before wall.json
    starts from its results.json's wall_s.)"""

    def __init__(self, where: Path):
        self.file, self.t0 = where / "wall.json", time.perf_counter()
        earlier = next((f for f in (self.file, where / "results.json") if f.exists()), None)
        self.before = json.loads(earlier.read_text()).get("wall_s", 0.0) if earlier else 0.0

    def save(self) -> float:
        total = round(self.before + time.perf_counter() - self.t0, 1)
        with atomic_write(self.file) as tmp:
            Path(tmp).write_text(json.dumps({"wall_s": total}) + "\n")
        return total


def _methods_done(unit_out: Path, cfg: RunConfig) -> set[str]:
    """The methods of `unit_out`'s results.json (those whose run directory is still there),
    checked to come from the same experiment (`_same_config`)."""
    earlier = _earlier_results(unit_out)
    rows = earlier.get("methods", {})
    if rows:
        made = RunConfig.from_dict(earlier["config"])
        if not _same_config(made, cfg):
            raise UserError(
                f"{unit_out / 'results.json'} was made with another config than this "
                "experiment's; choose another --out"
            )
    return {m for m in rows if (unit_out / m).is_dir()}


def _same_config(made: RunConfig, cfg: RunConfig) -> bool:
    """Whether `made` is `cfg`, the location of the oracle file or data directory aside as
    long as its name is the same (a seed copied from another machine has it elsewhere)."""
    where = "oracle_path" if cfg.task.kind == "synthetic" else "data"
    mine, theirs = getattr(cfg.task, where), getattr(made.task, where)
    moved = replace(made, task=replace(made.task, **{where: mine}))
    return moved == cfg and Path(theirs or "").name == Path(mine or "").name


def _earlier_results(unit_out: Path) -> dict:
    """`unit_out`'s results.json, if it has one."""
    path = unit_out / "results.json"
    return json.loads(path.read_text()) if path.exists() else {}


def _earlier_rows(unit_out: Path) -> dict:
    """The method rows of `unit_out`'s results.json, if it has one."""
    return _earlier_results(unit_out).get("methods", {})


def _pretrain(cfg: RunConfig, where: Path, cpus: int, progress: bool) -> None:
    """The shared MLE pre-training in `where`. One kept without its checkpoint (a seed copied
    to docs/) is made again inside it and must give the very same final evaluation, so that
    methods added now start from the same generator as the seed's others; the checkpoint then
    joins it. Otherwise (another CPU type or commit) nothing is mixed: the seed is refused."""
    run = RunDir(where)
    kept = _final_row(run) if run.metrics.exists() and not run.checkpoint.exists() else {}
    target = where / "again" if kept else where
    _run_one(pretrain_config(cfg).to_dict(), str(target), None, cpus, progress)
    if not kept:
        return
    again = _final_row(RunDir(target))
    if again != kept:
        shutil.rmtree(target)
        raise UserError(
            f"{where} was kept without its checkpoint, and making it again gave another final "
            f"evaluation ({again}; kept: {kept}): another CPU type or commit. Methods added "
            "now would start from another generator; run this seed whole in a fresh --out"
        )
    for f in target.iterdir():
        if not (where / f.name).exists():
            f.replace(where / f.name)
    shutil.rmtree(target)


def _write_results(results: dict, out: Path, units: Sequence[Path]) -> None:
    """results.json, results.md, learning_curves.png and diagnostics.png of `units`' runs."""
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (out / "results.md").write_text(render_results(results))
    plot_learning_curves(results, out / "learning_curves.png")
    game = {
        m: (row["label"], [u / m for u in units])
        for m, row in results["methods"].items()
        if m.partition("+")[0] not in ("mle", "ss", "random")  # no g-steps, no D
    }
    if game:
        plot_diagnostics(game, out / "diagnostics.png")


def pretraining_source(init_from: Path, cfg: RunConfig) -> Path:
    """The finished MLE pre-training that `--init-from` names for the run config `cfg`: an
    experiment's seed-S/pretrain or pretrain, or a run directory itself; checked to fit `cfg`
    (task, generator, seed, MLE epochs) before anything starts."""
    from seqgan_ray.driver.trainer import load_pretraining

    for where in (seed_dir(init_from, cfg.seed) / "pretrain", init_from / "pretrain", init_from):
        if RunDir(where).checkpoint.exists():
            load_pretraining(cfg, RunDir(where))  # raises UserError when it does not fit
            return where
    raise UserError(
        f"--init-from {init_from}: no checkpoint.pt in it, in its pretrain/ or in its "
        f"{seed_dir(init_from, cfg.seed).name}/pretrain/"
    )


def _claim(
    out: Path,
    cfg: RunConfig,
    methods: Sequence[str],
    seeds: Sequence[int] | None,
    init_from: str | Path | None = None,
) -> None:
    """Write experiment.json, or check that an existing one describes the same experiment
    (methods and seeds may be added: each run and each seed lives in its own directory)."""
    source = init_from and str(Path(init_from).resolve())
    spec = {"config": cfg.to_dict(), "methods": sorted(methods), "seeds": seeds and list(seeds)}
    if source:
        spec["init_from"] = source
    path = out / "experiment.json"
    if path.exists():
        old = json.loads(path.read_text())
        if not _same_config(RunConfig.from_dict(old["config"]), cfg):
            raise UserError(f"{out} holds an experiment with another config; choose another --out")
        if old.get("init_from") != source:
            started = old.get("init_from") or "its own pre-training"
            raise UserError(
                f"{out} holds an experiment started from {started}; resume it with the same "
                "--init-from, or choose another --out"
            )
        path.write_text(json.dumps(spec, indent=2) + "\n")
        return
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot create {out}: {exc.strerror}") from None
    path.write_text(json.dumps(spec, indent=2) + "\n")


def _run_one(
    cfg_dict: dict, out: str, init_from: str | None, threads: int, progress: bool = False
) -> dict:
    """One method's run in this process: skip if finished, resume if started, else start."""

    from seqgan_ray.core.process import setup_process
    from seqgan_ray.driver.trainer import train

    setup_process(threads)
    run, cfg = RunDir(out), RunConfig.from_dict(cfg_dict)
    if run.final_scores(main_metric(cfg).key).exists():
        final = [r for r in read_metrics(run.metrics) if r["phase"] == "final"]
        return final[-1]
    resume = run.checkpoint.exists()
    if not resume and run.metrics.exists():
        # Killed before its first checkpoint: nothing to continue, and its lines are recomputed
        # identically, so it starts again rather than refusing the experiment's own directory.
        run.metrics.unlink()
    return train(
        cfg, out, resume=resume, show_progress=progress, init_from=None if resume else init_from
    )


def collect_results(
    out: Path,
    cfg: RunConfig,
    methods: Sequence[str],
    title: str,
    paper: dict,
    pretrain: Path,
) -> dict:
    """Per-method final metrics, curves, and Welch t-tests of SeqGAN vs every other method on
    the per-sequence main metric; the value after MLE from the `pretrain` run."""
    metric = main_metric(cfg)
    earlier = _earlier_rows(out)
    rows = {}
    for m in methods:
        run = RunDir(out / m)
        if m in earlier and not run.final_scores(metric.key).exists():
            rows[m] = earlier[m]  # kept without its per-sequence scores: its row is its result
            continue
        values = run.read_final_scores(metric.key)
        final = _final_row(run)
        rows[m] = {
            "label": label(m),
            metric.key: float(values.mean()),
            "std": float(values.std(ddof=1)),
            "n": int(len(values)),
            "final": final,
            "paper": {k: v.get(m) for k, v in paper.items() if v.get(m) is not None},
            "curve": _curve(RunDir(out / m), metric.key),
        }
    tests = {}
    if "seqgan" in methods:
        stats = {m: (row[metric.key], row["std"], row["n"]) for m, row in rows.items()}
        for m in methods:
            if m != "seqgan":
                tests[m] = welch_from_stats(stats["seqgan"], stats[m])
    pre = RunDir(pretrain)
    after_mle = _final_row(pre).get(metric.key) if pre.metrics.exists() else None
    checks = None
    if cfg.task.kind != "synthetic":  # what BLEU does not see: length, distinct, verbatim
        checks = experiment_checks(out, methods, cfg.task)
        if checks is None and (out / "results.json").exists():
            checks = json.loads((out / "results.json").read_text()).get("checks")
    return {
        "title": title,
        "metric": {"key": metric.key, "label": metric.label, "higher": metric.higher_is_better},
        "config": cfg.to_dict(),
        "pretrain_epochs": cfg.schedule.mle_epochs,
        "after_mle": after_mle,
        "methods": rows,
        "t_tests_vs_seqgan": tests,
        **({"checks": checks} if checks else {}),
    }


def _final_row(run: RunDir) -> dict[str, float]:
    """The run's final evaluation (every final/ metric, prefix dropped)."""
    finals = [r for r in read_metrics(run.metrics) if r["phase"] == "final"]
    if not finals:
        return {}
    return {k.removeprefix("final/"): v for k, v in finals[-1].items() if k.startswith("final/")}


def _curve(run: RunDir, key: str) -> list[list[float]]:
    """(epoch, main metric) at every evaluation of a run, pre-training included."""
    return [
        [r["epoch"], r[f"eval/{key}"]]
        for r in read_metrics(run.metrics)
        if f"eval/{key}" in r and "epoch" in r
    ]
