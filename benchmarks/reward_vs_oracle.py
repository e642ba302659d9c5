"""Does D's reward carry information about quality? For finished synthetic runs: D's P(real) of
each sequence set against the oracle's own judgement of it, the per-sequence NLL-oracle.

SeqGAN's policy gradient can only improve NLL-oracle through D if, among G's samples, the
sequences D scores higher are the ones the oracle finds more likely. This script measures that
ranking at the run's last checkpoint (G and D as they ended):

- rho_fake: Spearman correlation, over n fresh samples of G, between D's P(real) and the
  oracle's log-likelihood (= -NLL-oracle per sequence). 0: D's reward says nothing about quality;
  > 0: D rewards what the oracle likes.
- rho_heldout: the same over n held-out oracle samples (real data D never trained on).
- auc_heldout_vs_fake: how well D separates held-out real data from G's samples (0.5: not at
  all); auc_train_vs_heldout: how well it separates its own training rows from held-out real
  ones (0.5: it learnt "real", not "these rows"; 1: it memorised S).

    python benchmarks/reward_vs_oracle.py RUN [RUN ...] [--samples 5000] [--json out.json]

A run's D right after its pre-training (iteration 0) is a run with no adversarial iterations:
`seqgan-ray train synthetic --preset table1-cpu --oracle ... --init-from EXP/pretrain
--adversarial-iterations 0 --no-ray --threads 1 --out d0`. Keys are fixed per run seed, so two
runs of one seed are scored on the same draws.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch
from scipy import stats

from seqgan_ray.config import RunConfig
from seqgan_ray.core.diagnostics import keyed_subset
from seqgan_ray.core.models import Discriminator, Generator
from seqgan_ray.core.process import setup_process
from seqgan_ray.core.sampling import sample_sequences
from seqgan_ray.driver import checkpoint
from seqgan_ray.driver.rundir import RunDir
from seqgan_ray.tasks import make_task


@torch.no_grad()
def p_real(disc: Discriminator, tokens: torch.Tensor, batch: int = 1024) -> torch.Tensor:
    return torch.cat([torch.sigmoid(disc(part).float()) for part in tokens.split(batch)])


def auc(pos: torch.Tensor, neg: torch.Tensor) -> float:
    """P(a random `pos` scores above a random `neg`), ties counted half (Mann-Whitney)."""
    u = stats.mannwhitneyu(pos.numpy(), neg.numpy(), alternative="two-sided").statistic
    return float(u) / (len(pos) * len(neg))


def analyse(run: Path, samples: int) -> dict:
    state = checkpoint.load(RunDir(run).checkpoint)
    cfg = RunConfig.from_dict(state["config"])
    if cfg.task.kind != "synthetic":
        raise SystemExit(f"{run}: the oracle's judgement needs the synthetic task")
    gen, disc = Generator.from_config(cfg), Discriminator.from_config(cfg)
    gen.load_state_dict(state["learner"]["generator"])
    disc.load_state_dict(state["learner"]["discriminator"])
    gen.eval(), disc.eval()
    task = make_task(cfg, torch.device("cpu"))
    fake = sample_sequences(gen.policy(), samples, (cfg.seed, "reward_vs_oracle"))
    heldout = keyed_subset(task.test, samples, (cfg.seed, "reward_vs_oracle_heldout"))
    train = keyed_subset(task.real, samples, (cfg.seed, "reward_vs_oracle_train"))
    d_fake, d_heldout, d_train = p_real(disc, fake), p_real(disc, heldout), p_real(disc, train)
    ll_fake = -task.sequence_scores(fake)
    ll_heldout = -task.sequence_scores(heldout)
    return {
        "run": str(run),
        "phase": state["phase"],
        "step": state["step"],
        "method": cfg.method.name,
        "seed": cfg.seed,
        "samples": samples,
        "p_real_fake": float(d_fake.mean()),
        "p_real_heldout": float(d_heldout.mean()),
        "p_real_train": float(d_train.mean()),
        "nll_oracle_fake": float(-ll_fake.mean()),
        "rho_fake": float(stats.spearmanr(d_fake.numpy(), ll_fake.numpy()).statistic),
        "rho_heldout": float(stats.spearmanr(d_heldout.numpy(), ll_heldout.numpy()).statistic),
        "auc_heldout_vs_fake": auc(d_heldout, d_fake),
        "auc_train_vs_heldout": auc(d_train, d_heldout),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--samples", type=int, default=5_000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    setup_process(args.threads)
    rows = []
    head = ("run", "iteration", "P(real) fake/held-out/train", "rho fake", "rho held-out",
            "AUC held-out vs fake", "AUC train vs held-out")  # fmt: skip
    print("| " + " | ".join(head) + " |\n|" + " --- |" * len(head))
    for run in args.runs:
        r = analyse(run, args.samples)
        rows.append(r)
        it = r["step"] if r["phase"] == "adversarial" else ("end" if r["phase"] == "done" else 0)
        print(
            f"| {run} | {it} | {r['p_real_fake']:.3f} / {r['p_real_heldout']:.3f} / "
            f"{r['p_real_train']:.3f} | {r['rho_fake']:+.3f} | {r['rho_heldout']:+.3f} | "
            f"{r['auc_heldout_vs_fake']:.3f} | {r['auc_train_vs_heldout']:.3f} |",
            flush=True,
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    sys.exit(main())
