"""A user's own corpus is labelled as the user's: tables named after the data directory and the
preset, the paper's numbers only on the paper's own data (by the source's SHA-256 recorded at
prepare time), and general CPU presets that fit any prepared directory."""

import hashlib
import json
import random
import shutil

import numpy as np
import pytest
from conftest import SHARED_DATA
from test_cli import run_cli

from seqgan_ray import presets
from seqgan_ray.studies.experiment import PAPER_REAL, real_data_labels
from seqgan_ray.tasks import main_metric
from seqgan_ray.tasks import sources as P
from seqgan_ray.tasks.corpus import read_data_config
from seqgan_ray.tasks.music import keys_to_midi, prepare_music
from seqgan_ray.tasks.text import prepare_text

CAPTIONS = ["a", "dog", "runs", "on", "the", "beach", "cat", "sleeps", "red", "ball", "grass"]


@pytest.fixture(scope="module")
def captions(tmp_path_factory):
    """A made-up image-caption corpus, prepared."""
    root = tmp_path_factory.mktemp("captions")
    rng = random.Random(1)
    lines = [" ".join(rng.choice(CAPTIONS) for _ in range(rng.randint(3, 7))) for _ in range(200)]
    (root / "captions.txt").write_text("\n".join(lines) + "\n")
    prepare_text(root / "captions.txt", root / "captions", tokenizer="space", seq_len=9)
    return root


def test_prepare_records_the_source_fingerprint(captions):
    stats = json.loads((captions / "captions" / "prepare.json").read_text())
    digest = hashlib.sha256((captions / "captions.txt").read_bytes()).hexdigest()
    assert stats["source_sha256"] == digest
    assert P.paper_dataset(captions / "captions") is None


def test_a_users_corpus_gets_its_own_name_and_no_paper_numbers(captions, tmp_path, capsys):
    """The issue's case: `experiment text DIR --preset poems-cpu` on captions (the tiny preset
    here for speed; the title names whichever preset ran)."""
    assert real_data_labels(captions / "captions", "poems-cpu") == ("captions (poems-cpu)", {})
    out = tmp_path / "exp"
    args = ("experiment", "text", captions / "captions", "--preset", "text-tiny", "--out", out)
    code, _, err = run_cli(capsys, *args, "--jobs", "2", "--no-progress")
    assert code == 0, err
    results = json.loads((out / "results.json").read_text())
    assert results["title"] == "captions (text-tiny)"
    assert all(row["paper"] == {} for row in results["methods"].values())
    table = (out / "results.md").read_text()
    assert table.startswith("# captions (text-tiny): BLEU-2 (higher is better)")
    assert "paper" not in table.splitlines()[2]  # the header has no paper column
    assert "Chinese poems" not in table and "0.739" not in table and "0.667" not in table


def test_the_papers_own_poems_show_the_papers_numbers(tmp_path):
    shi = SHARED_DATA / "chinese_quatrains" / "shi.txt"
    if not shi.exists():
        pytest.skip(f"{shi} is absent")
    shutil.copy(shi, tmp_path / "shi.txt")  # the same bytes anywhere are the paper's poems
    prepare_text(tmp_path / "shi.txt", tmp_path / "poems", tokenizer="space", seq_len=25)
    assert P.paper_dataset(tmp_path / "poems") == "poems"
    title, paper = real_data_labels(tmp_path / "poems", "text-cpu")
    assert title == "Chinese poems (poems, text-cpu)" and paper == PAPER_REAL["poems"]
    # one changed byte is a user's corpus again
    (tmp_path / "edited.txt").write_bytes(shi.read_bytes().replace("。".encode(), b".", 1))
    prepare_text(tmp_path / "edited.txt", tmp_path / "edited", tokenizer="space", seq_len=25)
    assert real_data_labels(tmp_path / "edited", "poems-cpu") == ("edited (poems-cpu)", {})


def test_a_directory_prepared_before_fingerprints_is_judged_by_its_source(captions, tmp_path):
    old = tmp_path / "old"
    shutil.copytree(captions / "captions", old)
    stats = json.loads((old / "prepare.json").read_text())
    del stats["source_sha256"]
    (old / "prepare.json").write_text(json.dumps(stats))
    digest = hashlib.sha256((captions / "captions.txt").read_bytes()).hexdigest()
    P.PAPER_SOURCES[digest] = "poems"  # pretend the captions were the paper's, to see it read
    try:
        assert P.paper_dataset(old) == "poems"
        (old / "prepare.json").write_text(json.dumps({**stats, "source": str(tmp_path / "gone")}))
        assert P.paper_dataset(old) is None
    finally:
        del P.PAPER_SOURCES[digest]


def test_general_cpu_presets_fit_any_prepared_directory(captions, tmp_path):
    cfg = presets.data_preset("text-cpu", "text").bind(
        read_data_config("text", captions / "captions")
    )
    assert cfg.task.seq_len == 9 and cfg.task.bleu_orders == (2, 4)
    assert main_metric(cfg).key == "bleu2"
    assert cfg.schedule == presets.DATA_PRESETS["poems-cpu"].schedule  # the *-cpu schedule
    (tmp_path / "midi").mkdir()
    rng = np.random.default_rng(0)
    for i in range(4):
        keys_to_midi(40 + rng.integers(0, 5, size=40), tmp_path / "midi" / f"t{i}.mid")
    prepare_music(tmp_path / "midi", tmp_path / "tunes", seq_len=16)
    music = presets.data_preset("music-cpu", "music").bind(
        read_data_config("music", tmp_path / "tunes")
    )
    assert music.task.seq_len == 16 and main_metric(music).key == "bleu4"
    assert P.paper_dataset(tmp_path / "tunes") is None
    assert json.loads((tmp_path / "tunes" / "prepare.json").read_text())["source_sha256"]


@pytest.mark.parametrize("paper", [{}, {"bleu2": 0.739}])
def test_a_multi_seed_table_has_a_paper_column_only_with_paper_numbers(paper):
    from seqgan_ray.studies.experiment import render_results

    seed_row = {"bleu2": 0.5, "n": 10}
    row = {"label": "SeqGAN", "paper": paper, "seeds": [seed_row, seed_row]}
    row |= {"mean_of_seeds": 0.5, "ci95": None, "final": {}, "final_ci95": {}}
    results = {
        "title": "captions (text-cpu)",
        "seeds": [1, 2],
        "metric": {"key": "bleu2", "label": "BLEU-2", "higher": True},
        "methods": {"seqgan": row},
        "t_tests_vs_seqgan": {},
    }
    header, _, line = render_results(results).splitlines()[2:5]
    assert ("| paper |" in header) == bool(paper)
    assert header.count("|") == line.count("|")
    assert ("0.739" in line) == bool(paper)
