"""What a run leaves on disk: config.json, metrics.jsonl, checkpoint.pt, samples.txt."""

from __future__ import annotations

import json
import math
from pathlib import Path

import torch

from seqgan_ray.config import ConfigError, RunConfig
from seqgan_ray.driver import checkpoint
from seqgan_ray.errors import UserError

# What a run's checkpoint holds besides the format version (trainer.train writes it).
RUN_STATE_KEYS = ("config", "phase", "step", "learner", "torch_rng", "metric_lines")


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

    def resume_state(self) -> dict:
        """The checkpoint to continue from, once checkpoint.pt, config.json and metrics.jsonl are
        found whole and consistent. Any damage is one UserError naming the file, raised before
        anything in the directory is written or truncated."""
        state = checkpoint.load(self.checkpoint)
        missing = sorted(set(RUN_STATE_KEYS) - set(state))
        if missing:
            raise UserError(f"checkpoint {self.checkpoint} lacks {', '.join(missing)}")
        try:
            saved = RunConfig.from_dict(state["config"])
        except ConfigError as exc:
            raise UserError(
                f"checkpoint {self.checkpoint} holds an invalid config: {exc}"
            ) from None
        try:
            edited = RunConfig.from_file(self.config)
        except ConfigError as exc:  # name the file unless the message does
            raise UserError(
                str(exc) if str(self.config) in str(exc) else f"{self.config}: {exc}"
            ) from None
        differ = _differences(edited.to_dict(), saved.to_dict())
        if differ:
            raise UserError(
                f"{self.config} differs from the config saved in {self.checkpoint.name} "
                f"({', '.join(differ)}); a resumed run continues with its saved config"
            )
        self._check_metrics(state["metric_lines"])
        return state

    def _check_metrics(self, expected: int) -> None:
        """Every line of metrics.jsonl a whole JSON object, and at least the checkpoint's lines."""
        try:
            text = self.metrics.read_text() if self.metrics.exists() else ""
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"{self.metrics} cannot be read: {exc}") from None
        *whole, tail = text.split("\n")  # whole lines end with a newline: `tail` is then ""
        torn = next((i for i, line in enumerate(whole, 1) if not _is_record(line)), None)
        if torn is None and tail:
            torn = len(whole) + 1
        if torn is not None:
            harmless = (
                f"; it follows the {expected} lines the checkpoint covers, so deleting it loses "
                "nothing"
            )
            raise UserError(
                f"{self.metrics}: line {torn} is torn (not a whole JSON record)"
                + (harmless if torn > expected else "")
            )
        if len(whole) < expected:
            raise UserError(
                f"{self.metrics} has {len(whole)} lines, but {self.checkpoint.name} was saved "
                f"after {expected}: the log lost lines"
            )

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
    """metrics.jsonl: one flat JSON object per logged step (`phase`, `step`, namespaced keys).
    Each line is appended and closed at once, so a run that stops at any moment (a lost learner,
    a killed driver) leaves only whole lines behind. Every row also goes to the run's TensorBoard
    event files (tracking.py), which are rewritten from the kept lines when the run (re)starts."""

    def __init__(self, run: RunDir):
        from seqgan_ray.driver.tracking import TensorBoardLog

        self.path = run.metrics
        self.latest: dict[str, float] = {}
        self.board = TensorBoardLog(run.path, read_metrics(self.path))

    def log(self, phase: str, step: int, **values: float) -> None:
        row = {"phase": phase, "step": step, **{k: _finite(v) for k, v in values.items()}}
        with self.path.open("a") as f:
            f.write(json.dumps(row) + "\n")
        self.latest.update(values)
        self.board.add(row)


def _finite(v: float) -> float | None:
    return None if isinstance(v, float) and not math.isfinite(v) else v


def _is_record(line: str) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def _differences(a: dict, b: dict, prefix: str = "") -> list[str]:
    """Dotted names of the fields where two config dicts differ."""
    out = []
    for key in sorted(set(a) | set(b)):
        x, y = a.get(key), b.get(key)
        if isinstance(x, dict) and isinstance(y, dict):
            out += _differences(x, y, f"{prefix}{key}.")
        elif x != y:
            out.append(prefix + key)
    return out


def read_metrics(path: str | Path) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
