"""D's training curves in float32 and in bfloat16 (`--schedule.d-dtype bfloat16`), set against
fp32's own seed-to-seed spread (issue 14: a lower-precision D is allowed only with this check).

It runs a preset's D pre-training schedule (table1-cpu: 10 rounds, each fresh negatives from G and
k epochs on num_positives real + num_negatives generated sequences) from one fixed G, once per D
seed and dtype. A D seed changes D's initialisation, the negatives, the batch order and the
dropout masks; G and the real set S stay fixed, so "seed" is the run-to-run noise D training has
anyway. After every round it records what the learner logs: D's training loss and accuracy (the
last epoch's) and, in fp32 eval mode, D's mean P(real) on S, on held-out real data and on fresh G
samples (`d/p_real_*`, the game's diagnostics).

Verdict per metric: bf16 is within fp32's noise when, at every round, the mean over seeds of the
paired difference (bf16 - fp32, same seed) is at most fp32's standard deviation across seeds.

    python benchmarks/d_precision.py --oracle ../shared/data/seqgan_official/target_params_py3.pkl \
        --init-from RUN_DIR --seeds 1,2,3,4,5 --json d_precision.json

RUN_DIR is any synthetic run of the preset past its MLE pre-training (e.g. an experiment's
`pretrain/`): its G is taken and its seed decides S. Without it, G is pre-trained here first
(the preset's mle_epochs; ~6 min for table1-cpu at one thread).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from dataclasses import replace

import torch

from seqgan_ray import presets
from seqgan_ray.config import DiscriminatorConfig, RunConfig, override
from seqgan_ray.core.d_training import d_optimizer
from seqgan_ray.core.learner import Learner
from seqgan_ray.core.models import Discriminator
from seqgan_ray.core.process import setup_process
from seqgan_ray.core.sampling import NEGATIVE_SHARDS, derive_seed, sample_negatives
from seqgan_ray.driver import checkpoint
from seqgan_ray.tasks import make_task

METRICS = ("d/loss", "d/acc", "d/p_real_train", "d/p_real_heldout", "d/p_real_fake")
DTYPES = ("float32", "bfloat16")


def pretrained_generator(cfg: RunConfig, init_from: str | None, device) -> tuple[RunConfig, dict]:
    """(cfg with the run's seed, G's state_dict): from RUN_DIR's checkpoint, or MLE here."""
    if init_from is not None:
        state = checkpoint.load(f"{init_from}/checkpoint.pt")
        run = RunConfig.from_dict(state["config"])  # its seed and data seed decide S
        task = replace(run.task, oracle_path=cfg.task.oracle_path or run.task.oracle_path)
        return replace(cfg, seed=run.seed, task=task), state["learner"]["generator"]
    learner = Learner(cfg, make_task(cfg, device), device)
    for epoch in range(cfg.schedule.mle_epochs):
        learner.mle_epoch(epoch)
    return cfg, learner.generator.state_dict()


def d_curve(cfg: RunConfig, task, generator: dict, d_seed: int, rounds: int, device) -> list:
    """One D trained from scratch for `rounds` rounds; each round's metrics (see METRICS)."""
    learner = Learner(cfg, task, device)
    learner.generator.load_state_dict(generator)
    torch.manual_seed(derive_seed(d_seed, "d_precision_init"))
    learner.discriminator = Discriminator.from_config(cfg).to(device).eval()
    learner.d_opt = d_optimizer(learner.discriminator, cfg.discriminator.lr)
    s, curve = cfg.schedule, []
    for rnd in range(rounds):
        policy = learner.generator_policy()
        negatives = sample_negatives(
            policy, s.num_negatives or len(task.real), (d_seed, "negatives", rnd), NEGATIVE_SHARDS
        )
        stats = learner.train_discriminator(negatives, (d_seed, "d_train", rnd))
        stats.update(learner.discriminator_diagnostics((d_seed, "diagnostics", rnd)))
        curve.append({k: stats[k] for k in METRICS})
    return curve


def verdict(curves: dict) -> dict:
    """Per metric: the largest |mean paired difference| over rounds, fp32's spread there, and
    whether every round's mean paired difference is within fp32's standard deviation."""
    seeds = sorted(curves["float32"])
    rounds = len(curves["float32"][seeds[0]])
    out = {}
    for m in METRICS:
        worst = None
        within = True
        for r in range(rounds):
            fp32 = [curves["float32"][s][r][m] for s in seeds]
            diff = statistics.mean(curves["bfloat16"][s][r][m] - f for s, f in zip(seeds, fp32))
            sd = statistics.stdev(fp32)
            within &= abs(diff) <= sd
            if worst is None or abs(diff) - sd > worst["excess"]:
                worst = {"round": r + 1, "mean_diff": diff, "fp32_sd": sd, "excess": abs(diff) - sd}
        out[m] = {"within_fp32_noise": within, **worst}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="table1-cpu")
    parser.add_argument("--oracle", default=None, help="official target_params_py3.pkl")
    parser.add_argument("--init-from", default=None, help="a run past MLE pre-training")
    parser.add_argument("--full-d", action="store_true", help="the paper's D (1,720 filters)")
    parser.add_argument("--seeds", default="1,2,3,4,5", help="D seeds (at least 2)")
    parser.add_argument("--rounds", type=int, default=None, help="default: d_pretrain_rounds")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", default=None, help="write curves and verdict here")
    args = parser.parse_args()
    setup_process(args.threads)
    seeds = [int(s) for s in args.seeds.split(",")]
    if len(seeds) < 2:
        parser.error("need at least 2 seeds to measure fp32's spread")
    cfg = presets.preset(args.preset)
    if args.oracle:
        cfg = override(cfg, "task", oracle_path=args.oracle)
    if args.full_d:
        cfg = replace(cfg, discriminator=DiscriminatorConfig())
    device = torch.device("cpu")
    cfg, generator = pretrained_generator(cfg, args.init_from, device)
    task = make_task(cfg, device)
    rounds = args.rounds or cfg.schedule.d_pretrain_rounds
    curves: dict = {dtype: {} for dtype in DTYPES}
    seconds: dict = {dtype: [] for dtype in DTYPES}
    for seed in seeds:  # dtypes interleaved, so drift in machine load hits both alike
        for dtype in DTYPES:
            t0 = time.perf_counter()
            run_cfg = override(cfg, "schedule", d_dtype=dtype)
            curves[dtype][seed] = d_curve(run_cfg, task, generator, seed, rounds, device)
            seconds[dtype].append(time.perf_counter() - t0)
            last = curves[dtype][seed][-1]
            print(
                f"seed {seed} {dtype:8s} {seconds[dtype][-1]:6.1f} s  "
                + "  ".join(f"{k} {v:.4f}" for k, v in last.items()),
                flush=True,
            )
    result = {"verdict": verdict(curves), "seconds": seconds, "rounds": rounds, "curves": curves}
    print(f"\nper round, mean over {len(seeds)} seeds (fp32 mean +- sd | bf16 - fp32 paired):")
    for m in METRICS:
        row = []
        for r in range(rounds):
            fp32 = [curves["float32"][s][r][m] for s in seeds]
            bf16 = [curves["bfloat16"][s][r][m] for s in seeds]
            diff = statistics.mean(b - f for b, f in zip(bf16, fp32))
            row.append(f"{statistics.mean(fp32):.4f}+-{statistics.stdev(fp32):.4f}|{diff:+.4f}")
        v = result["verdict"][m]
        print(f"{m:18s} within fp32 noise: {v['within_fp32_noise']}  " + "  ".join(row))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
