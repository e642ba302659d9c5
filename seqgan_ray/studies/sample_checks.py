"""What BLEU does not see in a method's final samples: their length, how many are distinct, how
many are verbatim copies of a training or test sequence, and how much of each one is a single
repeated token.

BLEU against the whole test split takes each sample's brevity penalty from the *closest*
reference length, so a generator that collapses onto short stock lines the data also holds
("Thank you.") scores well (Obama at β = 0.8, docs/real-data.md). These checks are what exposed
that collapse. On fixed-length data (music) a generator can collapse *within* a sequence
instead, onto one note held for the whole line, which length and distinctness do not show: the
share of each sample taken by its most frequent token does. Every real-data experiment reports
them per method, beside the same numbers for the test split itself, from the samples each run
writes (samples.txt: the final evaluation's first 10,000).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from seqgan_ray.core.bleu import strip_at

SHORT = 5  # tokens: "short" as the Obama collapse was measured (test split 2.1 %, SeqGAN 42 %)


def checks(rows: Sequence[tuple], train: set[tuple], test: set[tuple]) -> dict[str, float]:
    """Shares of `rows` (token tuples before `<end>`) and their mean length: `short` (at most
    SHORT tokens), `distinct` (distinct rows / rows), `in_train` / `in_test` (rows equal to
    some training / test sequence), and `top_token`: the mean over non-empty rows of the share of
    a row taken by its most frequent token (1.0 for a row of one token repeated)."""
    n = len(rows)
    lengths = np.fromiter(map(len, rows), dtype=np.int64, count=n)
    top = [np.unique(r, return_counts=True)[1].max() / len(r) for r in rows if r]
    return {
        "n": n,
        "length": float(lengths.mean()),
        "short": float((lengths <= SHORT).mean()),
        "distinct": len(set(rows)) / n,
        "in_train": sum(r in train for r in rows) / n,
        "in_test": sum(r in test for r in rows) / n,
        "top_token": float(np.mean(top)) if top else float("nan"),
    }


def read_samples(path: Path) -> np.ndarray:
    """A run's samples.txt: one sequence of token ids per line."""
    return np.array([list(map(int, line.split())) for line in path.read_text().splitlines()])


def experiment_checks(out: Path, methods: Sequence[str], task) -> dict[str, dict] | None:
    """The checks of every method's samples in the seed directory `out` (and of its shared
    pre-training, `pretrain`), with the test split's own as `test split`; None if a method's
    samples.txt is missing (a seed kept without them keeps what its results.json says)."""
    from seqgan_ray.tasks.corpus import read_splits

    train, test = read_splits(task.kind, task.data)
    train_rows = strip_at(train.numpy(), task.end_token)
    test_rows = strip_at(test.numpy(), task.end_token)
    train_set, test_set = set(train_rows), set(test_rows)
    found = {}
    for m in ("pretrain", *methods):
        samples = out / m / "samples.txt"
        if not samples.exists():
            if m == "pretrain":
                continue
            return None
        found[m] = checks(strip_at(read_samples(samples), task.end_token), train_set, test_set)
    found["test split"] = checks(test_rows, train_set, test_set)
    return found


def render_checks(per_seed: dict[str, dict[str, dict]]) -> list[str]:
    """results.md's lines for the checks: one row per source, a cell per seed ("a / b / c")."""
    sources = list(next(iter(per_seed.values())))
    seeds = f" (seeds {', '.join(per_seed)})" if len(per_seed) > 1 else ""
    banked_before = any(
        "top_token" not in c for checks in per_seed.values() for c in checks.values()
    )
    dash = " (– where a seed was banked before it was counted)" if banked_before else ""
    lines = [
        "",
        f"What BLEU does not see{seeds}: the final samples' mean length in tokens, the shares "
        f"of at most {SHORT} tokens and of distinct samples, of verbatim copies of a training "
        "or a test sequence, and the mean share of a sample taken by its most frequent token"
        f"{dash}.",
        "",
        "| samples | mean length | short | distinct | in train | in test | top token |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for source in sources:
        found = [c[source] for c in per_seed.values() if source in c]
        cells = [" / ".join(f"{c['length']:.1f}" for c in found)]
        for k in ("short", "distinct", "in_train", "in_test", "top_token"):
            cells.append(" / ".join("–" if k not in c else f"{100 * c[k]:.1f} %" for c in found))
        name = "pre-trained G" if source == "pretrain" else source
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines
