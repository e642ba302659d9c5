"""Monte Carlo estimation of Q(s, a) for a batch of generated sequences (paper Eq. 4).

For a sequence Y (length T) and each prefix length t < T, Q(Y_{1:t-1}, y_t) is the mean over N
roll-outs of D(Y_{1:t} completed by the roll-out policy beta); Q at t = T is D(Y) itself.

Shapes: B batch, T length, V vocab, H hidden, E D's embedding dim, N roll-outs,
R = (T-1)*B completion rows of one roll-out index, ordered prefix-major: row (t-1)*B + b holds
Y_{1:t} of sequence b. "Prefix t" means the first t tokens are kept.

The unit of work is one roll-out index n: its random numbers come from (key, n) alone and its
tensors have the same shapes whichever other indices share the call, so any partition of
[0, N) (one process, or a pool of Ray actors) yields bit-identical per-index scores, and Q is
their mean in index order.

Speed (measured at paper sizes, see README "Roll-out speed"):
- one teacher-forced pass of beta over Y gives the state after every prefix; the T-1 prefixes
  are then completed together in one loop of T-1 steps in which rows join as their prefix ends,
  so no step is spent on a row that is finished or not yet started;
- D's conv windows that lie wholly inside the kept prefix are the same for all N roll-outs: they
  are computed once from Y and enter as a running max over t; per roll-out only the windows that
  touch a generated token are computed;
- optionally D scores in bfloat16 (Q changes by < 1e-3; ~2x faster on CPUs with AVX512-BF16).

Peak memory per call is bounded by the chunking constants: completion rows are processed in chunks
of at most ROWS_PER_CHUNK (each holding T ids, an (E, T) embedding and F pooled features), and
logits in chunks of LOGIT_BUDGET elements (sampling.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from .models import Discriminator, Policy
from .sampling import keyed_generator, sample_next

ROWS_PER_CHUNK = 4096  # completion rows (prefix x sequence) per chunk
T_GROUP = 4  # prefixes sharing one conv call; larger = fewer calls, more recomputed windows


@torch.no_grad()
def prefix_states(policy: Policy, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Teacher-force beta over Y: (T, B, H) h and c after consuming start, y_1..y_k, k = 0..T-1.

    Index k is the state from which y_{k+1} (1-based) is drawn, i.e. after a kept prefix of length k.
    """
    B, T = y.shape
    h, c = policy.initial_state(B)
    tokens = torch.full((B,), policy.start_token, dtype=torch.long, device=y.device)
    hs, cs = [], []
    for k in range(T):
        h, c = policy.step(tokens, h, c)
        hs.append(h)
        cs.append(c)
        tokens = y[:, k]
    return torch.stack(hs), torch.stack(cs)


@torch.no_grad()
def complete_prefixes(
    policy: Policy, y: torch.Tensor, h_pref: torch.Tensor, c_pref: torch.Tensor, u: torch.Tensor
) -> torch.Tensor:
    """Complete every prefix t = 1..T-1 of Y once: returns (R, T) sequences, prefix-major rows.

    u (T-1, T, B) holds the uniform for prefix t at position s in u[t-1, s] (used when s >= t).
    At loop step s (0-based position s) the rows with t <= s are active; rows of prefix t = s join
    with beta's teacher-forced state, so the active rows are always a leading block.
    """
    B, T = y.shape
    seqs = y.repeat(T - 1, 1)  # (R, T): row block t-1 keeps Y, its tail is overwritten
    H = h_pref.shape[2]
    h = y.new_empty((T - 1) * B, H, dtype=h_pref.dtype)
    c = torch.empty_like(h)
    for s in range(1, T):
        active = s * B
        h[active - B : active], c[active - B : active] = h_pref[s], c_pref[s]  # prefix t = s joins
        tokens = sample_next(policy, h[:active], u[:s, s].reshape(-1))  # (active,)
        seqs[:active, s] = tokens
        if s + 1 < T:
            h[:active], c[:active] = policy.step(tokens, h[:active], c[:active])
    return seqs


class PrefixWindows:
    """D's conv maxima over the windows lying wholly inside each prefix of Y, computed once.

    For filter width w, windows start at p = 0..T-w; prefix t contains those with p <= t - w.
    """

    def __init__(self, disc: Discriminator, y: torch.Tensor):
        x = disc.embed(y)  # (B, E, T)
        self.cummax = [conv(x).cummax(dim=2).values for conv in disc.convs]  # each (B, C_w, T-w+1)

    def max_for(self, i: int, width: int, t: int) -> torch.Tensor | None:
        """(B, C_w) max over filter i's windows inside prefix t, or None when there are none."""
        return self.cummax[i][:, :, t - width] if t >= width else None


@torch.no_grad()
def score_completions(
    disc: Discriminator, seqs: torch.Tensor, prefix: PrefixWindows, B: int, T: int
) -> torch.Tensor:
    """D(real) for (R, T) prefix-major completions -> (B, T-1), reusing the prefix-only windows."""
    x = disc.embed(seqs)  # (R, E, T)
    pooled = []
    for i, (conv, width) in enumerate(zip(disc.convs, disc.filter_sizes)):
        parts = []
        for ta in range(1, T, T_GROUP):
            tb = min(ta + T_GROUP, T)  # prefixes ta..tb-1 share one conv call
            p0 = max(0, ta - width + 1)  # first window touching a generated token of prefix ta
            rows = slice((ta - 1) * B, (tb - 1) * B)
            new = conv(x[rows, :, p0:]).amax(dim=2)  # (rows, C_w)
            old = [prefix.max_for(i, width, t) for t in range(ta, tb)]
            if all(o is not None for o in old):
                new = torch.maximum(new, torch.cat(old))
            elif any(o is not None for o in old):
                fill = torch.full_like(new[:B], float("-inf"))
                new = torch.maximum(new, torch.cat([fill if o is None else o for o in old]))
            parts.append(new)
        pooled.append(torch.cat(parts))  # (R, C_w)
    logits = disc.head(torch.cat(pooled, dim=1))  # (R,)
    return torch.sigmoid(logits.float()).view(T - 1, B).t()  # (B, T-1)


@torch.no_grad()
def rollout_scores(
    policy: Policy,
    disc: Discriminator,
    y: torch.Tensor,
    indices: Sequence[int],
    key: tuple,
    score_dtype: str = "float32",
) -> torch.Tensor:
    """Per-index D scores of completed prefixes: (len(indices), B, T-1).

    `key` identifies the g-step, e.g. (seed, "rollout", step); index n draws from (*key, n).
    D must be in eval mode (no dropout when scoring, as in the official code).
    """
    B, T = y.shape
    out = y.new_empty(len(indices), B, T - 1, dtype=torch.float32)
    if T == 1:
        return out
    h_pref, c_pref = prefix_states(policy, y)
    chunk = max(1, ROWS_PER_CHUNK // (T - 1))
    bf16 = score_dtype == "bfloat16"
    with torch.autocast(device_type=y.device.type, dtype=torch.bfloat16, enabled=bf16):
        prefixes = [PrefixWindows(disc, y[b : b + chunk]) for b in range(0, B, chunk)]
    for j, n in enumerate(indices):
        u = torch.rand(T - 1, T, B, generator=keyed_generator(*key, n)).to(y.device)
        for ci, b in enumerate(range(0, B, chunk)):
            cols = slice(b, b + chunk)
            seqs = complete_prefixes(
                policy, y[cols], h_pref[:, cols], c_pref[:, cols], u[:, :, cols]
            )
            with torch.autocast(device_type=y.device.type, dtype=torch.bfloat16, enabled=bf16):
                out[j, cols] = score_completions(
                    disc, seqs, prefixes[ci], seqs.shape[0] // (T - 1), T
                )
    return out


@torch.no_grad()
def final_reward(disc: Discriminator, y: torch.Tensor) -> torch.Tensor:
    """Q at t = T: D(Y) once (B,), not N times."""
    return torch.sigmoid(disc(y).float())


def combine_q(scores: torch.Tensor, d_y: torch.Tensor) -> torch.Tensor:
    """Per-index scores (N, B, T-1) in index order and D(Y) (B,) -> Q (B, T).

    Summing in index order keeps Q bit-identical however the indices were sharded.
    """
    total = scores[0].clone()
    for s in scores[1:]:
        total += s
    return torch.cat([total / scores.shape[0], d_y.unsqueeze(1)], dim=1)


def estimate_q(
    policy: Policy,
    disc: Discriminator,
    y: torch.Tensor,
    rollout_num: int,
    key: tuple,
    score_dtype: str = "float32",
) -> torch.Tensor:
    """In-process Q(s, a) for Y (B, T) with N = rollout_num roll-outs -> (B, T)."""
    scores = rollout_scores(policy, disc, y, range(rollout_num), key, score_dtype)
    return combine_q(scores, final_reward(disc, y))
