"""The learner: owns G, D, the roll-out policy beta, their optimizers and the real set.

It does every update of Algorithm 1 but decides nothing about *when*: the driver in trainer.py
calls it in paper order. It knows nothing of Ray; distributed/ wraps it in an actor unchanged.
"""

from __future__ import annotations

import copy

import torch

from seqgan_ray.config import RunConfig
from seqgan_ray.core import diagnostics, losses, rewards
from seqgan_ray.core.baselines import (
    bleu_references,
    bleu_scorer,
    constant_q,
    scheduled_sampling_log_probs,
)
from seqgan_ray.core.d_training import d_epoch, d_optimizer
from seqgan_ray.core.models import Discriminator, Generator, Policy
from seqgan_ray.core.rollout import BleuReward, DiscriminatorReward, estimate_q
from seqgan_ray.core.sampling import derive_seed, keyed_generator, sample_sequences
from seqgan_ray.core.tables import batches


class Learner:
    def __init__(self, cfg: RunConfig, task, device: torch.device):
        self.cfg, self.device, self.task = cfg, device, task
        g, d = cfg.generator, cfg.discriminator
        torch.manual_seed(derive_seed(cfg.seed, "init"))
        self.generator = Generator.from_config(cfg).to(device)
        self.discriminator = Discriminator.from_config(cfg).to(device)
        self.discriminator.eval()  # scoring mode except inside train_discriminator
        self.rollout: Generator | None = None  # beta, created when the adversarial phase starts
        self.g_opt = torch.optim.Adam(self.generator.parameters(), lr=g.lr)
        self.d_opt = d_optimizer(self.discriminator, d.lr)
        self.g_adv_opt: torch.optim.Optimizer | None = None
        self.real = task.real.to(device)
        self._bleu_reward: BleuReward | None = None
        self._diag_sets: tuple[torch.Tensor, torch.Tensor] | None = None  # D's diagnostic rows

    # --- policies handed to samplers and roll-out workers -------------------------------------
    def generator_policy(self) -> Policy:
        return self.generator.policy()

    def rollout_policy(self) -> Policy:
        assert self.rollout is not None, "the roll-out policy exists from the adversarial phase on"
        return self.rollout.policy()

    def reward(self) -> DiscriminatorReward | BleuReward:
        """What scores a finished roll-out: D (SeqGAN) or BLEU against real data (PG-BLEU)."""
        m = self.cfg.method
        if m.q_source != "bleu":
            return DiscriminatorReward(self.discriminator, self.cfg.schedule.score_dtype)
        if self._bleu_reward is None:  # the reference tables are built once per run
            refs = bleu_references(self.real, m.bleu_references, (self.cfg.seed, "bleu_references"))
            scorer = bleu_scorer(refs, m.bleu_n, m.bleu_smoothing, self.task.end_token)
            self._bleu_reward = BleuReward(scorer, self.task.end_token)
        return self._bleu_reward

    def sample(self, num: int, key: tuple) -> torch.Tensor:
        return sample_sequences(self.generator.policy(), num, key)

    @torch.no_grad()
    def q_values(self, y: torch.Tensor, key: tuple) -> torch.Tensor:
        """Q(s, a) (B, T) of samples Y (B, T), all in this process: the mean reward of N
        roll-outs of beta (paper Eq. 4; `key` = (seed, "rollout", iteration, g-step)), or the
        constant control's value. On Ray the pool shards D's roll-outs (distributed/runtime.py)."""
        m = self.cfg.method
        if not m.uses_rollouts:  # the constant-reward control
            return constant_q(y, m.constant_reward)
        n = self.cfg.schedule.rollout_num
        return estimate_q(self.rollout_policy(), self.reward(), y.to(self.device), n, key)

    def evaluate(self, num: int, key: tuple) -> dict[str, float]:
        """The task's metrics of `num` fresh samples from G at the evaluation temperature
        (NLL-oracle and NLL-test for the synthetic task)."""
        return self.task.evaluate(self.generator, num, key, self.cfg.schedule.temperature)

    def final_evaluation(
        self, num: int, key: tuple
    ) -> tuple[dict[str, float], torch.Tensor, torch.Tensor]:
        """Metrics of `num` samples, the samples, and the per-sequence main metric (NLL-oracle
        or BLEU: the input of the experiments' t-tests)."""
        tau = self.cfg.schedule.temperature
        samples = sample_sequences(self.generator.policy(), num, key, tau)
        quality, per_sequence = self.task.scored_quality(samples)
        stats = {f"final/{k}": v for k, v in quality.items()}
        stats["final/nll_test"] = self.task.nll_test(self.generator, tau)
        return stats, samples.cpu(), per_sequence

    # --- Algorithm 1, line 2: MLE pre-training ------------------------------------------------
    def mle_epoch(self, epoch: int, omega: float = 1.0) -> dict[str, float]:
        """One epoch of MLE over S; omega < 1 is scheduled sampling (the SS baseline)."""
        s = self.cfg.schedule
        total, count = 0.0, 0
        order = keyed_generator(self.cfg.seed, "mle", epoch)
        for i, y in enumerate(batches(self.real, s.batch_size, order)):
            if omega < 1.0:
                log_probs, _, _ = scheduled_sampling_log_probs(
                    self.generator, y, omega, (self.cfg.seed, "ss", epoch, i)
                )
            else:
                log_probs = self.generator.log_probs(y)
            loss = losses.mle_loss(log_probs, self._mask(y))
            self._update(self.generator, self.g_opt, loss, self.cfg.generator.grad_clip)
            total, count = total + loss.item() * len(y), count + len(y)
        return {"g_nll": total / count}

    # --- Algorithm 1, lines 3-4 and 11-14: train D on S (label 1) and negatives (label 0) -----
    def train_discriminator(
        self, negatives: torch.Tensor, key: tuple, epochs: int | None = None
    ) -> dict[str, float]:
        """`epochs` of cross-entropy on S + negatives; k (schedule.k_epochs) unless given."""
        s, d = self.cfg.schedule, self.cfg.discriminator
        negatives = negatives.to(self.device)
        real = self.real
        if s.num_positives is not None and s.num_positives < len(real):
            pick = torch.randperm(len(real), generator=keyed_generator(*key, "positives"))
            real = real[pick[: s.num_positives].to(self.device)]
        tokens = torch.cat([real, negatives])
        labels = torch.cat([real.new_ones(len(real)), negatives.new_zeros(len(negatives))]).float()
        torch.manual_seed(derive_seed(*key, "dropout"))
        self.discriminator.train()
        for epoch in range(epochs or s.k_epochs):
            order = torch.randperm(len(tokens), generator=keyed_generator(*key, epoch)).to(
                self.device
            )
            stats = d_epoch(
                self.discriminator,
                self.d_opt,
                tokens,
                labels,
                order,
                s.batch_size,
                d.l2_reg,
                s.d_dtype,
            )
        self.discriminator.eval()
        return {"d/loss": stats.loss, "d/acc": stats.acc}  # the last epoch's

    # --- Algorithm 1, lines 5-10: the adversarial phase ---------------------------------------
    def adversarial_started(self) -> bool:
        return self.rollout is not None

    def start_adversarial(self) -> None:
        """beta <- theta, and a fresh Adam for the policy gradient (official: a second optimizer)."""
        self.rollout = copy.deepcopy(self.generator).requires_grad_(False)
        g = self.cfg.generator  # adv_lr None: the official single learning rate
        self.g_adv_opt = torch.optim.Adam(
            self.generator.parameters(), lr=g.lr if g.adv_lr is None else g.adv_lr
        )

    def g_step(self, y: torch.Tensor, q: torch.Tensor, key: tuple = ()) -> dict[str, float]:
        """One REINFORCE update of theta from samples Y (B, T) and their Q (B, T), with the
        method's weights (rewards.policy_weights: Q itself for SeqGAN; `key`, e.g. (seed,
        "shuffle", iteration, g-step), keys the controls' permutations). Returns the
        loss, Q's mean and the game's diagnostics (diagnostics.py) of this step."""
        y, q = y.to(self.device), q.to(self.device)
        mask = self._mask(y)
        weights = rewards.policy_weights(q, self.cfg.method, key, mask)
        loss = losses.policy_gradient_loss(self.generator.log_probs(y), weights, mask)
        params = list(self.generator.parameters())
        before = [p.detach().clone() for p in params]
        # as _update, with the pre-clip norm kept (clip_grad_norm_ returns it)
        self.g_adv_opt.zero_grad(set_to_none=True)
        loss.backward()
        clip = self.cfg.generator.grad_clip
        grad_norm = torch.nn.utils.clip_grad_norm_(params, clip)
        self.g_adv_opt.step()
        return {
            "adv/g_loss": loss.item(),
            "adv/reward_mean": q.mean().item(),
            "adv/reward_final": q[:, -1].mean().item(),
            **diagnostics.update_stats(grad_norm, clip, before, params),
            **diagnostics.q_stats(q),
            **diagnostics.q_stats(weights, "adv/w_"),
        }

    @torch.no_grad()
    def discriminator_diagnostics(self, key: tuple) -> dict[str, float]:
        """D's mean P(real) on DIAG_SEQUENCES rows of S, of held-out real data (the task's test
        set, which D never trains on) and of fresh G samples drawn with `key` (diagnostics.py).
        The real rows are chosen once per run with their own keys; nothing else's RNG moves."""
        if self._diag_sets is None:
            n, seed = diagnostics.DIAG_SEQUENCES, self.cfg.seed
            self._diag_sets = (
                diagnostics.keyed_subset(self.real, n, (seed, "diag_train")),
                diagnostics.keyed_subset(self.task.test.to(self.device), n, (seed, "diag_heldout")),
            )
        train, heldout = self._diag_sets
        fake = self.sample(diagnostics.DIAG_SEQUENCES, key)
        d = self.discriminator
        return {
            "d/p_real_train": diagnostics.mean_p_real(d, train),
            "d/p_real_heldout": diagnostics.mean_p_real(d, heldout),
            "d/p_real_fake": diagnostics.mean_p_real(d, fake),
        }

    @torch.no_grad()
    def sync_rollout(self) -> None:
        """beta <- theta (Algorithm 1 line 18, and in effect the official code; config.py), or
        with rollout_update_rate > 0 our variant, beta <- rate * beta + (1 - rate) * theta."""
        rate = self.cfg.schedule.rollout_update_rate
        if rate == 0.0:  # an exact copy, not 0 * beta + theta (which keeps -0.0 and NaN of beta)
            self.rollout.load_state_dict(self.generator.state_dict())
            return
        for beta, theta in zip(self.rollout.parameters(), self.generator.parameters()):
            beta.mul_(rate).add_(theta, alpha=1.0 - rate)

    def _mask(self, y: torch.Tensor) -> torch.Tensor | None:
        return losses.valid_positions(y, self.generator.end_token)

    @staticmethod
    def _update(
        model: torch.nn.Module,
        opt: torch.optim.Optimizer,
        loss: torch.Tensor,
        clip: float | None = None,
    ) -> None:
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if clip is not None:
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()

    # --- checkpointing ------------------------------------------------------------------------
    def state_dict(self) -> dict:
        return {
            "generator": self.generator.state_dict(),
            "discriminator": self.discriminator.state_dict(),
            "rollout": None if self.rollout is None else self.rollout.state_dict(),
            "g_opt": self.g_opt.state_dict(),
            "d_opt": self.d_opt.state_dict(),
            "g_adv_opt": None if self.g_adv_opt is None else self.g_adv_opt.state_dict(),
        }

    @staticmethod
    def rng_state() -> torch.Tensor:
        """The process's torch RNG state (checkpointed: it lives where the learner runs)."""
        return torch.get_rng_state()

    @staticmethod
    def set_rng_state(state: torch.Tensor) -> None:
        torch.set_rng_state(state)

    def load_pretrained_generator(self, state: dict) -> None:
        """Take over G and its MLE optimizer from another run's state_dict (shared pre-training)."""
        self.generator.load_state_dict(state["generator"])
        self.g_opt.load_state_dict(state["g_opt"])

    def load_state_dict(self, state: dict) -> None:
        self.generator.load_state_dict(state["generator"])
        self.discriminator.load_state_dict(state["discriminator"])
        self.g_opt.load_state_dict(state["g_opt"])
        self.d_opt.load_state_dict(state["d_opt"])
        if state["rollout"] is not None:
            self.start_adversarial()
            self.rollout.load_state_dict(state["rollout"])
            self.g_adv_opt.load_state_dict(state["g_adv_opt"])
