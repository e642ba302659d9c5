"""`RayRuntime`: where trainer.py's learner, roll-outs and negatives live when Ray is on.

The driver (trainer.train) is the same as in-process; only these three hooks differ:
`make_learner` starts the learner actor (the driver calls it through a RemoteLearner),
`q_values` fans roll-outs over the pool, `negatives` launches sampling tasks whose Arrow tables
go straight to the learner.
"""

from __future__ import annotations

import ray
import torch

from seqgan_ray.config import RunConfig
from seqgan_ray.core.process import usable_cpus
from seqgan_ray.core.rollout import combine_q
from seqgan_ray.core.sampling import NEGATIVE_SHARDS
from seqgan_ray.distributed import negatives as negative_tasks
from seqgan_ray.distributed.layout import Layout, RayOptions
from seqgan_ray.distributed.learner_actor import LearnerActor, RemoteLearner, learner_failures
from seqgan_ray.distributed.rollout_pool import RolloutPool
from seqgan_ray.errors import UserError

# One sampling task per in-process shard, so both paths draw the same negatives (README: why 4).
NEGATIVE_TASKS = NEGATIVE_SHARDS


class RayRuntime:
    """Ray starts (or is joined) when the trainer asks for the learner, so bad input found
    before that (config, checkpoint, oracle file) never waits on Ray's start-up."""

    def __init__(
        self,
        options: RayOptions,
        address: str | None = None,
        verbose: bool = False,
        layout: Layout | None = None,
        echo=None,
    ):
        """`layout` fixes every reservation (a Tune trial inside its bundles); without it the
        layout is chosen to fit the cluster when Ray is joined, and `echo` prints it."""
        self.options, self.address, self.verbose = options, address, verbose
        self.layout, self.echo = layout, echo
        self.owns_ray = False
        self.pool: RolloutPool | None = None
        self.learner_actor = None
        self.learners = 0  # learner actors replaced after a loss
        self._d_cache: tuple[tuple[int, int], ray.ObjectRef] | None = None  # D's last export

    def _connect(self, cfg: RunConfig) -> Layout:
        """Join or start Ray and choose the layout: a private local Ray is sized to the layout,
        a cluster gets the layout that fits it (layout.py)."""
        from seqgan_ray.distributed.layout import check_fits, choose_layout, embedded_layout
        from seqgan_ray.distributed.session import cluster_capacity, connect, is_embedded

        # PG-BLEU's reward lives with the learner's real set: only D's roll-outs go to workers
        n = cfg.schedule.rollout_num if cfg.method.uses_discriminator else 0
        num_cpus = None
        if self.layout is None and is_embedded(self.address) and not ray.is_initialized():
            self.layout, num_cpus = embedded_layout(self.options, usable_cpus(), n)
        self.owns_ray = connect(self.address, self.verbose, num_cpus)
        cap = cluster_capacity()
        if self.layout is None:  # a cluster (or a Ray this process joined already)
            self.layout = choose_layout(self.options, cap, n, use_gpus=cfg.device != "cpu")
        check_fits(self.layout, cap)  # e.g. GPU flags on a machine without GPUs
        if self.echo is not None:
            where = f" on a private Ray of {num_cpus} logical CPUs" if num_cpus else ""
            self.echo(self.layout.describe() + where)
        return self.layout

    def _learner_actor(self, cfg: RunConfig):
        """A learner actor with the layout's reservation and threads (also after a loss)."""
        lay = self.layout
        actor = ray.remote(LearnerActor).options(
            num_cpus=lay.learner_cpus, num_gpus=lay.learner_gpus, max_restarts=0
        )
        return actor.remote(cfg.to_dict(), lay.learner_threads)

    def make_learner(self, cfg: RunConfig) -> RemoteLearner:
        if self.learner_actor is not None:  # the learner was lost: a new one, the same pool
            return self._replace_learner(cfg)
        lay, o = self._connect(cfg), self.options
        if cfg.device == "cuda" and lay.learner_gpus == 0:
            raise UserError("--device cuda needs a GPU for the learner (--learner-gpus > 0)")
        self.learner_actor = self._learner_actor(cfg)
        learner = RemoteLearner(self.learner_actor, cfg)
        if lay.workers > 0 and cfg.method.uses_discriminator:
            self.pool = RolloutPool(
                cfg,
                min(lay.workers, cfg.schedule.rollout_num),  # a worker per index at most
                lay.worker_cpus,
                lay.worker_gpus,
                o.max_restarts,
                o.placement_timeout_s,
            )
        return learner

    def _replace_learner(self, cfg: RunConfig) -> RemoteLearner:
        """A new learner actor after the last one died; trainer.train loads the checkpoint."""
        o = self.options
        ray.kill(self.learner_actor)  # dead already, or cut off: never two learners at once
        self.learners += 1  # D versions count from 0 again: the pool's caches key on this too
        self._d_cache = None
        self.learner_actor = self._learner_actor(cfg)
        ready, _ = ray.wait([self.learner_actor.ready.remote()], timeout=o.placement_timeout_s)
        if not ready:  # the lost node held the room it needs
            raise UserError(
                f"a new learner actor ({self.layout.learner_cpus:g} CPU, "
                f"{self.layout.learner_gpus:g} GPU) could not "
                f"be placed within {o.placement_timeout_s:.0f} s after the last one was lost"
            )
        return RemoteLearner(self.learner_actor, cfg)

    @torch.no_grad()
    def q_values(self, learner: RemoteLearner, y: ray.ObjectRef, key: tuple) -> torch.Tensor:
        """Q of Y (a reference: the learner's sample), D's roll-outs sharded over the pool."""
        actor = learner.actor
        with learner_failures(actor):  # the pool's inputs come from the learner
            if self.pool is None:  # K = 0, or a reward only the learner can compute (PG-BLEU)
                return ray.get(actor.q_values.remote(y, key))
            policy_ref = actor.rollout_policy.remote()  # one object, shared by all actors
            version, d_ref = self._discriminator(learner)
            final = actor.final_reward.remote(y)
            n = learner.cfg.schedule.rollout_num
            scores = self.pool.scores(policy_ref, version, d_ref, y, n, key)
            return combine_q(scores, ray.get(final))

    def _discriminator(self, learner: RemoteLearner) -> tuple[tuple[int, int], ray.ObjectRef]:
        """D's (version, state ref), exported again only when the driver has changed D since.
        A version is (learner, update): a replaced learner counts its updates from 0 again."""
        version = (self.learners, learner.d_version)
        if self._d_cache is None or self._d_cache[0] != version:
            self._d_cache = (version, learner.actor.discriminator_state.remote())
        return self._d_cache

    def negatives(self, learner: RemoteLearner, num: int, key: tuple) -> list:
        policy_ref = learner.actor.generator_policy.remote()
        return negative_tasks.launch(
            policy_ref, num, key, NEGATIVE_TASKS, num_cpus=self.layout.task_cpus
        )

    def shutdown(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()
        if self.learner_actor is not None:
            ray.kill(self.learner_actor)
        if self.owns_ray:
            ray.shutdown()
