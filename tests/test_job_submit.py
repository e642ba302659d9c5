"""End to end on a real Ray cluster: `ray start --head`, then jobs/synthetic.sh (a `ray job submit
--working-dir .`) on the tiny preset; the job succeeds and leaves the run's artifacts. The cluster
is stopped even when the test fails, and only that cluster."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def head(tmp_path):
    """A Ray head on 127.0.0.1 in the foreground (`--block`) in its own process group, so that
    teardown stops exactly this cluster: `ray stop` would also kill the test session's Ray."""
    ray_cli = shutil.which("ray") or str(Path(sys.executable).with_name("ray"))
    if not Path(ray_cli).exists():
        pytest.skip("the ray CLI is not installed")
    # Ray 2.60 heads demand the token (DESIGN §4); workers at nice 0 as `seqgan-ray` runs them
    env = {**os.environ, "RAY_AUTH_MODE": "token", "RAY_worker_niceness": "0"}
    env.pop("RAY_ADDRESS", None)
    dashboard = _free_port()
    start = [
        ray_cli, "start", "--head", "--block", "--node-ip-address", "127.0.0.1",
        "--port", str(_free_port()), "--dashboard-port", str(dashboard),
        "--num-cpus", "4", "--include-dashboard", "true", "--disable-usage-stats",
        # every port its own: the session's test Ray holds Ray's defaults on this machine, and a
        # head whose dashboard agent cannot bind answers "No available agent to submit job"
        "--dashboard-agent-listen-port", str(_free_port()),
        "--dashboard-agent-grpc-port", str(_free_port()),
        "--metrics-export-port", str(_free_port()),
        "--runtime-env-agent-port", str(_free_port()),
        "--node-manager-port", str(_free_port()),
        "--object-manager-port", str(_free_port()),
    ]  # fmt: skip
    log = open(tmp_path / "head.log", "w")  # noqa: SIM115 (closed in teardown)
    proc = subprocess.Popen(start, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 180
        while not _listening(dashboard):
            assert proc.poll() is None, (tmp_path / "head.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "the Ray head did not come up in 180 s"
            time.sleep(1)
        yield env | {"RAY_ADDRESS": f"http://127.0.0.1:{dashboard}"}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # --block stops the processes it started
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_ray_job_submit_runs_the_synthetic_job(head, tmp_path):
    out = tmp_path / "run"
    env = head | {"PRESET": "tiny", "OUT": str(out), "RUNTIME_ENV": "none"}
    for _ in range(12):  # right after start-up the head may not accept jobs yet
        job = subprocess.run(
            ["bash", str(ROOT / "jobs" / "synthetic.sh"), "--rollout-workers", "2"],
            env=env, capture_output=True, text=True, timeout=900,
        )  # fmt: skip
        if "No available agent" not in job.stdout + job.stderr:
            break
        time.sleep(5)
    assert job.returncode == 0, job.stdout[-3000:] + job.stderr[-3000:]
    assert "succeeded" in job.stdout
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert rows[-1]["phase"] == "final" and rows[-1]["final/nll_oracle"] > 0
    assert sum(r["phase"] == "adversarial" for r in rows) == 4  # the tiny preset's iterations
    for name in ("config.json", "checkpoint.pt", "samples.txt", "final_nll_oracle.npy"):
        assert (out / name).stat().st_size > 0, name
