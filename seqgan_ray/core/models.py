"""The three networks of SeqGAN: the generator policy, the CNN discriminator (the oracle, an LSTM like G, is in tasks/oracle.py).

Shape legend: B batch, T sequence length, V vocabulary, E embedding dim, H LSTM hidden dim,
F total discriminator filters, W number of conv windows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

if TYPE_CHECKING:
    from seqgan_ray.config import RunConfig


class Policy(NamedTuple):
    """A generator frozen for sampling: the LSTM with its input projection folded into a table.

    `x_gates[v]` is embedding(v) @ W_ih^T + b_ih + b_hh, so one LSTM step is a row gather plus one
    (R, H) @ (H, 4H) matmul; sampling never needs autograd. Every tensor is detached.
    """

    x_gates: torch.Tensor  # (V, 4H)
    w_hh_t: torch.Tensor  # (H, 4H)
    w_out_t: torch.Tensor  # (H, V)
    b_out: torch.Tensor  # (V,)
    start_token: int
    seq_len: int
    end_token: int | None = None  # variable-length data: after it, every token is pad_token
    pad_token: int = 0

    def finish(self, tokens: torch.Tensor, done: torch.Tensor) -> torch.Tensor:
        """Force pad on rows that already emitted the end token; mark rows that emit it now.

        `done` (R,) bool is updated in place. Sampling still draws one uniform per position, so
        the random stream (and the sharding invariants) do not depend on where sequences end.
        """
        if self.end_token is None:
            return tokens
        tokens = torch.where(done, self.pad_token, tokens)
        done |= tokens == self.end_token
        return tokens

    @property
    def hidden_dim(self) -> int:
        return self.w_hh_t.shape[0]

    def initial_state(self, rows: int) -> tuple[torch.Tensor, torch.Tensor]:
        zeros = self.w_hh_t.new_zeros(rows, self.hidden_dim)
        return zeros, zeros.clone()

    def step(
        self, tokens: torch.Tensor, h: torch.Tensor, c: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Feed `tokens` (R,) into the LSTM cell; returns the new (h, c), each (R, H)."""
        gates = torch.addmm(self.x_gates[tokens], h, self.w_hh_t)  # (R, 4H), gate order i f g o
        i, f, g, o = gates.chunk(4, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        return h, c

    def logits(self, h: torch.Tensor) -> torch.Tensor:
        return torch.addmm(self.b_out, h, self.w_out_t)  # (R, V)

    def to(self, device: torch.device | str) -> Policy:
        return self._replace(
            **{k: getattr(self, k).to(device) for k in ("x_gates", "w_hh_t", "w_out_t", "b_out")}
        )


class Generator(nn.Module):
    """G_theta: an LSTM language model over tokens, used as a stochastic policy (paper §3)."""

    def __init__(
        self,
        vocab_size: int,
        emb_dim: int,
        hidden_dim: int,
        seq_len: int,
        start_token: int = 0,
        init_std: float = 0.1,
        end_token: int | None = None,
        pad_token: int = 0,
    ):
        super().__init__()
        self.vocab_size, self.seq_len, self.start_token = vocab_size, seq_len, start_token
        self.end_token, self.pad_token = end_token, pad_token
        self.embedding = nn.Embedding(vocab_size, emb_dim)
        self.lstm = nn.LSTM(emb_dim, hidden_dim, batch_first=True)
        self.out = nn.Linear(hidden_dim, vocab_size)
        # Official generator.py draws every parameter (biases included) from N(0, 0.1).
        for p in self.parameters():
            nn.init.normal_(p, 0.0, init_std)

    @classmethod
    def from_config(cls, cfg: RunConfig) -> Generator:
        """G of a run: the task's sizes and special tokens, the generator section's shapes."""
        t, g = cfg.task, cfg.generator
        return cls(
            t.vocab_size,
            g.emb_dim,
            g.hidden_dim,
            t.seq_len,
            t.start_token,
            g.init_std,
            end_token=t.end_token,  # None for fixed-length data (the synthetic task)
            pad_token=t.pad_token,
        )

    def teacher_inputs(self, y: torch.Tensor) -> torch.Tensor:
        """(B, T) targets -> (B, T) inputs: the start token, then y shifted right by one."""
        start = y.new_full((y.shape[0], 1), self.start_token)
        return torch.cat([start, y[:, :-1]], dim=1)

    def forward(self, inputs: torch.Tensor, state=None) -> tuple[torch.Tensor, tuple]:
        """inputs (B, L) token ids -> logits (B, L, V) and the LSTM state after the last input."""
        out, state = self.lstm(self.embedding(inputs), state)  # (B, L, H)
        return self.out(out), state

    def log_probs(self, y: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
        """log G(y_t | y_<t) for every position: (B, T) -> (B, T), teacher-forced.

        With `temperature` tau the model is softmax(logits / tau), the distribution sampled at tau.
        """
        logits, _ = self(self.teacher_inputs(y))  # (B, T, V)
        if temperature != 1.0:
            logits = logits / temperature
        nll = F.cross_entropy(logits.flatten(0, 1), y.flatten(), reduction="none")  # (B*T,)
        return -nll.view_as(y)

    @torch.no_grad()
    def policy(self) -> Policy:
        w_ih, w_hh = self.lstm.weight_ih_l0, self.lstm.weight_hh_l0  # (4H, E), (4H, H)
        bias = self.lstm.bias_ih_l0 + self.lstm.bias_hh_l0
        x_gates = torch.addmm(bias, self.embedding.weight, w_ih.t())  # (V, 4H)
        return Policy(
            x_gates=x_gates.contiguous(),
            w_hh_t=w_hh.t().contiguous(),
            w_out_t=self.out.weight.t().contiguous(),
            b_out=self.out.bias.detach().clone(),
            start_token=self.start_token,
            seq_len=self.seq_len,
            end_token=self.end_token,
            pad_token=self.pad_token,
        )


class _Windows(torch.autograd.Function):
    """(B, T, E) channels-last embeddings -> (B*L, w*E) windows of width w, L = T - w + 1: row
    b*L + p is x[b, p:p+w] flattened (position-major), i.e. w whole rows of x, so the forward is
    a copy of contiguous rows and the backward adds w shifted slices. Measured at the quarter D's
    sizes (B 64, T 20, E 64, 1 thread): 0.27 ms forward and 1.6 ms backward per batch for all
    twelve widths, against 2.1 ms and 5.1 ms for `unfold` (its e-major copy and its backward)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, w: int) -> torch.Tensor:
        B, T, E = x.shape
        L = T - w + 1
        ctx.w, ctx.shape = w, x.shape
        x = x.contiguous()
        rows = x.as_strided((B, L, w, E), (T * E, E, E, 1), x.storage_offset())  # overlapping
        return rows.reshape(B * L, w * E)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        (B, T, E), w = ctx.shape, ctx.w
        L = T - w + 1
        grad = grad.view(B, L, w, E)
        grad_x = grad.new_zeros(B, T, E, dtype=torch.float32)  # bf16 grads summed in fp32
        for j in range(w):  # window offset j read x[:, j:j+L]
            grad_x[:, j : j + L] += grad[:, :, j]
        return grad_x, None


class Discriminator(nn.Module):
    """D_phi: CNN over token embeddings, max-over-time pooling, one highway layer, a single logit
    whose sigmoid is P(real) (paper §3 and Table 5; official discriminator.py)."""

    def __init__(
        self,
        vocab_size: int,
        emb_dim: int,
        filter_sizes: tuple[int, ...],
        num_filters: tuple[int, ...],
        dropout: float = 0.25,
    ):
        super().__init__()
        self.filter_sizes = tuple(filter_sizes)
        features = sum(num_filters)
        self.embedding = nn.Embedding(vocab_size, emb_dim)
        self.convs = nn.ModuleList(
            nn.Conv1d(emb_dim, c, h) for h, c in zip(filter_sizes, num_filters)
        )
        self.highway_h = nn.Linear(features, features)
        self.highway_gate = nn.Linear(features, features)
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(features, 1)
        # Official init: embeddings U(-1, 1); conv and output weights truncated N(0, 0.1), bias 0.1.
        nn.init.uniform_(self.embedding.weight, -1.0, 1.0)
        for layer in [*self.convs, self.out]:
            nn.init.trunc_normal_(layer.weight, std=0.1, a=-0.2, b=0.2)
            nn.init.constant_(layer.bias, 0.1)

    @classmethod
    def from_config(cls, cfg: RunConfig) -> Discriminator:
        """D of a run: the task's vocabulary, the discriminator section's shapes."""
        d = cfg.discriminator
        return cls(cfg.task.vocab_size, d.emb_dim, d.filter_sizes, d.num_filters, d.dropout)

    def embed(self, y: torch.Tensor) -> torch.Tensor:
        """(B, T) token ids -> (B, E, T), channels first as nn.Conv1d takes them."""
        return self.embedding(y).transpose(1, 2)

    def pooled(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T, E) embeddings, channels last -> (B, F) max over time of every filter, before
        the ReLU.

        Each width's convolution runs as one GEMM over its windows (`_windows`) and the maximum
        keeps its argmax: the same numbers as conv1d + amax (to float rounding), but ~2x faster
        to train on CPU, where conv1d's backward and amax's tie-splitting backward dominated
        (README, "Speed"). relu(max(.)) == max(relu(.)), so the ReLU is applied in `head`; this
        lets the roll-out code combine maxima over parts of a sequence before the non-linearity.
        """
        B, T, E = x.shape
        if torch.is_autocast_enabled(x.device.type):  # bf16 training: copy windows in bf16
            x = x.to(torch.get_autocast_dtype(x.device.type))
        maxima = []
        for w, conv in zip(self.filter_sizes, self.convs):
            L = T - w + 1
            windows = _Windows.apply(x, w)  # (B*L, w*E), position-major
            kernel = conv.weight.transpose(1, 2).reshape(conv.out_channels, w * E)  # (C, w*E)
            pre = torch.addmm(conv.bias, windows, kernel.t()).view(B, L, -1)  # (B, L, C)
            maxima.append(pre.max(dim=1).values)  # (B, C)
        return torch.cat(maxima, dim=1)

    def head(self, pooled: torch.Tensor, gate_dtype: torch.dtype | None = None) -> torch.Tensor:
        """(B, F) pooled pre-activations -> (B,) logits of P(real).

        `gate_dtype=torch.bfloat16` runs the gate's GEMM (half of D's scoring FLOPs in roll-outs)
        in bfloat16: the gate enters through a sigmoid (slope <= 1/4) that mixes two fp32 paths,
        so its rounding moves Q by < 1e-3 at paper V and T with the quarter D (up to ~2.7e-3 with the
        paper's 1,720 filters, tests/test_rollout.py), while a bf16 transform path or output layer
        moves it more (docs/speed.md). Under bf16 autocast (training with
        d_dtype bfloat16) the two highway GEMMs run in bf16; the mixing and the output layer
        stay fp32 (the `.float()` calls are no-ops in fp32).
        """
        z = F.relu(pooled)
        gate_layer = self.highway_gate
        if gate_dtype is None or gate_dtype == z.dtype:
            gate_logits = gate_layer(z)  # official: gate bias offset 0
        else:
            gate_logits = F.linear(
                z.to(gate_dtype), gate_layer.weight.to(gate_dtype), gate_layer.bias.to(gate_dtype)
            ).to(z.dtype)
        gate = torch.sigmoid(gate_logits.float())
        z = gate * F.relu(self.highway_h(z).float()) + (1.0 - gate) * z.float()
        with torch.autocast(z.device.type, enabled=False):
            return self.out(self.dropout(z)).squeeze(1)

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        """(B, T) token ids -> (B,) logits."""
        return self.head(self.pooled(self.embedding(y)))

    def output_l2(self) -> torch.Tensor:
        """Official: l2_loss = tf.nn.l2_loss(W) + tf.nn.l2_loss(b) on the output layer only."""
        return 0.5 * (self.out.weight.square().sum() + self.out.bias.square().sum())
