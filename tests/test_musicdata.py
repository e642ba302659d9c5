import json
from pathlib import Path

import mido
import numpy as np
import pytest

from seqgan_ray.core.tables import from_table, read_table
from seqgan_ray.errors import UserError
from seqgan_ray.tasks.music import keys_to_midi, melody_keys, pitch_mse, prepare_music

NOTTINGHAM = Path(__file__).resolve().parents[2] / "shared/data/nottingham/midi"

# At the default 120 bpm with 480 ticks per beat a second is 960 ticks.
TPS = 960


def write_midi(path: Path, tracks: list[list[tuple[int, mido.Message]]]) -> Path:
    """Tracks of (absolute tick, message) -> a type 1 MIDI file (ticks_per_beat 480)."""
    midi = mido.MidiFile(type=1, ticks_per_beat=480)
    for events in tracks:
        track = mido.MidiTrack()
        now = 0
        for at, msg in sorted(events, key=lambda e: e[0]):
            track.append(msg.copy(time=at - now))
            now = at
        midi.tracks.append(track)
    midi.save(path)
    return path


def on(pitch: int, channel: int = 0, velocity: int = 64) -> mido.Message:
    return mido.Message("note_on", note=pitch, channel=channel, velocity=velocity)


def off(pitch: int, channel: int = 0) -> mido.Message:
    return mido.Message("note_off", note=pitch, channel=channel)


def rows(out: Path, split: str) -> list[list[int]]:
    return from_table(read_table(out / f"{split}.arrow")).tolist()


def snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


# --- melody_keys ------------------------------------------------------------------------------


def test_melody_takes_the_highest_note_rests_are_zero_and_edges_are_half_open(tmp_path):
    s = TPS // 2  # one sample step of 0.5 s
    path = write_midi(
        tmp_path / "m.mid",
        [
            [
                (0, on(60)), (3 * s, off(60)),  # key 40 for 0..1.5 s
                (1 * s, on(64)), (2 * s, on(64, velocity=0)),  # key 44, ended by velocity 0
                (0, on(110)), (5 * s, off(110)),  # above C8: ignored though highest
                (3 * s, on(10)), (4 * s, off(10)),  # below A0: ignored, so 1.5 s is a rest
                (4 * s, on(21, channel=1)), (5 * s, off(21, channel=1)),  # A0 = key 1
                (5 * s, on(108)), (6 * s, off(108)),  # C8 = key 88, the file ends at 3.0 s
            ]
        ],
    )  # fmt: skip
    # t=0.5: 64 starts exactly there (sounds); t=1.0: 64 ends exactly there (does not sound).
    assert melody_keys(path, step_s=0.5).tolist() == [40, 44, 40, 0, 1, 88]
    assert melody_keys(path, step_s=0.5).dtype == np.int64


def test_note_off_ends_only_its_own_channel_and_held_notes_last_to_the_end(tmp_path):
    path = write_midi(
        tmp_path / "m.mid",
        [
            [(0, on(72, channel=0)), (TPS, off(72, channel=0))],
            [(TPS // 2, on(72, channel=1)), (2 * TPS, on(50, channel=2))],  # never released
            [(3 * TPS, mido.MetaMessage("end_of_track"))],
        ],
    )
    # 72 on channel 1 sounds until the file ends at 3.0 s; 50 (key 30) starts at 2.0 s.
    assert melody_keys(path, step_s=1.0).tolist() == [52, 52, 52]


def test_tempo_changes_are_honoured(tmp_path):
    path = write_midi(
        tmp_path / "m.mid",
        [
            [(TPS, mido.MetaMessage("set_tempo", tempo=250_000))],  # 240 bpm from 1.0 s on
            [(0, on(69)), (TPS, off(69)), (TPS, on(71)), (2 * TPS, off(71))],
        ],
    )
    # The second 960 ticks last 0.5 s, so the file ends at 1.5 s (not 2.0 s at 120 bpm).
    assert melody_keys(path, step_s=0.5).tolist() == [49, 49, 51]
    assert melody_keys(path, step_s=0.25).tolist() == [49, 49, 49, 49, 51, 51]


def test_unreadable_file_and_bad_step_are_user_errors(tmp_path):
    bad = tmp_path / "bad.mid"
    bad.write_bytes(b"not a midi file at all")
    with pytest.raises(UserError, match="cannot read MIDI file"):
        melody_keys(bad)
    with pytest.raises(UserError, match="MIDI file not found"):
        melody_keys(tmp_path / "missing.mid")
    good = keys_to_midi([1, 2], tmp_path / "good.mid")
    with pytest.raises(UserError, match="step_s must be a positive"):
        melody_keys(good, step_s=0)


# --- keys_to_midi -----------------------------------------------------------------------------


@pytest.mark.parametrize("step_s", [0.4, 0.1, 1 / 3, 0.05])
def test_keys_round_trip_through_midi(tmp_path, step_s):
    rng = np.random.default_rng(7)
    for i in range(20):
        keys = rng.integers(0, 89, size=int(rng.integers(1, 40)))
        keys[rng.random(len(keys)) < 0.3] = 0
        keys[rng.random(len(keys)) < 0.3] = 5  # runs of equal keys
        keys[-1] = rng.integers(1, 89)
        path = keys_to_midi(keys, tmp_path / f"{i}.mid", step_s=step_s)
        assert melody_keys(path, step_s=step_s).tolist() == keys.tolist()


def test_each_run_is_one_note_at_120_bpm(tmp_path):
    path = keys_to_midi([0, 3, 3, 3, 0, 88, 1], tmp_path / "x.mid", velocity=90, program=41)
    midi = mido.MidiFile(path)
    assert (midi.type, midi.ticks_per_beat, len(midi.tracks)) == (0, 480, 1)
    msgs = list(midi)
    notes = [(m.note, m.velocity) for m in msgs if m.type == "note_on" and m.velocity > 0]
    assert notes == [(23, 90), (108, 90), (21, 90)]
    assert [m.program for m in msgs if m.type == "program_change"] == [41]
    assert midi.length == pytest.approx(7 * 0.4)
    with pytest.raises(UserError, match="keys must lie in 0..88"):
        keys_to_midi([1, 89], tmp_path / "y.mid")
    with pytest.raises(UserError, match="one sequence"):
        keys_to_midi([[1, 2]], tmp_path / "y.mid")


# --- prepare_music ----------------------------------------------------------------------------

LENGTHS = {"a.mid": 9, "b.mid": 8, "c.midi": 13, "d.mid": 4, "E.MID": 6}  # windows 2,2,3,1,1


def tune(index: int, length: int) -> np.ndarray:
    """Keys 10*index+1 .. 10*index+5 cycling, so every window names its tune."""
    return 10 * index + 1 + np.arange(length) % 5


def music_dir(tmp_path: Path) -> Path:
    d = tmp_path / "midi"
    d.mkdir()
    for i, (name, length) in enumerate(LENGTHS.items()):
        keys_to_midi(tune(i, length), d / name)
    (d / "bad.mid").write_bytes(np.random.default_rng(0).bytes(200))
    (d / "notes.txt").write_text("not music")
    return d


def expected_windows(name: str, seq_len: int) -> list[list[int]]:
    i = list(LENGTHS).index(name)
    keys = tune(i, LENGTHS[name])
    n = len(keys) // seq_len
    return keys[: n * seq_len].reshape(n, seq_len).tolist()


def test_prepare_music_skips_the_corrupt_file_and_cuts_windows(tmp_path):
    src, out = music_dir(tmp_path), tmp_path / "out"
    stats = prepare_music(src, out, seq_len=4, test_fraction=0.4, seed=3)

    assert stats["files_read"] == 6
    assert stats["skipped_count"] == 1
    assert [s["file"] for s in stats["skipped"]] == ["bad.mid"]
    assert "cannot read MIDI file" in stats["skipped"][0]["reason"]
    assert (stats["tunes_train"], stats["tunes_test"]) == (3, 2)
    assert stats["windows_train"] + stats["windows_test"] == 9

    # Each split holds exactly the windows of its tunes, in file-name order.
    test_files = stats["test_files"]
    train_files = [n for n in sorted(LENGTHS) if n not in test_files]
    assert len(test_files) == 2 and set(test_files) < set(LENGTHS)
    assert rows(out, "test") == [w for n in sorted(test_files) for w in expected_windows(n, 4)]
    assert rows(out, "train") == [w for n in train_files for w in expected_windows(n, 4)]
    assert stats["windows_test"] == len(rows(out, "test"))

    every_key = [k for n in LENGTHS for w in expected_windows(n, 4) for k in w]
    assert (stats["key_min"], stats["key_max"]) == (min(every_key), max(every_key))
    assert stats["key_histogram"] == np.bincount(every_key, minlength=89).tolist()
    assert json.loads((out / "prepare.json").read_text()) == stats
    assert json.loads((out / "vocab.json").read_text()) == {
        "kind": "music",
        "tokens": 89,
        "rest": 0,
        "seq_len": 4,
        "step_s": 0.4,
        "source": str(src),
    }


def test_prepare_music_split_is_by_tune_and_reproducible(tmp_path):
    src = music_dir(tmp_path)
    first = prepare_music(src, tmp_path / "o1", seq_len=4, test_fraction=0.4, seed=11)
    again = prepare_music(src, tmp_path / "o2", seq_len=4, test_fraction=0.4, seed=11)
    assert first == again
    assert snapshot(tmp_path / "o1") == snapshot(tmp_path / "o2")

    test_sets = set()
    for seed in range(6):
        stats = prepare_music(src, tmp_path / f"s{seed}", seq_len=4, test_fraction=0.4, seed=seed)
        test_sets.add(tuple(stats["test_files"]))
    assert len(test_sets) > 1  # the seed matters
    for seed in range(6):  # no window of a test tune is in train
        train, test = rows(tmp_path / f"s{seed}", "train"), rows(tmp_path / f"s{seed}", "test")
        assert not {w[0] // 10 for w in train} & {w[0] // 10 for w in test}


def test_prepare_music_small_fraction_still_tests_one_tune_and_zero_tests_none(tmp_path):
    src = music_dir(tmp_path)
    stats = prepare_music(src, tmp_path / "o1", seq_len=4, test_fraction=0.01)
    assert (stats["tunes_train"], stats["tunes_test"]) == (4, 1)
    stats = prepare_music(src, tmp_path / "o2", seq_len=4, test_fraction=0.0)
    assert (stats["tunes_train"], stats["tunes_test"], stats["windows_train"]) == (5, 0, 9)
    assert rows(tmp_path / "o2", "test") == []


def test_prepare_music_leaves_out_tunes_shorter_than_seq_len(tmp_path):
    stats = prepare_music(music_dir(tmp_path), tmp_path / "out", seq_len=7, test_fraction=0)
    assert stats["too_short"] == ["E.MID", "d.mid"]
    assert (stats["tunes_train"], stats["windows_train"]) == (3, 3)  # 9, 8, 13 keys -> 1, 1, 1
    assert rows(tmp_path / "out", "train") == [
        *expected_windows("a.mid", 7), *expected_windows("b.mid", 7), *expected_windows("c.midi", 7)
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"seq_len": 1}, "seq_len must be an integer >= 2"),
        ({"step_s": 0}, "step_s must be a positive"),
        ({"step_s": -0.4}, "step_s must be a positive"),
        ({"test_fraction": 1.0}, r"test_fraction must be in \[0, 1\)"),
        ({"test_fraction": -0.1}, r"test_fraction must be in \[0, 1\)"),
    ],
)
def test_prepare_music_rejects_bad_arguments(tmp_path, kwargs, message):
    with pytest.raises(UserError, match=message):
        prepare_music(music_dir(tmp_path), tmp_path / "out", **kwargs)
    assert not (tmp_path / "out").exists()


def test_prepare_music_directory_errors(tmp_path):
    with pytest.raises(UserError, match="MIDI directory not found"):
        prepare_music(tmp_path / "missing", tmp_path / "out")
    (tmp_path / "file.mid").write_bytes(b"")
    with pytest.raises(UserError, match="is not a directory"):
        prepare_music(tmp_path / "file.mid", tmp_path / "out")
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "readme.txt").write_text("no music here")
    with pytest.raises(UserError, match=r"no MIDI file \(\*.mid, \*.midi\)"):
        prepare_music(empty, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_prepare_music_without_a_usable_tune_is_an_error(tmp_path):
    only_bad = tmp_path / "bad"
    only_bad.mkdir()
    (only_bad / "bad.mid").write_bytes(b"\x00\x01garbage")
    write_midi(only_bad / "silent.mid", [[(0, on(10)), (TPS, off(10))]])  # only below A0
    with pytest.raises(UserError, match="no usable tune .*2 MIDI files, 2 skipped"):
        prepare_music(only_bad, tmp_path / "out")

    short = tmp_path / "short"
    short.mkdir()
    keys_to_midi([1, 2, 3], short / "s.mid")
    with pytest.raises(UserError, match="no usable tune .*1 shorter than seq_len=4"):
        prepare_music(short, tmp_path / "out", seq_len=4)
    assert not (tmp_path / "out").exists()


def test_prepare_music_refuses_prepared_output_and_writes_nothing(tmp_path):
    src, out = music_dir(tmp_path), tmp_path / "out"
    prepare_music(src, out, seq_len=4)
    before = snapshot(out)
    with pytest.raises(UserError, match="already holds prepared data"):
        prepare_music(src, out, seq_len=2, seed=1)
    assert snapshot(out) == before


# --- pitch_mse --------------------------------------------------------------------------------


def test_pitch_mse_hand_computed():
    generated = [[0, 0], [10, 0]]
    real = [[1, 1], [8, 3]]
    # [0,0]: vs [1,1] (1+1)/2 = 1, vs [8,3] (64+9)/2 = 36.5 -> 1
    # [10,0]: vs [1,1] (81+1)/2 = 41, vs [8,3] (4+9)/2 = 6.5 -> 6.5
    assert pitch_mse(generated, real) == pytest.approx((1 + 6.5) / 2)
    assert pitch_mse(real, real) == 0.0
    assert pitch_mse([3, 4, 5], [[3, 4, 7], [0, 0, 0]]) == pytest.approx(4 / 3)


def test_pitch_mse_chunks_agree_with_brute_force():
    rng = np.random.default_rng(5)
    g, r = rng.integers(0, 89, size=(7, 6)), rng.integers(0, 89, size=(5, 6))
    brute = np.mean([min(np.mean((a - b) ** 2) for b in r) for a in g])
    assert pitch_mse(g, r, chunk=2) == pytest.approx(brute, abs=1e-12)
    assert pitch_mse(g, r) == pytest.approx(brute, abs=1e-12)


def test_pitch_mse_rejects_mismatched_or_empty_sets():
    with pytest.raises(UserError, match="differ in length"):
        pitch_mse([[1, 2]], [[1, 2, 3]])
    with pytest.raises(UserError, match="non-empty"):
        pitch_mse(np.zeros((0, 3)), [[1, 2, 3]])


# --- real data --------------------------------------------------------------------------------


@pytest.mark.skipif(not NOTTINGHAM.is_dir(), reason=f"{NOTTINGHAM} not present")
def test_nottingham_tunes_give_piano_keys():
    files = sorted(NOTTINGHAM.glob("*.mid"))[:3]
    assert len(files) == 3
    for path in files:
        keys = melody_keys(path)
        assert len(keys) >= 32
        assert keys.min() >= 0 and keys.max() <= 88
        assert (keys > 0).any()
