"""`seqgan-ray sweep` on the session's local Ray: a 3-trial sweep of the tiny config finishes and
writes its outcome, the best config trains, a resumed sweep redoes nothing, and a trial too big for
the cluster fails before any trial starts."""

import csv
import json

import pytest
from test_cli import main_code
from test_report import PNG, report, table

from seqgan_ray import config as C
from seqgan_ray import presets
from seqgan_ray.driver.rundir import read_metrics
from seqgan_ray.errors import UserError

pytest.importorskip("ray")
from seqgan_ray.studies.tune import run_sweep  # noqa: E402

SPACE = {"schedule.g_steps": {"choice": [1, 2]}, "schedule.rollout_num": {"choice": [2, 4]}}
BASE = C.override(presets.TINY, "schedule", adversarial_iterations=4, eval_interval=2)


def best_per_trial(out, key, best=min) -> dict[str, float]:
    """Each trial's best `key` over everything it reported (Tune's result.json, a line a report)."""
    reports = [
        [json.loads(line) for line in p.read_text().splitlines()]
        for p in (out / "tune" / "sweep").glob("*/result.json")
    ]
    return {r[0]["trial_id"]: best(x[key] for x in r if x.get(key) is not None) for r in reports}


def sweep(out, resume=False, workers=1):
    return run_sweep(BASE, out, SPACE, 3, 2, "fifo", workers, resume, echo=lambda _: None)


def outcome_of(out) -> dict:
    """What `seqgan-ray sweep` leaves for a reader: trials, best and worst row of its CSV."""
    with open(out / "sweep_results.csv") as f:
        rows = [{k: _number(v) for k, v in r.items()} for r in csv.DictReader(f)]
    rows.sort(key=lambda r: r["best_nll_oracle"])
    return {"trials": len(rows), "best": rows[0], "worst": rows[-1]}


def _number(text: str):
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


@pytest.fixture(scope="module")
def finished(ray_cluster, tmp_path_factory):
    """The README's `seqgan-ray sweep synthetic ... --num-samples N`, on the session's Ray."""
    out = tmp_path_factory.mktemp("sweep")
    (out.parent / "base.json").write_text(BASE.to_json())
    (out.parent / "space.json").write_text(json.dumps(SPACE))
    code = main_code(
        "sweep", "synthetic", "--config", out.parent / "base.json", "--num-samples", "3",
        "--search-space", out.parent / "space.json", "--max-concurrent", "2", "--scheduler",
        "fifo", "--rollout-workers", "1", "--out", out, "--no-progress",
    )  # fmt: skip
    assert code == 0
    return out, outcome_of(out)


def test_three_trial_sweep_writes_its_outcome(finished):
    out, outcome = finished
    assert outcome["trials"] == 3
    lines = (out / "sweep_results.md").read_text().splitlines()
    assert sum(line.startswith("| ") for line in lines) == 2 + 3  # header, rule, a row per trial
    rows = (out / "sweep_results.csv").read_text().splitlines()
    assert len(rows) == 4 and "best_nll_oracle" in rows[0] and "schedule.g_steps" in rows[0]
    # every trial's best is the lowest NLL-oracle it reported; best and worst are over trials
    best = best_per_trial(out, "nll_oracle")
    with open(out / "sweep_results.csv") as f:
        assert {r["trial"]: float(r["best_nll_oracle"]) for r in csv.DictReader(f)} == best
    assert outcome["best"]["best_nll_oracle"] == min(best.values())
    assert outcome["worst"]["best_nll_oracle"] == max(best.values())
    assert (out / "sweep_curves.png").stat().st_size > 1000


def test_best_config_trains(finished, tmp_path):
    from seqgan_ray.driver.trainer import train

    out, outcome = finished
    cfg = C.RunConfig.from_file(out / "best_config.json")
    params = {k.removeprefix("schedule."): v for k, v in outcome["best"].items() if "." in k}
    assert cfg == C.override(BASE, "schedule", **params)  # the base with the best's parameters
    train(cfg, tmp_path / "run", show_progress=False)
    phases = [r["phase"] for r in read_metrics(tmp_path / "run" / "metrics.jsonl")]
    assert phases.count("adversarial") == BASE.schedule.adversarial_iterations
    assert phases[-1] == "final"


def test_resumed_sweep_does_not_redo_finished_trials(finished):
    out, outcome = finished
    before = {p.parent.name: p.read_text() for p in (out / "tune" / "sweep").glob("*/result.json")}
    again = sweep(out, resume=True)
    after = {p.parent.name: p.read_text() for p in (out / "tune" / "sweep").glob("*/result.json")}
    assert again["trials"] == 3 and len(before) == 3
    assert after == before  # no trial reported again
    assert again["best"]["best_nll_oracle"] == outcome["best"]["best_nll_oracle"]


def test_trial_larger_than_the_cluster_fails_before_any_trial(ray_cluster, tmp_path):
    with pytest.raises(UserError, match="one trial needs .* CPU"):
        sweep(tmp_path / "big", workers=64)
    assert not (tmp_path / "big" / "tune").exists()


def test_a_text_sweep_maximises_bleu(ray_cluster, tmp_path):
    """On real data the sweep's metric is the task's BLEU, maximised: best >= worst."""
    from seqgan_ray.tasks.corpus import read_data_config
    from seqgan_ray.tasks.text import prepare_text

    words = ["a", "b", "c", "d", "e", "f"]
    lines = [" ".join(words[(i + j) % 6] for j in range(3 + i % 4)) for i in range(120)]
    (tmp_path / "corpus.txt").write_text("\n".join(lines) + "\n")
    prepare_text(tmp_path / "corpus.txt", tmp_path / "data", tokenizer="space", seq_len=8)
    base = presets.data_preset("text-tiny", "text").bind(
        read_data_config("text", tmp_path / "data")
    )
    base = C.override(base, "schedule", adversarial_iterations=2, eval_interval=1)
    space = {"schedule.rollout_num": {"choice": [2, 3]}}
    outcome = run_sweep(base, tmp_path / "s", space, 2, 2, "fifo", 1, False, echo=lambda _: None)
    best = best_per_trial(tmp_path / "s", "bleu2", max)  # the highest BLEU-2 each reported
    assert outcome["best"]["best_bleu2"] == max(best.values())
    assert outcome["worst"]["best_bleu2"] == min(best.values())
    cfg = C.RunConfig.from_file(tmp_path / "s" / "best_config.json")
    assert (
        cfg.task.kind == "text"
        and cfg.schedule.rollout_num == outcome["best"]["schedule.rollout_num"]
    )


def test_sweep_report(finished, capsys):
    """`report` on the module's sweep (last here: it writes report.md/.png into the sweep)."""
    out, _ = finished
    report(capsys, out)
    assert (out / "report.png").read_bytes()[:4] == PNG
    rows = table((out / "report.md").read_text())
    with open(out / "sweep_results.csv") as f:
        outcome = {r["trial"]: r for r in csv.DictReader(f)}
    assert set(rows) == set(outcome) and len(rows) == 3
    for trial, row in rows.items():
        assert float(row["best NLL-oracle"]) == round(float(outcome[trial]["best_nll_oracle"]), 4)
        for key in SPACE:
            assert row[key] == outcome[trial][key]
