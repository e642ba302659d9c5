"""What every task evaluates the same way: NLL-test and the periodic evaluation."""

from __future__ import annotations

import torch

from ..metrics import nll
from ..models import Generator
from ..sampling import sample_sequences


class Task:
    """A subclass holds `real` and `test` (N, T) token tensors and defines `quality(samples)`
    (its quality metrics of generated sequences) and `sequence_scores(samples)`."""

    test: torch.Tensor

    def quality(
        self, samples: torch.Tensor, scores: torch.Tensor | None = None
    ) -> dict[str, float]:
        """Quality metrics of `samples`; `scores`, when given, are their sequence_scores, so
        the main metric is not computed twice."""
        raise NotImplementedError

    def sequence_scores(self, samples: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def scored_quality(self, samples: torch.Tensor) -> tuple[dict[str, float], torch.Tensor]:
        """quality(samples) and the per-sequence main metric, scoring each sample once (the
        final evaluation's 100,000 samples cost minutes per scoring pass on a CPU core)."""
        scores = self.sequence_scores(samples)
        return self.quality(samples, scores), scores

    def nll_test(self, generator: Generator, temperature: float = 1.0) -> float:
        """G's per-token NLL of the held-out set at `temperature` (diversity / coverage)."""
        return nll(generator, self.test, temperature=temperature)

    def evaluate(
        self, generator: Generator, num_samples: int, key: tuple, temperature: float = 1.0
    ) -> dict[str, float]:
        samples = sample_sequences(generator.policy(), num_samples, key, temperature)
        stats = {f"eval/{k}": v for k, v in self.quality(samples).items()}
        return stats | {"eval/nll_test": self.nll_test(generator, temperature)}
