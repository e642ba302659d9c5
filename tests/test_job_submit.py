"""End to end on a real Ray cluster, the issue's own pair of commands: `ray start --head
--num-cpus 2`, then `ray job submit --working-dir . -- seqgan-ray train synthetic` (the tiny
preset here; the README shows demo). The job succeeds on the 2 CPUs, prints a layout that fits
them and leaves a complete run directory; jobs/synthetic.sh runs on the same head. The head is
stopped even when a test fails, and only that head (other Ray clusters may share the machine)."""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
RAY = shutil.which("ray", path=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
HEAD_CPUS = 2
# Deadlines, not sleeps: generous, as the machine may be busy with other Ray clusters.
HEAD_UP_S, JOB_API_S, JOB_S = 300, 300, 1800
# What `ray job submit` prints when the job API is not answering yet: the job never started.
NOT_READY = (
    "No available agent",
    "ConnectionError",
    "Connection aborted",
    "RemoteDisconnected",
    "Connection refused",
    "Failed to connect",
    "502",
    "503",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


class Head(NamedTuple):
    env: dict  # for `ray job ...`: RAY_ADDRESS, the token mode, this venv on PATH
    temp: Path  # the head's temp dir, where job working directories are unpacked


def _ray(env: dict, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [RAY, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(scope="module")
def head():
    """A Ray head with 2 CPUs on 127.0.0.1 in the foreground (`--block`), in its own process
    group and temp dir, so that teardown stops exactly this cluster (`ray stop` would stop every
    Ray on the machine). Yields it once its job API answers."""
    if RAY is None:
        pytest.skip("the ray CLI is not installed")
    # Ray 2.60 heads demand the token (DESIGN §4); workers at nice 0 as `seqgan-ray` runs them;
    # the venv first on PATH, so the job's `seqgan-ray` is this installation's entry point
    env = {**os.environ, "RAY_AUTH_MODE": "token", "RAY_worker_niceness": "0"}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.pop("RAY_ADDRESS", None)
    temp = Path(tempfile.mkdtemp(prefix="rayjob-", dir="/tmp"))  # short: socket paths
    dashboard = _free_port()
    start = [
        RAY, "start", "--head", "--block", "--node-ip-address", "127.0.0.1",
        "--port", str(_free_port()), "--dashboard-port", str(dashboard),
        "--num-cpus", str(HEAD_CPUS), "--include-dashboard", "true", "--disable-usage-stats",
        "--temp-dir", str(temp),
        # every port its own: other Rays on this machine hold Ray's defaults, and a head whose
        # dashboard agent cannot bind answers "No available agent to submit job"
        "--dashboard-agent-listen-port", str(_free_port()),
        "--dashboard-agent-grpc-port", str(_free_port()),
        "--metrics-export-port", str(_free_port()),
        "--runtime-env-agent-port", str(_free_port()),
        "--node-manager-port", str(_free_port()),
        "--object-manager-port", str(_free_port()),
    ]  # fmt: skip
    log_path = temp / "head.log"
    log = open(log_path, "w")  # noqa: SIM115 (closed in teardown)
    proc = subprocess.Popen(start, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)  # fmt: skip
    env["RAY_ADDRESS"] = f"http://127.0.0.1:{dashboard}"
    try:
        _wait_until_jobs_are_accepted(env, proc, dashboard, log_path)
        yield Head(env, temp)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # --block stops the processes it started
        try:
            proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
        shutil.rmtree(temp, ignore_errors=True)


def _wait_until_jobs_are_accepted(env, proc, dashboard, log_path) -> None:
    """The dashboard port opens before the job API answers (a POST then fails with
    RemoteDisconnected): wait for `ray job list` itself to succeed, within a deadline."""
    deadline = time.monotonic() + HEAD_UP_S + JOB_API_S
    last = ""
    while True:
        assert proc.poll() is None, log_path.read_text()[-3000:]
        if _listening(dashboard):
            answer = _ray(env, "job", "list")
            if answer.returncode == 0:
                return
            last = answer.stdout[-1500:] + answer.stderr[-1500:]
        assert time.monotonic() < deadline, f"the job API did not answer: {last}"
        time.sleep(1)  # poll interval


def submit(env: dict, *argv: str) -> tuple[str, str]:
    """Run `ray job submit ...` (blocking, it streams the job's output) and return (status,
    output). The submission is retried while the job API refuses it before the job started;
    if the log stream breaks after the job started, its status and logs are polled instead."""
    deadline = time.monotonic() + JOB_API_S
    while True:
        job = _ray(env, "job", "submit", *argv, timeout=JOB_S)
        out = job.stdout + job.stderr
        started = re.search(r"Job '(\S+)' submitted successfully", out)
        if started or not any(s in out for s in NOT_READY) or time.monotonic() > deadline:
            break
        time.sleep(2)  # poll interval
    if job.returncode == 0 or not started:
        return ("SUCCEEDED" if job.returncode == 0 else "NOT SUBMITTED"), out
    job_id, deadline = started.group(1), time.monotonic() + JOB_S
    while time.monotonic() < deadline:
        status = _ray(env, "job", "status", job_id).stdout
        if any(s in status for s in ("SUCCEEDED", "FAILED", "STOPPED")):
            logs = _ray(env, "job", "logs", job_id).stdout
            return re.search(r"SUCCEEDED|FAILED|STOPPED", status).group(0), out + logs
        time.sleep(2)  # poll interval
    return "TIMED OUT", out


def assert_complete_run(out: Path, adversarial: int) -> None:
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert rows[-1]["phase"] == "final" and rows[-1]["final/nll_oracle"] > 0
    assert sum(r["phase"] == "adversarial" for r in rows) == adversarial
    for name in ("config.json", "checkpoint.pt", "samples.txt", "final_nll_oracle.npy"):
        assert (out / name).stat().st_size > 0, name


def test_the_issues_job_submit_succeeds_on_a_two_cpu_head(head, tmp_path):
    """The literal command (tiny instead of demo): no sizing flags, no --out."""
    status, out = submit(
        head.env, "--working-dir", ".", "--", "seqgan-ray", "train", "synthetic", "--preset", "tiny"
    )
    assert status == "SUCCEEDED", out[-4000:]
    assert "succeeded" in out
    # the layout line: fractions of the 2 CPUs, the learner with both cores' threads
    layout = re.search(r"^layout: .*$", out, re.M)
    assert layout, out[-4000:]
    held = float(re.search(r"holds ([\d.]+) CPU", layout.group(0)).group(1))
    assert 1.9 <= held <= HEAD_CPUS, layout.group(0)
    assert "(2 threads)" in layout.group(0) and "2 roll-out workers" in layout.group(0)
    # runs/synthetic-tiny-TIME, relative to the job's working directory on the head
    run_dir = re.search(r"^done: out=(\S+)", out, re.M).group(1)
    (found,) = [p for p in head.temp.rglob(Path(run_dir).name) if p.is_dir()]
    assert_complete_run(found, adversarial=4)  # the tiny preset's iterations
    # the same numbers as a private local Ray with the same learner threads (2) and K (2)
    local = tmp_path / "local"
    env = {k: v for k, v in head.env.items() if k != "RAY_ADDRESS"}
    argv = ["--preset", "tiny", "--learner-cpus", "2", "--rollout-workers", "2", "--no-progress"]
    proc = subprocess.run(
        [str(BIN / "seqgan-ray"), "train", "synthetic", *argv, "--out", str(local)],
        env=env, capture_output=True, text=True, timeout=JOB_S,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert without_perf(found / "metrics.jsonl") == without_perf(local / "metrics.jsonl")
    assert (found / "samples.txt").read_text() == (local / "samples.txt").read_text()


def without_perf(path: Path) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    return [{k: v for k, v in r.items() if not k.startswith("perf/")} for r in rows]


def test_jobs_synthetic_sh_runs_on_the_same_head(head, tmp_path):
    out = tmp_path / "run"
    env = head.env | {"PRESET": "tiny", "OUT": str(out), "RUNTIME_ENV": "none"}
    deadline = time.monotonic() + JOB_API_S
    while True:
        job = subprocess.run(
            ["bash", str(ROOT / "jobs" / "synthetic.sh")],
            env=env, capture_output=True, text=True, timeout=JOB_S,
        )  # fmt: skip
        text = job.stdout + job.stderr
        if "submitted successfully" in text or not any(s in text for s in NOT_READY):
            break
        assert time.monotonic() < deadline, text[-3000:]
        time.sleep(2)  # poll interval
    assert job.returncode == 0, text[-4000:]
    assert "succeeded" in job.stdout and "layout: " in job.stdout
    assert_complete_run(out, adversarial=4)
