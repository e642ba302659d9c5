"""Where the learner, the roll-out actors and the sampling tasks go: a layout that fits the Ray
cluster. Pure arithmetic on a given capacity (no Ray), so it is unit-tested on made-up clusters.

The driver (trainer.train) is synchronous: the learner, the roll-out pool and the sampling tasks
never compute at the same time. A cluster with room for a whole CPU per piece gets one (the
*dedicated* layout); a smaller one (a laptop head with 1 or 2 CPUs) is *time-shared*: each piece
reserves a fraction of the CPUs and, taking turns, each uses all the cores while it computes.
The numbers do not depend on the layout: roll-out n draws from (seed, step, n) alone and Q is
combined in index order (DESIGN §4), so only the learner's thread count could change a digit.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace

from seqgan_ray.core.sampling import (
    NEGATIVE_SHARDS as NEGATIVE_TASKS,  # one sampling task per shard
)
from seqgan_ray.errors import UserError


@dataclass(frozen=True)
class RayOptions:
    """What the user asked for; None leaves the choice to `choose_layout`."""

    rollout_workers: int | None = None  # K; 0 scores roll-outs inside the learner actor
    cpus_per_rollout_worker: float | None = None
    gpus_per_rollout_worker: float | None = None
    learner_cpus: float | None = None
    learner_gpus: float | None = None
    max_restarts: int = 3
    placement_timeout_s: float = 300.0

    def __post_init__(self) -> None:
        problems = []
        if self.rollout_workers is not None and self.rollout_workers < 0:
            problems.append(f"--rollout-workers must be >= 0 (got {self.rollout_workers})")
        if self.cpus_per_rollout_worker is not None and self.cpus_per_rollout_worker <= 0:
            problems.append("--cpus-per-rollout-worker must be > 0")
        if (self.gpus_per_rollout_worker or 0) < 0 or (self.learner_gpus or 0) < 0:
            problems.append("GPU counts must be >= 0")
        if self.learner_cpus is not None and self.learner_cpus <= 0:
            problems.append("--learner-cpus must be > 0")
        if problems:
            raise UserError("; ".join(problems))


@dataclass(frozen=True)
class Capacity:
    """A cluster's CPUs and GPUs in total, and the CPUs of its largest node (an actor's threads
    and reservation live on one node)."""

    cpus: float
    gpus: float = 0.0
    node_cpus: float | None = None  # default: one node with all the CPUs

    @property
    def largest_node(self) -> float:
        return self.cpus if self.node_cpus is None else self.node_cpus


@dataclass(frozen=True)
class Layout:
    """Reservations (Ray resources) and threads of every piece of a run."""

    learner_cpus: float
    learner_gpus: float
    learner_threads: int
    workers: int  # K roll-out actors; 0: roll-outs inside the learner
    worker_cpus: float
    worker_gpus: float
    task_cpus: float  # each negative-sampling task (one thread)
    tasks_at_once: int = 1  # sampling tasks the layout makes room for (more run if Ray has room)
    shared: bool = False  # time-shared fractions rather than a whole CPU per piece

    def demands(self) -> dict[str, float]:
        """What the run holds: the actors for the whole run, plus room for its sampling tasks."""
        k = self.workers
        return {
            "CPU": self.learner_cpus + k * self.worker_cpus + self.tasks_at_once * self.task_cpus,
            "GPU": self.learner_gpus + k * self.worker_gpus,
        }

    def fits(self, cap: Capacity) -> bool:
        need, eps = self.demands(), 1e-9
        return (
            need["CPU"] <= cap.cpus + eps
            and need["GPU"] <= cap.gpus + eps
            and max(self.learner_cpus, self.worker_cpus if self.workers else 0.0)
            <= cap.largest_node + eps
        )

    def to_dict(self) -> dict:
        return asdict(self)

    def describe(self) -> str:
        """The one line printed at start."""
        plural = "s" if self.workers != 1 else ""
        pool = (
            f"{self.workers} roll-out worker{plural} x {self.worker_cpus:g} CPU "
            f"{self.worker_gpus:g} GPU"
            if self.workers
            else "0 roll-out workers (roll-outs in the learner)"
        )
        need = self.demands()
        return (
            f"layout: learner {self.learner_cpus:g} CPU {self.learner_gpus:g} GPU "
            f"({self.learner_threads} thread{'s' if self.learner_threads != 1 else ''}), {pool}, "
            f"sampling tasks {self.task_cpus:g} CPU "
            f"each ({self.tasks_at_once} at a time); holds {need['CPU']:g} CPU {need['GPU']:g} GPU"
            + (", time-shared: the pieces take turns" if self.shared else "")
        )


def _units(x: float) -> float:
    """`x` rounded down to Ray's resource precision (1e-4), so that the fractions' sum fits."""
    return math.floor(x * 10_000 + 1e-6) / 10_000


def _gpus(o: RayOptions, cap: Capacity, workers: int, use_gpus: bool) -> tuple[float, float]:
    """(learner GPUs, GPUs per worker): the user's, else a whole GPU for the learner when there
    are two or more (half of a single one), the rest shared by the workers in 1/m fractions, which
    pack onto whole GPUs. No GPU when the run is on the CPU."""
    auto = use_gpus and cap.gpus > 0
    lg = o.learner_gpus if o.learner_gpus is not None else (min(1.0, cap.gpus / 2) if auto else 0.0)
    if o.gpus_per_rollout_worker is not None:
        return lg, o.gpus_per_rollout_worker
    left = cap.gpus - lg
    if not (auto and workers and left > 0):
        return lg, 0.0
    if left >= 1:
        return lg, _units(1.0 / math.ceil(workers / math.floor(left)))
    return lg, _units(left / workers)


def _dedicated(o: RayOptions, cap: Capacity, n: int, use_gpus: bool) -> Layout:
    """A whole CPU for the learner, each worker and the sampling tasks (or the user's sizes);
    as many workers as fit, one per roll-out index at most."""
    lc = o.learner_cpus if o.learner_cpus is not None else 1.0
    wc = o.cpus_per_rollout_worker if o.cpus_per_rollout_worker is not None else 1.0
    k = o.rollout_workers
    if k is None:
        # at least one worker: without room for it this layout does not fit and the next is tried
        k = min(n, max(1, math.floor((cap.cpus - lc - 1.0) / wc + 1e-9)))
    lg, wg = _gpus(o, cap, k, use_gpus)
    return Layout(lc, lg, max(1, int(lc)), k, wc, wg, 1.0)


def embedded_layout(options: RayOptions, cores: int, n: int) -> tuple[Layout, int]:
    """The layout on a private local Ray, and that Ray's logical CPUs. The local Ray is sized to
    the layout rather than the other way round: the learner gets every core, K = one worker per
    core, sampling tasks one CPU each, and the logical CPUs exceed the cores, which is safe
    because the pieces take turns (module docstring)."""
    o = options
    lc = o.learner_cpus if o.learner_cpus is not None else float(cores)
    wc = o.cpus_per_rollout_worker if o.cpus_per_rollout_worker is not None else 1.0
    k = o.rollout_workers if o.rollout_workers is not None else max(1, int(cores // wc))
    k = min(k, n)  # a worker per roll-out index at most
    at_once = min(NEGATIVE_TASKS, cores)
    lg, wg = o.learner_gpus or 0.0, o.gpus_per_rollout_worker or 0.0
    layout = Layout(lc, lg, max(1, int(lc)), k, wc, wg, 1.0, at_once, shared=True)
    return layout, math.ceil(layout.demands()["CPU"] - 1e-9)


def _time_shared(o: RayOptions, cap: Capacity, n: int, use_gpus: bool) -> Layout | None:
    """The learner, the pool and the sampling tasks each reserve a third of the CPUs; taking
    turns, the learner computes with every core of its node, K workers (one per core) with one
    thread each, and up to min(4, cores) sampling tasks at once. On two cores this is exactly
    the embedded layout (learner 2 threads, 2 workers, 2 tasks at a time)."""
    if o.learner_cpus is not None or o.cpus_per_rollout_worker is not None:
        return None  # the user sized the pieces: no fractions of our own
    cores = max(1, math.floor(cap.largest_node + 1e-9))
    k = o.rollout_workers if o.rollout_workers is not None else min(n, cores)
    if k > max(1, math.floor(cap.cpus + 1e-9)):
        return None  # more workers than CPUs: each would hold a thread with no core to run on
    share = cap.cpus / (3 if k else 2)
    at_once = min(NEGATIVE_TASKS, cores)
    lg, wg = _gpus(o, cap, k, use_gpus)
    return Layout(
        _units(share),
        lg,
        cores,
        k,
        _units(share / k) if k else 0.0,
        wg,
        _units(share / at_once),
        at_once,
        shared=True,
    )


def _in_learner(o: RayOptions, cap: Capacity, use_gpus: bool) -> Layout | None:
    """K = 0: roll-outs inside the learner; the sampling tasks get what the learner leaves."""
    if o.rollout_workers not in (None, 0):
        return None
    lc = o.learner_cpus if o.learner_cpus is not None else 1.0
    left = cap.cpus - lc
    if left <= 0:
        return None
    lg, _ = _gpus(o, cap, 0, use_gpus)
    return Layout(lc, lg, max(1, int(lc)), 0, 0.0, 0.0, _units(min(1.0, left)))


def choose_layout(
    options: RayOptions, cap: Capacity, rollout_num: int, use_gpus: bool = True
) -> Layout:
    """The first layout that fits `cap`: dedicated, then time-shared, then roll-outs in the
    learner; every value the user gave is kept. `rollout_num` caps K (a worker per index at
    most; 0 when the learner computes every reward, as for PG-BLEU). Raises UserError naming
    the shortfall when none fits."""
    o = options
    if o.rollout_workers is not None and o.rollout_workers > rollout_num:
        o = replace(o, rollout_workers=rollout_num)  # a worker per roll-out index at most
    tried = []
    for make in (
        lambda: _dedicated(o, cap, rollout_num, use_gpus),
        lambda: _time_shared(o, cap, rollout_num, use_gpus),
        lambda: _in_learner(o, cap, use_gpus),
    ):
        layout = make()
        if layout is None:
            continue
        if layout.fits(cap):
            return layout
        tried.append(layout)
    check_fits(tried[0], cap)  # the dedicated layout: what the user's flags ask for
    raise AssertionError("unreachable: a layout that fits was returned above")


def check_fits(layout: Layout, cap: Capacity) -> None:
    """One clear error when `layout` cannot be placed on `cap` (its actors would wait forever)."""
    if layout.fits(cap):
        return
    need, have = layout.demands(), {"CPU": cap.cpus, "GPU": cap.gpus}
    short = [f"{r} {need[r]:g} > {have[r]:g}" for r in have if need[r] > have[r] + 1e-9]
    raise UserError(
        "the learner and roll-out pool need more than the Ray cluster has ("
        + (
            "; ".join(short)
            or f"an actor is bigger than the largest node, {cap.largest_node:g} CPU"
        )
        + "); use fewer or smaller workers (or leave their sizes to the layout), or a bigger cluster"
    )
