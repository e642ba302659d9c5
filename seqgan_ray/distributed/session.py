"""Joining or starting Ray: an embedded private instance by default, a cluster when asked.

`ray.init(address="local")` always starts a fresh instance: a plain `ray.init()` first looks for
a running one through /tmp/ray and can hang for minutes on a stale session file.
"""

from __future__ import annotations

import logging
import os
import warnings

from seqgan_ray.errors import UserError


def is_embedded(address: str | None) -> bool:
    """True when no cluster address is given (neither --address nor RAY_ADDRESS)."""
    return not (address or os.environ.get("RAY_ADDRESS"))


def connect(address: str | None = None, verbose: bool = False, num_cpus: int | None = None) -> bool:
    """Connect this process to Ray; returns True when it started a private local instance.

    `address` (or RAY_ADDRESS, as set under `ray job submit`) joins a running cluster; without
    either, a local instance with `num_cpus` logical CPUs starts. Ray's start-up chatter and the
    workers' log lines reach the terminal only when `verbose`.
    """
    import ray

    if ray.is_initialized():
        return False
    address = address or os.environ.get("RAY_ADDRESS") or None
    quiet = {} if verbose else {"logging_level": logging.ERROR, "log_to_driver": False}
    if not verbose:
        warnings.filterwarnings("ignore", module=r"ray\..*")
    try:
        if address:
            ray.init(address=address, **quiet)
            return False
        # Ray starts workers at nice 15; ours do the run's arithmetic, so they get nice 0.
        os.environ.setdefault("RAY_worker_niceness", "0")
        ray.init(address="local", num_cpus=num_cpus, include_dashboard=False, **quiet)
        return True
    except ConnectionError as exc:
        raise UserError(f"cannot reach the Ray cluster at {address!r}: {exc}") from None


def cluster_capacity():
    """The cluster's CPUs and GPUs as Ray sees them now, and its largest node's CPUs."""
    import ray

    from seqgan_ray.distributed.layout import Capacity

    total = ray.cluster_resources()
    nodes = [n["Resources"].get("CPU", 0.0) for n in ray.nodes() if n.get("Alive")]
    return Capacity(total.get("CPU", 0.0), total.get("GPU", 0.0), max(nodes, default=0.0))
