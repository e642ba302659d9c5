"""benchmarks/reward_vs_oracle.py: the rank statistics the README's reading of the game uses."""

import importlib.util
from pathlib import Path

import pytest
import torch
from scipy import stats

from seqgan_ray import presets
from seqgan_ray.driver.trainer import train

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "reward_vs_oracle.py"
spec = importlib.util.spec_from_file_location("reward_vs_oracle", SCRIPT)
rvo = importlib.util.module_from_spec(spec)
spec.loader.exec_module(rvo)


def test_auc_counts_pairs_and_ties_by_hand():
    pos, neg = torch.tensor([0.9, 0.5, 0.5]), torch.tensor([0.5, 0.1])
    # pairs (pos > neg): 0.9 beats both, each 0.5 beats 0.1 and ties 0.5 (half): 2 + 2 * 1.5 = 5
    assert rvo.auc(pos, neg) == pytest.approx(5 / 6)
    assert rvo.auc(neg, pos) == pytest.approx(1 / 6)


def test_a_tiny_runs_statistics_are_the_ranks_of_its_own_scores(tmp_path):
    train(presets.TINY, tmp_path / "run", show_progress=False)
    r = rvo.analyse(tmp_path / "run", 300)
    assert r["samples"] == 300 and r["phase"] == "done"
    for key in ("rho_fake", "rho_heldout"):
        assert -1 <= r[key] <= 1
    # recomputed from the same draws: D's P(real) against the oracle's log-likelihood
    state = rvo.checkpoint.load(tmp_path / "run" / "checkpoint.pt")
    cfg = rvo.RunConfig.from_dict(state["config"])
    gen, disc = rvo.Generator.from_config(cfg), rvo.Discriminator.from_config(cfg)
    gen.load_state_dict(state["learner"]["generator"])
    disc.load_state_dict(state["learner"]["discriminator"])
    gen.eval(), disc.eval()
    task = rvo.make_task(cfg, torch.device("cpu"))
    fake = rvo.sample_sequences(gen.policy(), 300, (cfg.seed, "reward_vs_oracle"))
    d = rvo.p_real(disc, fake)
    ref = stats.spearmanr(d.numpy(), (-task.sequence_scores(fake)).numpy()).statistic
    assert r["rho_fake"] == pytest.approx(ref) and r["p_real_fake"] == pytest.approx(
        float(d.mean())
    )
