"""Ours beside TextGAN-PyTorch's SeqGAN, in one run on the same sequences: one epoch of D
training and one g-step's roll-out rewards (ROLLOUT.get_reward), with the ratios.

    git clone https://github.com/williamSYSU/TextGAN-PyTorch /work/textgan   # outside this tree
    python3 -m venv /work/textgan-venv
    /work/textgan-venv/bin/pip install torch==2.13.0 numpy nltk
    python benchmarks/textgan_compare.py --textgan /work/textgan \\
        --python /work/textgan-venv/bin/python [--sequences 8000] [--threads 2] [--rounds 1]

TextGAN runs in a subprocess with its own interpreter: this file's `--worker` mode imports only
torch and the checkout's modules. No TextGAN code is copied into this project.

What is timed, both sides at paper sizes (V 5000, T 20, B 64, N 16, the paper's D: 12 widths,
1,720 filters, emb 64, highway, dropout 0.25):
- D epoch: ours is `seqgan-ray bench d-epoch`'s loop (d_training.d_epoch: fused Adam 1e-4,
  sigmoid cross-entropy + L2 on the output layer, batches of 64). TextGAN's is its instructor's
  train_dis_epoch: SeqGAN_D, Adam 1e-4, CrossEntropyLoss on 2 logits, clip_grad_norm_ 5.0,
  batches of 64 (indexed from one tensor here: no DataLoader overhead on its side).
- Roll-out: ours is rollout.estimate_q (fp32); TextGAN's is ROLLOUT.get_reward(Y, 16, D) with
  SeqGAN_G (emb 32, hidden 32). Both score with their own randomly initialised D and G.
Each round builds both sides afresh (seeded) and runs ours, then TextGAN's, each after a short
warm-up; the table shows the median over rounds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

V, T, B, N, LR, CLIP = 5000, 20, 64, 16, 1e-4, 5.0


def data(sequences: int, seed: int = 1) -> dict:
    gen = torch.Generator().manual_seed(seed)
    return {
        "tokens": torch.randint(1, V, (sequences, T), generator=gen),  # 0 is TextGAN's padding
        "labels": torch.arange(sequences) % 2,
        "orders": [torch.randperm(sequences, generator=gen) for _ in range(8)],
        "y": torch.randint(1, V, (B, T), generator=gen),
    }


def worker(textgan: str, data_path: str, r: int, rollout: bool) -> None:
    """Runs under TextGAN's interpreter: times round r of its D epoch and get_reward; prints one
    JSON line."""
    sys.path.insert(0, textgan)
    import config as cfg  # TextGAN's module-level settings

    cfg.CUDA = False
    from models.SeqGAN_D import SeqGAN_D
    from models.SeqGAN_G import SeqGAN_G
    from utils.rollout import ROLLOUT

    d = torch.load(data_path)
    torch.manual_seed(0)
    dis = SeqGAN_D(64, V, cfg.padding_idx, gpu=False, dropout=0.25)
    gen = SeqGAN_G(32, 32, V, T, cfg.padding_idx, gpu=False)
    opt = torch.optim.Adam(dis.parameters(), lr=LR)
    criterion = torch.nn.CrossEntropyLoss()
    tokens, labels = d["tokens"], d["labels"]

    def d_epoch(order):  # the loop of TextGAN's Instructor.train_dis_epoch + optimize
        total_loss, total_acc = 0.0, 0
        for idx in order.split(B):
            pred = dis(tokens[idx])
            loss = criterion(pred, labels[idx])
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(dis.parameters(), CLIP)
            opt.step()
            total_loss += loss.item()
            total_acc += torch.sum(pred.argmax(dim=-1) == labels[idx]).item()
        return total_loss, total_acc

    dis.train()
    d_epoch(d["orders"][-1][: 8 * B])  # warm-up, as ours
    out = {"d_epoch_s": [], "rollout_s": []}
    t0 = time.perf_counter()
    d_epoch(d["orders"][r % 7])
    out["d_epoch_s"].append(time.perf_counter() - t0)
    if rollout:
        dis.eval()
        t0 = time.perf_counter()
        ROLLOUT(gen, gpu=False).get_reward(d["y"], N, dis)
        out["rollout_s"].append(time.perf_counter() - t0)
    print(json.dumps(out))


def ours(d: dict, r: int, rollout: bool, dtype: str = "float32") -> dict:
    """Round r of ours, in this process (D trained with its GEMMs in `dtype`)."""
    from seqgan_ray.config import DiscriminatorConfig
    from seqgan_ray.core.d_training import d_epoch, d_optimizer
    from seqgan_ray.core.rollout import DiscriminatorReward, estimate_q
    from seqgan_ray.studies.bench import paper_models

    gen, disc = paper_models(V, T)
    dc = DiscriminatorConfig()
    opt = d_optimizer(disc, dc.lr)
    tokens, labels = d["tokens"], d["labels"].float()
    disc.train()
    d_epoch(disc, opt, tokens, labels, d["orders"][-1][: 8 * B], B, dc.l2_reg, dtype)  # warm-up
    out = {"d_epoch_s": [], "rollout_s": []}
    t0 = time.perf_counter()
    d_epoch(disc, opt, tokens, labels, d["orders"][r % 7], B, dc.l2_reg, dtype)
    out["d_epoch_s"].append(time.perf_counter() - t0)
    if rollout:
        disc.eval()
        t0 = time.perf_counter()
        estimate_q(gen.policy(), DiscriminatorReward(disc), d["y"], N, (0, "compare", r))
        out["rollout_s"].append(time.perf_counter() - t0)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--textgan", required=True, help="a TextGAN-PyTorch checkout")
    ap.add_argument("--python", default=sys.executable, help="TextGAN's interpreter (its venv)")
    ap.add_argument("--sequences", type=int, default=8000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--skip-rollout", action="store_true", help="time the D epoch only")
    ap.add_argument("--d-dtypes", default="float32", help="ours' D training: float32,bfloat16")
    ap.add_argument("--worker", help=argparse.SUPPRESS)  # internal: the data file
    ap.add_argument("--round", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    rollout = not args.skip_rollout
    if args.worker:
        worker(args.textgan, args.worker, args.round, rollout)
        return
    if not (Path(args.textgan) / "models" / "SeqGAN_D.py").exists():
        sys.exit(f"error: {args.textgan} is not a TextGAN-PyTorch checkout")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.pt"
        d = data(args.sequences)
        torch.save(d, path)
        dtypes = args.d_dtypes.split(",")
        mine = {dtype: {"d_epoch_s": [], "rollout_s": []} for dtype in dtypes}
        theirs = {"d_epoch_s": [], "rollout_s": []}
        for r in range(args.rounds):  # interleaved: a busy machine slows both alike
            for i, dtype in enumerate(dtypes):
                for k, v in ours(d, r, rollout and i == 0, dtype).items():
                    mine[dtype][k] += v
            cmd = [args.python, __file__, "--textgan", args.textgan, "--worker", str(path)]
            cmd += ["--threads", str(args.threads), "--round", str(r)]
            cmd += ["--skip-rollout"] * args.skip_rollout
            proc = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True, check=False)
            if proc.returncode:
                sys.exit(f"error: TextGAN worker failed:\n{proc.stderr[-2000:]}")
            for k, v in json.loads(proc.stdout.strip().splitlines()[-1]).items():
                theirs[k] += v
    print(
        f"{args.sequences} sequences, {args.threads} threads, {args.rounds} round(s), "
        f"torch {torch.__version__} (ours)"
    )
    print("| work | ours s | TextGAN-PyTorch s | TextGAN / ours |\n| --- | ---: | ---: | ---: |")
    names = {"d_epoch_s": "D training epoch", "rollout_s": "roll-out Q, one g-step"}
    for dtype in dtypes:
        for key, name in names.items():
            if mine[dtype][key]:
                a, b = statistics.median(mine[dtype][key]), statistics.median(theirs[key])
                label = name if key == "rollout_s" else f"{name} (ours: D in {dtype})"
                print(f"| {label} | {a:.2f} | {b:.2f} | {b / a:.2f}x |")


if __name__ == "__main__":
    main()
