"""Project g-step time for N roll-outs over W workers from two measured pool benchmarks.

    seqgan-ray bench rollout --workers 1 --json > k1.json
    seqgan-ray bench rollout --workers 2 --json > k2.json
    python benchmarks/rollout_projection.py k1.json k2.json [--speedup S]

Model (stated, not fitted to anything else): a worker computes its shard one roll-out index
after another, so its compute is ceil(N / W) x t_index, with t_index = (K=1 compute) / N_bench;
the rest of a step (ray.put of beta, scheduling, gathering W results) grows with W by the
measured per-worker increment between K=1 and K=2. `--speedup S` divides t_index by S for a
worker faster than this CPU core (e.g. a GPU worker; S is an assumption you state, we have no
GPU to measure). This is a projection, not a measurement.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("k1")
    ap.add_argument("k2")
    ap.add_argument("--speedup", type=float, default=1.0)
    args = ap.parse_args()
    k1, k2 = (json.loads(Path(p).read_text()) for p in (args.k1, args.k2))
    t_index = k1["actor_compute_s"] / k1["rollouts"] / args.speedup
    per_worker = max(0.0, k2["overhead_s"] - k1["overhead_s"])
    base = k1["overhead_s"] - per_worker
    workers = (1, 4, 16)
    print(
        f"t_index = {t_index:.3f} s per roll-out index; overhead = {base:.3f} s + "
        f"{per_worker:.3f} s per worker (speed-up assumed: {args.speedup:g}x)"
    )
    print("| N | " + " | ".join(f"{w} worker{'s' * (w > 1)}" for w in workers) + " |")
    print("| --- |" + " --- |" * len(workers))
    for n in (16, 64, 256):
        cells = [math.ceil(n / w) * t_index + base + w * per_worker for w in workers]
        print(f"| {n} | " + " | ".join(f"{c:.2f} s" for c in cells) + " |")


if __name__ == "__main__":
    main()
