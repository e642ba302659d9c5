"""MIDI melodies turned into piano-key tables: sampling, a seeded split by tune, and back.

`melody_keys` samples the highest sounding note of a MIDI file every `step_s` seconds as a piano
key (0 = rest, 1..88 = A0..C8). `prepare_music` cuts every tune of a directory into fixed-length
windows and writes `train.arrow`, `test.arrow` (the schema of `data.py`), `prepare.json` and
`vocab.json` into an output directory. `keys_to_midi` writes keys back as a playable MIDI file and
`pitch_mse` compares generated key sequences with real ones.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from pathlib import Path

import mido
import numpy as np

from seqgan_ray.errors import UserError
from seqgan_ray.tasks.sources import fingerprint
from seqgan_ray.tasks.text import split_indices, write_prepared

log = logging.getLogger(__name__)

REST = 0
N_KEYS = 88
TOKENS = N_KEYS + 1  # 0 = rest, 1..88 = piano keys
LOWEST_PITCH = 21  # A0, key 1
HIGHEST_PITCH = 108  # C8, key 88
KEY_OFFSET = LOWEST_PITCH - 1  # key = MIDI pitch - 20
MIDI_SUFFIXES = (".mid", ".midi")

# Sample times and note edges are compared with this slack (seconds), far below one MIDI tick
# (about 1 ms at 120 bpm and 480 ticks per beat), so float noise in mido's tick -> second sums
# never moves a note edge to the wrong side of a sample.
EPS = 1e-6

# keys_to_midi writes at 120 bpm with 480 ticks per beat: 960 ticks per second.
TICKS_PER_BEAT = 480
TEMPO = 500_000  # microseconds per beat = 120 bpm
TICKS_PER_SECOND = TICKS_PER_BEAT * 1_000_000 / TEMPO


def _check_step(step_s: float) -> None:
    if not (
        isinstance(step_s, (int, float, np.number))
        and not isinstance(step_s, bool)
        and math.isfinite(step_s)
        and step_s > 0
    ):
        raise UserError(f"step_s must be a positive number of seconds (got {step_s!r})")


def _note_intervals(path: Path) -> tuple[list[tuple[float, float, int]], float]:
    """(start_s, end_s, key) of every piano-range note, and the file's length in seconds."""
    try:
        midi = mido.MidiFile(path)
        if midi.type == 2:
            raise ValueError("type 2 (asynchronous tracks) is not supported")
        messages = list(midi)  # merged tracks, delta times in seconds, tempo changes honoured
    except FileNotFoundError:
        raise UserError(f"MIDI file not found: {path}") from None
    except Exception as exc:  # mido raises OSError, EOFError, ValueError, KeyError, ...
        raise UserError(f"cannot read MIDI file {path}: {exc or type(exc).__name__}") from None

    now = 0.0
    sounding: dict[tuple[int, int], float] = {}  # (channel, pitch) -> start time
    intervals: list[tuple[float, float, int]] = []
    for msg in messages:
        now += msg.time
        if msg.type not in ("note_on", "note_off"):
            continue
        if not LOWEST_PITCH <= msg.note <= HIGHEST_PITCH:
            continue
        key = (msg.channel, msg.note)
        if key in sounding:  # a note-off, or a re-struck note, ends the sounding one
            intervals.append((sounding.pop(key), now, msg.note - KEY_OFFSET))
        if msg.type == "note_on" and msg.velocity > 0:
            sounding[key] = now
    for (_, pitch), start in sounding.items():  # still held when the file ends
        intervals.append((start, now, pitch - KEY_OFFSET))
    return intervals, now


def melody_keys(path: Path, step_s: float = 0.4) -> np.ndarray:
    """The melody of a MIDI file as int64 piano keys, one per `step_s` seconds.

    Tracks are merged and timed in seconds by mido (tempo changes honoured, 120 bpm until the
    first set_tempo). A note sounds from its note_on (velocity > 0) until the next note_off or
    velocity-0 note_on of the same channel and pitch (a repeated note_on restarts it), or until
    the end of the file. Samples are taken at t = 0, step_s, 2*step_s, ... for every t before the
    file's end (the time of its last message, end_of_track included). A note sounds at t when it
    started at or before t and has not ended at t: a note ending exactly at t does not sound, one
    starting exactly at t does (comparisons allow 1e-6 s of float slack).

    Each sample is the highest sounding pitch as a piano key, pitch - 20 (A0 = 21 -> 1,
    C8 = 108 -> 88), or 0 (rest) when nothing sounds. Notes outside 21..108 are ignored.
    An unreadable file raises UserError."""
    path = Path(path)
    _check_step(step_s)
    intervals, length = _note_intervals(path)
    n = max(0, math.ceil((length - EPS) / step_s))
    while n > 0 and (n - 1) * step_s >= length - EPS:  # guard the ceil against float noise
        n -= 1
    keys = np.zeros(n, dtype=np.int64)
    for start, end, key in intervals:
        # Samples k with start <= k*step + EPS < end.
        first = max(0, math.ceil((start - EPS) / step_s))
        stop = min(n, math.ceil((end - EPS) / step_s))
        if first < stop:
            np.maximum(keys[first:stop], key, out=keys[first:stop])
    return keys


def _check_keys(keys: Sequence[int] | np.ndarray) -> np.ndarray:
    arr = np.asarray(keys)
    if arr.ndim != 1:
        raise UserError(f"keys must be one sequence (got an array of shape {arr.shape})")
    if (
        arr.size
        and not np.issubdtype(arr.dtype, np.integer)
        and not np.all(np.equal(np.mod(arr, 1), 0))
    ):
        raise UserError("keys must be whole numbers")
    arr = arr.astype(np.int64)
    if arr.size and (arr.min() < REST or arr.max() > N_KEYS):
        raise UserError(f"keys must lie in 0..{N_KEYS} (got {int(arr.min())}..{int(arr.max())})")
    return arr


def keys_to_midi(
    keys: Sequence[int] | np.ndarray,
    path: str | Path,
    step_s: float = 0.4,
    velocity: int = 80,
    program: int = 0,
) -> Path:
    """Write piano keys as a playable one-track MIDI file (type 0, 120 bpm, 480 ticks per beat).

    Each run of equal non-zero keys becomes one note (pitch = key + 20) lasting the run; 0 is
    silence. Times are rounded down to whole ticks (1/960 s) and the file ends at
    len(keys) * step_s, so `melody_keys(path, step_s)` gives `keys` back whenever step_s is at
    least a few ticks (e.g. >= 0.01 s). Returns the path written."""
    arr = _check_keys(keys)
    _check_step(step_s)
    if step_s * TICKS_PER_SECOND < 2:
        raise UserError(f"step_s must be at least 2 MIDI ticks ({2 / TICKS_PER_SECOND} s)")
    if not 1 <= velocity <= 127:
        raise UserError(f"velocity must be in 1..127 (got {velocity})")
    if not 0 <= program <= 127:
        raise UserError(f"program must be in 0..127 (got {program})")

    def tick(k: int) -> int:
        # Round down (with slack for float noise) so a note never starts after its first sample.
        return int(math.floor(k * step_s * TICKS_PER_SECOND + 1e-6))

    events: list[tuple[int, mido.Message]] = []  # (absolute tick, message), in time order
    k = 0
    while k < len(arr):
        j = k
        while j < len(arr) and arr[j] == arr[k]:
            j += 1
        if arr[k] != REST:
            pitch = int(arr[k]) + KEY_OFFSET
            events.append((tick(k), mido.Message("note_on", note=pitch, velocity=velocity)))
            events.append((tick(j), mido.Message("note_off", note=pitch, velocity=0)))
        k = j

    track = mido.MidiTrack()
    track.append(mido.MetaMessage("set_tempo", tempo=TEMPO, time=0))
    track.append(mido.Message("program_change", program=program, time=0))
    now = 0
    for at, msg in events:
        track.append(msg.copy(time=at - now))
        now = at
    track.append(mido.MetaMessage("end_of_track", time=tick(len(arr)) - now))
    midi = mido.MidiFile(type=0, ticks_per_beat=TICKS_PER_BEAT)
    midi.tracks.append(track)
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        midi.save(path)
    except OSError as exc:
        raise UserError(f"cannot write MIDI file {path}: {exc.strerror or exc}") from None
    return path


def _check_args(seq_len: int, step_s: float, test_fraction: float) -> None:
    if not isinstance(seq_len, int) or seq_len < 2:
        raise UserError(f"seq_len must be an integer >= 2 (got {seq_len!r})")
    _check_step(step_s)
    if not 0 <= test_fraction < 1:
        raise UserError(f"test_fraction must be in [0, 1) (got {test_fraction})")


def midi_files(midi_dir: Path) -> list[Path]:
    """The *.mid / *.midi files (any case) directly in midi_dir, sorted by name."""
    midi_dir = Path(midi_dir)
    if not midi_dir.exists():
        raise UserError(f"MIDI directory not found: {midi_dir}")
    if not midi_dir.is_dir():
        raise UserError(f"{midi_dir} is not a directory")
    files = sorted(
        (p for p in midi_dir.iterdir() if p.suffix.lower() in MIDI_SUFFIXES and p.is_file()),
        key=lambda p: p.name,
    )
    if not files:
        raise UserError(f"no MIDI file (*.mid, *.midi) in {midi_dir}")
    return files


def windows(keys: np.ndarray, seq_len: int) -> np.ndarray:
    """(len(keys) // seq_len, seq_len) consecutive non-overlapping windows; the rest is dropped."""
    n = len(keys) // seq_len
    return np.asarray(keys[: n * seq_len], dtype=np.int64).reshape(n, seq_len)


def prepare_music(
    midi_dir: Path,
    out: Path,
    seq_len: int = 32,
    step_s: float = 0.4,
    test_fraction: float = 0.1,
    seed: int = 88,
) -> dict:
    """Turn a directory of MIDI tunes into train/test tables of seq_len piano-key windows.

    Every *.mid / *.midi file (sorted by name) is read with `melody_keys`; a file that cannot be
    parsed, or whose samples are all rests, is skipped and listed in the statistics. Each tune is
    cut into consecutive non-overlapping windows of seq_len keys (a shorter remainder is
    dropped; a tune shorter than seq_len gives none and is not used). The split is by tune, so
    no tune has windows in both parts: a permutation by numpy.random.default_rng(seed) sends
    round(test_fraction * tunes) tunes to test, at least one when test_fraction > 0 and there
    are >= 2 tunes (see tasks.text.split_indices). The vocabulary is fixed: 89 tokens, 0 = rest,
    1..88 = piano keys; rows are fixed-length, so there is no pad or end token.

    Everything is computed before anything is written, and vocab.json (the marker of prepared
    data) is written last, so a refused or failed call never damages an earlier preparation.
    Returns the statistics also written to out/prepare.json."""
    midi_dir, out = Path(midi_dir), Path(out)
    _check_args(seq_len, step_s, test_fraction)
    if (out / "vocab.json").exists():
        raise UserError(
            f"{out} already holds prepared data ({out / 'vocab.json'}); choose another out"
        )
    if out.exists() and not out.is_dir():
        raise UserError(f"output {out} exists and is not a directory")

    files = midi_files(midi_dir)
    skipped: list[dict[str, str]] = []
    names: list[str] = []
    tunes: list[np.ndarray] = []
    too_short: list[str] = []
    for path in files:
        try:
            keys = melody_keys(path, step_s)
        except UserError as exc:
            reason = str(exc)
        else:
            if np.any(keys != REST):
                if len(keys) < seq_len:
                    too_short.append(path.name)
                else:
                    names.append(path.name)
                    tunes.append(keys)
                continue
            reason = f"no piano note (MIDI pitch {LOWEST_PITCH}..{HIGHEST_PITCH}) at any sample"
        log.warning("skipping %s: %s", path, reason)
        skipped.append({"file": path.name, "reason": reason})
    if not tunes:
        raise UserError(
            f"no usable tune in {midi_dir}: {len(files)} MIDI files, {len(skipped)} skipped, "
            f"{len(too_short)} shorter than seq_len={seq_len} samples of {step_s} s"
        )

    train_idx, test_idx = split_indices(len(tunes), test_fraction, seed)
    empty = np.zeros((0, seq_len), dtype=np.int64)
    train_rows = np.concatenate([empty, *(windows(tunes[i], seq_len) for i in train_idx)])
    test_rows = np.concatenate([empty, *(windows(tunes[i], seq_len) for i in test_idx)])

    all_rows = np.concatenate([train_rows, test_rows])
    histogram = np.bincount(all_rows.reshape(-1), minlength=TOKENS)
    played = np.flatnonzero(histogram[1:]) + 1
    if not len(played):  # possible only when every note falls in a dropped remainder
        raise UserError(f"no usable tune in {midi_dir}: every window is a rest")
    stats = {
        "source": str(midi_dir),
        "source_sha256": fingerprint(midi_dir, files),  # the paper's or not (tasks/sources.py)
        "seq_len": seq_len,
        "step_s": step_s,
        "test_fraction": test_fraction,
        "seed": seed,
        "files_read": len(files),
        "skipped_count": len(skipped),
        "skipped": skipped,
        "too_short": too_short,  # readable tunes with fewer than seq_len samples
        "tunes_train": len(train_idx),
        "tunes_test": len(test_idx),
        "windows_train": len(train_rows),
        "windows_test": len(test_rows),
        "test_files": [names[i] for i in test_idx],
        "key_min": int(played.min()),  # lowest / highest non-rest key in the windows
        "key_max": int(played.max()),
        "rest_fraction": float(histogram[REST] / all_rows.size),
        "key_histogram": histogram.tolist(),  # counts of tokens 0..88 over all windows
    }
    write_prepared(
        out,
        train_rows,
        test_rows,
        stats,
        {
            "kind": "music",
            "tokens": TOKENS,
            "rest": REST,
            "seq_len": seq_len,
            "step_s": step_s,
            "source": str(midi_dir),
        },
    )
    return stats


def pitch_mse(
    generated: Sequence[Sequence[int]] | np.ndarray,
    real: Sequence[Sequence[int]] | np.ndarray,
    chunk: int = 1024,
) -> float:
    """Mean squared pitch error of generated key sequences against the nearest real sequence.

    The SeqGAN paper reports an MSE between generated and real pitch sequences without defining
    it; this is our definition: for (N, T) generated keys g and (M, T) real keys r,

        pitch_mse = mean over n of  min over m of  mean over t of (g[n, t] - r[m, t]) ** 2

    i.e. each generated sequence is scored against the real sequence closest to it, and scores
    are averaged. Keys are compared as numbers (a rest is 0). A single 1-D sequence counts as
    N = 1 (or M = 1). Computed in float64 with blocks of at most chunk x chunk pairs, so memory
    stays bounded for large sets; results are exact for integer keys."""
    g = np.atleast_2d(np.asarray(generated, dtype=np.float64))
    r = np.atleast_2d(np.asarray(real, dtype=np.float64))
    if g.ndim != 2 or r.ndim != 2:
        raise UserError(f"pitch_mse takes (N, T) arrays (got shapes {g.shape} and {r.shape})")
    if g.shape[0] == 0 or r.shape[0] == 0 or g.shape[1] == 0:
        raise UserError(f"pitch_mse needs non-empty sets (got shapes {g.shape} and {r.shape})")
    if g.shape[1] != r.shape[1]:
        raise UserError(
            f"generated and real sequences differ in length ({g.shape[1]} vs {r.shape[1]})"
        )
    if chunk < 1:
        raise UserError(f"chunk must be >= 1 (got {chunk})")
    g_sq = np.einsum("ij,ij->i", g, g)
    r_sq = np.einsum("ij,ij->i", r, r)
    best = np.full(g.shape[0], np.inf)
    for i in range(0, g.shape[0], chunk):
        gi = g[i : i + chunk]
        for j in range(0, r.shape[0], chunk):
            # sum_t (g - r)^2 = |g|^2 + |r|^2 - 2 g.r, exact in float64 for integer keys.
            d = (
                g_sq[i : i + chunk, None]
                + r_sq[None, j : j + chunk]
                - 2.0 * (gi @ r[j : j + chunk].T)
            )
            np.minimum(best[i : i + chunk], d.min(axis=1), out=best[i : i + chunk])
    return float(np.maximum(best, 0.0).mean() / g.shape[1])
