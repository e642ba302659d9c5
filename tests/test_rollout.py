import math
from itertools import product

import pytest
import torch

from seqgan_ray.core import rollout
from seqgan_ray.core.models import Discriminator, Generator, Policy
from seqgan_ray.core.rollout import DiscriminatorReward, combine_q, estimate_q, rollout_rewards
from seqgan_ray.core.sampling import keyed_generator, sample_sequences
from seqgan_ray.studies.bench import paper_models, shifted

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


def test_sequence_of_length_one_has_only_the_final_reward():
    torch.manual_seed(0)
    gen = Generator(V, 4, 4, 1)
    disc = Discriminator(V, 4, (1,), (3,)).eval()
    y = sample_sequences(gen.policy(), 3, (0,))
    q = d_q(gen.policy(), disc, y, 2)
    assert q.shape == (3, 1) and torch.equal(q[:, 0], torch.sigmoid(disc(y)))


# --- Q against hand-computed expectations: a Markov-chain beta and a reward we choose ---------
NEVER = -1e4  # a logit whose softmax weight is exactly 0 in float32


def chain_policy(logits: list[list[float]], seq_len: int) -> Policy:
    """beta with P(next | previous token v) = softmax(logits[v]) (V, V); token 0 is the start.

    W_hh = 0 and saturated gates (i, o -> 1, f -> 0, g = 20 e_v) make the state after feeding v
    h = tanh(tanh(20)) e_v = tanh(1) e_v, so h @ (logits / tanh 1) is row v of `logits`."""
    table = torch.tensor(logits)  # (V, V)
    V = table.shape[0]
    ones = torch.ones(V, V)
    x_gates = torch.cat([50 * ones, -50 * ones, 20 * torch.eye(V), 50 * ones], dim=1)  # (V, 4V)
    return Policy(
        x_gates=x_gates,
        w_hh_t=torch.zeros(V, 4 * V),
        w_out_t=table / math.tanh(1.0),
        b_out=torch.zeros(V),
        start_token=0,
        seq_len=seq_len,
    )


class RecordingReward:
    """A stand-in for D: score(sequence) = f(sequence), a function we know; keeps every
    completion it was given (rows prefix-major, as rollout.py documents)."""

    def __init__(self, f):
        self.f, self.completions = f, []

    def context(self, y):
        return None

    def score(self, seqs, context, B, T):
        self.completions.append(seqs.clone())
        return self.f(seqs).view(T - 1, B).t()  # (R,) -> (B, T-1)

    def final(self, y):
        return self.f(y)


def ones_pattern(seqs: torch.Tensor) -> torch.Tensor:
    """sum_s [y_s = 1] 2^-(s+1): a different dyadic number for every pattern of ones."""
    return (seqs == 1).double() @ 2.0 ** -torch.arange(1.0, seqs.shape[1] + 1, dtype=torch.float64)


def test_deterministic_beta_gives_q_of_the_one_completion_by_hand():
    # beta alternates: start -> 1, 1 -> 2, 2 -> 1, so each prefix has exactly one completion
    alternate = [[NEVER, 0.0, NEVER], [NEVER, NEVER, 0.0], [NEVER, 0.0, NEVER]]
    y = torch.tensor([[2, 2, 2, 2], [1, 1, 2, 1]])
    reward = RecordingReward(ones_pattern)
    q = estimate_q(chain_policy(alternate, 4), reward, y, 3, KEY)
    # row 0: t=1 keeps (2) -> 2 1 2 1 = 1/4 + 1/16; t=2 -> 2 2 1 2 = 1/8; t=3 -> 2 2 2 1 = 1/16
    # row 1: t=1 keeps (1) -> 1 2 1 2 = 1/2 + 1/8; t=2, t=3 -> 1 1 2 1 = 13/16; D(Y) at t=T
    want = torch.tensor([[5, 2, 1, 0], [10, 13, 13, 13]], dtype=torch.float64) / 16
    assert torch.equal(q.double(), want)
    completions = torch.tensor(
        [[2, 1, 2, 1], [1, 2, 1, 2], [2, 2, 1, 2], [1, 1, 2, 1], [2, 2, 2, 1], [1, 1, 2, 1]]
    )  # (R, T): prefix t = 1, 2, 3, each for rows 0 and 1
    assert len(reward.completions) == 3
    assert all(torch.equal(c, completions) for c in reward.completions)


# P(next | previous): from the start 1/2 each, 1 -> 1 w.p. 0.8, 2 -> 1 w.p. 0.3
MARKOV = {0: {1: 0.5, 2: 0.5}, 1: {1: 0.8, 2: 0.2}, 2: {1: 0.3, 2: 0.7}}


def at_least_three_ones(seqs: torch.Tensor) -> torch.Tensor:
    return ((seqs == 1).sum(dim=1) >= 3).double()


def exact_q(y: torch.Tensor, chain: dict, f) -> torch.Tensor:
    """Eq. 4's expectation by enumeration: sum over every completion of its chain probability
    times f, for each kept prefix t < T; f(Y) at t = T. (B, T) float64."""
    B, T = y.shape
    q = torch.zeros(B, T, dtype=torch.float64)
    for b, t in product(range(B), range(1, T)):
        for tail in product((1, 2), repeat=T - t):
            seq = y[b, :t].tolist() + list(tail)
            p = math.prod(chain[prev][nxt] for prev, nxt in zip(seq[t - 1 : -1], seq[t:]))
            q[b, t - 1] += p * float(f(torch.tensor([seq])))
    q[:, -1] = f(y)
    return q


def test_monte_carlo_q_converges_to_the_enumerated_expectation():
    logits = [[NEVER] + [math.log(MARKOV[v][k]) for k in (1, 2)] for v in (0, 1, 2)]
    y = torch.tensor([[1, 1, 1, 2, 2], [2, 2, 2, 1, 1], [1, 2, 1, 2, 1], [2, 1, 1, 2, 2]])
    copies, rollout_num = 250, 8  # each copy draws its own uniforms: 2,000 roll-outs a prefix
    y_rep = y.repeat(copies, 1)  # (1000, 5)
    reward = RecordingReward(at_least_three_ones)
    q_rep = estimate_q(chain_policy(logits, 5), reward, y_rep, rollout_num, KEY).double()
    q = q_rep.view(copies, 4, 5).mean(dim=0)  # (B, T)
    exact = exact_q(y, MARKOV, at_least_three_ones)
    assert torch.equal(q_rep[:, -1], exact[:, -1].repeat(copies))  # Q at T: Y's own reward
    assert exact[0, 2] == 1.0 and q[0, 2] == 1.0  # prefix 1 1 1 already has three ones
    # each roll-out's reward is Bernoulli(exact): the mean of 2,000 is within 4 binomial sds
    n = copies * rollout_num
    sd = (exact * (1 - exact) / n).sqrt()
    assert ((q - exact).abs() <= 4 * sd + 1e-6).all()
    # and that tolerance tells beta from a policy that forgets the previous token
    forgetful = {v: MARKOV[0] for v in MARKOV}
    assert ((exact_q(y, forgetful, at_least_three_ones) - exact).abs() > 4 * sd).sum() >= 6
    rows = len(y_rep)
    for seqs in reward.completions:  # every completion keeps its prefix y_1..y_t
        for t in range(1, 5):
            assert torch.equal(seqs[(t - 1) * rows : t * rows, :t], y_rep[:, :t])


# --- bfloat16 scoring: the promise is max |Q_bf16 - Q_fp32| < 1e-3 at paper sizes ------------
def bf16_error(filters: str, batch: int, rollouts: int) -> float:
    """max |dQ| of bf16 scoring at V 5,000, T 20 (paper sizes), D shifted to median Q = 0.5
    where dQ/dlogit peaks (as `bench rollout` checks it), the same roll-outs for both dtypes."""
    gen, disc = paper_models(5000, 20, seed=0, filters=filters)
    policy = gen.policy()
    y = sample_sequences(policy, batch, (0, "batch"))
    disc = shifted(disc, y, 0.5)
    key = (0, "rollout", 0)
    q32 = estimate_q(policy, DiscriminatorReward(disc, "float32"), y, rollouts, key)
    q16 = estimate_q(policy, DiscriminatorReward(disc, "bfloat16"), y, rollouts, key)
    return float((q16 - q32).abs().max())


def test_bfloat16_scoring_moves_q_by_less_than_1e3_with_table1_cpus_d():
    # table1-cpu's quarter D (430 features), the D every bf16 preset but the full-D ones uses;
    # measured 7.2e-4 here (seeds 0-5 at these sizes: 6.1e-4 to 9.7e-4)
    assert bf16_error("quarter", 16, 4) < 1e-3


def test_bfloat16_scoring_with_the_papers_d_exceeds_the_documented_1e3():
    # The paper's 1,720-filter D (table1-cpu-full-d, table1-cpu-official-full-d score in bf16)
    # does NOT meet the < 1e-3 that config.py, models.py and rollout.py state "at paper sizes":
    # measured 1.16e-3 here, and 1.0e-3 to 2.65e-3 over seeds 0-5 at B 16, N 4. The test holds
    # the bound the code meets; the docs' figure is what should change (issue 29 §4).
    assert bf16_error("paper", 4, 2) < 2e-3
