"""Tracking: every run's TensorBoard event files hold metrics.jsonl's scalars (read back with
TensorBoard's own reader), also after a resume; a sweep keeps Tune's loggers, writes each trial's
run directory, and logs to a local MLflow store with --callback mlflow."""

import json
import math

import numpy as np
import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from test_cli import CrashAt, run_cli

from seqgan_ray import config as C
from seqgan_ray import presets
from seqgan_ray.driver.rundir import read_metrics
from seqgan_ray.driver.trainer import train

AXIS = ("phase", "step", "epoch")


def events(directory, purge=True) -> dict[str, list[tuple[int, float]]]:
    """{tag: [(step, value), ...]} as TensorBoard reads `directory` (one run, no sub-runs)."""
    acc = EventAccumulator(str(directory), size_guidance={"scalars": 0}, purge_orphaned_data=purge)
    acc.Reload()
    return {t: [(e.step, e.value) for e in acc.Scalars(t)] for t in acc.Tags()["scalars"]}


def expected(rows: list[dict]) -> tuple[dict, dict]:
    """The scalars metrics.jsonl says TensorBoard should show: rows with an epoch at that epoch;
    the final evaluation one epoch after the last; D pre-training rounds in the sub-run."""
    main: dict[str, list] = {}
    d_pretrain: dict[str, list] = {}
    last = max((r["epoch"] for r in rows if "epoch" in r), default=-1)
    for r in rows:
        if "epoch" in r:
            into, step = main, r["epoch"]
        elif r["phase"] == "final":
            into, step = main, last + 1
        else:
            assert r["phase"] == "d_pretrain"
            into, step = d_pretrain, r["step"]
        for k, v in r.items():
            if k not in AXIS:
                into.setdefault(k, []).append((step, math.nan if v is None else v))
    return main, d_pretrain


def assert_same(found: dict, wanted: dict) -> None:
    assert set(found) == set(wanted)
    for tag, points in wanted.items():
        got = found[tag]
        assert [s for s, _ in got] == [s for s, _ in points], tag  # each step once, in order
        # event files hold float32
        np.testing.assert_array_equal(
            np.float32([v for _, v in got]), np.float32([v for _, v in points]), err_msg=tag
        )


def test_event_files_hold_every_scalar_of_metrics_jsonl(tmp_path):
    out = tmp_path / "run"
    train(presets.TINY, out, show_progress=False)
    rows = read_metrics(out / "metrics.jsonl")
    main, d_pretrain = expected(rows)
    s = presets.TINY.schedule
    assert main["eval/nll_oracle"][0][0] == 0  # MLE epoch 0 ...
    assert main["adv/reward_mean"][0][0] == s.mle_epochs  # ... adversarial iteration 0 after it
    assert len(d_pretrain["d/loss"]) == s.d_pretrain_rounds
    assert_same(events(out), main)
    assert_same(events(out / "d_pretrain"), d_pretrain)


def test_a_resumed_run_rewrites_its_events_from_the_kept_lines(tmp_path):
    """Iteration 2 ran after the checkpoint at 2 before the crash: metrics.jsonl drops its line on
    resume and the event files must not keep it either (one point per step, no stale value)."""
    cfg = C.override(presets.TINY, "schedule", adversarial_iterations=5, checkpoint_every=2)
    out = tmp_path / "cut"
    with pytest.raises(RuntimeError, match="injected crash"):
        train(cfg, out, runtime=CrashAt(3), show_progress=False)
    before = events(out, purge=False)
    first_adv = cfg.schedule.mle_epochs
    assert [s for s, _ in before["adv/reward_mean"]] == [first_adv + i for i in range(3)]
    train(None, out, resume=True, show_progress=False)
    assert len(list(out.glob("events.out.tfevents.*"))) == 1
    main, d_pretrain = expected(read_metrics(out / "metrics.jsonl"))
    assert [s for s, _ in main["adv/reward_mean"]] == [first_adv + i for i in range(5)]
    assert_same(events(out, purge=False), main)  # no duplicate even without TensorBoard's purge
    assert_same(events(out / "d_pretrain", purge=False), d_pretrain)


def test_an_experiment_shows_its_methods_side_by_side(tmp_path, capsys):
    """`tensorboard --logdir EXPERIMENT`: each method's run directory is a TensorBoard run with the
    shared MLE pre-training's epochs first (copied lines are written too)."""
    out = tmp_path / "exp"
    args = ("experiment", "synthetic", "--preset", "tiny", "--methods", "seqgan,mle")
    code, _, err = run_cli(capsys, *args, "--out", out, "--jobs", "2")
    assert code == 0, err
    for method in ("seqgan", "mle", "pretrain"):
        main, _ = expected(read_metrics(out / method / "metrics.jsonl"))
        assert_same(events(out / method), main)
        assert events(out / method)["pretrain/g_nll"][0][0] == 0


# --- sweeps ------------------------------------------------------------------------------------
SPACE = {"schedule.rollout_num": {"choice": [2, 3]}}
BASE = C.override(presets.TINY, "schedule", adversarial_iterations=2, eval_interval=1)


def test_callback_without_its_package_is_one_error(tmp_path, capsys):
    import importlib.util

    if importlib.util.find_spec("wandb") is not None:
        pytest.skip("wandb is installed here")
    code, out, err = run_cli(
        capsys, "sweep", "synthetic", "--preset", "tiny", "--callback", "wandb", "--out", tmp_path
    )
    assert code == 2 and "Traceback" not in err
    assert err.strip().splitlines() == [
        "error: --callback wandb needs the wandb package, which is not installed "
        "(pip install wandb)"
    ]
    assert not any(tmp_path.iterdir())  # nothing started


def test_mlflow_store_holds_a_run_per_trial(ray_cluster, tmp_path, monkeypatch):
    mlflow = pytest.importorskip("mlflow")
    from seqgan_ray.studies.tune import run_sweep

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    out = tmp_path / "sweep"
    outcome = run_sweep(
        BASE, out, SPACE, 2, 2, "fifo", 1, False, echo=lambda _: None, callbacks=("mlflow",)
    )
    assert outcome["trials"] == 2

    trial_dirs = sorted(p for p in (out / "tune" / "sweep").iterdir() if p.is_dir())
    assert len(trial_dirs) == 2
    for trial in trial_dirs:  # Tune's own loggers, and the trial's own run directory
        for name in ("progress.csv", "result.json", "params.json"):
            assert (trial / name).stat().st_size > 0, (trial, name)
        assert list(trial.glob("events.out.tfevents.*"))
        rows = read_metrics(trial / "run" / "metrics.jsonl")
        assert rows[-1]["phase"] == "final"
        main, _ = expected(rows)
        assert_same(events(trial / "run"), main)

    client = mlflow.tracking.MlflowClient(uri)
    experiment = client.get_experiment_by_name(out.name)
    runs = client.search_runs([experiment.experiment_id])
    assert len(runs) == 2
    for trial in trial_dirs:  # each MLflow run is tagged with its trial's name
        (run,) = [r for r in runs if trial.name.startswith(r.data.tags["trial_name"])]
        reports = [json.loads(line) for line in (trial / "result.json").read_text().splitlines()]
        rollouts = reports[0]["config"]["schedule.rollout_num"]
        assert run.data.params["schedule.rollout_num"] == str(rollouts)
        history = client.get_metric_history(run.info.run_id, "nll_oracle")
        assert [(m.step, m.value) for m in history] == [
            (r["training_iteration"], pytest.approx(r["nll_oracle"])) for r in reports
        ]
        assert len(history) == BASE.schedule.adversarial_iterations + 1  # evaluations + final
        assert run.info.status == "FINISHED"
