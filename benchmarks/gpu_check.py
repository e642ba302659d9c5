"""What a GPU user should run first: the code paths no GPU has run yet (docs/gpu.md), on CUDA,
in well under 10 minutes on one GPU, printing what each step measured.

    python benchmarks/gpu_check.py [--workers 4] [--iterations 3] [--out runs/gpu-check]

1. Device selection: `--device auto` resolves to CUDA, and which GPU torch sees.
2. The roll-out benchmark on CUDA (`seqgan-ray bench rollout --device cuda`): Q for one g-step
   at the paper's sizes (B 64, T 20, V 5,000, N 16), fp32 and bf16 scoring, seconds per g-step
   and bf16's largest |Q - Q_fp32|.
3. A K-worker roll-out pool on fractional GPUs (distributed/layout.py): K actors sharing half
   a GPU, each reporting the device it computes on, Q for the same g-step timed and compared
   with step 2's in-process Q (DESIGN §4: the same for any number of workers).
4. A few `paper` iterations (the paper's models and its d-step schedule, 5 d-steps x 3 epochs
   on 10,000 + 10,000 sequences; MLE and D pre-training cut to 2 epochs and 1 round), first in
   this process on CUDA, then on a local Ray with the learner on 0.5 GPU and the K roll-out
   actors sharing the other half: seconds per adversarial iteration and NLL-oracle for both,
   and how far the two runs' evaluations differ.

Without a CUDA device it exits with one line and code 2; when a check fails, with code 1.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import time
from pathlib import Path

import torch

# Roll-out Q on GPU is not bit-identical across processes (kernel choice, atomics); beyond this
# the pool's Q or the Ray run's evaluations differ for a reason worth reporting.
Q_TOLERANCE = 1e-4
NLL_TOLERANCE = 1e-2


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=4, help="K roll-out actors (default 4)")
    parser.add_argument("--iterations", type=int, default=3, help="adversarial iterations (3)")
    parser.add_argument("--repeats", type=int, default=3, help="timed g-steps per benchmark (3)")
    parser.add_argument("--out", type=Path, default=Path("runs/gpu-check"), help="run dirs")
    args = parser.parse_args()
    if args.workers < 1 or args.iterations < 1 or args.repeats < 1:
        print("error: --workers, --iterations and --repeats must be >= 1", file=sys.stderr)
        return 2
    if not torch.cuda.is_available():
        print(
            "error: torch sees no CUDA device, so there is nothing to check here; run this on a "
            f"machine with an NVIDIA GPU and a CUDA build of torch (this torch: {torch.__version__})",
            file=sys.stderr,
        )
        return 2
    t0 = time.perf_counter()
    failures = [
        *check_device(),
        *check_rollout_benchmark(args.repeats),
        *check_pool(args.workers, args.repeats),
        *check_paper_iterations(args.workers, args.iterations, args.out),
    ]
    print(f"\ntotal {time.perf_counter() - t0:.0f} s")
    for line in failures:
        print(f"FAILED: {line}")
    print("all checks passed" if not failures else f"{len(failures)} check(s) failed")
    return 1 if failures else 0


def check_device() -> list[str]:
    from seqgan_ray.core.process import resolve_device

    device = resolve_device("auto")
    name = torch.cuda.get_device_name(0)
    print(f"[1] device auto -> {device}; {torch.cuda.device_count()} GPU(s), GPU 0: {name}")
    print(f"    torch {torch.__version__}, CUDA {torch.version.cuda}")
    return [] if device.type == "cuda" else [f"device auto resolved to {device}, not cuda"]


def check_rollout_benchmark(repeats: int) -> list[str]:
    from seqgan_ray.studies.bench import time_rollout

    print("[2] roll-out benchmark on CUDA (B 64, T 20, V 5000, N 16)")
    failures = []
    for dtype in ("float32", "bfloat16"):
        r = time_rollout(5000, 20, 64, 16, repeats, dtype, "cuda")
        print(
            f"    {dtype:8}: median {r['seconds_per_q']:.4f} s per g-step (min {r['min']:.4f}, "
            f"max {r['max']:.4f}); max |Q - Q_fp32| {r['q_max_abs_diff_vs_fp32']:.1e}"
        )
        if dtype == "bfloat16" and r["q_max_abs_diff_vs_fp32"] > 1e-2:
            failures.append(f"bf16 roll-out Q off fp32 by {r['q_max_abs_diff_vs_fp32']:.1e}")
    return failures


def check_pool(workers: int, repeats: int) -> list[str]:
    """K roll-out actors on fractional GPUs: their devices, Q's time, Q against in-process."""
    import ray

    from seqgan_ray.core.rollout import DiscriminatorReward, combine_q, estimate_q
    from seqgan_ray.core.sampling import sample_sequences
    from seqgan_ray.distributed.rollout_pool import RolloutPool
    from seqgan_ray.distributed.session import connect
    from seqgan_ray.studies.bench import paper_config, paper_models

    share = round(0.5 / workers, 4)
    print(f"[3] roll-out pool: {workers} actors, 1 CPU and {share} GPU each, on a local Ray")
    cfg = paper_config(5000, 20)
    gen, disc = paper_models(5000, 20)
    gen, disc = gen.cuda(), disc.cuda()
    policy = gen.policy()
    y = sample_sequences(policy, 64, (0, "gpu_check_batch"))
    key = (0, "gpu_check", 0)
    q_here = estimate_q(policy, DiscriminatorReward(disc, "float32"), y, 16, key).cpu()

    connect(None, False, num_cpus=workers + 1)
    failures = []
    pool = RolloutPool(cfg, workers, 1.0, share)
    try:
        devices = ray.get([a.__ray_call__.remote(lambda w: str(w.device)) for a in pool.actors])
        print(f"    actor devices: {', '.join(devices)}")
        if any(d != "cuda" for d in devices):
            failures.append(f"roll-out actors on {devices}, not all on cuda")
        cpu_policy, cpu_y = copy.deepcopy(gen).cpu().policy(), y.cpu()  # what the driver ships
        d_ref = ray.put({k: v.cpu() for k, v in disc.state_dict().items()})
        with torch.no_grad():
            d_y = disc(y).sigmoid().cpu()
        times, q_pool = [], None
        for r in range(repeats + 1):  # the first loads D into every actor: a warm-up
            t1 = time.perf_counter()
            scores = pool.scores(ray.put(cpu_policy), 0, d_ref, cpu_y, 16, key)
            q_pool = combine_q(scores, d_y)
            if r:
                times.append(time.perf_counter() - t1)
        diff = float((q_pool - q_here).abs().max())
        print(
            f"    median {statistics.median(times):.4f} s per g-step "
            f"(actors' compute {pool.last_compute_s:.4f} s); max |Q_pool - Q_in_process| {diff:.1e}"
        )
        if diff > Q_TOLERANCE:
            failures.append(f"the pool's Q differs from the in-process Q by {diff:.1e}")
    finally:
        pool.shutdown()
        ray.shutdown()
    return failures


def check_paper_iterations(workers: int, iterations: int, out: Path) -> list[str]:
    from seqgan_ray import change, load_run, preset, train
    from seqgan_ray.distributed.layout import RayOptions

    cfg = change(
        preset("paper"),
        {
            "device": "cuda",
            "schedule.mle_epochs": 2,
            "schedule.d_pretrain_rounds": 1,
            "schedule.adversarial_iterations": iterations,
            "schedule.eval_interval": 1,
            "schedule.test_samples": 10_000,
            "schedule.checkpoint_every": iterations,
        },
    )
    stamp = time.strftime("%Y%m%d-%H%M%S")
    share = round(0.5 / workers, 4)
    runs = {
        "in this process": (out / f"{stamp}-local", False),
        f"on Ray (learner 0.5 GPU, {workers} actors x {share} GPU)": (
            out / f"{stamp}-ray",
            RayOptions(rollout_workers=workers, learner_gpus=0.5, gpus_per_rollout_worker=share),
        ),
    }
    print(f"[4] paper preset, {iterations} adversarial iterations (MLE 2 epochs, D 1 round)")
    finals, failures = {}, []
    for label, (run_dir, ray) in runs.items():
        summary = train(cfg, run_dir, ray=ray, echo=lambda line: print(f"    {line}"))
        run = load_run(run_dir)
        steps = [r["perf/step_s"] for r in run.metrics if r["phase"] == "adversarial"]
        finals[label] = [v for _, v in run.curve("eval/nll_oracle")]
        print(
            f"    {label}: {statistics.median(steps):.2f} s per adversarial iteration (median of "
            f"{len(steps)}), NLL-oracle after MLE {summary['nll_oracle_after_mle']:.4f}, final "
            f"{run.final['final/nll_oracle']:.4f}; total {summary['wall_s']:.0f} s; {run_dir}"
        )
    local, on_ray = finals.values()
    diff = max(abs(a - b) for a, b in zip(local, on_ray, strict=True))
    print(f"    max |NLL-oracle difference| over the {len(local)} evaluations: {diff:.1e}")
    if diff > NLL_TOLERANCE:
        failures.append(f"the Ray run's evaluations differ from the in-process run's by {diff:.1e}")
    return failures


if __name__ == "__main__":
    sys.exit(main())
