"""The two shuffling controls hold what they claim to (issue 29 §2) and the g-step logs the
statistics of the weights its update used, apart from D's Q (issue 29 §3)."""

import pytest
import torch

from seqgan_ray import config as C
from seqgan_ray import presets
from seqgan_ray.core import diagnostics, rewards
from seqgan_ray.core.learner import Learner
from seqgan_ray.methods import MethodConfig, method_named
from seqgan_ray.tasks.synthetic import SyntheticTask

B, T = 64, 20
KEY = (88, "shuffle", 3, 0)


def concentrated_q() -> torch.Tensor:
    """SeqGAN's shape when D is sure: a few sequences get most of the reward, each with a
    row that varies a little over positions, so every value is distinct."""
    g = torch.Generator().manual_seed(5)
    per_sequence = torch.rand(B, 1, generator=g) ** 8  # heavy concentration on a few rows
    return per_sequence * (1 + 0.1 * torch.rand(B, T, generator=g))


def sequence_ess(w: torch.Tensor) -> float:
    """The ESS fraction of sequence weights (B, T), written out: (sum m)^2 / (B sum m^2) with
    m each sequence's mean weight."""
    m = w.double().mean(dim=1)
    return float(m.sum() ** 2 / (len(m) * (m**2).sum()))


def as_rows(q: torch.Tensor) -> list[tuple[float, ...]]:
    return sorted(tuple(r) for r in q.tolist())


def test_row_shuffle_hands_each_sequence_another_sequences_whole_row():
    q = concentrated_q()
    out = rewards.shuffle_rows(q, KEY)
    assert as_rows(out) == as_rows(q)  # the multiset of rows is kept ...
    for t in range(T):  # ... and so is every column's multiset
        assert torch.equal(out[:, t].sort().values, q[:, t].sort().values)
    source = [as_rows(q).index(tuple(r)) for r in out.tolist()]  # where each row came from
    moved = sum(tuple(out[b].tolist()) != tuple(q[b].tolist()) for b in range(B))
    assert len(set(source)) == B and moved > B // 2  # a permutation that moves most rows
    assert torch.equal(rewards.shuffle_rows(q, KEY), out)  # keyed
    assert not torch.equal(rewards.shuffle_rows(q, (88, "shuffle", 3, 1)), out)  # next g-step


def test_row_control_keeps_seqgans_concentration_and_the_column_control_spreads_it():
    q = concentrated_q()
    seqgan = rewards.policy_weights(q, MethodConfig(), KEY)
    rows = rewards.policy_weights(q, method_named(MethodConfig(), "row_shuffled"), KEY)
    cols = rewards.policy_weights(q, method_named(MethodConfig(), "shuffled"), KEY)
    assert torch.equal(seqgan, q)
    assert sequence_ess(rows) == pytest.approx(sequence_ess(seqgan), rel=1e-12)
    assert sequence_ess(seqgan) < 0.3  # concentrated: a few sequences carry the batch
    # columns permuted apart: a sequence's 20 weights come from 20 sequences, the mean of 20
    # draws is far more even across sequences
    assert sequence_ess(cols) > 2 * sequence_ess(seqgan)
    # each position keeps its marginal under both controls
    for w in (rows, cols):
        assert torch.allclose(w.sort(dim=0).values, q.sort(dim=0).values)


def tiny_learner(method: str, **changes) -> Learner:
    cfg = C.override(C.override(presets.TINY, "task", num_train=128), "method", name=method)
    cfg = C.override(cfg, "method", **changes) if changes else cfg
    return Learner(cfg, SyntheticTask(cfg, torch.device("cpu")), torch.device("cpu"))


@pytest.mark.parametrize(
    "method, changes",
    [
        ("seqgan", {}),
        ("shuffled", {}),
        ("row_shuffled", {}),
        ("seqgan", {"reward_baseline": "batch-mean"}),
    ],
)
def test_g_step_logs_q_and_the_weights_it_used(method, changes):
    learner = tiny_learner(method, **changes)
    learner.start_adversarial()
    y = learner.sample(B, (0, "pg"))
    q = concentrated_q()[:, : y.shape[1]]
    stats = learner.g_step(y, q, KEY)
    m = q.double().mean(dim=1)
    assert stats["adv/q_ess"] == pytest.approx(float(m.sum() ** 2 / (B * (m**2).sum())))
    assert stats["adv/q_mean"] == pytest.approx(float(q.double().mean()))
    if changes:  # batch-mean baseline: every column sums to 0, so the weights' mean is 0
        assert abs(stats["adv/w_mean"]) < 1e-6 * stats["adv/q_mean"]  # float32 sums
        assert stats["adv/w_ess"] < 1e-9
        return
    # a permutation keeps the mean and every column's spread of the weights ...
    assert stats["adv/w_mean"] == pytest.approx(stats["adv/q_mean"], rel=1e-9)
    assert stats["adv/w_std"] == pytest.approx(stats["adv/q_std"], rel=1e-9)
    # ... and only the column shuffle changes how the reward is spread over sequences
    if method == "shuffled":
        assert stats["adv/w_ess"] > 2 * stats["adv/q_ess"]
    else:
        assert stats["adv/w_ess"] == pytest.approx(stats["adv/q_ess"], rel=1e-9)


def test_weight_statistics_are_averaged_over_an_iterations_g_steps():
    rows = [{k: float(i) for k in diagnostics.G_STEP_MEANS} for i in (1, 2, 6)]
    means = diagnostics.mean_over_steps(rows)
    assert {k for k in means if k.startswith("adv/w_")} == {"adv/w_mean", "adv/w_std", "adv/w_ess"}
    assert means["adv/w_ess"] == pytest.approx(3.0)
