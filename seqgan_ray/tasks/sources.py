"""Presets for real data (paper §5): everything but the data, bound to a prepared directory.

D's filter table follows the data's sequence length (`filter_table`); the `*-cpu` presets are
sized for 2 CPU cores like the synthetic `demo` preset they start from. `text-cpu` and
`music-cpu` fit any prepared directory; `poems*`, `obama*`, `nottingham*` are the paper's studies.

Whether a prepared directory holds the paper's own data (so that an experiment shows the paper's
numbers beside ours) is decided by the SHA-256 of its source, recorded by `prepare`, against
PAPER_SOURCES: nothing else (a directory's name, the preset) makes a user's corpus the paper's.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from pathlib import Path

from seqgan_ray.config import (
    PAPER_FILTER_SIZES,
    PAPER_NUM_FILTERS,
    ConfigError,
    DataTaskConfig,
    DiscriminatorConfig,
    GeneratorConfig,
    RunConfig,
    ScheduleConfig,
)
from seqgan_ray.presets import DEMO, TINY


def filter_table(seq_len: int, fraction: float = 1.0) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """D's (window sizes, filter counts) for sequences of length T, at `fraction` of the counts.

    T = 20 is Table 5 exactly. Other lengths keep Table 5's shape: windows 1..min(10, T) with
    its counts, then a window of round(T / 2) when that exceeds 10, and one of T, 160 filters
    each (T = 32 gives 1..10, 16, 32)."""
    if seq_len == 20:
        sizes, counts = PAPER_FILTER_SIZES, PAPER_NUM_FILTERS
    else:
        small = [h for h in PAPER_FILTER_SIZES if h <= min(10, seq_len)]
        large = [h for h in (round(seq_len / 2), seq_len) if h > 10]
        sizes = tuple(dict.fromkeys([*small, *large]))
        counts = tuple(PAPER_NUM_FILTERS[h - 1] if h <= 10 else 160 for h in sizes)
    return tuple(sizes), tuple(max(1, round(c * fraction)) for c in counts)


@dataclass(frozen=True)
class DataPreset:
    """A preset for real data: everything but the data, which `bind` takes from a prepared
    directory (sizes, special ids) — D's filter table follows the data's sequence length."""

    kind: str
    bleu_orders: tuple[int, ...]
    filter_fraction: float = 1.0  # of Table 5's filter counts
    discriminator: DiscriminatorConfig = field(default_factory=DiscriminatorConfig)
    generator: GeneratorConfig = field(default_factory=GeneratorConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    device: str = "auto"

    def bind(self, data: DataTaskConfig) -> RunConfig:
        sizes, counts = filter_table(data.seq_len, self.filter_fraction)
        return RunConfig(
            task=replace(data, bleu_orders=self.bleu_orders),
            generator=self.generator,
            discriminator=replace(self.discriminator, filter_sizes=sizes, num_filters=counts),
            schedule=self.schedule,
            device=self.device,
        )


# The paper's real-data studies (§5) at the official code's schedule (GPU-sized, like `paper`),
# and `*-cpu` versions sized for 2 CPU cores: D at a quarter of the filters, one d-step of one
# epoch on 5,000 negatives + 5,000 real sequences, a shorter schedule (README "Real data").
_CPU_SCHEDULE = replace(
    DEMO.schedule,
    mle_epochs=30,
    d_pretrain_rounds=5,
    adversarial_iterations=40,
    eval_samples=1_000,
    test_samples=5_000,
)
_TINY_DATA = DataPreset(
    kind="text",
    bleu_orders=(2,),
    filter_fraction=0.04,
    discriminator=DiscriminatorConfig(emb_dim=8),
    generator=GeneratorConfig(emb_dim=8, hidden_dim=8),
    schedule=replace(TINY.schedule, num_negatives=64, num_positives=64),
    device="cpu",
)
DATA_PRESETS: dict[str, DataPreset] = {
    "poems": DataPreset("text", (2,)),
    "obama": DataPreset("text", (3, 4)),
    "nottingham": DataPreset("music", (4,)),
    "poems-cpu": DataPreset("text", (2,), 0.25, schedule=_CPU_SCHEDULE),
    "obama-cpu": DataPreset("text", (3, 4), 0.25, schedule=_CPU_SCHEDULE),
    "nottingham-cpu": DataPreset("music", (4,), 0.25, schedule=_CPU_SCHEDULE),
    # Any prepared directory on 2 CPU cores: the *-cpu schedule, BLEU-2 (main) and BLEU-4 for
    # text, BLEU-4 and the pitch MSE for music.
    "text-cpu": DataPreset("text", (2, 4), 0.25, schedule=_CPU_SCHEDULE),
    "music-cpu": DataPreset("music", (4,), 0.25, schedule=_CPU_SCHEDULE),
    "text-tiny": _TINY_DATA,
    "music-tiny": replace(_TINY_DATA, kind="music", bleu_orders=(4,)),
}


def data_preset(name: str, kind: str) -> DataPreset:
    found = DATA_PRESETS.get(name)
    if found is None or found.kind != kind:
        names = [n for n, p in DATA_PRESETS.items() if p.kind == kind]
        raise ConfigError(f"unknown {kind} preset {name!r}; choose one of {', '.join(names)}")
    return found


# SHA-256 of the paper's data as kept in ../shared/data (see its README): a text corpus file's
# bytes, or for MIDI a directory's files in name order (`fingerprint`). The Obama file is a close
# stand-in for the paper's corpus and the Nottingham files a superset of its 695 tunes; both are
# what the README's studies use.
PAPER_SOURCES = {
    "ac03c5fbb07776f0e43cb1ccfc74732f5313ab3d832df81c8e0db327df35e666": "poems",  # shi.txt
    "7922d161ce40de52da0b3da0d80cdff5b96cd04d967d7803c18d785f1f565af3": "obama",
    "cefbcec3537e32abfa83e7feda5da4e21bf93b18df4a26427e3fe3722ce6db42": "nottingham",  # midi/
}
PAPER_TITLES = {"poems": "Chinese poems", "obama": "Obama speeches", "nottingham": "Nottingham"}


def fingerprint(source: str | Path, files: list[Path] | None = None) -> str:
    """SHA-256 of a corpus file's bytes, or with `files` (a MIDI directory's, in name order) of
    each file's name and SHA-256 in turn."""
    if files is None:
        return hashlib.sha256(Path(source).read_bytes()).hexdigest()
    h = hashlib.sha256()
    for f in files:
        h.update(f.name.encode() + b"\0" + hashlib.sha256(f.read_bytes()).digest())
    return h.hexdigest()


def paper_dataset(data: str | Path) -> str | None:
    """ "poems", "obama" or "nottingham" when the prepared directory `data` was made from the
    paper's data (its prepare.json's `source_sha256`), else None: a user's own corpus."""
    try:
        stats = json.loads((Path(data) / "prepare.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(stats, dict):
        return None
    found = stats.get("source_sha256")
    if found is None and isinstance(stats.get("source"), str):  # prepared before it was recorded
        found = _source_fingerprint(Path(stats["source"]))
    return PAPER_SOURCES.get(found) if isinstance(found, str) else None


def _source_fingerprint(source: Path) -> str | None:
    """The fingerprint of a source that is still where prepare read it, else None."""
    from seqgan_ray.errors import UserError
    from seqgan_ray.tasks.music import midi_files

    try:
        return fingerprint(source, midi_files(source) if source.is_dir() else None)
    except (OSError, UserError):
        return None
