"""Training D: its optimizer and one epoch over shuffled batches (Algorithm 1, lines 3-4, 11-14).

The learner's d-steps and `seqgan-ray bench d-epoch` both run `d_epoch`, so the benchmark times
exactly what training does. Shapes: M sequences, T length.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from seqgan_ray.core import losses
from seqgan_ray.core.models import Discriminator


class EpochStats(NamedTuple):
    loss: float  # mean over sequences of the batch losses (cross-entropy + L2 term)
    acc: float  # fraction classified right (logit > 0 means real) while training


def d_optimizer(disc: Discriminator, lr: float) -> torch.optim.Adam:
    """Adam (official: lr 1e-4) with the fused kernel: the same update, one pass over memory.

    D holds ~7M parameters (the highway's two 1,720 x 1,720 matrices); PyTorch's default
    for-each Adam took 24-49 ms per CPU step against 5 ms fused, i.e. 3-6 s of an 8,000-sequence
    epoch (README, "Speed").
    """
    return torch.optim.Adam(disc.parameters(), lr=lr, fused=True)


def d_epoch(
    disc: Discriminator,
    opt: torch.optim.Optimizer,
    tokens: torch.Tensor,
    labels: torch.Tensor,
    order: torch.Tensor,
    batch_size: int,
    l2_reg: float,
    dtype: str = "float32",
) -> EpochStats:
    """One pass of D (in train mode: dropout on) over `tokens` (M, T) with `labels` (M,) 1 real,
    0 generated, in batches of `order` (M,), each one Adam step on discriminator_loss.

    dtype "bfloat16" runs D's forward under bf16 autocast: its GEMMs (and their backward) in
    bf16, the weights, the Adam state, the ReLU/highway mixing and the loss in fp32. At the paper's
    D it took an epoch 1.2-1.3x faster on this CPU (README, "Speed").
    """
    bf16 = dtype == "bfloat16"
    total = tokens.new_zeros((), dtype=torch.float32)
    correct = tokens.new_zeros((), dtype=torch.long)
    for idx in order.split(batch_size):
        with torch.autocast(tokens.device.type, dtype=torch.bfloat16, enabled=bf16):
            logits = disc(tokens[idx])  # (b,) fp32 either way
        target = labels[idx]
        loss = losses.discriminator_loss(logits, target, disc.output_l2(), l2_reg)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        # Accumulated on the device: no host sync per batch.
        total += loss.detach() * len(idx)
        correct += ((logits.detach() > 0).float() == target).sum()
    count = len(order)
    return EpochStats(total.item() / count, correct.item() / count)
