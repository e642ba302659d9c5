"""Diagnostics of the game between G and D, logged every adversarial iteration (issue 15 §2).

Shapes: B batch, T length. Why they exist: with the summed policy-gradient loss an untrained
G's pre-clip gradient norm is ~43.6 at Q = 1 and ~0.087 at Q ~ 0.002 (B 64, T 20; clip 5.0), so
a constant-reward control always takes clipped, full-size steps while SeqGAN's shrink as D wins.
These numbers show step size apart from information:

    adv/grad_norm     the policy gradient's global norm before clipping (clip_grad_norm_'s return)
    adv/clipped       fraction of the iteration's g-steps whose gradient was clipped
    adv/update_norm   ||theta_after - theta_before|| of the optimizer step
    adv/q_mean        mean of Q (as estimated by the roll-outs, before any variant's transform)
    adv/q_std         std of Q across the batch (population std), averaged over positions
    adv/q_ess         (sum w)^2 / (B sum w^2), w = each sequence's mean Q over positions:
                      1 when every sequence gets the same reward, 1/B when one gets it all
    adv/w_mean, adv/w_std, adv/w_ess
                      the same three of the weights the update used (rewards.policy_weights):
                      Q after a control's shuffle and a variant's transform. The q_ keys say
                      what D judged, the w_ keys what moved G; they differ for the controls
                      (`shuffled` spreads reward over sequences: its w_ess exceeds its q_ess)
                      and the variants (a batch-mean baseline has w_mean 0 and w_ess ~0)
    d/p_real_train    D's mean P(real) on sequences of the real set S it trains on
    d/p_real_heldout  ... on real sequences it never trains on (synthetic: held-out oracle
                      samples; real data: the test split). Drawn apart from S, they are not
                      kept distinct from it: a tiny task repeats some of its rows by chance
                      (`tiny`, 50 tokens x 8: 6 % of its held-out rows are rows of S; `demo`
                      and `table1-cpu`: none)
    d/p_real_fake     ... on fresh samples of the current G

The train / held-out gap says whether D rewards "looks like the oracle" or "looks like these
10,000 rows". D's sets are DIAG_SEQUENCES rows each, chosen and sampled with their own keys, so
no other random stream of a run moves when the diagnostics are added.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import torch

from seqgan_ray.core.models import Discriminator
from seqgan_ray.core.sampling import keyed_generator

DIAG_SEQUENCES = 256  # rows per P(real) set: ~3 ms of D per set at table1-cpu sizes
# Keys averaged over an iteration's g-steps (the others keep the last g-step's value).
G_STEP_MEANS = (
    "adv/grad_norm",
    "adv/clipped",
    "adv/update_norm",
    "adv/q_mean",
    "adv/q_std",
    "adv/q_ess",
    "adv/w_mean",
    "adv/w_std",
    "adv/w_ess",
)


def ess_fraction(w: torch.Tensor) -> float:
    """Effective-sample-size fraction of weights w (B,): (sum w)^2 / (B sum w^2), in [1/B, 1]
    for non-negative w. All-zero weights count as equal (1.0)."""
    w = w.double()
    sq = float((w * w).sum())
    return 1.0 if sq == 0.0 else float(w.sum()) ** 2 / (len(w) * sq)


def q_stats(q: torch.Tensor, prefix: str = "adv/q_") -> dict[str, float]:
    """adv/q_mean, adv/q_std, adv/q_ess of Q (B, T) (or of the update's weights (B, T) under
    another `prefix`, adv/w_)."""
    q = q.detach().double()
    return {
        f"{prefix}mean": float(q.mean()),
        f"{prefix}std": float(q.std(dim=0, correction=0).mean()),  # (T,) -> ()
        f"{prefix}ess": ess_fraction(q.mean(dim=1)),  # w: (B,)
    }


def update_stats(
    grad_norm: torch.Tensor | float,
    clip: float,
    before: Sequence[torch.Tensor],
    after: Iterable[torch.Tensor],
) -> dict[str, float]:
    """adv/grad_norm, adv/clipped (1.0 or 0.0 for one g-step), adv/update_norm from the pre-clip
    norm and the parameters before and after the optimizer step."""
    grad_norm = float(grad_norm)
    sq = sum(float(((a.detach() - b).double() ** 2).sum()) for b, a in zip(before, after))
    return {
        "adv/grad_norm": grad_norm,
        # clip_grad_norm_ scales by clip / (norm + 1e-6) when that is below 1
        "adv/clipped": float(clip / (grad_norm + 1e-6) < 1.0),
        "adv/update_norm": sq**0.5,
    }


def mean_over_steps(rows: Sequence[dict[str, float]]) -> dict[str, float]:
    """The G_STEP_MEANS keys averaged over one iteration's g-step results."""
    return {k: sum(r[k] for r in rows) / len(rows) for k in G_STEP_MEANS if rows and k in rows[0]}


@torch.no_grad()
def mean_p_real(disc: Discriminator, tokens: torch.Tensor, batch: int = 1024) -> float:
    """D's mean P(real) over token rows (N, T); D must be in eval mode (no dropout)."""
    total = sum(float(torch.sigmoid(disc(part).float()).sum()) for part in tokens.split(batch))
    return total / len(tokens)


def keyed_subset(rows: torch.Tensor, num: int, key: tuple) -> torch.Tensor:
    """`num` rows (at most all) of `rows` (N, T) in a random order drawn from `key`."""
    pick = torch.randperm(len(rows), generator=keyed_generator(*key))[:num]
    return rows[pick.to(rows.device)]
