"""Bank a study's evidence in this repository, the only thing kept between sessions.

    python docs/bank.py OUT BANK [--pretrain-checkpoint] [--in-progress] [--seeds 88,89]

Copies from the study directory OUT into BANK: the experiment's and each seed's own
.json/.md/.png files, and each run's config.json and metrics.jsonl (a finished method's results
row and frontier curve are all a later invocation reads of it). With --pretrain-checkpoint, each
pretrain/ also keeps final_nll_oracle.npy and its checkpoint slimmed to G and G's optimizer: all
that methods started in a later session from that pre-training need (MLE pre-training is not
bit-reproducible across CPU types, so a remade one would be a different G).

With --in-progress (run by hand before a session ends with runs still going), each unfinished
run also keeps its whole checkpoint.pt, so a later session's `run.sh` continues it from there
instead of from nothing. A run's checkpoint leaves BANK again once the run is banked finished.

With --seeds, only those seeds' directories are banked (OUT also holds the copies of other seeds
restored from BANK, which this invocation did not run), and the experiment's own files (its table
over seeds) only when those seeds are every seed BANK and OUT hold: a table over fewer seeds
must not replace it.
"""

import argparse
import shutil
from pathlib import Path

from seqgan_ray.driver import checkpoint
from seqgan_ray.driver.rundir import read_metrics

KEEP = {"config.json", "metrics.jsonl", "experiment.json", "wall.json"}


def finished(run: Path) -> bool:
    """Whether the run directory `run` has written its final evaluation."""
    metrics = run / "metrics.jsonl"
    return metrics.exists() and any(r.get("phase") == "final" for r in read_metrics(metrics))


def _seed_dirs(where: Path) -> set[str]:
    return {d.name for d in where.glob("seed-*") if d.is_dir()}


def bank(
    out: Path,
    dest: Path,
    pretrain_checkpoint: bool,
    in_progress: bool = False,
    seeds: list[int] | None = None,
) -> None:
    chosen = None if seeds is None else {f"seed-{s}" for s in seeds}
    whole = chosen is None or chosen >= _seed_dirs(out) | _seed_dirs(dest)
    for src in sorted(out.rglob("*")):
        rel = src.relative_to(out)
        if src.is_dir() or "again" in rel.parts or rel.parts[-2:-1] == ("d_pretrain",):
            continue
        if len(rel.parts) == 1 and not whole:
            continue  # the table over seeds, made from fewer seeds than are banked
        if len(rel.parts) > 1 and chosen is not None and rel.parts[0] not in chosen:
            continue  # a seed restored from BANK, not run by this invocation
        top = len(rel.parts) <= 2  # the experiment's and each seed's own files
        keep = src.name in KEEP or (top and src.suffix in {".json", ".md", ".png"})
        pretrain = pretrain_checkpoint and "pretrain" in rel.parts
        keep |= pretrain and src.name in {"final_nll_oracle.npy", "checkpoint.pt"}
        run = src.parent
        keep |= in_progress and src.name == "checkpoint.pt" and not pretrain and not finished(run)
        dst = dest / rel
        if src.name == "metrics.jsonl" and not pretrain and finished(run):
            (dst.parent / "checkpoint.pt").unlink(missing_ok=True)  # banked while in progress
        if not keep:
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        if pretrain and src.name == "checkpoint.pt":
            state = checkpoint.load(src)
            g = state["learner"]
            state["learner"] = {"generator": g["generator"], "g_opt": g["g_opt"]}
            checkpoint.save(state, dst)
        else:
            shutil.copy2(src, dst)
    print(f"banked {out} in {dest}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("bank", type=Path)
    parser.add_argument("--pretrain-checkpoint", action="store_true")
    parser.add_argument("--in-progress", action="store_true")
    parser.add_argument("--seeds", type=lambda v: [int(s) for s in v.split(",")])
    a = parser.parse_args()
    bank(a.out, a.bank, a.pretrain_checkpoint, a.in_progress, a.seeds)
