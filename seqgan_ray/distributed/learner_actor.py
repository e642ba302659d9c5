"""The learner as a Ray actor, and `RemoteLearner`, the driver's handle on it.

trainer.py drives a `Learner` through plain method calls; `RemoteLearner` has the same methods,
each one remote call on the actor, so Algorithm 1 reads the same in-process and on a cluster.
Tensors cross the boundary on the CPU (the driver may have no GPU); the actor moves them to its
device. The sampled batch Y stays in the object store: the driver holds its reference only.
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
from seqgan_ray.core.models import Policy
from seqgan_ray.core.process import resolve_device, setup_process
from seqgan_ray.core.tables import from_table
from seqgan_ray.errors import LearnerLost, UserError
from seqgan_ray.tasks import make_task


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


class LearnerActor:
    """Owns a Learner (G, D, beta, optimizers, the real set) in its own process."""

    def __init__(self, config: dict, threads: int):
        setup_process(threads)
        cfg = RunConfig.from_dict(config)
        device = resolve_device(cfg.device)
        self.learner = Learner(cfg, make_task(cfg, device), device)

    def ready(self) -> bool:
        """Answers once the actor is up (and, while it is, at any time)."""
        return True

    # --- what the driver calls, in trainer._run's order ---------------------------------------
    def load_pretrained_generator(self, state: dict) -> None:
        self.learner.load_pretrained_generator(state)

    def load_state_dict(self, state: dict) -> None:
        self.learner.load_state_dict(state)

    def set_rng_state(self, state: torch.Tensor) -> None:
        self.learner.set_rng_state(state)

    def mle_epoch(self, epoch: int, omega: float) -> dict[str, float]:
        return self.learner.mle_epoch(epoch, omega)

    def train_discriminator(
        self, negatives: list, key: tuple, epochs: int | None = None
    ) -> dict[str, float]:
        """`negatives`: object refs of the sampling tasks' Arrow tables, concatenated here."""
        tokens = from_table(pa.concat_tables(ray.get(negatives)))
        return self.learner.train_discriminator(tokens, key, epochs)

    def adversarial_started(self) -> bool:
        return self.learner.adversarial_started()

    def start_adversarial(self) -> None:
        self.learner.start_adversarial()

    def sample(self, num: int, key: tuple) -> torch.Tensor:
        return self.learner.sample(num, key).cpu()

    def q_values(self, y: torch.Tensor, key: tuple) -> torch.Tensor:
        """Q computed in this actor: without roll-out actors, or for rewards they cannot score
        (PG-BLEU's BLEU tables live with the real set)."""
        return self.learner.q_values(y, key).cpu()

    def g_step(self, y: torch.Tensor, q: torch.Tensor, key: tuple) -> dict[str, float]:
        return self.learner.g_step(y, q, key)

    def sync_rollout(self) -> None:
        self.learner.sync_rollout()

    def discriminator_diagnostics(self, key: tuple) -> dict[str, float]:
        return self.learner.discriminator_diagnostics(key)

    def evaluate(self, num: int, key: tuple) -> dict[str, float]:
        return self.learner.evaluate(num, key)

    def final_evaluation(self, num: int, key: tuple) -> tuple:
        return to_cpu(self.learner.final_evaluation(num, key))

    def state_dict(self) -> dict:
        return to_cpu(self.learner.state_dict())

    def rng_state(self) -> torch.Tensor:
        return self.learner.rng_state()

    # --- what the roll-out actors and sampling tasks need, as single objects in the store -----
    def generator_policy(self) -> Policy:
        return self.learner.generator_policy().to("cpu")

    def rollout_policy(self) -> Policy:
        return self.learner.rollout_policy().to("cpu")

    def discriminator_state(self) -> dict:
        return to_cpu(self.learner.discriminator.state_dict())

    @torch.no_grad()
    def final_reward(self, y: torch.Tensor) -> torch.Tensor:
        """Q at t = T, D(Y), scored once by the learner (as the in-process path does)."""
        return self.learner.reward().final(y.to(self.learner.device)).cpu()


class RemoteLearner:
    """The driver's handle on the learner actor: Learner's methods that trainer.py calls, each
    waiting for its result. It counts D's updates, all of which the driver issues through it,
    so the roll-out pool knows when to ship D's weights again without asking the actor."""

    def __init__(self, actor: ray.actor.ActorHandle, cfg: RunConfig):
        self.actor, self.cfg = actor, cfg
        self.d_version = 0  # D's updates so far (loaded or trained) by this learner actor

    def _get(self, ref: ray.ObjectRef) -> Any:
        with learner_failures(self.actor):
            return ray.get(ref)

    def load_pretrained_generator(self, state: dict) -> None:
        self._get(self.actor.load_pretrained_generator.remote(state))

    def load_state_dict(self, state: dict) -> None:
        self._get(self.actor.load_state_dict.remote(state))
        self.d_version += 1

    def set_rng_state(self, state: torch.Tensor) -> None:
        self._get(self.actor.set_rng_state.remote(state))

    def mle_epoch(self, epoch: int, omega: float = 1.0) -> dict[str, float]:
        return self._get(self.actor.mle_epoch.remote(epoch, omega))

    def train_discriminator(
        self, negatives: list[ray.ObjectRef], key: tuple, epochs: int | None = None
    ) -> dict[str, float]:
        stats = self._get(self.actor.train_discriminator.remote(negatives, key, epochs))
        self.d_version += 1
        return stats

    def adversarial_started(self) -> bool:
        return self._get(self.actor.adversarial_started.remote())

    def start_adversarial(self) -> None:
        self._get(self.actor.start_adversarial.remote())

    def sample(self, num: int, key: tuple) -> ray.ObjectRef:
        """Y's reference, once Y exists (so the driver's roll-out timer starts after sampling):
        the roll-outs and g_step read Y from the object store, never through the driver."""
        y = self.actor.sample.remote(num, key)
        ray.wait([y], fetch_local=False)
        return y

    def g_step(self, y: ray.ObjectRef, q: torch.Tensor, key: tuple) -> dict[str, float]:
        return self._get(self.actor.g_step.remote(y, q, key))

    def sync_rollout(self) -> None:
        self._get(self.actor.sync_rollout.remote())

    def discriminator_diagnostics(self, key: tuple) -> dict[str, float]:
        return self._get(self.actor.discriminator_diagnostics.remote(key))

    def evaluate(self, num: int, key: tuple) -> dict[str, float]:
        return self._get(self.actor.evaluate.remote(num, key))

    def final_evaluation(self, num: int, key: tuple) -> tuple:
        return self._get(self.actor.final_evaluation.remote(num, key))

    def state_dict(self) -> dict:
        return self._get(self.actor.state_dict.remote())

    def rng_state(self) -> torch.Tensor:
        return self._get(self.actor.rng_state.remote())


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
        ray.get(actor.ready.remote(), timeout=timeout_s)
    except RayActorError:
        return False
    except GetTimeoutError:  # busy is not dead
        pass
    return True


def _death(exc: Exception) -> str:
    """Ray's reason for an actor's death in a few words ("its node has died")."""
    found = re.search(r"(?:is dead|died) because (.+?)\.(?:\s|$)", str(exc))
    return found.group(1) if found else type(exc).__name__
