"""The numerics of the paper's baselines (§4, Table 1) and of our constant-reward control.

- Scheduled sampling (Bengio et al. 2015): MLE in which each input token is, with probability
  1 - omega, the model's own sample from the previous step instead of the true token; omega
  falls from 1 by `ss_decay` per epoch (the paper: 0.002).
- PG-BLEU: SeqGAN's policy gradient and roll-outs with BLEU against real data as the reward
  (rollout.BleuReward); here only the choice of references.
- Constant reward: the policy gradient with Q = c everywhere, i.e. raising the log-probability of
  the generator's own samples. It needs no D and no roll-outs (cf. LantaoYu/SeqGAN issue #21).
  Its gap to SeqGAN mixes D's information with step size (Q = 1 gives clipped, full-size steps;
  SeqGAN's shrink as D wins); the `shuffled` control (rewards.shuffle_q) keeps SeqGAN's scale.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from seqgan_ray.core.bleu import BleuScorer, strip_at
from seqgan_ray.core.models import Generator
from seqgan_ray.core.sampling import keyed_generator, sample_from_logits


def ss_omega(epoch: int, decay: float) -> float:
    """Scheduled sampling's probability of feeding the true token, `epoch` epochs into SS."""
    return max(0.0, 1.0 - decay * epoch)


def scheduled_sampling_log_probs(
    generator: Generator, y: torch.Tensor, omega: float, key: tuple
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """log G(y_t | inputs_<=t) (B, T) with scheduled-sampling inputs, those inputs (B, T) and
    the mask (B, T) of inputs that are the model's own samples.

    The input at t = 0 is the start token; at t >= 1 it is y_{t-1} with probability omega, else
    a token sampled (no gradient) from G's own distribution at step t-1. omega = 1 is teacher
    forcing (and takes the fused path).
    """
    B, T = y.shape
    if omega >= 1.0:
        return generator.log_probs(y), generator.teacher_inputs(y), y.new_zeros(B, T, dtype=bool)
    gen = keyed_generator(*key)
    replace = torch.rand(B, T, generator=gen).to(y.device) >= omega  # coin per input position
    replace[:, 0] = False  # the start token is always the first input
    u = torch.rand(B, T, generator=gen)  # one uniform per own-sample draw
    inputs = [y.new_full((B,), generator.start_token)]
    state, out = None, []
    for t in range(T):
        logits, state = generator(inputs[t].unsqueeze(1), state)  # (B, 1, V)
        logits = logits[:, 0]
        out.append(-F.cross_entropy(logits, y[:, t], reduction="none"))
        if t + 1 < T:
            own = sample_from_logits(logits.detach(), u[:, t])
            inputs.append(torch.where(replace[:, t + 1], own, y[:, t]))
    return torch.stack(out, dim=1), torch.stack(inputs, dim=1), replace


def bleu_references(real: torch.Tensor, fraction: float, key: tuple) -> torch.Tensor:
    """A random `fraction` of the real set, drawn with `key` (PG-BLEU's references)."""
    count = max(1, round(fraction * len(real)))
    order = torch.randperm(len(real), generator=keyed_generator(*key))[:count]
    return real[order.to(real.device)]


def bleu_scorer(
    references: torch.Tensor, n: int, smoothing: str, end_token: int | None = None
) -> BleuScorer:
    return BleuScorer(strip_at(references.cpu().numpy(), end_token), n=n, smoothing=smoothing)


def constant_q(y: torch.Tensor, value: float) -> torch.Tensor:
    """Q = value for every token of Y (B, T): the reward control."""
    return torch.full(y.shape, float(value), device=y.device)
