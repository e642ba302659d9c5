"""D's fast path (one GEMM per conv width over unfolded windows, max with argmax, fused Adam)
equals the textbook definition: conv1d over channels-first embeddings, amax over time."""

import pytest
import torch
import torch.nn.functional as F

from seqgan_ray.config import PAPER_FILTER_SIZES, PAPER_NUM_FILTERS
from seqgan_ray.core import losses
from seqgan_ray.core.d_training import d_epoch, d_optimizer
from seqgan_ray.core.models import Discriminator
from seqgan_ray.presets import filter_table

V, B, L2 = 40, 12, 0.2
TABLES = {
    "paper": (20, PAPER_FILTER_SIZES, PAPER_NUM_FILTERS),  # Table 5 at T = 20: 1,720 filters
    "short": (6, *filter_table(6, 0.05)),  # the data presets' table for T = 6
}


def reference_logits(disc: Discriminator, y: torch.Tensor) -> torch.Tensor:
    """The paper's D written plainly: conv1d per width, max over time, ReLU, highway, dropout."""
    x = disc.embedding(y).transpose(1, 2)  # (B, E, T)
    pooled = torch.cat(
        [F.conv1d(x, c.weight, c.bias).amax(dim=2) for c in disc.convs], dim=1
    )  # (B, F)
    z = F.relu(pooled)
    gate = torch.sigmoid(disc.highway_gate(z))
    z = gate * F.relu(disc.highway_h(z)) + (1.0 - gate) * z
    return disc.out(disc.dropout(z)).squeeze(1)


def loss_and_grads(disc, forward, y, labels, train, seed=5):
    disc.train(train)
    disc.zero_grad(set_to_none=True)
    torch.manual_seed(seed)  # the same dropout mask for both paths
    logits = forward(y)
    loss = losses.discriminator_loss(logits, labels, disc.output_l2(), L2)
    loss.backward()
    grads = {n: p.grad.clone() for n, p in disc.named_parameters()}
    return logits.detach(), loss.detach(), grads


@pytest.mark.parametrize("table", sorted(TABLES))
@pytest.mark.parametrize("train", [False, True], ids=["eval", "dropout"])
def test_fast_forward_loss_and_gradients_equal_the_reference(table, train):
    T, sizes, counts = TABLES[table]
    torch.manual_seed(0)
    disc = Discriminator(V, 64 if table == "paper" else 8, sizes, counts, dropout=0.25)
    y = torch.randint(0, V, (B, T))
    labels = (torch.arange(B) % 2).float()
    fast = loss_and_grads(disc, disc, y, labels, train)
    ref = loss_and_grads(disc, lambda t: reference_logits(disc, t), y, labels, train)
    torch.testing.assert_close(fast[0], ref[0], rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(fast[1], ref[1], rtol=1e-5, atol=1e-5)
    assert fast[2].keys() == ref[2].keys()
    for name, g in ref[2].items():
        torch.testing.assert_close(fast[2][name], g, rtol=1e-5, atol=1e-5, msg=name)
    if train:  # dropout really acted: a second mask gives other logits
        other = loss_and_grads(disc, disc, y, labels, train, seed=6)[0]
        assert (other - fast[0]).abs().max() > 1e-3


def test_state_dict_keys_are_the_conv1d_modules_of_old_checkpoints():
    disc = Discriminator(V, 4, (1, 3), (2, 5))
    assert list(disc.state_dict()) == [
        "embedding.weight",
        "convs.0.weight",
        "convs.0.bias",
        "convs.1.weight",
        "convs.1.bias",
        "highway_h.weight",
        "highway_h.bias",
        "highway_gate.weight",
        "highway_gate.bias",
        "out.weight",
        "out.bias",
    ]
    assert disc.convs[1].weight.shape == (5, 4, 3)  # nn.Conv1d's (C, E, w)


def test_d_epoch_takes_the_adam_steps_of_the_plain_loop():
    """d_epoch (fused Adam, stats on the device) moves D as the textbook loop with for-each Adam
    does, and reports the mean loss and accuracy of the batches it trained on."""
    T, sizes, counts = TABLES["short"]
    torch.manual_seed(1)
    disc = Discriminator(V, 8, sizes, counts)
    twin = Discriminator(V, 8, sizes, counts)
    twin.load_state_dict(disc.state_dict())
    tokens = torch.randint(0, V, (50, T))
    labels = (torch.arange(50) < 25).float()
    order = torch.randperm(50, generator=torch.Generator().manual_seed(2))

    disc.train()
    torch.manual_seed(3)
    stats = d_epoch(disc, d_optimizer(disc, 1e-2), tokens, labels, order, 16, L2)

    twin.train()
    torch.manual_seed(3)
    opt = torch.optim.Adam(twin.parameters(), lr=1e-2, foreach=False)
    total, correct = 0.0, 0
    for idx in order.split(16):  # batches of 16, 16, 16, 2
        logits = reference_logits(twin, tokens[idx])
        loss = losses.discriminator_loss(logits, labels[idx], twin.output_l2(), L2)
        opt.zero_grad()
        loss.backward()
        opt.step()
        total += loss.item() * len(idx)
        correct += int(((logits > 0).float() == labels[idx]).sum())
    assert stats.loss == pytest.approx(total / 50, rel=1e-5)
    assert stats.acc == correct / 50
    for (name, p), q in zip(disc.named_parameters(), twin.parameters()):
        torch.testing.assert_close(p, q, rtol=1e-4, atol=1e-5, msg=name)


def test_bf16_d_epoch_steps_near_fp32_with_bf16_gemms_and_fp32_weights():
    """d_epoch(dtype="bfloat16") on one batch with SGD (a step proportional to the gradient):
    D's GEMMs really run in bf16 (the step differs from fp32's) while weights stay fp32; the
    dense layers' steps agree to bf16 rounding (< 1 %). The conv weights' steps differ more
    (measured 4-10 %): rounding the windows' pre-activations to bf16 moves the argmax of
    max-over-time between near-equal windows, i.e. which window receives the gradient."""
    T, sizes, counts = TABLES["paper"]
    torch.manual_seed(4)
    fp32 = Discriminator(V, 16, sizes, counts)
    start = {n: p.detach().clone() for n, p in fp32.named_parameters()}
    bf16 = Discriminator(V, 16, sizes, counts)
    bf16.load_state_dict(fp32.state_dict())
    tokens = torch.randint(0, V, (64, T))
    labels = (torch.arange(64) % 2).float()
    stats = {}
    for name, disc in (("float32", fp32), ("bfloat16", bf16)):
        disc.train()
        torch.manual_seed(6)  # the same dropout masks
        opt = torch.optim.SGD(disc.parameters(), lr=1e-3)
        stats[name] = d_epoch(disc, opt, tokens, labels, torch.arange(64), 64, L2, name)
    assert all(p.dtype == torch.float32 for p in bf16.parameters())
    assert stats["bfloat16"].loss == pytest.approx(stats["float32"].loss, rel=1e-2)
    f32, b16 = dict(fp32.named_parameters()), dict(bf16.named_parameters())

    def step_error(name: str) -> float:
        step_f, step_b = f32[name] - start[name], b16[name] - start[name]
        return float((step_b - step_f).norm() / step_f.norm())

    for name in ("out.weight", "highway_gate.weight", "highway_h.bias", "convs.3.bias"):
        assert 0 < step_error(name) < 0.02, name
    assert 0 < step_error("convs.3.weight") < 0.25
