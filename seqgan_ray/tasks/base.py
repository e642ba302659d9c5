"""What every task evaluates the same way: NLL-test and the periodic evaluation."""

from __future__ import annotations

import torch

from seqgan_ray.core.models import Generator
from seqgan_ray.core.sampling import sample_sequences
from seqgan_ray.tasks.metrics import nll


class Task:
    """A subclass holds `real` and `test` (N, T) token tensors and defines
    `sequence_scores(samples)` (the per-sequence main metric the t-tests compare) and
    `scored_quality(samples)` (its quality metrics of generated sequences, the main one the mean
    of those scores)."""

    test: torch.Tensor

    def sequence_scores(self, samples: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def scored_quality(self, samples: torch.Tensor) -> tuple[dict[str, float], torch.Tensor]:
        """Quality metrics of `samples` and their sequence_scores, scoring each sample once (the
        final evaluation's 100,000 samples cost minutes per scoring pass on a CPU core)."""
        raise NotImplementedError

    def quality(self, samples: torch.Tensor) -> dict[str, float]:
        return self.scored_quality(samples)[0]

    def nll_test(self, generator: Generator, temperature: float = 1.0) -> float:
        """G's per-token NLL of the held-out set at `temperature` (diversity / coverage)."""
        return nll(generator, self.test, temperature=temperature)

    def evaluate(
        self, generator: Generator, num_samples: int, key: tuple, temperature: float = 1.0
    ) -> dict[str, float]:
        samples = sample_sequences(generator.policy(), num_samples, key, temperature)
        stats = {f"eval/{k}": v for k, v in self.quality(samples).items()}
        return stats | {"eval/nll_test": self.nll_test(generator, temperature)}
