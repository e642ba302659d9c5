"""What every process that runs our torch code sets up first (the CLI, the learner actor, a
roll-out actor, a sampling task, an experiment worker, a Tune trial), and where G and D run.

Keep freed tensor memory in the process (glibc malloc tuning).

Training allocates and frees the same tens-of-MB buffers every step (logits, log-softmax and its
gradient over a 5000-token vocabulary). By default glibc serves such sizes with mmap and trims
the heap on free, so every step first-touches fresh pages from the kernel: measured here, an MLE
batch at paper sizes took 35 ms with the defaults and 22 ms with both thresholds raised (either
alone does not help). This is the same cure as running under jemalloc/tcmalloc, without a
dependency. It only changes where memory comes from, never a number.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
from typing import TYPE_CHECKING

from seqgan_ray.errors import UserError

if TYPE_CHECKING:
    import torch

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_MMAP_THRESHOLD = 32 << 20  # glibc's maximum on 64-bit systems
_TRIM_THRESHOLD = 1 << 30  # return freed heap memory to the OS only above 1 GiB

_done = False


def keep_freed_memory() -> bool:
    """Raise glibc's mmap and trim thresholds once per process; False where that is not glibc."""
    global _done
    if _done:
        return True
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and other libcs
        return False
    _done = bool(mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)) and bool(
        mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD)
    )
    return _done


def setup_process(threads: int | None = None) -> None:
    """Once at the start of a process: keep freed memory (glibc's default trim costs ~35 % here)
    and, when given, the number of torch threads this process may use."""
    keep_freed_memory()
    if threads is not None:
        import torch  # here, not at import: `seqgan-ray --help` need not load torch

        torch.set_num_threads(threads)


def usable_cpus() -> int:
    """The CPUs this process may run on: its affinity mask (taskset, cgroup cpusets, Slurm),
    not the machine's count, so two studies pinned to one core each take one thread each."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def resolve_device(name: str) -> torch.device:
    """`auto` -> CUDA when torch sees a device, else the CPU; `cuda` without one is bad input."""
    import torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise UserError("--device cuda was asked for, but torch sees no CUDA device")
    return torch.device(name)
