"""`seqgan-ray bench rollout --workers K`: one g-step's Q on a pool of K roll-out actors, at the
paper's sizes, split into the actors' compute and the rest (broadcast, scheduling, gather)."""

from __future__ import annotations

import statistics
import time

import ray
import torch

from seqgan_ray.config import (
    PAPER_FILTER_SIZES,
    PAPER_NUM_FILTERS,
    DiscriminatorConfig,
    RunConfig,
    ScheduleConfig,
    SyntheticTaskConfig,
)
from seqgan_ray.core.rollout import combine_q
from seqgan_ray.core.sampling import sample_sequences
from seqgan_ray.distributed.rollout_pool import RolloutPool
from seqgan_ray.distributed.session import connect
from seqgan_ray.studies.bench import paper_models


def time_pool(
    workers: int, vocab: int, seq_len: int, batch: int, rollouts: int, repeats: int, verbose: bool
) -> dict:
    """Seconds per g-step on K one-CPU actors, and how much of it is not the actors' compute."""
    connect(None, verbose, num_cpus=workers)
    gen, disc = paper_models(vocab, seq_len)
    filters = [(h, c) for h, c in zip(PAPER_FILTER_SIZES, PAPER_NUM_FILTERS) if h <= seq_len]
    cfg = RunConfig(
        task=SyntheticTaskConfig(vocab_size=vocab, seq_len=seq_len),
        discriminator=DiscriminatorConfig(
            filter_sizes=tuple(h for h, _ in filters), num_filters=tuple(c for _, c in filters)
        ),
        schedule=ScheduleConfig(rollout_num=rollouts, batch_size=batch),
    )
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
