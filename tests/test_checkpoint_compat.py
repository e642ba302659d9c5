"""A run directory written before the move into subpackages still resumes, through the installed
`seqgan-ray`, to exactly the metrics of the old code's uninterrupted run (timings aside).
How the fixture was made: tests/fixtures/README.md."""

import json
import shutil
from pathlib import Path

from test_cli_usage import run

FIXTURES = Path(__file__).parent / "fixtures"


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
    assert after == without_timings(FIXTURES / "run-480f6dd-complete.jsonl")
