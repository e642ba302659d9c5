"""What Q becomes before the policy-gradient update: the shuffled control and our reward variants.

Shapes: B batch, T length. Q (B, T) is SeqGAN's Monte Carlo estimate (paper Eq. 4): for t < T
the mean over N roll-outs of D's P(real) of the completed sequence, at t = T D(Y) itself.

Every function acts on Q *after* the roll-out average, position by position: `logit_q` is the
logit of the averaged P(real), log Q/(1-Q), not the average of each roll-out's logit. That keeps
the roll-out code (and the Ray pool, which returns per-index scores combined in index order)
unchanged, and the transform is monotone in Q, so it re-scales D's signal without reordering it.

The paper's reward is Q itself. `shuffled` is a control (issue 15): same Q, same scale, no
per-sequence information. It permutes each position apart, so a sequence's T weights come from T
different sequences and the batch's reward is spread more evenly over sequences than SeqGAN's
(its sequence-level ESS rises toward 1). `row_shuffled` (issue 29) permutes whole rows: each
sequence receives another sequence's entire Q row, so the concentration of reward on a few
sequences, and with it the step sizes, stay SeqGAN's; only the link between a sequence and its
own score is cut. `logit`, `maligan` and the batch-mean baseline are our variants, not
the paper's; every table labels them so.
"""

from __future__ import annotations

import torch

from seqgan_ray.core.sampling import keyed_generator
from seqgan_ray.methods import MethodConfig

EPS = 1e-6  # P(real) is clamped to [EPS, 1 - EPS]: D(Y) = 1.0 exactly happens in float32


def shuffle_q(q: torch.Tensor, key: tuple) -> torch.Tensor:
    """Q (B, T) with each column t permuted across the batch by its own permutation drawn from
    (*key, t) -> (B, T). Each position keeps its multiset of values (the reward's distribution
    and scale), but which sequence gets which value is random: D's per-sequence information is
    gone. The trainer's key is (seed, "shuffle", iteration, g-step)."""
    B, T = q.shape
    cols = [
        q[torch.randperm(B, generator=keyed_generator(*key, t)).to(q.device), t] for t in range(T)
    ]
    return torch.stack(cols, dim=1)


def shuffle_rows(q: torch.Tensor, key: tuple) -> torch.Tensor:
    """Q (B, T) with its rows permuted across the batch by one permutation drawn from
    (*key, "rows") -> (B, T): sequence b is weighted by the whole row of sequence pi(b). Every
    row, and so every column's multiset and the per-sequence reward's distribution, is kept.
    With variable lengths a row may carry scores past the receiving sequence's end; the loss
    masks them, as it masks any weight there."""
    perm = torch.randperm(q.shape[0], generator=keyed_generator(*key, "rows"))
    return q[perm.to(q.device)]


def logit_q(q: torch.Tensor) -> torch.Tensor:
    """log Q / (1 - Q) (B, T) of the roll-out-averaged Q (B, T) (our variant): unlike Q it does
    not vanish when D wins (Q ~ 0.002 gives about -6.2, still ordered and of unit scale)."""
    q = q.clamp(EPS, 1.0 - EPS)
    return torch.log(q) - torch.log1p(-q)


def maligan_weights(q: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """MaliGAN's normalised importance weights (Che et al. 2017, our variant) per position:
    r = Q / (1 - Q), w[b, t] = r[b, t] / sum_b' r[b', t] -> (B, T); each column sums to 1 over
    the sequences valid at t (`mask` (B, T), None = all). Q / (1 - Q) estimates p_data / p_G
    when D is optimal, so the update is an importance-weighted MLE step on G's own samples."""
    q = q.clamp(EPS, 1.0 - EPS)
    r = q / (1.0 - q)
    if mask is not None:
        r = r * mask
    return r / r.sum(dim=0, keepdim=True).clamp_min(torch.finfo(r.dtype).tiny)


def batch_mean_baseline(q: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """REINFORCE with a baseline (our variant): Q (B, T) minus its per-position mean over the
    sequences valid at t (`mask` (B, T), None = all) -> (B, T). Each column then sums to 0, so
    only which sequences D prefers moves G, not how much D likes the batch as a whole."""
    if mask is None:
        return q - q.mean(dim=0, keepdim=True)
    mean = (q * mask).sum(dim=0, keepdim=True) / mask.sum(dim=0, keepdim=True).clamp_min(1.0)
    return (q - mean) * mask


def policy_weights(
    q: torch.Tensor, method: MethodConfig, key: tuple, mask: torch.Tensor | None = None
) -> torch.Tensor:
    """The per-token weights (B, T) of the REINFORCE loss for `method`, from its Q (B, T):
    a control's shuffle, then the reward transform, then the baseline. Each step treats the
    B sequences of a column alike, so the order of shuffling and transforming does not matter."""
    if method.q_shuffle == "columns":
        q = shuffle_q(q, key)
    elif method.q_shuffle == "rows":
        q = shuffle_rows(q, key)
    if method.reward == "logit":
        q = logit_q(q)
    elif method.reward == "maligan":
        q = maligan_weights(q, mask)
    if method.reward_baseline == "batch-mean":
        q = batch_mean_baseline(q, mask)
    return q
