"""Real data (paper §5): a prepared directory's train split is the real set S.

Quality is the paper's BLEU: every generated sequence against the *whole* test split as
references, averaged over samples (bleu.py makes that O(length) per sample). Music adds the
pitch MSE (tasks.music.pitch_mse). Diversity is NLL-test, the generator's per-token NLL of the
test split, as on synthetic data. Text rows end with <end> and are padded after it; BLEU sees
the tokens before <end>; music rows are fixed-length key windows.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import torch

from seqgan_ray.config import DataTaskConfig, RunConfig
from seqgan_ray.core.bleu import BleuScorer, strip_at
from seqgan_ray.core.tables import from_table, read_table
from seqgan_ray.errors import UserError
from seqgan_ray.tasks.base import Task


def read_data_config(kind: str, data: str | Path) -> DataTaskConfig:
    """The task config of a prepared directory: its sizes and special ids, checked."""
    return _open(kind, data)[0]


def _open(kind: str, data: str | Path) -> tuple[DataTaskConfig, dict, torch.Tensor]:
    """A prepared directory read once: its task config, vocab.json and the train split."""
    data = Path(data).resolve()
    meta = data / "vocab.json"
    if not data.is_dir():
        raise UserError(
            f"data directory not found: {data} (make one with `seqgan-ray prepare {kind}`)"
        )
    try:
        vocab = json.loads(meta.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(
            f"{data} holds no prepared data (no vocab.json; run `seqgan-ray prepare {kind}`)"
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"{meta} is not readable JSON: {exc}") from None
    found = vocab.get("kind", "text") if isinstance(vocab, dict) else None
    if found != kind:
        raise UserError(f"{data} holds {found} data, not {kind}; use `train {found}`")
    train = _read_split(data, "train", vocab)
    if kind == "text":
        size, start, end, pad = len(vocab["tokens"]), vocab["start"], vocab["end"], vocab["pad"]
    else:  # music: 89 keys, fixed length; the rest key doubles as G's first input
        size, start, end, pad = vocab["tokens"], vocab["rest"], None, vocab["rest"]
    found = DataTaskConfig(
        kind=kind,
        data=str(data),
        vocab_size=size,
        seq_len=int(vocab["seq_len"]),
        num_train=len(train),
        start_token=start,
        end_token=end,
        pad_token=pad,
    )
    return found, vocab, train


def _read_split(data: Path, split: str, vocab: dict) -> torch.Tensor:
    tokens = from_table(read_table(data / f"{split}.arrow"))
    size = len(vocab["tokens"]) if isinstance(vocab.get("tokens"), list) else vocab["tokens"]
    if tokens.shape[1] != vocab["seq_len"]:
        raise UserError(
            f"{data / f'{split}.arrow'} has sequences of length {tokens.shape[1]}, "
            f"vocab.json says {vocab['seq_len']}"
        )
    if len(tokens) and (tokens.min() < 0 or tokens.max() >= size):
        bad = int(tokens.max()) if tokens.max() >= size else int(tokens.min())
        raise UserError(
            f"{data / f'{split}.arrow'} holds token id {bad}, outside the vocabulary of {size}"
        )
    return tokens


def read_splits(kind: str, data: str | Path) -> tuple[torch.Tensor, torch.Tensor]:
    """A prepared directory's train and test splits, checked as training checks them."""
    _, vocab, train = _open(kind, data)
    return train, _read_split(Path(data).resolve(), "test", vocab)


def strip_rows(rows: torch.Tensor, end_token: int | None) -> list[tuple[int, ...]]:
    return strip_at(rows.cpu().numpy(), end_token)


class DataTask(Task):
    def __init__(self, cfg: RunConfig, device: torch.device):
        task: DataTaskConfig = cfg.task
        found, vocab, train = _open(task.kind, task.data)
        mine = (task.vocab_size, task.seq_len, task.start_token, task.end_token, task.pad_token)
        theirs = (
            found.vocab_size,
            found.seq_len,
            found.start_token,
            found.end_token,
            found.pad_token,
        )
        if mine != theirs:
            raise UserError(
                f"{task.data} no longer matches the run's config (sizes or special ids)"
            )
        self.kind, self.end_token, self.pad_token = task.kind, task.end_token, task.pad_token
        self.real = train.to(device)
        self.test = _read_split(Path(task.data), "test", vocab).to(device)
        if not len(self.test):
            raise UserError(
                f"{task.data} has an empty test split; prepare it with --test-fraction > 0"
            )
        references = strip_rows(self.test, self.end_token)
        self.bleu = {
            n: BleuScorer(references, n=n, smoothing=task.bleu_smoothing) for n in task.bleu_orders
        }
        self.main_order = task.bleu_orders[0]

    def sequence_scores(self, samples: torch.Tensor) -> torch.Tensor:
        """Per-sequence BLEU (main order) of samples (N,) float64: what the t-tests compare."""
        scores = self.bleu[self.main_order].scores(strip_rows(samples, self.end_token))
        return torch.from_numpy(scores)

    def scored_quality(self, samples: torch.Tensor) -> tuple[dict[str, float], torch.Tensor]:
        scores = self.sequence_scores(samples)
        hyps = strip_rows(samples, self.end_token)
        stats = {
            f"bleu{n}": math.fsum(scores.tolist()) / len(scores)  # = corpus_mean, bit for bit
            if n == self.main_order
            else scorer.corpus_mean(hyps)
            for n, scorer in self.bleu.items()
        }
        if self.kind == "text":  # BLEU's closest-length brevity penalty misses a length collapse
            stats["length"] = sum(map(len, hyps)) / max(1, len(hyps))
        if self.kind == "music":
            from seqgan_ray.tasks.music import pitch_mse

            stats["mse"] = pitch_mse(samples.cpu().numpy(), self.test.cpu().numpy())
        return stats, scores
