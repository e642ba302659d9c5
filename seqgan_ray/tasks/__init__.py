"""Tasks: what the real set is and how generated sequences are scored (no Ray).

`synthetic` (an oracle LSTM, NLL-oracle; paper §4) and `corpus` (a prepared text or music
directory, BLEU against the test split; paper §5) offer the same interface to the learner:
`real`, `test`, `end_token`, `pad_token`, `evaluate`, `quality`, `sequence_scores`, `nll_test`.
Also here: the oracle and its official parameters (oracle), preparing text and MIDI corpora
(text, music), the published data sets (sources) and the evaluation metrics (metrics).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from seqgan_ray.config import RunConfig


@dataclass(frozen=True)
class Metric:
    """A task's main quality metric: its key in metrics.jsonl (after eval/ or final/)."""

    key: str
    label: str
    higher_is_better: bool

    def better(self, a: float, b: float) -> bool:
        return a > b if self.higher_is_better else a < b


def main_metric(cfg: RunConfig) -> Metric:
    if cfg.task.kind == "synthetic":
        return Metric("nll_oracle", "NLL-oracle", higher_is_better=False)
    n = cfg.task.bleu_orders[0]
    return Metric(f"bleu{n}", f"BLEU-{n}", higher_is_better=True)


def make_task(cfg: RunConfig, device: torch.device):
    if cfg.task.kind == "synthetic":
        from seqgan_ray.tasks.synthetic import SyntheticTask

        return SyntheticTask(cfg, device)
    from seqgan_ray.tasks.corpus import DataTask

    return DataTask(cfg, device)


def preflight(cfg: RunConfig) -> None:
    """Fail before anything starts when the task's files are bad (oracle pickle, data dir)."""
    if cfg.task.kind == "synthetic":
        if cfg.task.oracle_path:
            from seqgan_ray.tasks.synthetic import SyntheticTask

            SyntheticTask.official_oracle(cfg)
        return
    from seqgan_ray.tasks.corpus import read_data_config

    read_data_config(cfg.task.kind, cfg.task.data)
