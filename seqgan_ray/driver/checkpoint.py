"""Atomic checkpoints holding everything a run needs to continue exactly where it stopped."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import torch

from seqgan_ray.atomic import atomic_write
from seqgan_ray.errors import UserError

FORMAT_VERSION = 1


def save(state: dict[str, Any], path: str | Path) -> None:
    """torch.save to a temporary file in the same directory, then rename over `path`."""
    with atomic_write(path) as tmp:
        torch.save({"format_version": FORMAT_VERSION, **state}, tmp)


def load(path: str | Path) -> dict[str, Any]:
    """Load a checkpoint saved by `save`; anything else is reported as a UserError, not a traceback.

    weights_only=True: a checkpoint is plain tensors and containers, and loading never runs code.
    """
    path = Path(path)
    if not path.is_file():
        raise UserError(f"checkpoint not found: {path}")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # truncated zip, wrong file type, unpickling refusal, ...
        raise UserError(f"checkpoint {path} {_damage(path, exc)}") from None
    if not isinstance(state, dict) or state.get("format_version") != FORMAT_VERSION:
        raise UserError(
            f"checkpoint {path} is not a seqgan-ray checkpoint (format {FORMAT_VERSION})"
        )
    return state


def _damage(path: Path, exc: Exception) -> str:
    """What is wrong with a file torch.load refused, in words. torch.save writes a zip archive,
    so the first bytes tell a foreign file from a damaged or tampered checkpoint."""
    with path.open("rb") as f:
        is_zip = f.read(4) == b"PK\x03\x04"
    if not is_zip:
        return "is not a checkpoint file (random or foreign bytes, not a torch archive)"
    if isinstance(exc, pickle.UnpicklingError):
        return (
            "holds pickled objects other than tensors and plain containers: refused unread "
            "(weights-only loading runs no code)"
        )
    return f"is truncated or damaged (torch cannot read its archive: {type(exc).__name__})"
