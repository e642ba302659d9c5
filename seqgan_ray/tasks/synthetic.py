"""The synthetic-data task (paper §4): an oracle LSTM defines the real distribution.

S = `num_train` oracle samples is the real set; a generator's quality is NLL-oracle, the oracle's
per-token NLL of sequences the generator produces. NLL-oracle alone rewards a generator that
collapses onto a few likely sequences, so every evaluation also reports NLL-test, the generator's
per-token NLL of `num_test` held-out oracle samples (diversity / coverage; lower is better).
"""

from __future__ import annotations

import torch

from seqgan_ray.config import RunConfig
from seqgan_ray.core.sampling import sample_sequences
from seqgan_ray.tasks.base import Task
from seqgan_ray.tasks.metrics import nll, sequence_nll
from seqgan_ray.tasks.oracle import Oracle


class SyntheticTask(Task):
    end_token: int | None = None  # fixed length T: no end token, no padding
    pad_token: int = 0

    @staticmethod
    def official_oracle(cfg: RunConfig) -> Oracle:
        """The oracle of `cfg.task.oracle_path`, checked against the config (also run by the
        driver before anything starts, so a bad file fails fast)."""
        task = cfg.task
        oracle = Oracle.official(task.oracle_path, task.seq_len, task.start_token)
        if oracle.vocab_size != task.vocab_size:
            from seqgan_ray.errors import UserError

            raise UserError(
                f"oracle {task.oracle_path} has vocabulary {oracle.vocab_size}, "
                f"but the config says vocab_size = {task.vocab_size}"
            )
        return oracle

    def __init__(self, cfg: RunConfig, device: torch.device):
        task = cfg.task
        if task.oracle_path:
            self.oracle = self.official_oracle(cfg)
        else:
            self.oracle = Oracle.random(
                task.vocab_size,
                task.oracle_emb_dim,
                task.oracle_hidden_dim,
                task.seq_len,
                task.random_oracle_seed,  # = data_seed unless a multi-seed experiment keeps it
                task.start_token,
            )
        self.oracle.to(device)
        self.data_seed = task.data_seed
        self.real = sample_sequences(
            self.oracle.policy(), task.num_train, (task.data_seed, "real_data")
        )
        self.test = sample_sequences(
            self.oracle.policy(), task.num_test, (task.data_seed, "test_data")
        )

    def nll_oracle(self, samples: torch.Tensor) -> float:
        return nll(self.oracle, samples)

    def sequence_scores(self, samples: torch.Tensor) -> torch.Tensor:
        """Per-sequence NLL-oracle (N,) float64: what the Table-1 t-tests compare."""
        return sequence_nll(self.oracle, samples)

    def scored_quality(self, samples: torch.Tensor) -> tuple[dict[str, float], torch.Tensor]:
        scores = self.sequence_scores(samples)
        return {"nll_oracle": float(scores.mean())}, scores  # = nll_oracle(samples), bit for bit
