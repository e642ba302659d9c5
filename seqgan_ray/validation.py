"""How a config refuses itself: every problem found, collected and raised as one ConfigError
(a UserError: one line and exit 2 at the CLI)."""

from __future__ import annotations

from seqgan_ray.core.bleu import SMOOTHINGS
from seqgan_ray.errors import UserError


class ConfigError(UserError, ValueError):
    """An impossible configuration (the message lists every problem found)."""


def check(problems: list[str], ok: bool, message: str) -> None:
    if not ok:
        problems.append(message)


def check_smoothing(problems: list[str], smoothing: str) -> None:
    """The evaluation's and PG-BLEU's `bleu_smoothing`: one of core/bleu.py's SMOOTHINGS."""
    ok = smoothing in SMOOTHINGS
    check(problems, ok, f"bleu_smoothing must be {' or '.join(SMOOTHINGS)} (got {smoothing!r})")


def raise_if_any(name: str, problems: list[str]) -> None:
    if problems:
        raise ConfigError(f"invalid {name}: " + "; ".join(problems))
