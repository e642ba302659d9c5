"""What each change to D's training step buys: one epoch of D training at paper sizes under
variants of the forward pass and the optimizer, run interleaved (round-robin) so that a busy
machine slows every variant alike; the table shows the best and the median of the rounds.

    python benchmarks/d_epoch_ablation.py [--sequences 8000] [--rounds 3] [--threads 2]
                                          [--clock wall|cpu]

On a shared machine, `--threads 1 --clock cpu` (this process's CPU seconds) compares variants
far more steadily than wall time; on an idle machine use the defaults.

Variants (each on its own copy of one seeded D, the same token rows and batch order):
  conv1d+amax, for-each Adam   the code before issue 14 (nn.Conv1d per width, amax over time)
  conv1d+amax, fused Adam      only the optimizer changed
  conv1d+max, fused Adam       and max with argmax instead of amax
  GEMM+max, for-each Adam      only the forward changed (unfolded windows, max with argmax)
  GEMM+max, fused Adam         what seqgan_ray ships (models.Discriminator, d_training)
  ... + one highway GEMM       the highway's two GEMMs as one (weights concatenated per step)
  ... + bf16 autocast          conv and highway GEMMs in bfloat16 (not shipped: precision)
"""

from __future__ import annotations

import argparse
import copy
import statistics
import time

import torch
import torch.nn.functional as F

from seqgan_ray.core import losses
from seqgan_ray.core.models import Discriminator
from seqgan_ray.studies.bench import d_forward_flops, gemm_peak_gflops, paper_models

L2, LR, BATCH = 0.2, 1e-4, 64


def conv_amax_logits(disc: Discriminator, y: torch.Tensor) -> torch.Tensor:
    """D as it was: nn.Conv1d over (B, E, T), amax over time."""
    x = disc.embedding(y).transpose(1, 2)
    pooled = torch.cat([conv(x).amax(dim=2) for conv in disc.convs], dim=1)
    return disc.head(pooled)


def conv_max_logits(disc: Discriminator, y: torch.Tensor) -> torch.Tensor:
    """nn.Conv1d per width, max with argmax (no tie-splitting backward)."""
    x = disc.embedding(y).transpose(1, 2)
    pooled = torch.cat([conv(x).max(dim=2).values for conv in disc.convs], dim=1)
    return disc.head(pooled)


def one_highway_gemm_logits(disc: Discriminator, y: torch.Tensor) -> torch.Tensor:
    z = F.relu(disc.pooled(disc.embedding(y)))
    w = torch.cat([disc.highway_h.weight, disc.highway_gate.weight])  # (2F, F)
    b = torch.cat([disc.highway_h.bias, disc.highway_gate.bias])
    h, g = torch.addmm(b, z, w.t()).chunk(2, dim=1)
    g = torch.sigmoid(g)
    z = g * F.relu(h) + (1.0 - g) * z
    return disc.out(disc.dropout(z)).squeeze(1)


def bf16_logits(disc: Discriminator, y: torch.Tensor) -> torch.Tensor:
    with torch.autocast("cpu", dtype=torch.bfloat16):
        return disc(y).float()


VARIANTS = {
    "conv1d+amax, for-each Adam": (conv_amax_logits, False),
    "conv1d+amax, fused Adam": (conv_amax_logits, True),
    "conv1d+max, fused Adam": (conv_max_logits, True),
    "GEMM+max, for-each Adam": (Discriminator.forward, False),
    "GEMM+max, fused Adam (shipped)": (Discriminator.forward, True),
    "  + one highway GEMM": (one_highway_gemm_logits, True),
    "  + bf16 autocast": (bf16_logits, True),
}


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def epoch(disc, opt, forward, tokens, labels, order, clock=time.perf_counter) -> float:
    t0 = clock()
    for idx in order.split(BATCH):
        logits = forward(disc, tokens[idx])
        loss = losses.discriminator_loss(logits, labels[idx], disc.output_l2(), L2)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return clock() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sequences", type=int, default=8000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--filters", default="paper", choices=["paper", "quarter"])
    ap.add_argument("--clock", default="wall", choices=sorted(CLOCKS))
    ap.add_argument(
        "--only", type=int, nargs="*", help="variant numbers to run (0-based, table order)"
    )
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    _, base = paper_models(5000, 20, filters=args.filters)
    rows = torch.Generator().manual_seed(1)
    tokens = torch.randint(0, 5000, (args.sequences, 20), generator=rows)
    labels = (torch.arange(args.sequences) % 2).float()
    runs = {}
    for i, (name, (forward, fused)) in enumerate(VARIANTS.items()):
        if args.only and i not in args.only:
            continue
        disc = copy.deepcopy(base).train()
        opt = torch.optim.Adam(disc.parameters(), lr=LR, fused=fused or None)
        epoch(disc, opt, forward, tokens, labels, torch.arange(8 * BATCH))  # warm-up
        runs[name] = (disc, opt, forward, [])
    for r in range(args.rounds):
        order = torch.randperm(args.sequences, generator=torch.Generator().manual_seed(r))
        for disc, opt, forward, times in runs.values():
            torch.manual_seed(r)
            times.append(epoch(disc, opt, forward, tokens, labels, order, CLOCKS[args.clock]))
    peak = gemm_peak_gflops(clock=CLOCKS[args.clock])
    floor = 3 * d_forward_flops(base, 20) * args.sequences / (peak * 1e9)
    print(
        f"D epoch, {args.sequences} sequences, {args.filters} filters, {args.threads} threads, "
        f"{args.rounds} interleaved rounds, {args.clock} clock; fp32 FLOP floor {floor:.2f} s at {peak:.0f} GFLOP/s"
    )
    print("| variant | best s | median s | x floor (median) |\n| --- | ---: | ---: | ---: |")
    for name, (*_, times) in runs.items():
        med = statistics.median(times)
        print(f"| {name} | {min(times):.2f} | {med:.2f} | {med / floor:.2f} |")


if __name__ == "__main__":
    main()
