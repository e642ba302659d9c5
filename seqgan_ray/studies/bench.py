"""Benchmarks of the hot paths, at the paper's sizes by default (used by `seqgan-ray bench`):
Q in one process and on a pool of roll-out actors, and an epoch of D training."""

from __future__ import annotations

import copy
import statistics
import time

import torch

from seqgan_ray.config import (
    PAPER_FILTER_SIZES,
    PAPER_NUM_FILTERS,
    DiscriminatorConfig,
    RunConfig,
    SyntheticTaskConfig,
)
from seqgan_ray.core.d_training import d_epoch, d_optimizer
from seqgan_ray.core.models import Discriminator, Generator
from seqgan_ray.core.rollout import DiscriminatorReward, combine_q, estimate_q
from seqgan_ray.core.sampling import sample_sequences
from seqgan_ray.errors import UserError

FILTER_TABLES = {"paper": 1, "quarter": 4}  # divisor of the paper's filter counts (table1-cpu: 4)


def paper_config(vocab: int, seq_len: int, filters: str = "paper") -> RunConfig:
    """The paper's G and D shapes at vocabulary `vocab` and length `seq_len` (D's filters longer
    than T dropped; `quarter`: a quarter of each filter count)."""
    if vocab < 2 or seq_len < 1:
        raise UserError(f"need vocab >= 2 and seq_len >= 1 (got {vocab}, {seq_len})")
    if filters not in FILTER_TABLES:
        raise UserError(f"filters must be one of {', '.join(FILTER_TABLES)} (got {filters!r})")
    div = FILTER_TABLES[filters]
    table = [(h, c // div) for h, c in zip(PAPER_FILTER_SIZES, PAPER_NUM_FILTERS) if h <= seq_len]
    sizes, counts = zip(*table)
    return RunConfig(
        task=SyntheticTaskConfig(vocab_size=vocab, seq_len=seq_len),
        discriminator=DiscriminatorConfig(filter_sizes=sizes, num_filters=counts),
    )


def paper_models(
    vocab: int, seq_len: int, seed: int = 0, filters: str = "paper"
) -> tuple[Generator, Discriminator]:
    """G and D of `paper_config`, randomly initialised (D in eval mode, as roll-outs score)."""
    cfg = paper_config(vocab, seq_len, filters)
    torch.manual_seed(seed)
    return Generator.from_config(cfg), Discriminator.from_config(cfg).eval()


def d_forward_flops(disc: Discriminator, seq_len: int) -> int:
    """Multiply-adds x 2 of one sequence through D: every conv window, the highway's two GEMMs,
    the output layer. Training costs ~3x this (backward: one GEMM for inputs, one for weights)."""
    E = disc.embedding.embedding_dim
    features = disc.out.in_features
    convs = sum(
        2 * (seq_len - w + 1) * w * E * conv.out_channels
        for w, conv in zip(disc.filter_sizes, disc.convs)
    )
    return convs + 2 * 2 * features * features + 2 * features


def gemm_peak_gflops(repeats: int = 5, clock=time.perf_counter) -> float:
    """This machine's fp32 GEMM rate now (best of `repeats`), at the highway's shape."""
    a, b = torch.randn(2048, 1720), torch.randn(1720, 1720)
    a @ b  # warm-up
    best = min(_seconds(lambda: a @ b, clock) for _ in range(repeats))
    return 2 * 2048 * 1720 * 1720 / best / 1e9


def _seconds(fn, clock=time.perf_counter) -> float:
    t0 = clock()
    fn()
    return clock() - t0


def d_epoch_seconds(
    disc: Discriminator,
    tokens: torch.Tensor,
    labels: torch.Tensor,
    repeats: int,
    batch: int = 64,
    dtype: str = "float32",
) -> list[float]:
    """Wall seconds of `repeats` epochs of D training on (tokens, labels), as the learner's
    d-steps run them (d_training.d_epoch: fused Adam, dropout, L2, shuffled batches)."""
    d = DiscriminatorConfig()
    opt = d_optimizer(disc, d.lr)
    disc.train()
    torch.manual_seed(0)  # the dropout masks
    warm = torch.randperm(len(tokens))[: 8 * batch]  # first-touch allocations, kernel selection
    d_epoch(disc, opt, tokens, labels, warm, batch, d.l2_reg, dtype)
    times = []
    for r in range(repeats):
        order = torch.randperm(len(tokens), generator=torch.Generator().manual_seed(r))
        times.append(
            _seconds(lambda o=order: d_epoch(disc, opt, tokens, labels, o, batch, d.l2_reg, dtype))
        )
    disc.eval()
    return times


def time_d_epoch(
    sequences: int,
    filters: str,
    repeats: int,
    vocab: int = 5000,
    seq_len: int = 20,
    batch: int = 64,
    dtype: str = "float32",
) -> dict:
    """One epoch of D training on `sequences` random token rows (half labelled real) at paper
    sizes, with its FLOP count and fp32 floor at this machine's measured fp32 GEMM rate (also
    for dtype bfloat16, whose GEMMs may beat that floor)."""
    if min(sequences, repeats, batch) < 1:
        raise UserError(
            f"sequences, repeats and batch must be >= 1 (got {sequences}, {repeats}, {batch})"
        )
    if dtype not in ("float32", "bfloat16"):
        raise UserError(f"dtype must be float32 or bfloat16 (got {dtype!r})")
    _, disc = paper_models(vocab, seq_len, filters=filters)
    rows = torch.Generator().manual_seed(1)
    tokens = torch.randint(0, vocab, (sequences, seq_len), generator=rows)
    labels = (torch.arange(sequences) % 2).float()
    times = d_epoch_seconds(disc, tokens, labels, repeats, batch, dtype)
    peak = gemm_peak_gflops()
    train_flops = 3 * d_forward_flops(disc, seq_len)
    floor = train_flops * sequences / (peak * 1e9)
    seconds = statistics.median(times)
    return {
        "seconds_per_epoch": seconds,
        "min": min(times),
        "max": max(times),
        "sequences": sequences,
        "filters": filters,
        "dtype": dtype,
        "repeats": repeats,
        "vocab": vocab,
        "seq_len": seq_len,
        "batch": batch,
        "parameters": sum(p.numel() for p in disc.parameters()),
        "train_flops_per_sequence": train_flops,
        "gemm_gflops": peak,
        "flop_floor_s": floor,
        "floor_ratio": seconds / floor,
    }


def time_rollout(
    vocab: int, seq_len: int, batch: int, rollouts: int, repeats: int, score_dtype: str, device: str
) -> dict:
    if min(batch, rollouts, repeats) < 1:
        raise UserError("batch, rollouts and repeats must be >= 1")
    if score_dtype not in ("float32", "bfloat16"):
        raise UserError(f"score dtype must be float32 or bfloat16 (got {score_dtype!r})")
    if device == "cuda" and not torch.cuda.is_available():
        raise UserError("--device cuda was asked for, but torch sees no CUDA device")
    gen, disc = paper_models(vocab, seq_len)
    gen, disc = gen.to(device), disc.to(device)
    policy = gen.policy()
    y = sample_sequences(policy, batch, (0, "bench_batch"))
    times, q = [], None
    for r in range(repeats + 1):  # the first run warms up allocators and kernels
        if device == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        q = estimate_q(policy, DiscriminatorReward(disc, score_dtype), y, rollouts, (0, "bench", r))
        if device == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
    times = times[1:]
    result = {"seconds_per_q": statistics.median(times)}
    result.update(precision_check(policy, disc, y, rollouts, (0, "bench", repeats), score_dtype, q))
    result.update(
        min=min(times),
        max=max(times),
        repeats=repeats,
        vocab=vocab,
        seq_len=seq_len,
        batch=batch,
        rollouts=rollouts,
        score_dtype=score_dtype,
        device=device,
    )
    return result


def shifted(disc: Discriminator, y: torch.Tensor, q: float) -> Discriminator:
    """A copy of D whose output bias is moved so that its median P(real) on Y is `q`."""
    out = copy.deepcopy(disc)
    with torch.no_grad():
        out.out.bias += torch.logit(torch.tensor(q)) - disc(y).median()
    return out


def precision_check(policy, disc, y, rollouts: int, key: tuple, score_dtype: str, q) -> dict:
    """What a lower-precision `score_dtype` does to Q, against fp32 on the same roll-outs:
    max |dQ| on the bench's D and on D shifted to Q ~ 0.5 (where dQ/dlogit peaks), and the max
    relative error on D shifted to Q ~ 1e-3 (a saturated D: late in training the whole signal).
    A bias shift leaves the completions and the rounding of every GEMM unchanged."""
    if score_dtype == "float32":
        return {"q_max_abs_diff_vs_fp32": 0.0, "q_small_max_rel_diff_vs_fp32": 0.0}

    def q_with(d: Discriminator, dtype: str) -> torch.Tensor:
        return estimate_q(policy, DiscriminatorReward(d, dtype), y, rollouts, key)

    abs_diff = float((q - q_with(disc, "float32")).abs().max())
    half = shifted(disc, y, 0.5)
    abs_half = q_with(half, score_dtype) - q_with(half, "float32")
    small = shifted(disc, y, 1e-3)
    q_small = q_with(small, "float32")
    rel = (q_with(small, score_dtype) - q_small).abs() / q_small
    return {
        "q_max_abs_diff_vs_fp32": max(abs_diff, float(abs_half.abs().max())),
        "q_small_max_rel_diff_vs_fp32": float(rel.max()),
        "q_small_median": float(q_small.median()),
    }


def time_pool(
    workers: int, vocab: int, seq_len: int, batch: int, rollouts: int, repeats: int, verbose: bool
) -> dict:
    """Seconds per g-step's Q on a pool of K one-CPU roll-out actors at the paper's sizes, split
    into the actors' compute and the rest (broadcast, scheduling, gather)."""
    import ray

    from seqgan_ray.distributed.rollout_pool import RolloutPool
    from seqgan_ray.distributed.session import connect

    connect(None, verbose, num_cpus=workers)
    cfg = paper_config(vocab, seq_len)
    gen, disc = paper_models(vocab, seq_len)
    pool = RolloutPool(cfg, workers)
    policy = gen.policy()
    y = sample_sequences(policy, batch, (0, "bench_batch"))
    d_ref = ray.put(disc.state_dict())
    with torch.no_grad():
        d_y = disc(y).sigmoid()
    steps, overheads, broadcasts = [], [], []
    try:
        for r in range(repeats + 1):  # the first step loads D into every actor: a warm-up
            t0 = time.perf_counter()
            policy_ref = ray.put(policy)  # once per g-step, shared by every actor
            t1 = time.perf_counter()
            scores = pool.scores(policy_ref, 0, d_ref, y, rollouts, (0, "bench", r))
            combine_q(scores, d_y)
            wall = time.perf_counter() - t0
            if r:
                steps.append(wall)
                broadcasts.append(t1 - t0)
                overheads.append(wall - pool.last_compute_s)
    finally:
        pool.shutdown()
    step = statistics.median(steps)
    overhead = statistics.median(overheads)
    return {
        "workers": workers,
        "seconds_per_q": step,
        "min": min(steps),
        "max": max(steps),
        "actor_compute_s": step - overhead,
        "broadcast_s": statistics.median(broadcasts),
        "overhead_s": overhead,
        "overhead_fraction": overhead / step,
        "repeats": repeats,
        "vocab": vocab,
        "seq_len": seq_len,
        "batch": batch,
        "rollouts": rollouts,
    }
