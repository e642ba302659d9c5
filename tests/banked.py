"""Reading the files banked under docs/ and quoting their figures as the pages write them:
the helpers of the figure tables (test_readme_figures.py: the synthetic studies and the sweep;
test_real_data_figures.py: real data and the humaneval demonstration)."""

import csv
import functools
import json
import re
import statistics
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import numpy as np
from scipy import stats

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
SEEDS = (88, 89, 90)
T1 = "table1-cpu"


# --- reading the banked files ------------------------------------------------------------------


@functools.cache
def load_json(rel: str) -> dict:
    return json.loads((DOCS / rel).read_text())


@functools.cache
def load_metrics(rel: str) -> tuple[dict, ...]:
    return tuple(json.loads(line) for line in (DOCS / rel).read_text().splitlines() if line)


def adversarial(rel: str) -> list[dict]:
    return [r for r in load_metrics(rel) if r["phase"] == "adversarial"]


def final_row(rel: str) -> dict:
    return next(r for r in load_metrics(rel) if r["phase"] == "final")


def at_step(rel: str, step: int) -> dict:
    return next(r for r in adversarial(rel) if r["step"] == step)


def seed_final(method: str, key: str = "nll_oracle", study: str = T1) -> tuple[float, ...]:
    """Each seed's final score of a method (seed-S/results.json, 100,000 samples)."""
    return tuple(
        load_json(f"{study}/seed-{s}/results.json")["methods"][method]["final"][key] for s in SEEDS
    )


def pretrained(key: str = "nll_oracle", study: str = T1) -> tuple[float, ...]:
    """Each seed's pre-trained G at tau = 1: the final evaluation of seed-S/pretrain."""
    return tuple(
        final_row(f"{study}/seed-{s}/pretrain/metrics.jsonl")[f"final/{key}"] for s in SEEDS
    )


def mean_ci(values: tuple[float, ...]) -> tuple[float, float]:
    """Mean and half-width of the 95 % t-interval, computed here from the seeds' values."""
    n = len(values)
    half = stats.t.ppf(0.975, n - 1) * statistics.stdev(values) / n**0.5
    return statistics.fmean(values), half


def paired_p(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """The paired t-test's p by hand: t = mean(d) / (sd(d) / sqrt(n)), two-sided."""
    d = np.subtract(a, b)
    t = d.mean() / (d.std(ddof=1) / len(d) ** 0.5)
    return float(2 * stats.t.sf(abs(t), len(d) - 1))


def front_gap(point: tuple[float, float], curve: list[dict]) -> float:
    """How far (NLL-oracle, NLL-test) `point` lies below the Pareto front of `curve` at its
    NLL-test, linear between front points; written again here, apart from studies.frontier."""
    front: list[tuple[float, float]] = []
    for p in sorted(curve, key=lambda p: (p["nll_test"], p["nll_oracle"])):
        if not front or p["nll_oracle"] < front[-1][1]:
            front.append((p["nll_test"], p["nll_oracle"]))
    xs, ys = zip(*front, strict=True)
    assert xs[0] <= point[1] <= xs[-1], "the point lies outside the front's NLL-test range"
    return float(np.interp(point[1], xs, ys) - point[0])


def pretrained_gap(ref: str, study: str = T1) -> tuple[float, ...]:
    """The pre-trained G's tau = 1 point against a reference's temperature curve, per seed."""
    points = zip(pretrained("nll_oracle", study), pretrained("nll_test", study), strict=True)
    return tuple(
        front_gap(p, load_json(f"{study}/seed-{s}/frontier.json")["curves"][ref])
        for s, p in zip(SEEDS, points, strict=True)
    )


def frontier_entry(ref: str, method: str, study: str = T1) -> dict:
    """A method's entry in frontier.json against ref: "mle", "shuffled" (temperature-tuned) or
    "pretrained_g"."""
    section = "vs_pretrained_g" if ref == "pretrained_g" else f"vs_temperature_tuned_{ref}"
    return load_json(f"{study}/frontier.json")[section][method]


def frontier_gap(ref: str, method: str, study: str = T1) -> tuple[float, ...]:
    """A method's tau = 1 gap per seed."""
    return tuple(frontier_entry(ref, method, study)["gap_at_tau1"])


def seqgan_minus_pretrained(study: str = T1) -> tuple[float, ...]:
    return tuple(np.subtract(seed_final("seqgan", study=study), pretrained(study=study)))


def clipped_share(rel: str) -> float:
    return statistics.fmean(r["adv/clipped"] for r in adversarial(rel))


def first_unclipped(rel: str) -> int:
    return min(r["step"] for r in adversarial(rel) if r["adv/clipped"] < 1)


def median_step_s(rel: str) -> float:
    return statistics.median(r["perf/step_s"] for r in adversarial(rel))


def fig3(strategy: str, method: str, key: str) -> float:
    return load_json(f"figure3-cpu/{strategy}/results.json")["methods"][method]["final"][key]


def results(rel: str = f"{T1}/results.json") -> dict:
    return load_json(rel)


def mean_final(method: str, key: str = "nll_oracle") -> float:
    """The mean over seeds of a method's final score (results.json's methods.M.final)."""
    return results()["methods"][method]["final"][key]


def paired(method: str) -> tuple[float, float]:
    """SeqGAN − method over the seeds' means, and the paired p (results.json)."""
    t = results()["t_tests_vs_seqgan"][method]["paired"]
    return t["mean_diff"], t["p"]


def paper(method: str) -> float | None:
    return results()["methods"][method]["paper"].get("nll_oracle")


def frontier_cell(ref: str, method: str) -> tuple[float, ...]:
    """A frontier column's cell: the seeds whose tau = 1 point lies below the tuned front, the gaps."""
    entry = frontier_entry(ref, method)
    return (entry["seeds_below_at_tau1"], *entry["gap_at_tau1"])


def lowest_eval(rel: str) -> tuple[int, float]:
    """The adversarial evaluation (5,000 samples) with the lowest NLL-oracle: (step, value)."""
    evals = [(r["step"], r["eval/nll_oracle"]) for r in adversarial(rel) if "eval/nll_oracle" in r]
    return min(evals, key=lambda e: e[1])


def seqgan_lows() -> list[tuple[int, float]]:
    return [lowest_eval(f"{T1}/seed-{s}/seqgan/metrics.jsonl") for s in SEEDS]


def game(method: str, step: int, key: str, window: int = 5) -> float:
    """The game table's cell, mean over seeds: a diagnostic averaged over the `window` iterations
    up to `step`, an evaluation the last one at or before it (studies.game, written again)."""
    cells = []
    for s in SEEDS:
        rows = [
            r for r in adversarial(f"{T1}/seed-{s}/{method}/metrics.jsonl") if r["step"] <= step
        ]
        if key.startswith("eval/"):
            cells.append([r[key] for r in rows if key in r][-1])
        else:
            cells.append(statistics.fmean(r[key] for r in rows if r["step"] > step - window))
    return statistics.fmean(cells)


def d_adam_steps(run: str, iterations: int = 200) -> float:
    """D's Adam steps over D pre-training and `iterations` adversarial iterations of a run's
    config.json: (rounds x epochs + iterations x d-steps x k) epochs of (negatives + positives) /
    batch sequences; unset epochs a round are k, unset set sizes all 10,000 (the trainer's)."""
    c = load_json(f"{T1}/{run}/config.json")["schedule"]
    epochs = c["d_pretrain_rounds"] * (c.get("d_pretrain_epochs") or c["k_epochs"])
    epochs += iterations * c["d_steps"] * c["k_epochs"]
    return (
        epochs * ((c["num_negatives"] or 10_000) + (c["num_positives"] or 10_000)) / c["batch_size"]
    )


def frontier_points(ref: str, method: str) -> tuple[int, int]:
    """A method's temperature points below the tuned front, of those comparable (all seeds)."""
    entry = frontier_entry(ref, method)
    return entry["points_below"], entry["points_compared"]


def curve_point(rel: str, method: str, tau: float, key: str) -> tuple[float, float]:
    """(quality, NLL-test) of a method's temperature curve at `tau` (a frontier.json)."""
    point = next(p for p in load_json(rel)["curves"][method] if p["temperature"] == tau)
    return point[key], point["nll_test"]


def agreed(values: tuple[float, ...], spec: str) -> float:
    """The one number several values all round to at `spec` (a page's "by 0.06" for two seeds)."""
    assert len({format(v, spec) for v in values}) == 1, f"{values} round apart at {spec}"
    return values[0]


def fig3_schedule(strategy: str) -> tuple[int, ...]:
    c = load_json(f"figure3-cpu/{strategy}/results.json")["config"]["schedule"]
    return c["g_steps"], c["d_steps"], c["k_epochs"], c["adversarial_iterations"]


@functools.cache
def sweep_trials() -> tuple[dict, ...]:
    with (DOCS / "sweep-demo/sweep_results.csv").open() as f:
        return tuple(csv.DictReader(f))


def sweep_best() -> dict:
    return min(sweep_trials(), key=lambda t: float(t["best_nll_oracle"]))


def sweep_minutes() -> float:
    """The sweep's wall clock, from the header sweep_results.md was written with."""
    header = (DOCS / "sweep-demo/sweep_results.md").read_text().splitlines()[0]
    return float(re.fullmatch(r"# Sweep: \d+ trials, ([\d.]+) min", header).group(1))


# --- the table ---------------------------------------------------------------------------------


class Figure(NamedTuple):
    page: str  # relative to the repository root
    quoted: str  # the page's text, `{}` where each number goes
    file: str  # the banked file under docs/ it comes from
    how: str  # how the number is computed from the file
    value: Callable[[], float | tuple[float, ...]]
    fmt: str  # the rounding it is quoted at: one format spec for all numbers, or one per number
    # separated by "|" (e.g. "+.3f|.3f" for a signed difference and its p-value)


def render(fig: Figure) -> str:
    value = fig.value()
    values = value if isinstance(value, tuple) else (value,)
    specs = fig.fmt.split("|")
    specs = specs * len(values) if len(specs) == 1 else specs
    assert len(specs) == len(values), f"{fig.quoted!r}: {len(specs)} formats, {len(values)} numbers"
    return fig.quoted.format(*(number(v, spec) for v, spec in zip(values, specs, strict=True)))


def number(value: float, spec: str) -> str:
    """A number as the pages write it: a typographic minus, an exponent unpadded and in ASCII
    (9e-5, 2.5e-38)."""
    text = format(value, spec)
    mantissa, e, exponent = text.partition("e")
    return mantissa.replace("-", "−") + (e + str(int(exponent)) if e else "")


@functools.cache
def page_text(page: str) -> str:
    """The page with whitespace folded, so a quote may wrap across lines; `**` kept."""
    return re.sub(r"\s+", " ", (ROOT / page).read_text())


def assert_quoted(fig: Figure) -> None:
    """The page quotes the figure as rendered from its banked file."""
    expected = render(fig)
    assert expected in page_text(fig.page), (
        f"{fig.page} does not quote {expected!r} ({fig.how}, from docs/{fig.file})"
    )
