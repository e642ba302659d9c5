"""Training on prepared text and music (paper §5): the task's metrics, decoding back, the study,
and bad data directories as one clear error."""

import json
import random
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy import stats
from test_cli import main_code, run_cli

from seqgan_ray import config as C
from seqgan_ray import presets as P
from seqgan_ray.core.bleu import BleuScorer, strip_at
from seqgan_ray.core.tables import from_table, read_table
from seqgan_ray.driver.rundir import read_metrics
from seqgan_ray.studies.experiment import PAPER_REAL, render_results
from seqgan_ray.studies.sample_checks import checks, render_checks
from seqgan_ray.tasks.corpus import read_data_config
from seqgan_ray.tasks.music import keys_to_midi, melody_keys, pitch_mse
from seqgan_ray.tasks.text import detokenize, load_vocab

IN_PROCESS = ("--no-progress", "--no-ray")
WORDS = [
    "the",
    "cat",
    "dog",
    "sat",
    "on",
    "a",
    "mat",
    "ran",
    "far",
    "away",
    "home",
    "big",
    "small",
    "red",
    "blue",
]


@pytest.fixture(scope="module")
def text_data(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("text")
    rng = random.Random(0)
    lines = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 8))) for _ in range(240)]
    (root / "corpus.txt").write_text("\n".join(lines) + "\n")
    args = ("--out", root / "data", "--tokenizer", "space", "--seq-len", "10")
    assert main_code("prepare", "text", root / "corpus.txt", *args) == 0  # as the README does
    return root / "data"


@pytest.fixture(scope="module")
def music_data(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("music")
    (root / "midi").mkdir()
    rng = np.random.default_rng(0)
    for i in range(12):  # 12 tunes of 24..40 steps over a few keys around middle C
        keys = 40 + rng.integers(0, 8, size=24 + 2 * i)
        keys[rng.random(len(keys)) < 0.1] = 0
        keys_to_midi(keys, root / "midi" / f"tune{i:02d}.mid")
    args = ("--out", root / "data", "--seq-len", "8", "--test-fraction", "0.25")
    assert main_code("prepare", "music", root / "midi", *args) == 0
    return root / "data"


@pytest.fixture(scope="module")
def text_run(text_data, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "text"
    code = main_code("train", "text", text_data, "--preset", "text-tiny", "--out", out, *IN_PROCESS)
    assert code == 0
    return out


def test_filter_table_is_table_5_at_t20_and_keeps_its_shape_elsewhere():
    assert P.filter_table(20) == (C.PAPER_FILTER_SIZES, C.PAPER_NUM_FILTERS)
    sizes, counts = P.filter_table(32)
    assert sizes == (*range(1, 11), 16, 32) and counts == (*C.PAPER_NUM_FILTERS[:10], 160, 160)
    assert P.filter_table(6) == (tuple(range(1, 7)), C.PAPER_NUM_FILTERS[:6])
    assert P.filter_table(32, 0.25)[1] == tuple(round(c / 4) for c in counts)


def test_a_data_preset_binds_to_the_directory(text_data, music_data):
    vocab = load_vocab(text_data)
    cfg = P.data_preset("poems-cpu", "text").bind(read_data_config("text", text_data))
    t = cfg.task
    assert (t.kind, t.vocab_size, t.seq_len, t.num_train) == ("text", len(vocab), 10, 216)
    assert (t.start_token, t.end_token, t.pad_token) == (vocab.start, vocab.end, vocab.pad)
    assert max(cfg.discriminator.filter_sizes) == 10 and t.bleu_orders == (2,)
    assert C.RunConfig.from_dict(json.loads(cfg.to_json())) == cfg  # run configs round-trip
    music = P.data_preset("nottingham", "music").bind(read_data_config("music", music_data))
    assert (music.task.vocab_size, music.task.end_token, music.task.seq_len) == (89, None, 8)
    with pytest.raises(C.ConfigError, match="unknown music preset 'poems'"):
        P.data_preset("poems", "music")


def test_train_text_logs_bleu_against_the_whole_test_split(text_run, text_data):
    rows = read_metrics(text_run / "metrics.jsonl")
    evals = [r for r in rows if "eval/bleu2" in r]
    assert evals and all("eval/nll_test" in r for r in evals)
    assert {r["phase"] for r in evals} == {"mle", "adversarial"}
    # The final BLEU-2 is the mean over the final samples, each against every test sequence.
    final = [r for r in rows if r["phase"] == "final"][-1]
    samples = np.loadtxt(text_run / "samples.txt", dtype=np.int64)
    assert len(samples) == P.DATA_PRESETS["text-tiny"].schedule.test_samples
    test = from_table(read_table(text_data / "test.arrow")).numpy()
    end = load_vocab(text_data).end
    scorer = BleuScorer(strip_at(test, end), n=2)
    per_seq = np.load(text_run / "final_bleu2.npy")
    assert per_seq == pytest.approx(scorer.scores(strip_at(samples, end)), abs=1e-12)
    assert final["final/bleu2"] == pytest.approx(per_seq.mean(), abs=1e-12)
    assert 0.0 < final["final/bleu2"] < 1.0
    lengths = [len(h) for h in strip_at(samples, end)]  # tokens before <end>
    assert final["final/length"] == pytest.approx(np.mean(lengths))


def test_sample_prints_detokenized_text_reproducibly(text_run, text_data, capsys):
    code, out, err = run_cli(capsys, "sample", text_run, "-n", "7", "--seed", "3")
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == 7
    # Words of the corpus (an undertrained G may pick <unk>), never <pad>, <start> or <end>.
    assert all(set(line.split()) <= {*WORDS, "<unk>"} for line in lines)
    assert run_cli(capsys, "sample", text_run, "-n", "7", "--seed", "3")[1] == out
    vocab = load_vocab(text_data)
    assert detokenize([vocab.ids["red"], vocab.ids["cat"], vocab.end, 0], vocab) == "red cat"


def test_train_music_reports_bleu4_and_pitch_mse_and_samples_midi(music_data, tmp_path, capsys):
    out = tmp_path / "music"
    assert (
        main_code("train", "music", music_data, "--preset", "music-tiny", "--out", out, *IN_PROCESS)
        == 0
    )
    final = [r for r in read_metrics(out / "metrics.jsonl") if r["phase"] == "final"][-1]
    assert {"final/bleu4", "final/mse", "final/nll_test"} <= set(final)
    # Both are computed from the final samples against the whole test split (recomputed here).
    samples = np.loadtxt(out / "samples.txt", dtype=np.int64)
    test = from_table(read_table(music_data / "test.arrow")).numpy()
    assert final["final/mse"] == pytest.approx(pitch_mse(samples, test), rel=1e-12)
    per_seq = np.load(out / "final_bleu4.npy")
    scorer = BleuScorer(strip_at(test, None), n=4)  # melodies have no end token
    assert per_seq == pytest.approx(scorer.scores(strip_at(samples, None)), abs=1e-12)
    assert final["final/bleu4"] == pytest.approx(per_seq.mean(), abs=1e-12)
    code, stdout, err = run_cli(capsys, "sample", out, "-n", "3", "--out", tmp_path / "mid")
    assert code == 0, err
    files = sorted((tmp_path / "mid").glob("*.mid"))
    assert len(files) == 3 and "wrote 3 MIDI files" in stdout
    for f in files:  # each file plays back as an 8-step key sequence (trailing rests trimmed)
        keys = melody_keys(f)
        assert 1 <= len(keys) <= 8 and ((keys == 0) | ((keys >= 1) & (keys <= 88))).all()


def test_experiment_text_compares_seqgan_and_mle_on_per_sequence_bleu(text_data, tmp_path):
    out = tmp_path / "exp"
    args = ("experiment", "text", text_data, "--preset", "text-tiny", "--out", out, "--jobs", "2")
    assert main_code(*args, "--frontier", "--temperatures", "0.8,1.0") == 0
    results = json.loads((out / "results.json").read_text())
    assert set(results["methods"]) == {"seqgan", "mle"}
    assert results["metric"] == {"key": "bleu2", "label": "BLEU-2", "higher": True}
    a, b = np.load(out / "seqgan" / "final_bleu2.npy"), np.load(out / "mle" / "final_bleu2.npy")
    ref = stats.ttest_ind(a, b, equal_var=False).pvalue
    assert results["t_tests_vs_seqgan"]["mle"]["p"] == pytest.approx(ref)
    assert (out / "results.md").read_text() == render_results(results)
    frontier = json.loads((out / "frontier.json").read_text())
    for points in frontier["curves"].values():
        assert [p["temperature"] for p in points] == [0.8, 1.0]
        assert all({"bleu2", "nll_test"} <= set(p) for p in points)
    assert (out / "frontier.png").read_bytes()[:4] == b"\x89PNG"
    # The checks BLEU does not see, recounted from each run's samples.txt as lines of text
    checks = results["checks"]
    assert set(checks) == {"pretrain", "seqgan", "mle", "test split"}
    end = str(load_vocab(text_data).end)

    def line(tokens: list[str]) -> str:  # the tokens before <end>, as one string
        return " ".join(tokens[: tokens.index(end)] if end in tokens else tokens)

    split = {s: {line(list(map(str, row))) for row in
                 from_table(read_table(text_data / f"{s}.arrow")).tolist()} for s in ("train", "test")}  # fmt: skip
    for m in ("pretrain", "seqgan", "mle"):
        lines = [line(x.split()) for x in (out / m / "samples.txt").read_text().splitlines()]
        lengths = [len(x.split()) for x in lines]
        assert checks[m] == pytest.approx({
            "n": len(lines), "length": np.mean(lengths), "short": np.mean([n <= 5 for n in lengths]),
            "distinct": len(set(lines)) / len(lines),
            "in_train": np.mean([x in split["train"] for x in lines]),
            "in_test": np.mean([x in split["test"] for x in lines]),
            "top_token": np.mean([Counter(x.split()).most_common(1)[0][1] / len(x.split())
                               for x in lines if x]),
        })  # fmt: skip
    assert checks["test split"]["in_test"] == 1.0
    # run again on a copy of the data directory elsewhere (a seed banked on another machine):
    # its runs are taken as they are, nothing is trained again
    moved = tmp_path / "elsewhere" / text_data.name
    shutil.copytree(text_data, moved)
    mtimes = {f: f.stat().st_mtime_ns for f in out.rglob("metrics.jsonl")}
    assert main_code("experiment", "text", moved, *args[3:], "--frontier", "--temperatures", "0.8,1.0") == 0  # fmt: skip
    assert {f: f.stat().st_mtime_ns for f in out.rglob("metrics.jsonl")} == mtimes
    again = json.loads((out / "results.json").read_text())
    assert again["methods"] == results["methods"]


def test_sample_checks_count_a_hand_case():
    rows = [(1, 2), (1, 2), (3,), (4, 4, 4, 4, 8, 9), ()]
    found = checks(rows, train={(1, 2), (7,)}, test={(3,)})
    # top token: 1/2, 1/2, 1, 4/6 over the four non-empty rows (one note held = 1.0)
    assert found == pytest.approx({"n": 5, "length": 2.2, "short": 0.8, "distinct": 0.8,
                                   "in_train": 0.4, "in_test": 0.2, "top_token": (0.5 + 0.5 + 1 + 4 / 6) / 4})  # fmt: skip


def test_checks_of_a_seed_banked_before_the_top_token_share_render_as_a_dash():
    old = {
        "pretrain": {"length": 20.0, "short": 0.0, "distinct": 1.0, "in_train": 0.0, "in_test": 0.0}
    }
    new = {"pretrain": {**old["pretrain"], "top_token": 0.25}}
    lines = render_checks({"88": old, "89": new})
    assert (
        lines[-1]
        == "| pre-trained G | 20.0 / 20.0 | 0.0 % / 0.0 % | 100.0 % / 100.0 % | 0.0 % / 0.0 % | 0.0 % / 0.0 % | – / 25.0 % |"
    )
    assert "banked before it was counted" in lines[1]
    assert "banked before" not in render_checks({"89": new})[1]


def test_paper_numbers_stand_beside_ours_in_a_real_data_table():
    row = {"label": "SeqGAN", "bleu2": 0.7, "std": 0.1, "n": 10, "final": {"nll_test": 3.0}}
    results = {
        "title": "Chinese poems",
        "metric": {"key": "bleu2", "label": "BLEU-2", "higher": True},
        "methods": {"seqgan": {**row, "paper": {"bleu2": PAPER_REAL["poems"]["bleu2"]["seqgan"]}}},
        "t_tests_vs_seqgan": {},
        "pretrain_epochs": 1,
    }
    table = render_results(results)
    assert "# Chinese poems: BLEU-2 (higher is better)" in table
    assert "| SeqGAN | 0.700 | 0.100 | 0.739 | – | 3.000 |" in table


def test_bad_data_directories_exit_2_with_one_message(text_data, music_data, tmp_path, capsys):
    cases = [
        (tmp_path / "missing", "data directory not found"),
        (tmp_path, "holds no prepared data"),
    ]
    for data, message in cases:
        code, _, err = run_cli(capsys, "train", "text", data, "--no-ray")
        assert code == 2 and message in err and "Traceback" not in err
    code, _, err = run_cli(capsys, "train", "music", text_data, "--no-ray")
    assert code == 2 and "holds text data, not music" in err
    broken = tmp_path / "broken"
    broken.mkdir()
    for f in ("vocab.json", "test.arrow"):
        (broken / f).write_bytes((text_data / f).read_bytes())
    (broken / "train.arrow").write_bytes(b"not arrow")
    code, _, err = run_cli(capsys, "train", "text", broken, "--no-ray")
    assert code == 2 and "not a readable Arrow token file" in err
    assert not (Path("runs").exists() and any(Path("runs").glob("text-poems-*")))


def test_tokens_outside_the_vocabulary_are_refused(text_data, tmp_path):
    from seqgan_ray.core.tables import to_table, write_table
    from seqgan_ray.errors import UserError

    bad = tmp_path / "bad"
    bad.mkdir()
    for f in ("vocab.json", "test.arrow"):
        (bad / f).write_bytes((text_data / f).read_bytes())
    rows = from_table(read_table(text_data / "train.arrow"))
    rows[0, 0] = 10_000
    write_table(to_table(rows), bad / "train.arrow")
    with pytest.raises(UserError, match="token id 10000, outside the vocabulary"):
        read_data_config("text", bad)
    torch.manual_seed(0)


def test_train_text_on_ray_gives_the_in_process_numbers(text_data, tmp_path, capsys, ray_cluster):
    """The learner actor reads the data directory itself; roll-outs of variable-length rows on
    the actor pool give the same run as in one process at the same thread count."""
    base = ("train", "text", text_data, "--preset", "text-tiny", "--no-progress")
    ray_run = (*base, "--out", tmp_path / "ray", "--rollout-workers", "2", "--learner-cpus", "1")
    code, _, err = run_cli(capsys, *ray_run)
    assert code == 0, err
    code, _, err = run_cli(capsys, *base, "--out", tmp_path / "local", "--no-ray", "--threads", "1")
    assert code == 0, err
    rows = [read_metrics(tmp_path / d / "metrics.jsonl") for d in ("ray", "local")]
    strip = [[{k: v for k, v in r.items() if not k.startswith("perf/")} for r in rs] for rs in rows]
    assert strip[0] == strip[1] and any("eval/bleu2" in r for r in strip[0])
    torch.set_num_threads(2)


def test_bad_corpora_exit_2_from_the_cli_with_one_line(tmp_path, capsys):
    (tmp_path / "empty.txt").write_text("\n\n")
    (tmp_path / "binary.txt").write_bytes(b"ok line\n" + bytes(range(128, 256)) + b"\n")
    cases = [
        ("missing.txt", "corpus not found"),
        ("empty.txt", "is empty"),
        ("binary.txt", "line 2 is not valid UTF-8"),
    ]
    for name, message in cases:
        out = tmp_path / f"out-{name}"
        code, _, err = run_cli(capsys, "prepare", "text", tmp_path / name, "--out", out)
        assert code == 2 and message in err, (name, err)
        assert len(err.strip().splitlines()) == 1 and not (out / "vocab.json").exists()
