"""`RayRuntime`: where trainer.py's learner, roll-outs and negatives live when Ray is on.

The driver (trainer.train) is the same as in-process; only these three hooks differ:
`make_learner` starts the learner actor, `q_values` fans roll-outs over the pool, `negatives`
launches sampling tasks whose Arrow tables go straight to the learner.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import ray
import torch

from ..config import RunConfig
from ..errors import UserError
from ..rollout import combine_q
from ..trainer import NEGATIVE_SHARDS
from . import negatives as negative_tasks
from .learner_actor import LearnerActor, LearnerProxy
from .rollout_pool import RolloutPool
from .session import check_fits

# One sampling task per in-process shard, so both paths draw the same negatives (README: why 4).
NEGATIVE_TASKS = NEGATIVE_SHARDS


@dataclass(frozen=True)
class RayOptions:
    """Where each piece runs. `rollout_workers=0` scores roll-outs inside the learner actor;
    -1 sizes the pool to the cluster (see `start`)."""

    rollout_workers: int = 1
    cpus_per_rollout_worker: float = 1.0
    gpus_per_rollout_worker: float = 0.0
    learner_cpus: float = 1.0
    learner_gpus: float = 0.0
    max_restarts: int = 3
    placement_timeout_s: float = 300.0

    def __post_init__(self) -> None:
        problems = []
        if self.rollout_workers < -1:
            problems.append(f"--rollout-workers must be >= 0 (got {self.rollout_workers})")
        if self.cpus_per_rollout_worker <= 0:
            problems.append("--cpus-per-rollout-worker must be > 0")
        if self.gpus_per_rollout_worker < 0 or self.learner_gpus < 0:
            problems.append("GPU counts must be >= 0")
        if self.learner_cpus <= 0:
            problems.append("--learner-cpus must be > 0")
        if problems:
            raise UserError("; ".join(problems))

    def demands(self) -> dict[str, float]:
        """CPU/GPU the run needs: what the learner and the pool hold for the whole run, plus one
        CPU so that negative-sampling tasks can run (one at a time, at worst)."""
        k = self.rollout_workers
        return {
            "CPU": self.learner_cpus + k * self.cpus_per_rollout_worker + 1,
            "GPU": self.learner_gpus + k * self.gpus_per_rollout_worker,
        }


def local_cpus(options: RayOptions) -> int:
    """Logical CPUs for an embedded Ray: the actors' reservations plus room for the sampling
    tasks. The learner and the pool never compute at the same time (the driver is synchronous),
    so reserving more logical CPUs than the machine has cores does not oversubscribe it."""
    need = options.demands()["CPU"] - 1 + min(NEGATIVE_TASKS, os.cpu_count() or 1)
    return int(-(-need // 1))


class RayRuntime:
    """Ray starts (or is joined) when the trainer asks for the learner, so bad input found
    before that (config, checkpoint, oracle file) never waits on Ray's start-up."""

    def __init__(self, options: RayOptions, address: str | None = None, verbose: bool = False):
        self.options, self.address, self.verbose = options, address, verbose
        self.owns_ray = False
        self.pool: RolloutPool | None = None
        self.learner_actor = None
        self._d_cache: tuple[int, ray.ObjectRef] | None = None

    def _connect(self) -> RayOptions:
        """Join or start Ray and size what the options leave open: `rollout_workers=-1` is one
        worker per free CPU (or GPU, with GPU workers), keeping one CPU for sampling tasks; an
        embedded Ray gets as many logical CPUs as the run reserves (`local_cpus`)."""
        from dataclasses import replace

        from .session import cluster_capacity, connect, is_embedded

        o = self.options
        embedded = is_embedded(self.address)
        if embedded and o.rollout_workers < 0:
            cores = os.cpu_count() or 1
            o = replace(o, rollout_workers=max(1, int(cores // o.cpus_per_rollout_worker)))
        self.owns_ray = connect(self.address, self.verbose, local_cpus(o) if embedded else None)
        if o.rollout_workers < 0:
            have = cluster_capacity()
            if o.gpus_per_rollout_worker > 0:
                k = (have["GPU"] - o.learner_gpus) // o.gpus_per_rollout_worker
            else:
                k = (have["CPU"] - o.learner_cpus - 1) // o.cpus_per_rollout_worker
            o = replace(o, rollout_workers=max(1, int(k)))
        self.options = o
        return o

    def make_learner(self, cfg: RunConfig) -> LearnerProxy:
        o = self._connect()
        if cfg.device == "cuda" and o.learner_gpus == 0:
            raise UserError("--device cuda needs --learner-gpus > 0 on Ray")
        check_fits(o.demands(), "the learner and roll-out pool")
        threads = max(1, int(o.learner_cpus))
        actor = ray.remote(LearnerActor).options(
            num_cpus=o.learner_cpus, num_gpus=o.learner_gpus, max_restarts=0
        )
        self.learner_actor = actor.remote(cfg.to_dict(), threads)
        proxy = LearnerProxy(self.learner_actor, cfg)
        if o.rollout_workers > 0 and cfg.method.name != "pg_bleu":
            self.pool = RolloutPool(
                cfg,
                min(o.rollout_workers, cfg.schedule.rollout_num),  # a worker per index at most
                o.cpus_per_rollout_worker,
                o.gpus_per_rollout_worker,
                o.max_restarts,
                o.placement_timeout_s,
            )
        return proxy

    @torch.no_grad()
    def q_values(self, learner: LearnerProxy, y: torch.Tensor, key: tuple) -> torch.Tensor:
        actor = learner.actor
        if self.pool is None:  # K = 0, or a reward only the learner can compute (PG-BLEU)
            return ray.get(actor.q_values.remote(y, key))
        policy_ref = actor.rollout_policy.remote()  # one object in the store, shared by all actors
        version, d_ref = self._discriminator(actor)
        final = actor.final_reward.remote(y)
        n = learner.cfg.schedule.rollout_num
        scores = self.pool.scores(policy_ref, version, d_ref, y, n, key)
        return combine_q(scores, ray.get(final))

    def _discriminator(self, actor) -> tuple[int, ray.ObjectRef]:
        """D's (version, state ref), re-exported only when the learner's D changed."""
        version = ray.get(actor.discriminator_version.remote())
        if self._d_cache is None or self._d_cache[0] != version:
            self._d_cache = (version, actor.discriminator_state.remote())
        return self._d_cache

    def negatives(self, learner: LearnerProxy, num: int, key: tuple) -> list:
        policy_ref = learner.actor.generator_policy.remote()
        return negative_tasks.launch(policy_ref, num, key, NEGATIVE_TASKS)

    def shutdown(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()
        if self.learner_actor is not None:
            ray.kill(self.learner_actor)
        if self.owns_ray:
            ray.shutdown()
