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

Speed (measured at paper sizes, see README "Speed"):
- one teacher-forced pass of beta over Y gives the state after every prefix; the T-1 prefixes
  are then completed together in one loop of T-1 steps in which rows join as their prefix ends,
  so no step is spent on a row that is finished or not yet started;
- D's conv windows that lie wholly inside the kept prefix are the same for all N roll-outs: they
  are computed once from Y and enter as a running max over t; per roll-out only the windows that
  touch a generated token are computed;
- D's convolutions run as table look-ups (ConvWindows), exact and ~4x faster than conv1d on CPU;
- optionally the GEMM of D's highway gate runs in bfloat16 (`score_dtype`; docs/speed.md has the
  measured change in Q, < 1e-3 at the quarter D and up to ~2.7e-3 at the paper's D, and the
  speed-up).

Peak memory per call is bounded by the chunking constants: completion rows are processed in chunks
of at most ROWS_PER_CHUNK (each holding T ids, an (E, T) embedding and F pooled features), and
logits in chunks of LOGIT_BUDGET elements (sampling.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from seqgan_ray.core.bleu import strip_at
from seqgan_ray.core.models import Discriminator, Policy
from seqgan_ray.core.sampling import keyed_generator, sample_next

ROWS_PER_CHUNK = 4096  # completion rows (prefix x sequence) per chunk
TABLE_BUDGET = 1 << 27  # floats in ConvWindows' lookup tables (512 MiB); above it, convolve
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
    done = torch.zeros((T - 1) * B, dtype=torch.bool, device=y.device)  # row emitted its end
    for s in range(1, T):
        active = s * B
        h[active - B : active], c[active - B : active] = h_pref[s], c_pref[s]  # prefix t = s joins
        if policy.end_token is not None:  # a kept prefix may already hold the end token
            done[active - B : active] = (y[:, :s] == policy.end_token).any(dim=1)
        tokens = sample_next(policy, h[:active], u[:s, s].reshape(-1))  # (active,)
        tokens = policy.finish(tokens, done[:active])
        seqs[:active, s] = tokens
        if s + 1 < T:
            h[:active], c[:active] = policy.step(tokens, h[:active], c[:active])
    return seqs


class ConvWindows:
    """D's conv pre-activations (bias included) over the windows of token rows.

    D's convolutions are linear in the one-hot tokens, so for filter i of width w a window's
    value is a sum of w rows of a table: row v*w + j = W_i[:, :, j] @ emb(v) (+ bias at j = 0).
    One embedding_bag call then replaces a convolution: ~4x faster on CPU for the paper's D and
    exact up to float rounding. Tables cost V * sum(w * C_w) floats (250 MB at paper sizes), so
    above TABLE_BUDGET (large vocabularies) the convolution itself is used. Each table is one
    (V, E) @ (E, w*C) GEMM (8 GFLOP in all at paper sizes, rebuilt whenever D changes).
    """

    def __init__(self, disc: Discriminator):
        self.disc = disc
        emb = disc.embedding.weight  # (V, E)
        V = emb.shape[0]
        size = V * sum(w * conv.out_channels for w, conv in zip(disc.filter_sizes, disc.convs))
        self.tables = None
        if size <= TABLE_BUDGET:
            self.tables = []
            for w, conv in zip(disc.filter_sizes, disc.convs):
                C = conv.out_channels
                kernel = conv.weight.permute(2, 0, 1).reshape(w * C, -1)  # (w*C, E), j-major
                table = (emb @ kernel.t()).view(V, w, C)  # (V, w, C)
                table[:, 0] += conv.bias
                offsets = torch.arange(w, device=emb.device)  # (w,)
                self.tables.append((table.view(V * w, C), offsets))

    def all_windows(self, i: int, tokens: torch.Tensor) -> torch.Tensor:
        """(R, L) token ids -> (R, L-w+1, C) pre-activations of filter i's windows."""
        w = self.disc.filter_sizes[i]
        if self.tables is None:
            return self.disc.convs[i](self.disc.embed(tokens)).transpose(1, 2)
        table, offsets = self.tables[i]
        idx = tokens.unfold(1, w, 1) * w + offsets  # (R, W, w) rows of the table
        R, W, _ = idx.shape
        return F.embedding_bag(idx.reshape(R * W, w), table, mode="sum").view(R, W, -1)


class PrefixWindows:
    """D's conv maxima over the windows lying wholly inside each prefix of Y, computed once.

    For filter width w, windows start at p = 0..T-w; prefix t contains those with p <= t - w.
    """

    def __init__(self, windows: ConvWindows, y: torch.Tensor):
        self.cummax = [  # each (B, T-w+1, C)
            windows.all_windows(i, y).cummax(dim=1).values for i in range(len(windows.disc.convs))
        ]

    def max_for(self, i: int, width: int, t: int) -> torch.Tensor | None:
        """(B, C_w) max over filter i's windows inside prefix t, or None when there are none."""
        return self.cummax[i][:, t - width] if t >= width else None


@torch.no_grad()
def score_completions(
    windows: ConvWindows,
    seqs: torch.Tensor,
    prefix: PrefixWindows,
    B: int,
    T: int,
    score_dtype: str = "float32",
) -> torch.Tensor:
    """D(real) for (R, T) prefix-major completions -> (B, T-1), reusing the prefix-only windows."""
    disc = windows.disc
    pooled = []
    for i, width in enumerate(disc.filter_sizes):
        parts = []
        for ta in range(1, T, T_GROUP):
            tb = min(ta + T_GROUP, T)  # prefixes ta..tb-1 share one call
            p0 = max(0, ta - width + 1)  # first window touching a generated token of prefix ta
            rows = slice((ta - 1) * B, (tb - 1) * B)
            new = windows.all_windows(i, seqs[rows, p0:]).amax(dim=1)  # (rows, C_w)
            old = [prefix.max_for(i, width, t) for t in range(ta, tb)]
            if any(o is not None for o in old):
                fill = torch.full_like(new[:B], float("-inf"))
                new = torch.maximum(new, torch.cat([fill if o is None else o for o in old]))
            parts.append(new)
        pooled.append(torch.cat(parts))  # (R, C_w)
    pooled = torch.cat(pooled, dim=1)  # (R, F)
    logits = disc.head(pooled, gate_dtype=getattr(torch, score_dtype))  # (R,)
    return torch.sigmoid(logits).view(T - 1, B).t()  # (B, T-1)


class DiscriminatorReward:
    """SeqGAN's reward: D's P(real) of a completed sequence, with D's prefix windows reused."""

    def __init__(self, disc: Discriminator, score_dtype: str = "float32"):
        self.disc, self.score_dtype = disc, score_dtype
        self._windows: ConvWindows | None = None

    @property
    def windows(self) -> ConvWindows:
        if self._windows is None:  # built on first use: final() alone needs no tables
            self._windows = ConvWindows(self.disc)
        return self._windows

    def context(self, y: torch.Tensor) -> PrefixWindows:
        return PrefixWindows(self.windows, y)

    def score(self, seqs: torch.Tensor, context: PrefixWindows, B: int, T: int) -> torch.Tensor:
        return score_completions(self.windows, seqs, context, B, T, self.score_dtype)

    def final(self, y: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.disc(y).float())


class BleuReward:
    """PG-BLEU's reward (paper §4 baseline): BLEU of a completed sequence against reference data."""

    def __init__(self, scorer, end_token: int | None = None):  # a bleu.BleuScorer over ids
        self.scorer, self.end_token = scorer, end_token

    def context(self, y: torch.Tensor) -> None:
        return None

    def score(self, seqs: torch.Tensor, context: None, B: int, T: int) -> torch.Tensor:
        return self.final(seqs).view(T - 1, B).t()

    def final(self, y: torch.Tensor) -> torch.Tensor:
        scores = self.scorer.scores(strip_at(y.cpu().numpy(), self.end_token))
        return torch.as_tensor(scores, dtype=torch.float32, device=y.device)


@torch.no_grad()
def rollout_rewards(policy: Policy, reward, y: torch.Tensor, indices: Sequence[int], key: tuple):
    """Per-index rewards of completed prefixes: (len(indices), B, T-1).

    `reward` scores completions (DiscriminatorReward for SeqGAN, BleuReward for PG-BLEU).
    `key` identifies the g-step, e.g. (seed, "rollout", step); index n draws from (*key, n).
    """
    B, T = y.shape
    out = y.new_empty(len(indices), B, T - 1, dtype=torch.float32)
    if T == 1:
        return out
    h_pref, c_pref = prefix_states(policy, y)
    chunk = max(1, ROWS_PER_CHUNK // (T - 1))
    contexts = [reward.context(y[b : b + chunk]) for b in range(0, B, chunk)]
    for j, n in enumerate(indices):
        u = torch.rand(T - 1, T, B, generator=keyed_generator(*key, n)).to(y.device)
        for ci, b in enumerate(range(0, B, chunk)):
            cols = slice(b, b + chunk)
            seqs = complete_prefixes(
                policy, y[cols], h_pref[:, cols], c_pref[:, cols], u[:, :, cols]
            )
            out[j, cols] = reward.score(seqs, contexts[ci], seqs.shape[0] // (T - 1), T)
    return out


def combine_q(scores: torch.Tensor, d_y: torch.Tensor) -> torch.Tensor:
    """Per-index scores (N, B, T-1) in index order and D(Y) (B,) -> Q (B, T).

    Summing in index order keeps Q bit-identical however the indices were sharded.
    """
    total = scores[0].clone()
    for s in scores[1:]:
        total += s
    return torch.cat([total / scores.shape[0], d_y.unsqueeze(1)], dim=1)


@torch.no_grad()
def estimate_q(policy: Policy, reward, y: torch.Tensor, rollout_num: int, key: tuple):
    """Q(s, a) (B, T) of Y (B, T) from N = rollout_num roll-outs of `policy` (beta), scored by
    `reward` (DiscriminatorReward for SeqGAN, BleuReward for PG-BLEU); one process, all indices."""
    scores = rollout_rewards(policy, reward, y, range(rollout_num), key)
    return combine_q(scores, reward.final(y))
