"""`seqgan-ray sample`: a trained run's generator decoded back to what the data was.

Text is detokenized with the run's vocabulary, tunes are written as MIDI files (tasks.music's
keys_to_midi, at the step the data was sampled with), and synthetic sequences stay token ids.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from seqgan_ray.core.sampling import sample_sequences
from seqgan_ray.driver.rundir import RunDir
from seqgan_ray.errors import UserError
from seqgan_ray.studies.frontier import load_generator


def generate(
    run_dir: str | Path, num: int, temperature: float = 1.0, seed: int = 0
) -> tuple[object, torch.Tensor]:
    """(the run's config, `num` sequences from its last checkpoint's generator)."""
    if num < 1:
        raise UserError(f"-n must be >= 1 (got {num})")
    if temperature <= 0:
        raise UserError(f"--temperature must be > 0 (got {temperature})")
    if not RunDir(run_dir).checkpoint.exists():
        raise UserError(f"{run_dir} holds no run checkpoint (checkpoint.pt)")
    cfg, gen = load_generator(run_dir)
    return cfg, sample_sequences(gen.policy(), num, (seed, "sample"), temperature)


def as_text(cfg, samples: torch.Tensor) -> list[str]:
    """Detokenized lines (text runs) or space-separated ids (synthetic runs)."""
    if cfg.task.kind != "text":
        return [" ".join(map(str, row)) for row in samples.tolist()]
    from seqgan_ray.tasks.text import detokenize, load_vocab

    vocab = load_vocab(_data_dir(cfg))
    return [detokenize(row, vocab) for row in samples.tolist()]


def write_midi(cfg, samples: torch.Tensor, out: str | Path) -> list[Path]:
    """One MIDI file per generated tune, at the data's sampling step."""
    from seqgan_ray.tasks.music import keys_to_midi

    meta = json.loads((_data_dir(cfg) / "vocab.json").read_text(encoding="utf-8"))
    out = Path(out)
    return [
        keys_to_midi(row, out / f"sample_{i:03d}.mid", step_s=float(meta["step_s"]))
        for i, row in enumerate(samples.tolist())
    ]


def _data_dir(cfg) -> Path:
    data = Path(cfg.task.data)
    if not (data / "vocab.json").exists():
        raise UserError(f"the run's data directory {data} is gone; it holds the vocabulary")
    return data
