"""d-step negatives as Ray tasks, each returning an Arrow table of token ids.

Shard i of a draw is keyed by (seed, "negatives", iteration, d-step, i) exactly as
sampling.sample_negatives keys it in-process, so both paths give the same negatives.
"""

from __future__ import annotations

import pyarrow as pa
import ray

from seqgan_ray.core.process import setup_process
from seqgan_ray.core.sampling import sample_shard, shard_sizes
from seqgan_ray.core.tables import to_table


def negative_shard(policy, num: int, key: tuple, shard: int, shards: int) -> pa.Table:
    """One task's share of a draw of `num` negatives, as `tokens: fixed_size_list<int32>[T]`."""
    setup_process(threads=1)  # a task holds one CPU
    return to_table(sample_shard(policy, num, key, shard, shards))


def launch(
    policy_ref, num: int, key: tuple, shards: int, max_retries: int = 3, num_cpus: float = 1.0
) -> list:
    """Start the tasks of one draw; returns their object refs in shard order (not awaited).
    `num_cpus` is the layout's reservation per task (a fraction when time-shared)."""
    task = ray.remote(negative_shard).options(
        num_cpus=num_cpus, max_retries=max_retries, retry_exceptions=True
    )
    return [
        task.remote(policy_ref, num, key, i, shards) for i in range(len(shard_sizes(num, shards)))
    ]
