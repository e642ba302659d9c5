"""The learner as a Ray actor, and a proxy that lets the driver call it like a local Learner.

trainer.py drives a `Learner` through plain method calls; `LearnerProxy` turns each into a remote
call on the actor, so Algorithm 1 reads the same in-process and on a cluster. Tensors cross the
boundary on the CPU (the driver may have no GPU); the actor moves them to its device.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from typing import Any

import pyarrow as pa
import ray
import torch
from ray.exceptions import GetTimeoutError, RayActorError, RayError, RayTaskError

from seqgan_ray.config import RunConfig
from seqgan_ray.core.learner import Learner
from seqgan_ray.core.process import resolve_device, setup_process
from seqgan_ray.core.rollout import estimate_q_with
from seqgan_ray.core.tables import from_table
from seqgan_ray.errors import LearnerLost, UserError
from seqgan_ray.tasks import make_task

# Learner methods after which D's weights differ: roll-out actors must fetch them anew.
CHANGES_DISCRIMINATOR = frozenset({"train_discriminator", "load_state_dict"})


def to_cpu(value: Any) -> Any:
    """`value` with every tensor (inside dicts, lists, tuples, named tuples) moved to the CPU."""
    if isinstance(value, torch.Tensor):
        return value.cpu()
    if isinstance(value, dict):
        return {k: to_cpu(v) for k, v in value.items()}
    if isinstance(value, tuple) and hasattr(value, "_replace"):
        return type(value)(*(to_cpu(v) for v in value))
    if isinstance(value, (list, tuple)):
        return type(value)(to_cpu(v) for v in value)
    return value


def tables_to_tokens(refs: list) -> torch.Tensor:
    """Negatives as Arrow tables (object refs from the sampling tasks) -> one (N, T) tensor."""
    return from_table(pa.concat_tables(ray.get(refs)))


class LearnerActor:
    """Owns a Learner (G, D, beta, optimizers, the real set) in its own process."""

    def __init__(self, config: dict, threads: int):
        setup_process(threads)
        cfg = RunConfig.from_dict(config)
        device = resolve_device(cfg.device)
        self.learner = Learner(cfg, make_task(cfg, device), device)
        self.d_version = 0

    def call(self, name: str, *args: Any) -> Any:
        """Run `learner.name(*args)`; a list of object refs stands for negatives as Arrow tables."""
        args = tuple(
            tables_to_tokens(a)
            if isinstance(a, list) and a and isinstance(a[0], ray.ObjectRef)
            else a
            for a in args
        )
        result = getattr(self.learner, name)(*args)
        if name in CHANGES_DISCRIMINATOR:
            self.d_version += 1
        return to_cpu(result)

    # --- what the roll-out actors and sampling tasks need, as single objects in the store -----
    def generator_policy(self):
        return to_cpu(self.learner.generator_policy())

    def rollout_policy(self):
        return to_cpu(self.learner.rollout_policy())

    def discriminator_version(self) -> int:
        return self.d_version

    def discriminator_state(self) -> dict:
        return to_cpu(self.learner.discriminator.state_dict())

    @torch.no_grad()
    def final_reward(self, y: torch.Tensor) -> torch.Tensor:
        """Q at t = T, D(Y), scored once by the learner (as the in-process path does)."""
        return self.learner.reward().final(y.to(self.learner.device)).cpu()

    def q_values(self, y: torch.Tensor, key: tuple) -> torch.Tensor:
        """Q computed in this actor: rewards the roll-out actors cannot score (PG-BLEU's BLEU
        tables live with the real set)."""
        learner = self.learner
        y = y.to(learner.device)
        q = estimate_q_with(
            learner.rollout_policy(), learner.reward(), y, learner.cfg.schedule.rollout_num, key
        )
        return q.cpu()


class LearnerProxy:
    """Calls on this object run on the learner actor and return its (CPU) result."""

    def __init__(self, actor: ray.actor.ActorHandle, cfg: RunConfig):
        self.actor, self.cfg = actor, cfg

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)

        def remote_call(*args: Any) -> Any:
            with learner_failures(self.actor):
                return ray.get(self.actor.call.remote(name, *args))

        remote_call.__name__ = name
        return remote_call


@contextmanager
def learner_failures(actor: ray.actor.ActorHandle):
    """Ray errors around a use of the learner, as the driver handles them: bad input is one
    UserError (as in-process); any failure while the learner is dead is LearnerLost, whatever
    call saw it first (a roll-out whose input the learner owned, a lost object, the call)."""
    try:
        yield
    except RayError as exc:
        if isinstance(exc, RayTaskError) and isinstance(exc.cause, UserError):
            raise UserError(str(exc.cause)) from None
        if getattr(exc, "actor_init_failed", False) or is_alive(actor):
            raise  # not lost; or it never started, and a new one would fail alike
        raise LearnerLost(_death(exc)) from None


def is_alive(actor: ray.actor.ActorHandle, timeout_s: float = 60.0) -> bool:
    try:
        ray.get(actor.discriminator_version.remote(), timeout=timeout_s)
    except RayActorError:
        return False
    except GetTimeoutError:  # busy is not dead
        pass
    return True


def _death(exc: Exception) -> str:
    """Ray's reason for an actor's death in a few words ("its node has died")."""
    found = re.search(r"(?:is dead|died) because (.+?)\.(?:\s|$)", str(exc))
    return found.group(1) if found else type(exc).__name__
