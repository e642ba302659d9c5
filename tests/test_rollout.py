import pytest
import torch

from seqgan_ray.core import rollout
from seqgan_ray.core.models import Discriminator, Generator
from seqgan_ray.core.rollout import DiscriminatorReward, combine_q, estimate_q, rollout_rewards
from seqgan_ray.core.sampling import keyed_generator, sample_sequences

V, T, B, N = 7, 6, 5, 4
KEY = (11, "rollout", 3, 0)


@pytest.fixture
def models():
    torch.manual_seed(0)
    gen = Generator(V, 6, 6, T, init_std=0.5)
    disc = Discriminator(V, 5, (1, 2, 3, 6), (3, 4, 2, 3), dropout=0.25).eval()
    y = sample_sequences(gen.policy(), B, (0, "batch"))
    return gen.policy(), disc, y


def d_q(policy, disc, y, n=N, score_dtype="float32"):
    """SeqGAN's Q: roll-outs scored by D."""
    return estimate_q(policy, DiscriminatorReward(disc, score_dtype), y, n, KEY)


def brute_force_q(policy, disc, y):
    """One prefix, one roll-out, one token at a time, float64 inverse CDF: the definition of Eq. 4."""
    Bn, Tn = y.shape
    q = torch.zeros(Bn, Tn, dtype=torch.float64)
    for n in range(N):
        u = torch.rand(Tn - 1, Tn, Bn, generator=keyed_generator(*KEY, n))  # the documented layout
        for t in range(1, Tn):
            for b in range(Bn):
                seq = y[b].clone()
                h, c = policy.initial_state(1)
                tok = torch.tensor([policy.start_token])
                for k in range(t):  # feed start, y_1..y_t
                    h, c = policy.step(tok, h, c)
                    tok = y[b, k : k + 1]
                for s in range(t, Tn):
                    h, c = policy.step(tok, h, c)
                    p = torch.softmax(policy.logits(h)[0].double(), 0)
                    cdf = p.cumsum(0)
                    tok = (
                        torch.searchsorted(cdf, u[t - 1, s, b].double() * cdf[-1], right=True)
                        .clamp_max(V - 1)
                        .view(1)
                    )
                    seq[s] = tok
                q[b, t - 1] += torch.sigmoid(disc(seq.view(1, -1))).item() / N
    q[:, -1] = torch.sigmoid(disc(y)).double()
    return q


def test_vectorised_q_equals_brute_force(models):
    policy, disc, y = models
    q = d_q(policy, disc, y)
    assert q.shape == (B, T)
    torch.testing.assert_close(q.double(), brute_force_q(policy, disc, y), atol=1e-6, rtol=0)


def test_any_partition_of_indices_gives_bit_identical_q(models):
    policy, disc, y = models
    reward = DiscriminatorReward(disc)
    whole = rollout_rewards(policy, reward, y, range(N), KEY)
    for parts in ([[0], [1], [2], [3]], [[0, 1, 2], [3]], [[0], [1, 2, 3]], [[0, 1], [2, 3]]):
        shards = torch.cat([rollout_rewards(policy, reward, y, p, KEY) for p in parts])
        assert torch.equal(shards, whole)
    assert torch.equal(combine_q(whole, reward.final(y)), d_q(policy, disc, y))


def test_q_at_last_step_is_d_of_y_and_values_are_probabilities(models):
    policy, disc, y = models
    q = d_q(policy, disc, y)
    assert torch.equal(q[:, -1], torch.sigmoid(disc(y)))
    assert (q > 0).all() and (q < 1).all()


def test_prefix_window_reuse_matches_scoring_whole_sequences(models):
    # score_completions reuses Y's conv windows; scoring the completions afresh must agree.
    policy, disc, y = models
    h, c = rollout.prefix_states(policy, y)
    u = torch.rand(T - 1, T, B, generator=keyed_generator(1))
    seqs = rollout.complete_prefixes(policy, y, h, c, u)
    for t in range(1, T):  # every row keeps its prefix
        assert torch.equal(seqs[(t - 1) * B : t * B, :t], y[:, :t])
    windows = rollout.ConvWindows(disc)
    fast = rollout.score_completions(windows, seqs, rollout.PrefixWindows(windows, y), B, T)
    slow = torch.sigmoid(disc(seqs)).view(T - 1, B).t()
    torch.testing.assert_close(fast, slow, atol=1e-6, rtol=0)


def test_table_lookup_windows_equal_the_convolution(models, monkeypatch):
    policy, disc, y = models
    windows = rollout.ConvWindows(disc)
    assert windows.tables is not None
    for i, conv in enumerate(disc.convs):
        torch.testing.assert_close(
            windows.all_windows(i, y), conv(disc.embed(y)).transpose(1, 2), atol=1e-6, rtol=0
        )
    with_tables = d_q(policy, disc, y)
    monkeypatch.setattr(rollout, "TABLE_BUDGET", 0)  # a vocabulary too large for tables
    assert rollout.ConvWindows(disc).tables is None
    torch.testing.assert_close(d_q(policy, disc, y), with_tables, atol=1e-6, rtol=0)


def test_chunked_batches_give_the_same_q(models, monkeypatch):
    policy, disc, y = models
    whole = d_q(policy, disc, y)
    monkeypatch.setattr(rollout, "ROWS_PER_CHUNK", 2 * (T - 1))  # 2 sequences a chunk
    monkeypatch.setattr("seqgan_ray.core.sampling.LOGIT_BUDGET", 3 * V)  # 3 logit rows a chunk
    torch.testing.assert_close(d_q(policy, disc, y), whole, atol=1e-6, rtol=0)


def test_bfloat16_scoring_stays_close(models):
    policy, disc, y = models
    q32 = d_q(policy, disc, y)
    q16 = d_q(policy, disc, y, score_dtype="bfloat16")
    assert (q16 - q32).abs().max() < 2e-2


def test_sequence_of_length_one_has_only_the_final_reward():
    torch.manual_seed(0)
    gen = Generator(V, 4, 4, 1)
    disc = Discriminator(V, 4, (1,), (3,)).eval()
    y = sample_sequences(gen.policy(), 3, (0,))
    q = d_q(gen.policy(), disc, y, 2)
    assert q.shape == (3, 1) and torch.equal(q[:, 0], torch.sigmoid(disc(y)))
