"""Benchmarks of the hot paths, at the paper's sizes by default (used by `seqgan-ray bench`)."""

from __future__ import annotations

import statistics
import time

import torch

from .config import PAPER_FILTER_SIZES, PAPER_NUM_FILTERS, DiscriminatorConfig, GeneratorConfig
from .errors import UserError
from .models import Discriminator, Generator
from .rollout import estimate_q
from .sampling import sample_sequences


def paper_models(vocab: int, seq_len: int, seed: int = 0) -> tuple[Generator, Discriminator]:
    """G and D with the paper's shapes (D's filters longer than T dropped), randomly initialised."""
    if vocab < 2 or seq_len < 1:
        raise UserError(f"need vocab >= 2 and seq_len >= 1 (got {vocab}, {seq_len})")
    g, d = GeneratorConfig(), DiscriminatorConfig()
    table = [(h, c) for h, c in zip(PAPER_FILTER_SIZES, PAPER_NUM_FILTERS) if h <= seq_len]
    torch.manual_seed(seed)
    gen = Generator(vocab, g.emb_dim, g.hidden_dim, seq_len, init_std=g.init_std)
    disc = Discriminator(vocab, d.emb_dim, *zip(*table), d.dropout).eval()
    return gen, disc


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
        q = estimate_q(policy, disc, y, rollouts, (0, "bench", r), score_dtype)
        if device == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
    times = times[1:]
    # What lower precision costs: the same roll-outs (same key) scored in fp32.
    q_ref = estimate_q(policy, disc, y, rollouts, (0, "bench", repeats), "float32")
    return {
        "q_max_abs_diff_vs_fp32": float((q - q_ref).abs().max()),
        "seconds_per_q": statistics.median(times),
        "min": min(times),
        "max": max(times),
        "repeats": repeats,
        "vocab": vocab,
        "seq_len": seq_len,
        "batch": batch,
        "rollouts": rollouts,
        "score_dtype": score_dtype,
        "device": device,
    }
