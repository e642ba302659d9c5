"""The three objectives of SeqGAN as pure functions. Shapes: B batch, T length."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def mle_loss(log_probs: torch.Tensor) -> torch.Tensor:
    """Per-token mean negative log-likelihood of teacher-forced log G(y_t | y_<t): (B, T) -> ()."""
    return -log_probs.mean()


def policy_gradient_loss(log_probs: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """REINFORCE with Monte Carlo Q (paper Eq. 6-8): -sum_{b,t} log G(y_t | Y_{1:t-1}) * Q_t.

    A sum over batch x time, as in the official generator.py (not a mean): with Adam the scale
    mostly cancels, but it is the reference behaviour. q carries no gradient.
    """
    return -(log_probs * q.detach()).sum()


def discriminator_loss(
    logits: torch.Tensor, labels: torch.Tensor, output_l2: torch.Tensor, l2_reg: float
) -> torch.Tensor:
    """Mean cross-entropy of P(real) = sigmoid(logits) against labels (1 real, 0 generated),
    plus l2_reg * (|w|^2 + |b|^2) / 2 of the output layer (official discriminator.py)."""
    return F.binary_cross_entropy_with_logits(logits, labels) + l2_reg * output_l2
