"""Where one adversarial iteration of a preset spends its time, step by step, in one process at
one thread (as `experiment` runs each method): sample B sequences, Q by roll-outs, the g-step,
beta <- theta, the d-step's negatives and its D training, D's diagnostics; then one MLE epoch and
one periodic evaluation. G and D are untrained (timing only: the work does not depend on them).

    python benchmarks/iteration_profile.py [--preset table1-cpu] [--oracle PKL] [--iterations 2]
"""

from __future__ import annotations

import argparse
import time

import torch

from seqgan_ray import presets
from seqgan_ray.config import override
from seqgan_ray.core.learner import Learner
from seqgan_ray.core.process import setup_process
from seqgan_ray.core.sampling import NEGATIVE_SHARDS, sample_negatives
from seqgan_ray.tasks import make_task


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="table1-cpu")
    parser.add_argument("--oracle", default=None, help="official target_params_py3.pkl")
    parser.add_argument("--iterations", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--d-dtype", default=None, help="float32 or bfloat16 (D training)")
    args = parser.parse_args()
    setup_process(args.threads)
    cfg = presets.preset(args.preset)
    if args.oracle:
        cfg = override(cfg, "task", oracle_path=args.oracle)
    cfg = override(cfg, "schedule", d_dtype=args.d_dtype)
    device = torch.device("cpu")
    learner = Learner(cfg, make_task(cfg, device), device)
    learner.start_adversarial()
    s, seconds = cfg.schedule, {}

    def timed(name, fn, *args):
        t0 = time.perf_counter()
        out = fn(*args)
        seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - t0
        return out

    for it in range(args.iterations):
        y = timed("sample B", learner.sample, s.batch_size, (0, "y", it))
        q = timed("Q (roll-outs)", learner.q_values, y, (0, "q", it))
        timed("g-step", learner.g_step, y, q, (0, "g", it))
        timed("beta <- theta", learner.sync_rollout)
        for d in range(s.d_steps):
            policy, key = learner.generator_policy(), (0, "n", it, d)
            neg = timed(
                "negatives", sample_negatives, policy, s.num_negatives, key, NEGATIVE_SHARDS
            )
            timed("D training", learner.train_discriminator, neg, (0, "d", it, d))
        timed("D diagnostics", learner.discriminator_diagnostics, (0, "dd", it))
    total = sum(seconds.values()) / args.iterations
    for name, value in seconds.items():
        print(
            f"{name:15s} {value / args.iterations:6.2f} s  {value / args.iterations / total:5.1%}"
        )
    print(f"{'iteration':15s} {total:6.2f} s")
    t0 = time.perf_counter()
    learner.mle_epoch(0)
    print(f"{'MLE epoch':15s} {time.perf_counter() - t0:6.2f} s")
    t0 = time.perf_counter()
    learner.evaluate(s.eval_samples, (0, "eval"))
    print(f"{'evaluation':15s} {time.perf_counter() - t0:6.2f} s  ({s.eval_samples} samples)")


if __name__ == "__main__":
    main()
