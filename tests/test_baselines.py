"""The baselines' step logic on toy cases, and the shared pre-training they start from."""

from dataclasses import replace

import pytest
import torch

from seqgan_ray import config as C
from seqgan_ray import presets
from seqgan_ray.core.baselines import (
    bleu_references,
    bleu_scorer,
    constant_q,
    scheduled_sampling_log_probs,
    ss_omega,
)
from seqgan_ray.core.models import Generator
from seqgan_ray.core.rollout import (
    BleuReward,
    complete_prefixes,
    estimate_q,
    prefix_states,
    rollout_rewards,
)
from seqgan_ray.core.sampling import keyed_generator, sample_sequences
from seqgan_ray.driver.rundir import read_metrics
from seqgan_ray.driver.trainer import train
from seqgan_ray.errors import UserError


def test_omega_falls_by_the_decay_per_epoch_and_stops_at_zero():
    assert ss_omega(0, 0.002) == 1.0
    assert ss_omega(100, 0.002) == pytest.approx(0.8)
    assert ss_omega(10_000, 0.002) == 0.0


@pytest.mark.parametrize("omega", [1.0, 0.75, 0.3])
def test_scheduled_sampling_replaces_inputs_at_rate_one_minus_omega(omega):
    torch.manual_seed(0)
    gen = Generator(30, 8, 8, 12)
    y = torch.randint(0, 30, (400, 12))
    log_probs, inputs, replaced = scheduled_sampling_log_probs(gen, y, omega, (1, "ss"))
    assert log_probs.shape == y.shape and torch.all(log_probs <= 0)
    assert not replaced[:, 0].any() and torch.all(inputs[:, 0] == gen.start_token)
    rate = replaced[:, 1:].float().mean().item()
    assert rate == pytest.approx(1 - omega, abs=0.02)  # 4,400 coins: 3 sigma < 0.021
    teacher = gen.teacher_inputs(y)
    assert torch.equal(inputs[~replaced], teacher[~replaced])  # kept inputs are the true tokens
    if omega == 1.0:
        assert torch.allclose(log_probs, gen.log_probs(y))


def test_scheduled_sampling_with_omega_one_is_teacher_forcing_stepwise():
    torch.manual_seed(1)
    gen = Generator(20, 6, 6, 7)
    y = torch.randint(0, 20, (16, 7))
    # omega just below 1 takes the step-by-step path; with no coin landing it must equal MLE.
    log_probs, _, replaced = scheduled_sampling_log_probs(gen, y, 1.0 - 1e-12, (2, "ss"))
    assert not replaced.any()
    assert torch.allclose(log_probs, gen.log_probs(y), atol=1e-5)


def test_pg_bleu_reward_is_the_bleu_of_each_completed_rollout():
    torch.manual_seed(2)
    gen = Generator(12, 6, 6, 6)
    policy = gen.policy()
    real = sample_sequences(policy, 50, (3, "real"))
    scorer = bleu_scorer(real, 3, "method1")
    reward = BleuReward(scorer)
    y = sample_sequences(policy, 5, (3, "y"))
    key = (3, "rollout", 0)
    scores = rollout_rewards(policy, reward, y, [0, 1], key)  # (2, B, T-1)
    B, T = y.shape
    for j, n in enumerate([0, 1]):
        u = torch.rand(T - 1, T, B, generator=keyed_generator(*key, n))
        h, c = prefix_states(policy, y)
        seqs = complete_prefixes(policy, y, h, c, u)  # (T-1)*B rows, prefix-major
        expected = [scorer.score(row.numpy()) for row in seqs]
        expected = torch.tensor(expected, dtype=torch.float32).view(T - 1, B).t()
        assert torch.allclose(scores[j], expected)
    q = estimate_q(policy, reward, y, 2, key)
    assert torch.allclose(q[:, -1], torch.tensor(scorer.scores(y.numpy()), dtype=torch.float32))


def test_bleu_references_are_a_seeded_fraction_of_the_real_set():
    real = torch.arange(100).view(50, 2)
    a = bleu_references(real, 0.4, (1, "refs"))
    assert len(a) == 20 and torch.equal(a, bleu_references(real, 0.4, (1, "refs")))
    assert len({tuple(r) for r in a.tolist()}) == 20  # drawn without replacement


def test_constant_reward_control_ignores_the_discriminator(tmp_path):
    base = C.override(presets.TINY, "method", name="constant")
    other_d = C.override(base, "discriminator", num_filters=(2, 3, 5, 7), lr=0.5)
    train(base, tmp_path / "a", show_progress=False)
    train(other_d, tmp_path / "b", show_progress=False)
    strip = [
        {k: v for k, v in r.items() if not k.startswith("perf/")}
        for r in read_metrics(tmp_path / "a" / "metrics.jsonl")
    ]
    other = [
        {k: v for k, v in r.items() if not k.startswith("perf/")}
        for r in read_metrics(tmp_path / "b" / "metrics.jsonl")
    ]
    assert strip == other
    assert not any(r["phase"] == "d_pretrain" or "d/loss" in r for r in strip)
    adv = [r for r in strip if r["phase"] == "adversarial"]
    assert len(adv) == presets.TINY.schedule.adversarial_iterations
    assert all(r["adv/reward_mean"] == 1.0 for r in adv)
    assert torch.equal(constant_q(torch.zeros(2, 3, dtype=torch.long), 1.0), torch.ones(2, 3))


def test_mle_baseline_continues_mle_for_the_adversarial_budget(tmp_path):
    cfg = C.override(presets.TINY, "method", name="mle")
    train(cfg, tmp_path / "mle", show_progress=False)
    rows = read_metrics(tmp_path / "mle" / "metrics.jsonl")
    adv = [r for r in rows if r["phase"] == "adversarial"]
    assert len(adv) == presets.TINY.schedule.adversarial_iterations
    assert all("baseline/g_nll" in r and r["baseline/omega"] == 1.0 for r in adv)
    assert [r["epoch"] for r in adv] == [
        presets.TINY.schedule.mle_epochs + i for i in range(len(adv))
    ]
    assert not any("perf/rollouts_per_s" in r for r in adv)  # no roll-outs, no throughput


def test_random_baseline_trains_nothing(tmp_path):
    train(C.override(presets.TINY, "method", name="random"), tmp_path / "r", show_progress=False)
    phases = [r["phase"] for r in read_metrics(tmp_path / "r" / "metrics.jsonl")]
    assert phases == ["final"]


def test_methods_start_from_a_shared_pretraining(tmp_path):
    pre = C.override(
        C.override(presets.TINY, "method", name="mle"), "schedule", adversarial_iterations=0
    )
    train(pre, tmp_path / "pre", show_progress=False)
    seqgan = presets.TINY
    train(seqgan, tmp_path / "s", show_progress=False, init_from=tmp_path / "pre")
    pre_rows = [r for r in read_metrics(tmp_path / "pre" / "metrics.jsonl") if r["phase"] == "mle"]
    rows = read_metrics(tmp_path / "s" / "metrics.jsonl")
    assert [r for r in rows if r["phase"] == "mle"] == pre_rows  # taken over, not re-run
    assert [r["phase"] for r in rows].count("d_pretrain") == presets.TINY.schedule.d_pretrain_rounds

    other_gen = replace(seqgan, generator=replace(seqgan.generator, hidden_dim=9))
    with pytest.raises(UserError, match="generator differ"):
        train(other_gen, tmp_path / "x", show_progress=False, init_from=tmp_path / "pre")
    assert not (tmp_path / "x").exists()  # refused before anything was written


def test_invalid_method_is_a_config_error():
    with pytest.raises(C.ConfigError, match="method must be one of"):
        C.override(presets.TINY, "method", name="gan")
