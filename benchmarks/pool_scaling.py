"""Roll-out pool scaling: one g-step's Q on K = 2 roll-out actors against K = 1, at the paper's
sizes, as interleaved pairs (K = 1 then K = 2, `--pairs` times) so that whatever else the
machine does slows both alike; prints each pair's speed-up and their median.

    python benchmarks/pool_scaling.py [--pairs 3] [--repeats 3]

Each measurement is a fresh `seqgan-ray bench rollout --workers K --json` (its own embedded
Ray with K CPUs). Besides the wall time per g-step it splits the step into the actors' own
compute (the slowest actor's shard) and the rest (broadcast of beta, scheduling, gather):
where the speed-up below K goes.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess


def bench(workers: int, repeats: int) -> dict:
    cmd = ["seqgan-ray", "bench", "rollout", "--workers", str(workers)]
    out = subprocess.run(
        [*cmd, "--repeats", str(repeats), "--json"], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    ratios = []
    print("pair  K=1 s/g-step (compute, rest)  K=2 s/g-step (compute, rest)  speed-up")
    for i in range(args.pairs):
        one, two = bench(1, args.repeats), bench(2, args.repeats)
        ratios.append(one["seconds_per_q"] / two["seconds_per_q"])
        print(
            f"{i + 1:>4}  {one['seconds_per_q']:6.2f} ({one['actor_compute_s']:.2f}, "
            f"{one['overhead_s']:.2f})          {two['seconds_per_q']:6.2f} "
            f"({two['actor_compute_s']:.2f}, {two['overhead_s']:.2f})          {ratios[-1]:.2f}x"
        )
    print(f"median speed-up of K = 2 over K = 1: {statistics.median(ratios):.2f}x")


if __name__ == "__main__":
    main()
