"""The three objectives of SeqGAN as pure functions. Shapes: B batch, T length."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def valid_positions(y: torch.Tensor, end_token: int | None) -> torch.Tensor | None:
    """(B, T) float mask of the positions that count: up to and including the first end token.

    None when there is no end token (fixed-length data: every position counts).
    """
    if end_token is None:
        return None
    ended_before = (y == end_token).long().cumsum(dim=1) - (y == end_token).long()
    return (ended_before == 0).float()


def mle_loss(log_probs: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Per-token mean negative log-likelihood of teacher-forced log G(y_t | y_<t): (B, T) -> ().

    With `mask` only valid positions count (padding after the end token is not modelled).
    """
    if mask is None:
        return -log_probs.mean()
    return -(log_probs * mask).sum() / mask.sum().clamp_min(1.0)


def policy_gradient_loss(
    log_probs: torch.Tensor, q: torch.Tensor, mask: torch.Tensor | None = None
) -> torch.Tensor:
    """REINFORCE with Monte Carlo Q (paper Eq. 6-8): -sum_{b,t} log G(y_t | Y_{1:t-1}) * Q_t.

    A sum over batch x time, as in the official generator.py (not a mean): with Adam the scale
    mostly cancels, but it is the reference behaviour. q carries no gradient.
    """
    if mask is not None:
        q = q * mask
    return -(log_probs * q.detach()).sum()


def discriminator_loss(
    logits: torch.Tensor, labels: torch.Tensor, output_l2: torch.Tensor, l2_reg: float
) -> torch.Tensor:
    """Mean cross-entropy of P(real) = sigmoid(logits) against labels (1 real, 0 generated),
    plus l2_reg * (|w|^2 + |b|^2) / 2 of the output layer (official discriminator.py)."""
    return F.binary_cross_entropy_with_logits(logits, labels) + l2_reg * output_l2
