"""`seqgan-ray report PATH`: one figure of the curves people look at, and a short markdown summary
(config, final numbers) beside it, for a run, an experiment (single- or multi-seed) or a sweep.

    run         PATH/metrics.jsonl
    experiment  PATH/results.json or PATH/experiment.json; methods in PATH/<method>, or with
                seeds in PATH/seed-S/<method> (lines: the mean over seeds)
    sweep       PATH/tune/sweep/<trial>/result.json (Tune's JSON logger)

A run or an experiment gets a panel per quantity, grouped by namespace, against the epoch axis
(MLE epochs, D's pre-training rounds between them and the adversarial iterations, which follow):
eval/ (the main metric, NLL-test), G's training NLL, d/ (loss, accuracy, P(real) on train,
held-out and fake sequences) and adv/ (reward, gradient norm, Q's effective sample size). A sweep
gets every trial's main metric and NLL-test against its wall time. Several runs or experiments
(`report A B ... --out FIG.png`) get a panel each of their methods' main metric, side by side.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from seqgan_ray.config import ConfigError, RunConfig
from seqgan_ray.errors import UserError
from seqgan_ray.studies.game import game_table

# (keys drawn in one panel: solid, dashed, dotted; title; log scale). "{main}" is the task's
# main metric (NLL-oracle or BLEU-n).
PANELS = (
    (("eval/{main}",), "{label} (evaluations)", False),
    (("eval/nll_test",), "NLL-test: G's NLL of held-out real data", False),
    (
        ("pretrain/g_nll", "baseline/g_nll"),
        "G's training NLL: MLE (—), MLE/SS baseline (- -)",
        False,
    ),
    (("d/loss",), "D's loss (pre-training rounds, then d-steps)", False),
    (("d/acc",), "D's accuracy", False),
    (
        ("d/p_real_train", "d/p_real_heldout", "d/p_real_fake"),
        "D's P(real): train (—), held-out real (- -), fake (···)",
        False,
    ),
    (("adv/reward_mean",), "mean reward (Q)", False),
    (("adv/grad_norm",), "policy-gradient norm before clipping", True),
    (("adv/q_ess",), "ESS fraction of sequence rewards", False),
)


def report(
    paths: list[Path] = typer.Argument(
        ..., help="a run, experiment or sweep directory; or several runs/experiments to compare"
    ),
    out: Path | None = typer.Option(
        None,
        help="the figure (default PATH/report.png; required with several paths); the markdown "
        "goes beside it (.md)",
    ),
) -> None:
    """One figure of a run's, an experiment's or a sweep's curves, and a markdown summary; with
    several runs or experiments (e.g. the paper's Figure 3 strategies), a panel of each one's
    main metric side by side and a table of their final values."""
    if len(paths) == 1:
        figure, summary = write_report(paths[0], out)
    else:
        figure, summary = write_comparison(paths, out)
    typer.echo(f"wrote {figure} and {summary}")


def write_report(path: str | Path, out: str | Path | None = None) -> tuple[Path, Path]:
    path = Path(path)
    kind = detect(path)
    figure = Path(out) if out is not None else path / "report.png"
    summary = figure.with_suffix(".md")
    if not figure.parent.is_dir():
        raise UserError(f"cannot write {figure}: {figure.parent} is not a directory")
    text = _sweep(path, figure) if kind == "sweep" else _runs(path, kind, figure)
    summary.write_text(text + f"\n![curves]({figure.name})\n")
    return figure, summary


def detect(path: Path) -> str:
    """ "run", "experiment" or "sweep", or one UserError saying what PATH lacks."""
    if not path.exists():
        raise UserError(f"{path} not found")
    if not path.is_dir():
        raise UserError(f"{path} is not a directory (give a run, experiment or sweep directory)")
    if (path / "metrics.jsonl").exists():
        return "run"
    if (path / "results.json").exists() or (path / "experiment.json").exists():
        return "experiment"
    if (path / "tune" / "sweep").is_dir():
        return "sweep"
    raise UserError(
        f"{path} is not a run, experiment or sweep directory "
        "(no metrics.jsonl, results.json, experiment.json or tune/sweep)"
    )


# Imports of torch (rundir, tasks) wait until a report is made: `seqgan-ray --help` stays quick.


# --- runs and experiments ------------------------------------------------------------------------
def _experiment_methods(path: Path) -> tuple[list[Path], list[str]]:
    """(the experiment's units: PATH or its seed-S directories, method names in table order)."""
    spec = _json(path / "experiment.json") or {}
    results = _json(path / "results.json") or {}
    seeds = results.get("seeds") or spec.get("seeds")
    units = [path / f"seed-{s}" for s in seeds] if seeds else [path]
    methods = list(results.get("methods") or {})
    methods += [
        d.name
        for d in sorted(units[0].iterdir())
        if (d / "metrics.jsonl").exists() and d.name not in methods and d.name != "pretrain"
    ]
    if not methods:
        raise UserError(f"{path} holds no method runs yet")
    return units, methods


def _method_groups(path: Path, kind: str) -> tuple[list[Path], RunConfig, dict]:
    """A run's or an experiment's (units: PATH or its seed-S directories, a config of its runs,
    {method: (label, its run directories)})."""
    from seqgan_ray.studies.experiment import label

    if kind == "run":
        cfg = _config(path / "config.json")
        return [path], cfg, {cfg.method.name: (label(cfg.method.name), [path])}
    units, methods = _experiment_methods(path)
    groups = {m: (label(m), [u / m for u in units if (u / m).is_dir()]) for m in methods}
    return units, _config(next(iter(groups.values()))[1][0] / "config.json"), groups


def _runs(path: Path, kind: str, figure: Path) -> str:
    from seqgan_ray.studies.plots import _pyplot, draw_panel, legend
    from seqgan_ray.tasks import main_metric

    units, cfg, groups = _method_groups(path, kind)
    metric = main_metric(cfg)
    plt = _pyplot()
    fig, axes = plt.subplots(3, 3, figsize=(14, 10))
    for ax, (keys, title, log) in zip(axes.flat, PANELS):
        keys = [k.format(main=metric.key) for k in keys]
        drawn = draw_panel(ax, groups, keys, title.format(label=metric.label), log, "epoch")
        if not drawn:
            ax.text(0.5, 0.5, "not logged", ha="center", va="center", transform=ax.transAxes)
        elif cfg.schedule.mle_epochs:  # D's pre-training rounds sit between MLE and adversarial
            e = cfg.schedule.mle_epochs
            ax.axvspan(e - 1, e, color="gray", alpha=0.12, lw=0)
    legend(fig, axes.flat[0], top=0.96)
    fig.suptitle(
        f"{kind} {path.name}; shaded: D's pre-training, between MLE and adversarial training",
        fontsize=10,
    )
    fig.savefig(figure, dpi=100)
    plt.close(fig)

    finals = {m: [_final(run) for run in runs] for m, (_, runs) in groups.items()}
    keys = list(dict.fromkeys(k for rows in finals.values() for row in rows for k in row))
    seeds = len(units) if units != [path] else 1
    head = "# Run report" if kind == "run" else "# Experiment report"
    who = None
    if kind == "experiment":
        names = ", ".join(groups)
        who = f"methods {names}, " + (
            f"seeds {', '.join(u.name.removeprefix('seed-') for u in units)}"
            if seeds > 1
            else f"seed {cfg.seed}"
        )
    lines = [f"{head}: {path.name}", "", _describe(cfg, who), ""]
    lines.append(
        "## Final evaluation"
        + (f" (mean over {seeds} seeds)" if seeds > 1 else "")
        + f"; main metric {metric.label} ({'higher' if metric.higher_is_better else 'lower'} is better)"
    )
    if not keys:  # a run still in progress has evaluations but no final one yet
        lines += ["", "None yet: no run has finished; the figure shows the evaluations so far."]
    else:
        lines += ["", "| method | " + " | ".join(keys) + " |", "|" + " --- |" * (len(keys) + 1)]
        for m, rows in finals.items():
            cells = [_mean([row.get(k) for row in rows]) for k in keys]
            lines.append(f"| {groups[m][0]} | " + " | ".join(_cell(v) for v in cells) + " |")
    game = game_table(groups, cfg.schedule.adversarial_iterations)
    return "\n".join(lines + ([""] + game if game else [])) + "\n"


def _final(run: Path) -> dict[str, float]:
    from seqgan_ray.driver.rundir import read_metrics

    rows = [r for r in read_metrics(run / "metrics.jsonl") if r["phase"] == "final"]
    return {k: v for k, v in rows[-1].items() if k.startswith("final/")} if rows else {}


def _mean(values: list) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present and len(present) == len(values) else None


# --- several runs or experiments side by side ---------------------------------------------------
def write_comparison(paths: list[Path], out: Path | None) -> tuple[Path, Path]:
    """A panel per path (its methods' main metric against epoch, pre-training included) and a
    table: per path, its schedule's knobs and each method's final main metric."""
    from seqgan_ray.studies.experiment import label
    from seqgan_ray.studies.plots import _pyplot, draw_panel, legend
    from seqgan_ray.tasks import main_metric

    if out is None:
        raise UserError("give --out FIGURE.png when comparing several directories")
    figure, summary = Path(out), Path(out).with_suffix(".md")
    if not figure.parent.is_dir():
        raise UserError(f"cannot write {figure}: {figure.parent} is not a directory")
    studies = []
    for path in map(Path, paths):
        kind = detect(path)
        if kind == "sweep":
            raise UserError(f"{path} is a sweep; compare runs or experiments")
        _, cfg, groups = _method_groups(path, kind)
        studies.append((path, cfg, groups))
    metric = main_metric(studies[0][1])
    methods = list(dict.fromkeys(m for _, _, groups in studies for m in groups))
    # NLL-test dashed beside an NLL main metric (same scale): a strategy that buys NLL-oracle by
    # collapsing shows as the two lines parting.
    keys = [f"eval/{metric.key}"] + (["eval/nll_test"] if metric.key == "nll_oracle" else [])
    plt = _pyplot()
    cols = 2 if len(studies) == 4 else min(3, len(studies))  # Figure 3's four: 2 x 2
    rows = -(-len(studies) // cols)
    # each panel its own y-range: one strategy's collapse (NLL-oracle ~1) would flatten the rest
    fig, axes = plt.subplots(rows, cols, figsize=(4.8 * cols, 3.6 * rows), squeeze=False)
    for ax in axes.flat[len(studies) :]:
        ax.axis("off")
    for ax, (path, cfg, groups) in zip(axes.flat, studies):
        s = cfg.schedule
        # the same colour for a method in every panel: groups in the global method order
        ordered = {m: groups.get(m, (label(m), [])) for m in methods}
        title = (
            f"{path.name}: g-steps {s.g_steps}, d-steps {s.d_steps}, k {s.k_epochs}, "
            f"{s.mle_epochs} MLE epochs"
        )
        draw_panel(ax, ordered, keys, title, axis="epoch")
        ax.axvspan(s.mle_epochs - 1, s.mle_epochs, color="gray", alpha=0.12, lw=0)
        ax.set_ylabel(metric.label + (" / NLL-test" if len(keys) > 1 else ""), fontsize=8)
    legend(fig, axes, top=0.95)
    drawn = metric.label + (" (solid) and NLL-test (dashed)" if len(keys) > 1 else "")
    fig.suptitle(f"{drawn} against epoch; shaded: D's pre-training", fontsize=10)
    fig.savefig(figure, dpi=100)
    plt.close(fig)

    # NLL-test beside the main metric: a generator can buy NLL-oracle (or BLEU) by collapsing,
    # and only held-out likelihood shows it.
    head = "| directory | g-steps | d-steps | k | MLE epochs | iterations |"
    head += "".join(f" {label(m)} | {label(m)} NLL-test |" for m in methods)
    lines = [
        "# Comparison",
        "",
        f"Final {metric.label} and NLL-test of each method (mean over seeds where there are "
        "several).",
        "",
        head,
        "|" + " --- |" * (head.count("|") - 1),
    ]
    for path, cfg, groups in studies:
        s = cfg.schedule
        cells = [path.name, s.g_steps, s.d_steps, s.k_epochs, s.mle_epochs]
        cells.append(s.adversarial_iterations)
        for m in methods:
            runs = groups.get(m, (None, []))[1]
            finals = [_final(run) for run in runs]  # metrics.jsonl read once per run
            for key in (metric.key, "nll_test"):
                cells.append(_cell(_mean([f.get(f"final/{key}") for f in finals])) if runs else "–")
        lines.append("| " + " | ".join(map(str, cells)) + " |")
    summary.write_text("\n".join(lines) + f"\n\n![comparison]({figure.name})\n")
    return figure, summary


# --- sweeps --------------------------------------------------------------------------------------
def _sweep(path: Path, figure: Path) -> str:
    from seqgan_ray.studies.plots import _pyplot, draw_trials
    from seqgan_ray.tasks import main_metric

    cfg = _config(path / "pretrain" / "config.json")
    metric = main_metric(cfg)
    trials = {}
    for d in sorted((path / "tune" / "sweep").iterdir()):
        reports = [json.loads(line) for line in _lines(d / "result.json")]
        if reports:
            trials[reports[0].get("trial_id", d.name)] = reports
    if not trials:
        raise UserError(f"{path} holds no trial results yet")
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.5))
    for ax, (key, name) in zip(axes, ((metric.key, metric.label), ("nll_test", "NLL-test"))):
        curves = {}
        for trial, reports in trials.items():
            points = [r for r in reports if r.get(key) is not None and not r.get("final")]
            curves[trial] = ([r["time_total_s"] / 60 for r in points], [r[key] for r in points])
        draw_trials(ax, curves, name)
    fig.suptitle(f"sweep {path.name}: every trial against its wall time", fontsize=10)
    fig.tight_layout()
    fig.savefig(figure, dpi=100)
    plt.close(fig)

    pick = max if metric.higher_is_better else min
    params = sorted({k for reports in trials.values() for k in reports[0].get("config", {})})
    head = ["trial", *params, f"best {metric.label}", f"final {metric.label}", "reports", "min"]
    lines = [
        f"# Sweep report: {path.name}",
        "",
        _describe(cfg, f"the swept methods, seed {cfg.seed}"),
        "",
        f"{len(trials)} trials; best: the best evaluation a trial reported, final: its last "
        f"report ({'higher' if metric.higher_is_better else 'lower'} is better).",
        "",
        "| " + " | ".join(head) + " |",
        "|" + " --- |" * len(head),
    ]
    for trial, reports in trials.items():
        values = [r[metric.key] for r in reports if r.get(metric.key) is not None]
        config = reports[0].get("config", {})
        cells = [trial, *(_cell(config.get(p)) for p in params)]
        cells += [_cell(pick(values) if values else None), _cell(values[-1] if values else None)]
        cells += [str(len(reports)), _cell(reports[-1].get("time_total_s", 0) / 60)]
        lines.append("| " + " | ".join(cells) + " |")
    if (path / "best_config.json").exists():
        lines += ["", "The best trial's config: best_config.json."]
    return "\n".join(lines) + "\n"


# --- shared --------------------------------------------------------------------------------------
def _describe(cfg: RunConfig, who: str | None = None) -> str:
    """The task and schedule; `who`: the methods and seeds (default: the run's)."""
    t, s, m = cfg.task, cfg.schedule, cfg.method
    data = "" if t.kind == "synthetic" else f" ({Path(t.data).name})"
    who = who or f"method {m.name}, seed {cfg.seed}"
    return (
        f"Task {t.kind}{data}, {who}. Schedule: {s.mle_epochs} MLE epochs, "
        f"{s.d_pretrain_rounds} D pre-training rounds × {s.d_pretrain_k} "
        f"epoch(s), {s.adversarial_iterations} adversarial "
        f"iterations of {s.g_steps} g-step(s) with N = {s.rollout_num} roll-outs and "
        f"{s.d_steps} d-step(s) × {s.k_epochs} epoch(s); batch {s.batch_size}."
    )


def _config(path: Path) -> RunConfig:
    try:
        return RunConfig.from_file(path)
    except ConfigError as exc:
        raise UserError(str(exc) if str(path) in str(exc) else f"{path}: {exc}") from None


def _json(path: Path):
    try:
        return json.loads(path.read_text()) if path.exists() else None
    except (OSError, ValueError) as exc:
        raise UserError(f"{path} is not readable JSON: {exc}") from None


def _lines(path: Path) -> list[str]:
    return [ln for ln in path.read_text().splitlines() if ln.strip()] if path.exists() else []


def _cell(v) -> str:
    if v is None:
        return "–"
    return f"{v:.4f}" if isinstance(v, float) else str(v)
