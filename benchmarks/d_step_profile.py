"""Where one epoch of D training spends its time, by operator (torch.profiler): the loop of the
learner's d-steps (`core.d_training.d_epoch`) on random token rows at the paper's sizes.

    python benchmarks/d_step_profile.py [--filters quarter|paper] [--sequences 2560] [--threads 1]

`--filters quarter --threads 1` is what one `table1-cpu` method process runs; the table lists
the operators by self time (GEMMs: mm/addmm; the im2col copies of `Discriminator.pooled`: copy_
forward, unfold_backward backward; max over time; fused Adam).
"""

from __future__ import annotations

import argparse
import time

import torch
from torch.profiler import ProfilerActivity, profile

from seqgan_ray.core.d_training import d_epoch, d_optimizer
from seqgan_ray.studies.bench import paper_models


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--filters", choices=("quarter", "paper"), default="quarter")
    parser.add_argument("--sequences", type=int, default=2560)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    _, disc = paper_models(5000, 20, filters=args.filters)
    disc.train()  # dropout on, as in the d-steps
    opt = d_optimizer(disc, 1e-4)
    gen = torch.Generator().manual_seed(0)
    tokens = torch.randint(0, 5000, (args.sequences, 20), generator=gen)
    labels = (torch.arange(args.sequences) % 2).float()
    order = torch.randperm(args.sequences, generator=gen)

    def epoch() -> None:
        d_epoch(disc, opt, tokens, labels, order, 64, 0.2)

    epoch()  # warm-up
    t0 = time.perf_counter()
    epoch()
    seconds = time.perf_counter() - t0
    print(
        f"{args.sequences} sequences: {seconds:.3f} s ({seconds / args.sequences * 1e3:.3f} ms each)"
    )
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        epoch()
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=12))


if __name__ == "__main__":
    main()
