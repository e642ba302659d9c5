"""Evaluation metrics for generated sequences."""

from __future__ import annotations

import torch

from seqgan_ray.core.models import Generator


@torch.no_grad()
def sequence_nll(
    model: Generator, samples: torch.Tensor, batch_size: int = 256, temperature: float = 1.0
) -> torch.Tensor:
    """Per-sequence mean per-token NLL of `samples` (N, T) under `model` -> (N,).

    With the oracle as `model` this is NLL-oracle (paper §4); with the generator (at the
    temperature it samples with) and held-out real data it is NLL-test. Per-sequence values feed
    the t-tests of the experiment tables.
    """
    from seqgan_ray.core.losses import valid_positions

    was_training = model.training
    model.eval()
    parts = []
    for b in samples.split(batch_size):
        log_probs = model.log_probs(b, temperature)
        mask = valid_positions(b, model.end_token)
        if mask is None:
            parts.append(-log_probs.mean(dim=1))
        else:  # per-token mean over the sequence's own tokens (end token included)
            parts.append(-(log_probs * mask).sum(dim=1) / mask.sum(dim=1).clamp_min(1.0))
    model.train(was_training)
    return torch.cat(parts).double().cpu()


def nll(
    model: Generator, samples: torch.Tensor, batch_size: int = 256, temperature: float = 1.0
) -> float:
    """Per-token mean NLL over all samples (equal lengths, so the mean of per-sequence means)."""
    return float(sequence_nll(model, samples, batch_size, temperature).mean())
