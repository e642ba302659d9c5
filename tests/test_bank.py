"""docs/bank.py: what a study keeps in the repository between sessions, run by run."""

import importlib.util
import json
from pathlib import Path

import torch

from seqgan_ray.driver import checkpoint

SPEC = importlib.util.spec_from_file_location("bank", Path(__file__).parents[1] / "docs/bank.py")
bank_module = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(bank_module)


def _run(where: Path, phases: list[str], learner: dict | None = None) -> None:
    where.mkdir(parents=True)
    (where / "config.json").write_text("{}\n")
    rows = [{"phase": p, "step": i} for i, p in enumerate(phases)]
    (where / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (where / "samples.txt").write_text("1 2 3\n")
    learner = learner or {"generator": {"w": torch.ones(2)}, "discriminator": {"w": torch.ones(3)}}
    checkpoint.save({"learner": learner, "iteration": len(phases)}, where / "checkpoint.pt")


def _study(out: Path, seqgan_phases: list[str]) -> None:
    learner = {name: {"w": torch.full((2,), float(i))} for i, name in enumerate(
        ["generator", "g_opt", "discriminator", "d_opt"]
    )}  # fmt: skip
    _run(out / "seed-1" / "pretrain", ["mle", "final"], learner)
    _run(out / "seed-1" / "seqgan", seqgan_phases)
    _run(out / "seed-1" / "mle", ["mle", "adversarial", "final"])
    (out / "seed-1" / "results.json").write_text("{}\n")


def test_a_run_banked_in_progress_keeps_its_whole_checkpoint_until_banked_finished(tmp_path):
    out, dest = tmp_path / "out", tmp_path / "bank"
    _study(out, ["mle", "d_pretrain", "adversarial"])  # seqgan still running
    bank_module.bank(out, dest, pretrain_checkpoint=True, in_progress=True)
    seed = dest / "seed-1"
    kept = checkpoint.load(seed / "seqgan" / "checkpoint.pt")
    assert kept["iteration"] == 3 and set(kept["learner"]) == {"generator", "discriminator"}
    assert not (seed / "mle" / "checkpoint.pt").exists()  # finished: its rows are all it needs
    assert not (seed / "seqgan" / "samples.txt").exists()
    assert set(checkpoint.load(seed / "pretrain" / "checkpoint.pt")["learner"]) == {
        "generator",
        "g_opt",
    }  # slimmed to what methods start from
    assert (seed / "results.json").exists()

    # Without --in-progress an unfinished run's checkpoint stays out of the bank ...
    plain = tmp_path / "plain"
    bank_module.bank(out, plain, pretrain_checkpoint=True)
    assert not (plain / "seed-1" / "seqgan" / "checkpoint.pt").exists()
    assert (plain / "seed-1" / "seqgan" / "metrics.jsonl").exists()

    # ... and once the run has finished, banking it again takes its checkpoint out.
    with (out / "seed-1" / "seqgan" / "metrics.jsonl").open("a") as metrics:
        metrics.write('{"phase": "final"}\n')
    bank_module.bank(out, dest, pretrain_checkpoint=True, in_progress=True)
    assert not (seed / "seqgan" / "checkpoint.pt").exists()
    assert (seed / "seqgan" / "metrics.jsonl").read_text().endswith('{"phase": "final"}\n')
    assert (seed / "pretrain" / "checkpoint.pt").exists()


def test_only_the_seeds_run_are_banked_and_the_table_over_seeds_only_from_all_of_them(tmp_path):
    out, dest = tmp_path / "out", tmp_path / "bank"
    _study(out, ["mle", "final"])
    (out / "results.json").write_text('{"seeds": [1]}\n')
    bank_module.bank(out, dest, pretrain_checkpoint=True, seeds=[1])
    assert (dest / "results.json").read_text() == '{"seeds": [1]}\n'

    # A later invocation of seed 2 alone, beside seed 1 restored from the bank and edited since
    # (a stale copy): seed 2 is banked, seed 1 and the table over seeds are left as they were.
    _run(out / "seed-2" / "seqgan", ["mle", "final"])
    (out / "seed-1" / "results.json").write_text('{"stale": true}\n')
    (out / "results.json").write_text('{"seeds": [2]}\n')
    bank_module.bank(out, dest, pretrain_checkpoint=True, seeds=[2])
    assert (dest / "seed-2" / "seqgan" / "metrics.jsonl").exists()
    assert (dest / "seed-1" / "results.json").read_text() == "{}\n"
    assert (dest / "results.json").read_text() == '{"seeds": [1]}\n'

    # Rebuilt over both seeds, the table over seeds is banked again.
    (out / "results.json").write_text('{"seeds": [1, 2]}\n')
    bank_module.bank(out, dest, pretrain_checkpoint=True, seeds=[1, 2])
    assert (dest / "results.json").read_text() == '{"seeds": [1, 2]}\n'
    assert (dest / "seed-1" / "results.json").read_text() == '{"stale": true}\n'
