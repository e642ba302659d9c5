"""beta <- theta, the shuffled control, the reward variants and the game's diagnostics, on
hand-checked numbers (issue 15)."""

import math

import pytest
import torch

from seqgan_ray import config as C
from seqgan_ray import presets
from seqgan_ray.core import diagnostics, rewards
from seqgan_ray.core.learner import Learner
from seqgan_ray.driver.rundir import read_metrics
from seqgan_ray.driver.trainer import train
from seqgan_ray.methods import MethodConfig, method_named
from seqgan_ray.tasks.synthetic import SyntheticTask


def tiny_learner(method: str = "seqgan", **schedule) -> Learner:
    cfg = C.override(presets.TINY, "schedule", **schedule)
    cfg = C.override(C.override(cfg, "task", num_train=128), "method", name=method)
    return Learner(cfg, SyntheticTask(cfg, torch.device("cpu")), torch.device("cpu"))


# --- beta <- theta ------------------------------------------------------------------------------
def test_every_preset_rolls_out_with_the_current_generator():
    rates = {name: p.schedule.rollout_update_rate for name, p in presets.PRESETS.items()}
    # the one exception reproduces the README's Table 1, measured with the former default
    assert rates == {
        name: 0.8 if name == "table1-cpu-blend0.8" else 0.0 for name in presets.PRESETS
    }
    assert presets.preset("table1-cpu-blend0.8") == C.override(
        presets.TABLE1_CPU, "schedule", rollout_update_rate=0.8
    )


def test_sync_rollout_makes_beta_exactly_theta_by_default():
    learner = tiny_learner()
    learner.start_adversarial()
    with torch.no_grad():
        for p in learner.generator.parameters():
            p.add_(torch.randn_like(p))  # theta moves away from beta
    learner.sync_rollout()
    pairs = list(zip(learner.rollout.parameters(), learner.generator.parameters()))
    assert pairs and all(torch.equal(beta, theta) for beta, theta in pairs)
    assert all(beta.data_ptr() != theta.data_ptr() for beta, theta in pairs)  # a copy


# --- the shuffled control -----------------------------------------------------------------------
def test_shuffle_keeps_each_positions_values_and_changes_their_assignment():
    B, T = 16, 5
    q = torch.arange(B * T, dtype=torch.float32).view(B, T) / 100  # every value distinct
    key = (88, "shuffle", 3, 0)
    shuffled = rewards.shuffle_q(q, key)
    for t in range(T):
        assert torch.equal(shuffled[:, t].sort().values, q[:, t])  # same multiset at t
        assert not torch.equal(shuffled[:, t], q[:, t])  # assigned to other sequences
    # a permutation per position (column 0's order is not reused at column 1)
    order = [(shuffled[:, t] * 100 - t).long() // T for t in range(T)]  # source row per column
    assert not all(torch.equal(order[0], o) for o in order[1:])
    assert torch.equal(rewards.shuffle_q(q, key), shuffled)  # keyed: same key, same permutation
    assert not torch.equal(rewards.shuffle_q(q, (88, "shuffle", 3, 1)), shuffled)  # next g-step


def test_shuffled_method_updates_with_permuted_q():
    method = method_named(MethodConfig(), "shuffled")
    q = torch.rand(8, 4, generator=torch.Generator().manual_seed(1))
    key = (1, "shuffle", 0, 0)
    assert torch.equal(rewards.policy_weights(q, method, key), rewards.shuffle_q(q, key))
    assert torch.equal(rewards.policy_weights(q, MethodConfig(), key), q)  # SeqGAN: Q itself


# --- reward variants ----------------------------------------------------------------------------
def test_logit_and_maligan_weights_by_hand():
    q = torch.tensor([[0.5, 0.75], [0.75, 0.5]])
    # log(.5/.5) = 0, log(.75/.25) = ln 3
    ln3 = math.log(3)
    torch.testing.assert_close(rewards.logit_q(q), torch.tensor([[0.0, ln3], [ln3, 0.0]]))
    # r = D/(1-D): column 0 = (1, 3) -> (1/4, 3/4); column 1 = (3, 1) -> (3/4, 1/4)
    torch.testing.assert_close(
        rewards.maligan_weights(q), torch.tensor([[0.25, 0.75], [0.75, 0.25]])
    )
    assert torch.isfinite(rewards.logit_q(torch.tensor([[0.0, 1.0]]))).all()  # clamped


def test_batch_mean_baseline_by_hand():
    q = torch.tensor([[1.0, 2.0], [3.0, 6.0]])
    # column means 2 and 4
    assert torch.equal(rewards.batch_mean_baseline(q), torch.tensor([[-1.0, -2.0], [1.0, 2.0]]))
    q = torch.tensor([[1.0], [3.0], [5.0]])
    mask = torch.tensor([[1.0], [1.0], [0.0]])  # the third sequence ended before t
    # mean over valid rows (1 + 3) / 2 = 2
    assert torch.equal(rewards.batch_mean_baseline(q, mask), torch.tensor([[-1.0], [1.0], [0.0]]))


def test_variant_methods_compose_transform_then_baseline():
    q = torch.tensor([[0.5, 0.75], [0.75, 0.5], [0.9, 0.1]])
    logit = method_named(MethodConfig(), "seqgan+logit")
    assert (logit.reward, logit.reward_baseline, logit.is_variant) == ("logit", "batch-mean", True)
    expected = rewards.batch_mean_baseline(rewards.logit_q(q))
    assert torch.equal(rewards.policy_weights(q, logit, ()), expected)
    assert torch.allclose(expected.sum(dim=0), torch.zeros(2), atol=1e-6)
    maligan = method_named(MethodConfig(), "seqgan+maligan")
    torch.testing.assert_close(rewards.policy_weights(q, maligan, ()).sum(dim=0), torch.ones(2))
    with pytest.raises(C.ConfigError, match="method mle has no D"):
        method_named(MethodConfig(), "mle+logit")
    with pytest.raises(C.ConfigError, match="unknown reward variant"):
        method_named(MethodConfig(), "seqgan+gail")


# --- diagnostics --------------------------------------------------------------------------------
def test_ess_fraction_by_hand():
    B = 8
    assert diagnostics.ess_fraction(torch.full((B,), 0.3)) == pytest.approx(1.0)
    one = torch.zeros(B)
    one[5] = 0.7
    assert diagnostics.ess_fraction(one) == pytest.approx(1 / B)
    # (1 + 3)^2 / (2 * (1 + 9)) = 16 / 20
    assert diagnostics.ess_fraction(torch.tensor([1.0, 3.0])) == pytest.approx(0.8)


def test_q_stats_by_hand():
    q = torch.tensor([[0.2, 0.4], [0.6, 0.8]])
    stats = diagnostics.q_stats(q)
    assert stats["adv/q_mean"] == pytest.approx(0.5)
    # population std of (.2, .6) and of (.4, .8): 0.2 each
    assert stats["adv/q_std"] == pytest.approx(0.2)
    # sequence means w = (.3, .7): 1.0^2 / (2 * (.09 + .49)) = 1 / 1.16
    assert stats["adv/q_ess"] == pytest.approx(1 / 1.16)


def explicit_pg_gradient(gen, y: torch.Tensor, q: torch.Tensor) -> list[torch.Tensor]:
    """d/dtheta of -sum_{b,t} Q[b,t] log G(y_t | y_<t) (paper Eq. 6-8), written out apart from
    Generator and losses: nn.LSTM's cell by hand in float64, log-softmax as logit - logsumexp,
    the sum over t a loop. One gradient per parameter, in `gen.parameters()` order."""
    theta = {k: v.detach().double().requires_grad_() for k, v in gen.named_parameters()}
    emb, w_out, b_out = theta["embedding.weight"], theta["out.weight"], theta["out.bias"]
    w_ih, w_hh = theta["lstm.weight_ih_l0"], theta["lstm.weight_hh_l0"]  # (4H, E), (4H, H)
    bias = theta["lstm.bias_ih_l0"] + theta["lstm.bias_hh_l0"]
    B, T = y.shape
    h = c = torch.zeros(B, w_hh.shape[1], dtype=torch.float64)
    prev = torch.full((B,), gen.start_token)
    loss = torch.zeros((), dtype=torch.float64)
    for t in range(T):
        i, f, g, o = (emb[prev] @ w_ih.t() + h @ w_hh.t() + bias).chunk(4, dim=1)  # each (B, H)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        logits = h @ w_out.t() + b_out  # (B, V)
        log_p = logits.gather(1, y[:, t : t + 1]).squeeze(1) - logits.logsumexp(dim=1)  # (B,)
        loss = loss - (q[:, t].double() * log_p).sum()
        prev = y[:, t]
    loss.backward()
    return [theta[k].grad for k, _ in gen.named_parameters()]


def global_norm(tensors) -> float:
    return math.sqrt(sum(float((t.double() ** 2).sum()) for t in tensors))


@pytest.mark.parametrize("q_value", [1.0, 1e-4])
def test_g_step_norm_clipping_and_step_against_an_explicit_reinforce_gradient(q_value):
    learner = tiny_learner()
    learner.start_adversarial()
    y = learner.sample(32, (0, "pg"))
    q = torch.full((32, 8), q_value)
    want = explicit_pg_gradient(learner.generator, y, q)
    norm, clip = global_norm(want), learner.cfg.generator.grad_clip
    assert (norm > clip) == (q_value == 1.0)  # one case above the clip (5.0), one below
    params = list(learner.generator.parameters())
    stats = learner.g_step(y, q, (0, "shuffle", 0, 0))
    assert stats["adv/grad_norm"] == pytest.approx(norm, rel=1e-5)
    assert stats["adv/clipped"] == float(norm > clip)
    # .grad keeps the clipped gradient: the explicit one scaled to norm min(|g|, clip), same
    # direction (clip_grad_norm_'s 1e-6 in clip / (norm + 1e-6) is below these tolerances)
    scale = min(1.0, clip / norm)
    assert global_norm(p.grad for p in params) == pytest.approx(min(norm, clip), rel=1e-5)
    for p, g in zip(params, want):
        torch.testing.assert_close(p.grad.double(), g * scale, rtol=1e-4, atol=1e-8)
    # Adam's first step (m^ = g, v^ = g^2) moves each weight by lr * g / (|g| + eps)
    lr, eps = learner.g_adv_opt.defaults["lr"], learner.g_adv_opt.defaults["eps"]
    step = global_norm(lr * g * scale / (g.abs() * scale + eps) for g in want)
    assert stats["adv/update_norm"] == pytest.approx(step, rel=1e-3)
    assert stats["adv/q_ess"] == pytest.approx(1.0) and stats["adv/q_std"] == 0.0


class MembershipD(torch.nn.Module):
    """A stand-in for D with logits we set: ln 3 on rows of `real`, -ln 3 on rows of `heldout`,
    0 on any other row, so P(real) is 3/4, 1/4 and 1/2 (sigmoid(ln 3) = 3 / (3 + 1))."""

    def __init__(self, real: torch.Tensor, heldout: torch.Tensor):
        super().__init__()
        self.real = {tuple(r) for r in real.tolist()}
        self.heldout = {tuple(r) for r in heldout.tolist()}

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        ln3 = math.log(3.0)
        rows = map(tuple, y.tolist())
        return torch.tensor([ln3 if r in self.real else -ln3 if r in self.heldout else 0.0 for r in rows])  # fmt: skip


def test_discriminator_diagnostics_score_train_heldout_and_fresh_samples():
    learner = tiny_learner()
    real, test = learner.real, learner.task.test
    learner.discriminator = MembershipD(real, test)
    stats = learner.discriminator_diagnostics((88, "diag_fake", 0))
    assert stats["d/p_real_train"] == pytest.approx(0.75, abs=1e-6)  # every row from S
    # the held-out rows are all 256 test rows (in some order); the oracle is peaked, so a few
    # of them are also rows of S (MembershipD scores those 3/4)
    rows_of_s = {tuple(r) for r in real.tolist()}
    in_s = sum(tuple(r) in rows_of_s for r in test.tolist())
    assert 0 < in_s < len(test) // 4
    want = (0.75 * in_s + 0.25 * (len(test) - in_s)) / len(test)
    assert stats["d/p_real_heldout"] == pytest.approx(want, abs=1e-6)
    assert stats["d/p_real_fake"] == pytest.approx(0.5, abs=1e-6)  # G's samples: in neither


def test_mean_p_real_over_batches_by_hand():
    class FirstToken(torch.nn.Module):  # logit 0, ln 3, -ln 3 for first token 0, 1, 2
        def forward(self, y):
            return torch.tensor([0.0, math.log(3.0), -math.log(3.0)])[y[:, 0]]

    rows = torch.tensor([[0, 5], [1, 5], [2, 5], [1, 6], [0, 6]])
    # (1/2 + 3/4 + 1/4 + 3/4 + 1/2) / 5 = 2.75 / 5, in batches of 2, 2 and 1
    assert diagnostics.mean_p_real(FirstToken(), rows, batch=2) == pytest.approx(0.55)


def test_diagnostics_are_logged_and_move_no_other_number(tmp_path, monkeypatch):
    cfg = C.override(C.override(presets.TINY, "method", name="shuffled"), "schedule", g_steps=2)
    train(cfg, tmp_path / "with", show_progress=False)
    monkeypatch.setattr(diagnostics, "update_stats", lambda *a: {})
    monkeypatch.setattr(diagnostics, "q_stats", lambda *a: {})
    monkeypatch.setattr(Learner, "discriminator_diagnostics", lambda self, key: {})
    train(cfg, tmp_path / "without", show_progress=False)
    keys = set(diagnostics.G_STEP_MEANS) | {"d/p_real_train", "d/p_real_heldout", "d/p_real_fake"}

    def strip(rows):
        return [{k: v for k, v in r.items() if k not in keys and "perf/" not in k} for r in rows]

    rows = read_metrics(tmp_path / "with" / "metrics.jsonl")
    assert strip(rows) == strip(read_metrics(tmp_path / "without" / "metrics.jsonl"))
    adv = [r for r in rows if r["phase"] == "adversarial"]
    assert adv and all(keys <= set(r) for r in adv)
    assert all(r["adv/clipped"] in (0.0, 0.5, 1.0) for r in adv)  # a fraction of 2 g-steps
