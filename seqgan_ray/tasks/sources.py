"""The paper's published data sets (§5): which prepared directory holds them.

Whether a prepared directory holds the paper's own data (so that an experiment shows the paper's
numbers beside ours) is decided by the SHA-256 of its source, recorded by `prepare`, against
PAPER_SOURCES: nothing else (a directory's name, the preset) makes a user's corpus the paper's.
The presets for real data (poems, text-cpu, ...) are in presets.py.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

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
