"""A pool of roll-out actors: each scores its shard of the N roll-out indices.

Roll-out n of a g-step draws its random numbers from (seed, step, n) alone (rollout.py), so the
pool combines per-index scores in index order and Q equals the in-process Q for any number of
actors, any sharding, and after a lost shard is recomputed on another actor.
"""

from __future__ import annotations

import time

import ray
import torch
from ray.exceptions import ActorUnavailableError, RayActorError, RayTaskError
from ray.util.placement_group import (
    get_current_placement_group,
    placement_group,
    remove_placement_group,
)
from ray.util.scheduling_strategies import PlacementGroupSchedulingStrategy

from seqgan_ray.config import RunConfig
from seqgan_ray.core.models import Discriminator
from seqgan_ray.core.process import setup_process
from seqgan_ray.core.rollout import DiscriminatorReward, rollout_rewards
from seqgan_ray.core.sampling import shard_sizes
from seqgan_ray.errors import UserError


class RolloutWorker:
    """Holds a copy of D (cached by version) and completes + scores roll-outs on request."""

    def __init__(self, config: dict, threads: int):
        setup_process(threads)
        cfg = RunConfig.from_dict(config)
        self.device = torch.device(
            "cuda" if torch.cuda.is_available() and ray.get_gpu_ids() else "cpu"
        )
        self.disc = Discriminator.from_config(cfg).to(self.device)
        self.disc.eval()  # scoring never uses dropout (as the official code)
        self.score_dtype = cfg.schedule.score_dtype
        self.version = -1
        self.reward: DiscriminatorReward | None = None

    def scores(
        self, policy, d_version, d_state: list, y: torch.Tensor, indices: list, key: tuple
    ) -> tuple[torch.Tensor, float]:
        """Per-index rewards (len(indices), B, T-1) and the seconds spent computing them. `d_state` is [ref to D's state dict]: nested
        in a list so Ray fetches it only when this actor's cached version is not `d_version`."""
        if d_version != self.version:
            self.disc.load_state_dict(ray.get(d_state[0]))
            self.reward = DiscriminatorReward(self.disc, self.score_dtype)
            self.version = d_version
        t0 = time.perf_counter()
        policy = policy.to(self.device)
        out = rollout_rewards(policy, self.reward, y.to(self.device), indices, key).cpu()
        return out, time.perf_counter() - t0  # compute time: the pool reports its overhead

    def node_id(self) -> str:
        return ray.get_runtime_context().get_node_id()


class RolloutPool:
    """K roll-out actors; `scores` shards [0, N) over them and recovers from lost actors."""

    def __init__(
        self,
        cfg: RunConfig,
        workers: int,
        cpus_per_worker: float = 1.0,
        gpus_per_worker: float = 0.0,
        max_restarts: int = 3,
        placement_timeout_s: float = 300.0,
        straggler_s: float = 120.0,
    ):
        if workers < 1:
            raise UserError(f"a roll-out pool needs >= 1 worker (got {workers})")
        self._own_group = None
        group = get_current_placement_group()  # a Tune trial reserves its bundles up front
        if group is None:
            # One bundle per actor, spread over nodes: roll-outs use the whole cluster.
            bundle = {
                "CPU": cpus_per_worker,
                **({"GPU": gpus_per_worker} if gpus_per_worker else {}),
            }
            group = self._own_group = placement_group([bundle] * workers, strategy="SPREAD")
            ready, _ = ray.wait([group.ready()], timeout=placement_timeout_s)
            if not ready:
                remove_placement_group(group)
                raise UserError(
                    f"{workers} roll-out workers ({cpus_per_worker:g} CPU, {gpus_per_worker:g} GPU "
                    f"each) could not be placed within {placement_timeout_s:.0f} s; the cluster "
                    "lacks the resources"
                )
        threads = max(1, int(cpus_per_worker))
        self.actors = [
            ray.remote(RolloutWorker)
            .options(
                num_cpus=cpus_per_worker,
                num_gpus=gpus_per_worker,
                max_restarts=max_restarts,
                max_task_retries=0,  # a lost shard is re-sent by `scores`, with current weights
                scheduling_strategy=PlacementGroupSchedulingStrategy(
                    group, placement_group_bundle_index=i if self._own_group else -1
                ),
            )
            .remote(cfg.to_dict(), threads)
            for i in range(workers)
        ]
        self.max_failures = max_restarts * workers + workers
        self.placement_timeout_s, self.straggler_s = placement_timeout_s, straggler_s
        self._restarting: dict[int, ray.ObjectRef] = {}  # worker -> probe, while it is down
        self._gone: set[int] = set()  # out of restarts
        self.last_compute_s = 0.0

    def shutdown(self) -> None:
        for a in self.actors:
            ray.kill(a)
        if self._own_group is not None:
            remove_placement_group(self._own_group)
            self._own_group = None

    def node_ids(self, timeout_s: float = 60.0) -> list[str]:
        """Where each actor runs (waiting out restarts)."""
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                return ray.get([a.node_id.remote() for a in self.actors])
            except RayActorError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def scores(
        self, policy_ref, d_version, d_ref, y: torch.Tensor, rollout_num: int, key: tuple
    ) -> torch.Tensor:
        """Per-index rewards (N, B, T-1) in index order, whatever actor computed each shard.

        Shards go to the actors that are up. A shard whose actor died, or that gets no answer for
        `straggler_s` (an actor whose restart waits for room on the cluster never answers), is
        re-sent to another actor; should both copies come back, they hold the same numbers.
        """
        live = self._live()
        sizes = shard_sizes(rollout_num, len(live))
        starts = [sum(sizes[:i]) for i in range(len(sizes))]
        shards = [list(range(s, s + n)) for s, n in zip(starts, sizes)]
        pending: dict = {}  # call -> (shard, worker)

        def submit(shard: int, worker: int) -> None:
            call = self.actors[worker].scores.remote(
                policy_ref, d_version, [d_ref], y, shards[shard], key
            )
            pending[call] = (shard, worker)

        def resend(shard: int, worker: int) -> None:
            """Mark `worker` down (a probe says when it is back) and give `shard` to another."""
            nonlocal failures
            failures += 1
            if failures > self.max_failures:
                raise UserError(f"roll-out shards failed {failures} times; giving up")
            self._restarting.setdefault(worker, self.actors[worker].node_id.remote())
            if shard not in results and shard not in {s for s, _ in pending.values()}:
                submit(shard, self._live(after=worker)[0])

        for i in range(len(shards)):
            submit(i, live[i])
        results: dict[int, torch.Tensor] = {}
        compute_s: list[float] = []
        failures = 0
        patience = max(self.straggler_s, 10 * self.last_compute_s)
        while len(results) < len(shards):
            ready, _ = ray.wait(list(pending), num_returns=1, timeout=patience)
            if not ready:
                stuck = list(pending.items())
                pending.clear()  # abandoned: a late answer is never read
                for _, (shard, worker) in stuck:
                    resend(shard, worker)
                continue
            shard, worker = pending.pop(ready[0])
            try:
                out, seconds = ray.get(ready[0])
            except RayActorError as exc:
                if isinstance(exc, RayTaskError):  # an input was lost (its owner, the learner,
                    raise  # died), not this actor: the runtime reports the learner's loss
                resend(shard, worker)  # a restarted actor's cache is empty: it fetches D again
                continue
            results.setdefault(shard, out)
            compute_s.append(seconds)
        self.last_compute_s = max(compute_s)  # the slowest shard: the rest of the wall is overhead
        return torch.cat([results[i] for i in range(len(shards))])

    def _live(self, after: int = -1) -> list[int]:
        """The actors that answer, in turn after `after`. An actor lost with its node restarts
        when Ray has re-placed its bundle, which needs room on the surviving nodes; until then the
        others take its shards. With none up, wait up to `placement_timeout_s` for one."""
        deadline = time.monotonic() + self.placement_timeout_s
        while True:
            if self._restarting:  # a probe returns once its actor runs again (or is gone)
                probes = list(self._restarting.values())
                done, _ = ray.wait(probes, num_returns=len(probes), timeout=0)
                for worker, probe in list(self._restarting.items()):
                    if probe in done:
                        self._probe_answered(worker, probe)
            order = [(after + 1 + i) % len(self.actors) for i in range(len(self.actors))]
            live = [w for w in order if w not in self._restarting and w not in self._gone]
            if live:
                return live
            if len(self._gone) == len(self.actors) or time.monotonic() > deadline:
                raise UserError(
                    f"no roll-out actor is up ({len(self._gone)} of {len(self.actors)} gone for "
                    f"good, the rest not re-placed within {self.placement_timeout_s:.0f} s): the "
                    "cluster lost the nodes or the room they need"
                )
            ray.wait(list(self._restarting.values()), num_returns=1, timeout=1.0)

    def _probe_answered(self, worker: int, probe) -> None:
        del self._restarting[worker]
        try:
            ray.get(probe)
        except ActorUnavailableError:  # still coming back: ask again
            self._restarting[worker] = self.actors[worker].node_id.remote()
        except RayActorError:  # out of restarts
            self._gone.add(worker)
