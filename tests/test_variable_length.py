"""Variable-length data (DESIGN.md §5): after the end token everything is padding, in samples,
in roll-out completions and in what the losses and the NLL count."""

import pytest
import torch

from seqgan_ray.core import losses
from seqgan_ray.core.models import Discriminator, Generator
from seqgan_ray.core.rollout import (
    DiscriminatorReward,
    combine_q,
    complete_prefixes,
    prefix_states,
    rollout_rewards,
)
from seqgan_ray.core.sampling import keyed_generator, sample_sequences
from seqgan_ray.tasks.metrics import sequence_nll

END, PAD = 1, 0


def ended_generator(seed: int = 0) -> Generator:
    torch.manual_seed(seed)
    gen = Generator(8, 6, 6, 10, start_token=2, end_token=END, pad_token=PAD, init_std=0.5)
    with torch.no_grad():
        gen.out.bias[END] += 1.5  # end often, so many rows finish early
    return gen


def assert_padded_after_end(seqs: torch.Tensor) -> None:
    for row in seqs.tolist():
        if END in row:
            tail = row[row.index(END) + 1 :]
            assert all(t == PAD for t in tail), row


def test_samples_are_padding_after_the_end_token_and_reproducible():
    policy = ended_generator().policy()
    y = sample_sequences(policy, 300, (1, "s"))
    assert (y == END).any(dim=1).float().mean() > 0.5
    assert_padded_after_end(y)
    assert torch.equal(y, sample_sequences(policy, 300, (1, "s")))


def test_fixed_length_sampling_is_unchanged_by_the_end_token_machinery():
    torch.manual_seed(0)
    plain = Generator(8, 6, 6, 10, start_token=2)
    ended = Generator(8, 6, 6, 10, start_token=2, end_token=END)
    ended.load_state_dict(plain.state_dict())
    a = sample_sequences(plain.policy(), 200, (2, "s"))
    b = sample_sequences(ended.policy(), 200, (2, "s"))
    # identical up to each row's first end token (one uniform per position in both)
    mask = losses.valid_positions(b, END).bool()
    assert torch.equal(a[mask], b[mask])


def test_rollout_completions_pad_after_an_end_in_the_prefix_or_the_completion():
    policy = ended_generator(1).policy()
    y = sample_sequences(policy, 12, (3, "y"))
    B, T = y.shape
    h, c = prefix_states(policy, y)
    u = torch.rand(T - 1, T, B, generator=keyed_generator(3, "u"))
    seqs = complete_prefixes(policy, y, h, c, u)
    assert_padded_after_end(seqs)
    for t in range(1, T):  # the kept prefix is Y's own
        assert torch.equal(seqs[(t - 1) * B : t * B, :t], y[:, :t])


def test_partition_invariance_holds_with_an_end_token():
    policy = ended_generator(2).policy()
    disc = Discriminator(8, 4, (1, 2, 3), (3, 3, 3)).eval()
    y = sample_sequences(policy, 6, (4, "y"))
    key = (4, "rollout", 0)
    reward = DiscriminatorReward(disc)
    whole = rollout_rewards(policy, reward, y, range(5), key)
    parts = torch.cat(
        [rollout_rewards(policy, reward, y, idx, key) for idx in ([3, 4], [0], [1, 2])]
    )
    parts = parts[torch.tensor([3, 4, 0, 1, 2]).argsort()]
    d_y = torch.sigmoid(disc(y))
    assert torch.equal(combine_q(whole, d_y), combine_q(parts, d_y))


def test_losses_and_nll_ignore_positions_after_the_end_token():
    y = torch.tensor([[5, END, PAD, PAD], [5, 6, 7, END]])
    mask = losses.valid_positions(y, END)
    assert mask.tolist() == [[1, 1, 0, 0], [1, 1, 1, 1]]
    log_probs = torch.tensor([[-1.0, -2.0, -50.0, -50.0], [-1.0, -1.0, -1.0, -1.0]])
    assert losses.mle_loss(log_probs, mask).item() == pytest.approx(7.0 / 6.0)
    q = torch.ones(2, 4)
    assert losses.policy_gradient_loss(log_probs, q, mask).item() == pytest.approx(7.0)

    gen = ended_generator(3)
    lp = gen.log_probs(y)
    per_seq = sequence_nll(gen, y)
    assert per_seq[0].item() == pytest.approx(-(lp[0, :2].sum() / 2).item(), rel=1e-6)
    assert per_seq[1].item() == pytest.approx(-(lp[1].mean()).item(), rel=1e-6)
