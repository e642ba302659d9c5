"""The paper's synthetic study (Table 1, Figure 2) as one experiment: shared MLE pre-training,
every method as its own ordinary run directory, Welch t-tests of SeqGAN against each method.

    OUT/pretrain/       MLE pre-training (the state every method but Random starts from)
    OUT/<method>/       one normal run per method (resumable, runnable on its own)
    OUT/results.json    everything the table and the plot are made from
    OUT/results.md      the Table-1-style table, rendered from results.json only
    OUT/learning_curves.png

Independent methods run in parallel processes when there are free CPUs; a method whose run
directory already holds a final evaluation is not run again, and an interrupted one resumes.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import replace
from multiprocessing import get_context
from pathlib import Path

from .config import METHODS, RunConfig, override
from .errors import UserError
from .rundir import RunDir, read_metrics
from .significance import welch

# Paper Table 1 (NLL-oracle); the constant-reward control is ours.
PAPER_TABLE1 = {
    "random": 10.310,
    "mle": 9.038,
    "ss": 8.985,
    "pg_bleu": 8.946,
    "seqgan": 8.736,
    "constant": None,
}
LABELS = {
    "random": "Random",
    "mle": "MLE",
    "ss": "Scheduled sampling",
    "pg_bleu": "PG-BLEU",
    "constant": "Constant reward (control)",
    "seqgan": "SeqGAN",
}
# Longest first, so the slowest run starts at once and the short ones fill the other slots.
RUN_ORDER = ("seqgan", "ss", "pg_bleu", "mle", "constant", "random")


def method_config(cfg: RunConfig, name: str) -> RunConfig:
    return replace(cfg, method=replace(cfg.method, name=name))


def pretrain_config(cfg: RunConfig) -> RunConfig:
    """MLE pre-training only: the MLE method with no further epochs."""
    return override(method_config(cfg, "mle"), "schedule", adversarial_iterations=0)


def parse_methods(text: str | None) -> tuple[str, ...]:
    if not text:
        return RUN_ORDER
    names = tuple(dict.fromkeys(m.strip() for m in text.split(",") if m.strip()))
    unknown = [m for m in names if m not in METHODS]
    if unknown or not names:
        raise UserError(
            f"unknown method(s) {', '.join(unknown) or '(none)'}; choose from {', '.join(METHODS)}"
        )
    return names


def run_experiment(
    cfg: RunConfig,
    out: str | Path,
    methods: Sequence[str] = RUN_ORDER,
    jobs: int | None = None,
    echo: Callable[[str], None] = print,
) -> dict:
    """Run (or finish) the experiment in `out` and write its results; returns results.json's dict."""
    out = Path(out)
    _claim(out, cfg, methods)
    t0 = time.perf_counter()
    cpus = os.cpu_count() or 1
    runs = [m for m in RUN_ORDER if m in methods]

    # 1. The shared MLE pre-training, with every core.
    if any(m != "random" for m in runs):
        echo("pre-training G by MLE (shared by every method) ...")
        _run_one(pretrain_config(cfg).to_dict(), str(out / "pretrain"), None, cpus)

    # 2. The methods, in parallel where CPUs allow.
    jobs = max(1, min(jobs or cpus, len(runs)))
    threads = max(1, cpus // jobs)
    echo(f"running {', '.join(runs)} ({jobs} at a time, {threads} thread(s) each) ...")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn")) as pool:
        futures = {
            pool.submit(
                _run_one,
                method_config(cfg, m).to_dict(),
                str(out / m),
                None if m == "random" else str(out / "pretrain"),
                threads,
            ): m
            for m in runs
        }
        for future in as_completed(futures):
            summary = future.result()
            echo(f"  {futures[future]}: NLL-oracle {summary['final/nll_oracle']:.4f}")

    # 3. Results.
    results = collect_results(out, cfg, runs)
    # Summed over the invocations that built the experiment (a resumed or re-run experiment
    # must not report only its last, possibly trivial, invocation).
    earlier = out / "results.json"
    before = json.loads(earlier.read_text()).get("wall_s", 0.0) if earlier.exists() else 0.0
    results["wall_s"] = round(before + time.perf_counter() - t0, 1)
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (out / "results.md").write_text(render_results(results))
    plot_learning_curves(results, out / "learning_curves.png")
    return results


def _claim(out: Path, cfg: RunConfig, methods: Sequence[str]) -> None:
    """Write experiment.json, or check that an existing one describes the same experiment."""
    spec = {"config": cfg.to_dict(), "methods": sorted(methods)}
    path = out / "experiment.json"
    if path.exists():
        old = json.loads(path.read_text())
        if RunConfig.from_dict(old["config"]) != cfg:
            raise UserError(f"{out} holds an experiment with another config; choose another --out")
        return
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot create {out}: {exc.strerror}") from None
    path.write_text(json.dumps(spec, indent=2) + "\n")


def _run_one(cfg_dict: dict, out: str, init_from: str | None, threads: int) -> dict:
    """One method's run in this process: skip if finished, resume if started, else start."""
    import torch

    from .allocator import keep_freed_memory
    from .trainer import train

    keep_freed_memory()
    torch.set_num_threads(threads)
    run = RunDir(out)
    if run.final_nll.exists():
        final = [r for r in read_metrics(run.metrics) if r["phase"] == "final"]
        return final[-1]
    cfg = RunConfig.from_dict(cfg_dict)
    resume = run.checkpoint.exists()
    return train(
        cfg, out, resume=resume, show_progress=False, init_from=None if resume else init_from
    )


def collect_results(out: Path, cfg: RunConfig, methods: Sequence[str]) -> dict:
    """Per-method final NLL-oracle, curves, and Welch t-tests of SeqGAN vs every other method."""
    per_sequence = {m: RunDir(out / m).read_final_nll() for m in methods}
    rows = {}
    for m in methods:
        values = per_sequence[m]
        rows[m] = {
            "label": LABELS[m],
            "nll_oracle": float(values.mean()),
            "std": float(values.std(ddof=1)),
            "n": int(len(values)),
            "paper": PAPER_TABLE1[m],
            "curve": _curve(RunDir(out / m)),
        }
    tests = {}
    if "seqgan" in methods:
        for m in methods:
            if m != "seqgan":
                tests[m] = welch(per_sequence["seqgan"], per_sequence[m])
    after_mle = None
    pre = RunDir(out / "pretrain")
    if pre.metrics.exists():
        finals = [r for r in read_metrics(pre.metrics) if r["phase"] == "final"]
        after_mle = finals[-1]["final/nll_oracle"] if finals else None
    return {
        "config": cfg.to_dict(),
        "pretrain_epochs": cfg.schedule.mle_epochs,
        "nll_oracle_after_mle": after_mle,
        "methods": rows,
        "t_tests_vs_seqgan": tests,
    }


def _curve(run: RunDir) -> list[list[float]]:
    """(epoch, NLL-oracle) at every evaluation of a run, pre-training included."""
    return [
        [r["epoch"], r["eval/nll_oracle"]]
        for r in read_metrics(run.metrics)
        if "eval/nll_oracle" in r and "epoch" in r
    ]


def render_results(results: dict) -> str:
    """results.md from results.json alone (so the table can always be re-made from the JSON)."""
    rows = results["methods"]
    tests = results["t_tests_vs_seqgan"]
    lines = [
        "# Synthetic data: NLL-oracle (lower is better)",
        "",
        "| method | NLL-oracle (ours) | ± std | paper | p-value vs SeqGAN (Welch) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for m, row in rows.items():
        paper = "–" if row["paper"] is None else f"{row['paper']:.3f}"
        p = "–" if m not in tests else _format_p(tests[m]["p"])
        lines.append(
            f"| {row['label']} | {row['nll_oracle']:.3f} | {row['std']:.3f} | {paper} | {p} |"
        )
    n = next(iter(rows.values()))["n"] if rows else 0
    after = results.get("nll_oracle_after_mle")
    lines += [
        "",
        f"Per-sequence NLL-oracle of {n:,} samples per method; the t-tests compare SeqGAN's "
        "per-sequence values with each method's (two-sided, unequal variances).",
    ]
    if after is not None:
        lines.append(
            f"NLL-oracle after the shared MLE pre-training ({results['pretrain_epochs']} epochs): "
            f"{after:.3f} (the official code's log: 9.07)."
        )
    if "wall_s" in results:
        lines.append(f"Wall time: {results['wall_s'] / 60:.1f} min.")
    return "\n".join(lines) + "\n"


def _format_p(p: float) -> str:
    if p == 0.0:
        return "< 1e-300"
    return f"{p:.1e}" if p < 1e-3 else f"{p:.3f}"


def plot_learning_curves(results: dict, path: str | Path) -> None:
    """NLL-oracle against epoch for every method, the pre-training/adversarial boundary marked
    (the paper's Figure 2)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for m, row in results["methods"].items():
        curve = row["curve"]
        if curve:
            xs, ys = zip(*curve)
            ax.plot(xs, ys, label=row["label"], lw=1.6 if m == "seqgan" else 1.0)
        else:  # Random: no training, one final value
            ax.axhline(row["nll_oracle"], ls=":", c="gray", label=row["label"])
    boundary = results["pretrain_epochs"] - 0.5  # between the last MLE epoch and iteration 0
    ax.axvline(boundary, c="k", ls="--", lw=0.8)
    ymin, ymax = ax.get_ylim()
    ax.text(boundary, ymax, " adversarial training / baselines start", va="top", fontsize=8)
    ax.set_xlabel("epoch (pre-training, then adversarial iteration)")
    ax.set_ylabel("NLL-oracle")
    if not math.isfinite(ymin):
        ax.set_ylim(auto=True)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
