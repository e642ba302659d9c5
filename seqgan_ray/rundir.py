"""What a run leaves on disk: config.json, metrics.jsonl, checkpoint.pt, samples.txt."""

from __future__ import annotations

import json
import math
from pathlib import Path

import torch

from .errors import UserError


class RunDir:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.config = self.path / "config.json"
        self.metrics = self.path / "metrics.jsonl"
        self.checkpoint = self.path / "checkpoint.pt"
        self.samples = self.path / "samples.txt"
        self.final_nll = self.final_scores("nll_oracle")

    def final_scores(self, key: str) -> Path:
        """The per-sequence final main metric (NLL-oracle, BLEU-n): the t-tests' input."""
        return self.path / f"final_{key}.npy"

    def create(self) -> None:
        """Start a fresh run; refuse to touch a directory that already holds one."""
        if self.checkpoint.exists() or self.metrics.exists():
            raise UserError(
                f"{self.path} already holds a run; continue it with --resume {self.path} or choose another --out"
            )
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(f"cannot create run directory {self.path}: {exc.strerror}") from None
        self.metrics.write_text("")

    def metric_lines(self) -> int:
        return len(self.metrics.read_text().splitlines()) if self.metrics.exists() else 0

    def truncate_metrics(self, lines: int) -> None:
        """On resume, drop lines logged after the checkpoint: they are recomputed identically."""
        kept = self.metrics.read_text().splitlines()[:lines] if self.metrics.exists() else []
        self.metrics.write_text("".join(line + "\n" for line in kept))

    def write_samples(self, samples: torch.Tensor) -> None:
        tmp = self.samples.with_suffix(".tmp")
        tmp.write_text("".join(" ".join(map(str, row)) + "\n" for row in samples.tolist()))
        tmp.replace(self.samples)

    def write_final_scores(self, per_sequence: torch.Tensor, key: str = "nll_oracle") -> None:
        """Per-sequence final main metric (float64), the input of the experiments' t-tests."""
        import numpy as np

        tmp = self.path / f".final_{key}.tmp.npy"
        np.save(tmp, per_sequence.numpy())
        tmp.replace(self.final_scores(key))

    def read_final_scores(self, key: str = "nll_oracle"):
        import numpy as np

        path = self.final_scores(key)
        if not path.exists():
            raise UserError(
                f"{self.path} has no final evaluation ({path.name}); did the run finish?"
            )
        return np.load(path)


class MetricsLog:
    """metrics.jsonl: one flat JSON object per logged step (`phase`, `step`, namespaced keys)."""

    def __init__(self, run: RunDir):
        self.file = run.metrics.open("a")
        self.latest: dict[str, float] = {}

    def log(self, phase: str, step: int, **values: float) -> None:
        row = {"phase": phase, "step": step, **{k: _finite(v) for k, v in values.items()}}
        self.file.write(json.dumps(row) + "\n")
        self.file.flush()
        self.latest.update(values)

    def close(self) -> None:
        self.file.close()


def _finite(v: float) -> float | None:
    return None if isinstance(v, float) and not math.isfinite(v) else v


def read_metrics(path: str | Path) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
