"""benchmarks/gpu_check.py on a machine without CUDA (every machine this project's tests have
run on, docs/gpu.md): one line naming what is missing, exit code 2, nothing written. Also the
device selection it starts from: `auto` is the CPU here, and `cuda` is refused in one line."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from seqgan_ray.core.process import resolve_device
from seqgan_ray.errors import UserError

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "gpu_check.py"

needs_no_cuda = pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")


def run(tmp_path: Path, *args: str, hide_gpus: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, **({"CUDA_VISIBLE_DEVICES": ""} if hide_gpus else {})}
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(tmp_path / "runs"), *args],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
    )  # fmt: skip


def test_without_cuda_it_says_so_in_one_line_and_exits_2(tmp_path):
    done = run(tmp_path)  # CUDA_VISIBLE_DEVICES="" hides any GPU from torch
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: torch sees no CUDA device")
    assert torch.__version__ in lines[0]
    assert not (tmp_path / "runs").exists()


def test_bad_sizes_exit_2(tmp_path):
    done = run(tmp_path, "--workers", "0")
    assert done.returncode == 2 and done.stderr.startswith("error: --workers")


def test_help_says_what_it_checks(tmp_path):
    done = run(tmp_path, "--help")
    assert done.returncode == 0
    assert "--workers" in done.stdout and "--iterations" in done.stdout


@needs_no_cuda
def test_device_auto_is_the_cpu_and_cuda_is_refused():
    assert resolve_device("auto") == torch.device("cpu")
    assert resolve_device("cpu") == torch.device("cpu")
    with pytest.raises(UserError, match="torch sees no CUDA device"):
        resolve_device("cuda")
