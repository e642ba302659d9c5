"""A run directory written before the move into subpackages still resumes, through the installed
`seqgan-ray`, to the metrics of the old code's uninterrupted run (timings aside).
How the fixture was made: tests/fixtures/README.md.

Since the fixture, D's windows are gathered position-major (`models._Windows`, a speed change
after the move): its GEMMs sum in another order, so the floats agree to rounding (the largest
relative difference over the whole tiny run is ~1e-7), not bit for bit; everything else
(phases, steps, the samples drawn) is equal."""

import json
import shutil
from pathlib import Path

import pytest
from test_cli_usage import run

FIXTURES = Path(__file__).parent / "fixtures"
# Logged since the fixture: the statistics of the weights the g-step's update used (issue 29).
ADDED_SINCE = {"adv/w_mean", "adv/w_std", "adv/w_ess"}


def without_timings(path: Path) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    return [
        {k: v for k, v in row.items() if not (k.startswith("perf/") or k.endswith("_s"))}
        for row in rows
    ]


def test_a_checkpoint_of_commit_480f6dd_resumes_to_the_uninterrupted_runs_metrics(tmp_path):
    run_dir = tmp_path / "run"
    shutil.copytree(FIXTURES / "run-480f6dd", run_dir)
    before = without_timings(run_dir / "metrics.jsonl")
    result = run(
        ["train", "synthetic", "--resume", str(run_dir), "--no-ray", "--no-progress"], tmp_path
    )
    assert result.returncode == 0, result.stderr
    after = without_timings(run_dir / "metrics.jsonl")
    assert after[: len(before)] == before  # the resume appends, it does not rewrite
    assert len(after) > len(before)
    expected = without_timings(FIXTURES / "run-480f6dd-complete.jsonl")
    resumed = after[len(before) :]
    assert all(set(row) >= ADDED_SINCE for row in resumed if row["phase"] == "adversarial")
    after = before + [{k: v for k, v in row.items() if k not in ADDED_SINCE} for row in resumed]
    assert [sorted(row) for row in after] == [sorted(row) for row in expected]
    for row, old in zip(after, expected):
        floats = {k for k, v in old.items() if isinstance(v, float)}
        assert {k: v for k, v in row.items() if k not in floats} == {
            k: v for k, v in old.items() if k not in floats
        }
        assert {k: row[k] for k in floats} == pytest.approx(
            {k: old[k] for k in floats}, rel=1e-6, abs=1e-9
        ), (row["phase"], row["step"])
    samples = (run_dir / "samples.txt").read_text()
    assert samples == (FIXTURES / "run-480f6dd-complete-samples.txt").read_text()
