import json
from pathlib import Path

import pytest

from seqgan_ray.core.tables import from_table, read_table
from seqgan_ray.errors import UserError
from seqgan_ray.tasks import text as textdata
from seqgan_ray.tasks.text import (
    detokenize,
    load_vocab,
    prepare_text,
    split_indices,
    tokenize,
)

PAD, START, END, UNK = 0, 1, 2, 3


def write_corpus(tmp_path: Path, lines: list[str], name: str = "corpus.txt") -> Path:
    path = tmp_path / name
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def rows(out: Path, split: str) -> list[list[int]]:
    return from_table(read_table(out / f"{split}.arrow")).tolist()


def snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


# --- tokenizers -------------------------------------------------------------------------------


def test_char_keeps_inner_spaces_and_punctuation_but_trims_the_edges():
    assert tokenize("  a b,c! ", "char") == ["a", " ", "b", ",", "c", "!"]


def test_space_splits_on_any_whitespace_run():
    assert tokenize(" the  cat\tsat, ok ", "space") == ["the", "cat", "sat,", "ok"]


def test_word_splits_punctuation_keeps_one_inner_apostrophe_and_case():
    line = "Don't stop, O'Neil's dog—now!! 3.5"
    assert tokenize(line, "word") == [
        "Don't", "stop", ",", "O'Neil", "'", "s", "dog", "—", "now", "!", "!", "3", ".", "5",
    ]  # fmt: skip


def test_unknown_tokenizer_is_a_user_error():
    with pytest.raises(UserError, match="tokenizer must be one of char|space|word"):
        tokenize("abc", "bpe")


# --- vocabulary -------------------------------------------------------------------------------


def test_vocabulary_comes_from_the_training_split_only(tmp_path):
    # Every line has its own word: the words of test lines must not enter the vocabulary.
    corpus = write_corpus(tmp_path, [f"w{i} common" for i in range(10)])
    out = tmp_path / "out"
    stats = prepare_text(corpus, out, tokenizer="space", seq_len=4, test_fraction=0.3, seed=1)
    assert (stats["train"], stats["test"]) == (7, 3)

    vocab = load_vocab(out / "vocab.json")
    train_lines = [detokenize(r, vocab) for r in rows(out, "train")]
    assert sorted(vocab.tokens[4:]) == sorted(
        ["common", *(line.split()[0] for line in train_lines)]
    )
    assert vocab.tokens[4] == "common"  # seen 7 times in training, every other word once
    assert all(line.startswith("w") for line in train_lines)
    assert rows(out, "test") == [[UNK, 4, END, PAD]] * 3
    assert stats["test_unk_rate"] == pytest.approx(0.5)
    assert stats["train_unk_rate"] == 0.0


@pytest.mark.parametrize(
    ("max_vocab", "min_count", "expected", "n_unk"),
    [
        (None, 1, ["a", "b", "c", "e", "d"], 0),  # by count, ties by token
        (7, 1, ["a", "b", "c"], 3),  # 7 entries including the 4 specials
        (None, 2, ["a", "b", "c", "e"], 1),
        (6, 2, ["a", "b"], 5),
    ],
)
def test_max_vocab_and_min_count_keep_the_most_frequent_tokens(
    tmp_path, max_vocab, min_count, expected, n_unk
):
    # counts: a 3, b 3, c 2, e 2, d 1
    corpus = write_corpus(tmp_path, ["b a c", "e b a", "d b", "a c e"])
    out = tmp_path / "out"
    stats = prepare_text(
        corpus, out, "space", seq_len=5, max_vocab=max_vocab, min_count=min_count, test_fraction=0
    )
    vocab = load_vocab(out)
    assert vocab.tokens == ("<pad>", "<start>", "<end>", "<unk>", *expected)
    assert stats["vocab_size"] == len(expected) + 4
    assert (vocab.pad, vocab.start, vocab.end, vocab.unk) == (0, 1, 2, 3)
    assert sum(row.count(UNK) for row in rows(out, "train")) == n_unk


def test_corpus_text_spelling_a_special_token_is_unknown(tmp_path):
    corpus = write_corpus(tmp_path, ["<pad> a <end>", "a"])
    out = tmp_path / "out"
    prepare_text(corpus, out, "space", seq_len=5, test_fraction=0)
    assert load_vocab(out).tokens == ("<pad>", "<start>", "<end>", "<unk>", "a")
    assert rows(out, "train") == [[UNK, 4, UNK, END, PAD], [4, END, PAD, PAD, PAD]]


# --- rows: ids, <end>, <pad>, cutting ---------------------------------------------------------


def test_rows_end_then_pad_and_long_lines_are_cut(tmp_path):
    # counts: b 4, a 3, c 2, d 1 -> ids b 4, a 5, c 6, d 7
    corpus = write_corpus(tmp_path, ["ab", "abc", "abcd", "b"])
    out = tmp_path / "out"
    stats = prepare_text(corpus, out, seq_len=4, test_fraction=0)
    assert load_vocab(out).tokens[4:] == ("b", "a", "c", "d")
    assert rows(out, "train") == [
        [5, 4, END, PAD],
        [5, 4, 6, END],
        [5, 4, 6, END],  # "abcd" cut to seq_len - 1 tokens
        [4, END, PAD, PAD],
    ]
    assert rows(out, "test") == []
    assert stats["cut"] == 1
    assert stats["mean_length"] == 2.5
    assert stats["max_length"] == 4
    assert stats["test_unk_rate"] is None


def test_seq_len_two_keeps_one_token_and_end(tmp_path):
    corpus = write_corpus(tmp_path, ["ab", "b"])
    out = tmp_path / "out"
    stats = prepare_text(corpus, out, seq_len=2, test_fraction=0)
    assert rows(out, "train") == [[5, END], [4, END]]
    assert stats["cut"] == 1


def test_blank_lines_and_crlf_endings(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_bytes(b"ab\r\n\r\n  \ncd\n")
    out = tmp_path / "out"
    stats = prepare_text(corpus, out, seq_len=3, test_fraction=0)
    assert (stats["lines_read"], stats["blank_lines"], stats["train"]) == (2, 2, 2)
    vocab = load_vocab(out)
    assert [detokenize(r, vocab) for r in rows(out, "train")] == ["ab", "cd"]


# --- split ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "fraction", "n_test"),
    [
        (10, 0.1, 1),
        (25, 0.1, 2),
        (3, 0.1, 1),
        (1, 0.5, 0),
        (20, 0.0, 0),
        (2, 0.9, 1),
        (40, 0.25, 10),
    ],
)
def test_split_sizes(n, fraction, n_test):
    train, test = split_indices(n, fraction, seed=88)
    assert len(test) == n_test
    assert sorted([*train, *test]) == list(range(n))


def test_split_is_deterministic_for_a_seed_and_differs_for_another(tmp_path):
    corpus = write_corpus(tmp_path, [f"line {i}" for i in range(40)])
    a = prepare_text(corpus, tmp_path / "a", "space", seq_len=3, test_fraction=0.25, seed=88)
    prepare_text(corpus, tmp_path / "b", "space", seq_len=3, test_fraction=0.25, seed=88)
    prepare_text(corpus, tmp_path / "c", "space", seq_len=3, test_fraction=0.25, seed=89)
    assert (a["train"], a["test"]) == (30, 10)

    def test_lines(name: str) -> list[str]:
        vocab = load_vocab(tmp_path / name)
        return [detokenize(r, vocab) for r in rows(tmp_path / name, "test")]

    # Each line's number is unseen outside it, so test lines decode to "line <unk>".
    assert test_lines("a") == ["line <unk>"] * 10
    assert snapshot(tmp_path / "a") == snapshot(tmp_path / "b")
    assert split_indices(40, 0.25, 88)[1].tolist() != split_indices(40, 0.25, 89)[1].tolist()
    assert rows(tmp_path / "a", "train") != rows(tmp_path / "c", "train")
    assert load_vocab(tmp_path / "a").tokens != load_vocab(tmp_path / "c").tokens


# --- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"tokenizer": "bpe"}, "tokenizer must be one of char|space|word"),
        ({"seq_len": 1}, "seq_len must be >= 2"),
        ({"test_fraction": 1.0}, "test_fraction must be in [0, 1)"),
        ({"test_fraction": -0.1}, "test_fraction must be in [0, 1)"),
        ({"max_vocab": 0}, "max_vocab must be >= 5"),
        ({"max_vocab": 4}, "max_vocab must be >= 5"),
        ({"min_count": 0}, "min_count must be >= 1"),
    ],
)
def test_bad_arguments(tmp_path, kwargs, fragment):
    corpus = write_corpus(tmp_path, ["abc"])
    out = tmp_path / "out"
    with pytest.raises(UserError) as err:
        prepare_text(corpus, out, **kwargs)
    assert fragment in str(err.value)
    assert not out.exists()


def test_missing_corpus(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(UserError, match="corpus not found: .*nope.txt"):
        prepare_text(tmp_path / "nope.txt", out)
    assert not out.exists()


@pytest.mark.parametrize("content", [b"", b"\n\n  \n\t\n"])
def test_empty_corpus(tmp_path, content):
    corpus = tmp_path / "corpus.txt"
    corpus.write_bytes(content)
    with pytest.raises(UserError) as err:
        prepare_text(corpus, tmp_path / "out")
    assert str(err.value) == f"corpus {corpus} is empty"
    assert not (tmp_path / "out").exists()


def test_invalid_utf8_names_the_line(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_bytes(b"ok\n\nfine\n\xff\xfe bad\nlast\n")
    with pytest.raises(UserError) as err:
        prepare_text(corpus, tmp_path / "out")
    assert str(err.value) == f"corpus {corpus}: line 4 is not valid UTF-8"


def test_no_line_left_after_tokenizing(tmp_path, monkeypatch):
    # The three tokenizers give every non-blank line a token; a tokenizer that drops
    # everything must still end in a clear error, not in an empty table.
    monkeypatch.setitem(textdata.TOKENIZERS, "char", lambda line: [])
    corpus = write_corpus(tmp_path, ["abc", "def"])
    with pytest.raises(UserError, match="no line has any 'char' token"):
        prepare_text(corpus, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_refuses_an_out_dir_that_already_holds_prepared_data(tmp_path):
    first = write_corpus(tmp_path, ["abc", "abd", "bcd"], "first.txt")
    second = write_corpus(tmp_path, ["xyz"], "second.txt")
    out = tmp_path / "out"
    prepare_text(first, out, seq_len=5, test_fraction=0)
    before = snapshot(out)
    assert set(before) == {"train.arrow", "test.arrow", "vocab.json", "prepare.json"}

    with pytest.raises(UserError) as err:
        prepare_text(second, out, seq_len=5, test_fraction=0)
    assert str(out / "vocab.json") in str(err.value)
    assert snapshot(out) == before


def test_out_that_is_a_file_is_refused(tmp_path):
    corpus = write_corpus(tmp_path, ["abc"])
    out = tmp_path / "out"
    out.write_text("not a directory")
    with pytest.raises(UserError, match="is not a directory"):
        prepare_text(corpus, out)
    assert out.read_text() == "not a directory"


def test_load_vocab_rejects_other_json(tmp_path):
    path = tmp_path / "vocab.json"
    path.write_text(json.dumps({"tokens": ["a", "b"]}))
    with pytest.raises(UserError, match="not a vocabulary written by prepare_text"):
        load_vocab(path)
    with pytest.raises(UserError, match="vocabulary not found"):
        load_vocab(tmp_path / "missing.json")


# --- files and round trips --------------------------------------------------------------------


def test_written_files_and_returned_stats(tmp_path):
    corpus = write_corpus(tmp_path, ["ab", "ba", "abc"])
    out = tmp_path / "out"
    stats = prepare_text(corpus, out, seq_len=4, test_fraction=0)
    assert json.loads((out / "prepare.json").read_text()) == stats
    assert json.loads((out / "vocab.json").read_text()) == {
        "tokens": ["<pad>", "<start>", "<end>", "<unk>", "a", "b", "c"],
        "pad": 0,
        "start": 1,
        "end": 2,
        "unk": 3,
        "tokenizer": "char",
        "seq_len": 4,
        "source": str(corpus),
    }
    table = read_table(out / "train.arrow")
    assert str(table.schema.field("tokens").type) == "fixed_size_list<item: int32>[4]"
    assert (stats["lines_read"], stats["train"], stats["test"], stats["vocab_size"]) == (3, 3, 0, 7)


@pytest.mark.parametrize(
    ("tokenizer", "lines"),
    [
        ("char", ["Hello, world!", "a  b\tc", "it's 3.5 o'clock?"]),
        ("space", ["the cat sat", "on the mat,", "Don't panic !"]),
    ],
)
def test_detokenize_round_trips_training_lines(tmp_path, tokenizer, lines):
    corpus = write_corpus(tmp_path, lines)
    out = tmp_path / "out"
    stats = prepare_text(corpus, out, tokenizer, seq_len=30, test_fraction=0)
    assert stats["cut"] == 0 and stats["train_unk_rate"] == 0.0
    vocab = load_vocab(out)
    assert [detokenize(r, vocab, tokenizer) for r in rows(out, "train")] == lines


def test_detokenize_stops_at_end_drops_pad_and_glues_word_punctuation(tmp_path):
    corpus = write_corpus(tmp_path, ["Don't stop, go!"])
    out = tmp_path / "out"
    prepare_text(corpus, out, "word", seq_len=8, test_fraction=0)
    vocab = load_vocab(out)
    (row,) = rows(out, "train")
    assert detokenize(row, vocab) == "Don't stop, go!"
    ids = [vocab.ids["go"], PAD, vocab.ids["!"], END, vocab.ids["stop"]]
    assert detokenize(ids, vocab, "word") == "go!"
    assert detokenize([START, vocab.ids["stop"], UNK], vocab, "space") == "stop <unk>"
    with pytest.raises(UserError, match="outside the vocabulary"):
        detokenize([99], vocab)


def test_chinese_poem_corpus_with_char(tmp_path):
    poems = [
        "床前明月光，疑是地上霜。",
        "举头望明月，低头思故乡。",
        "白日依山尽，黄河入海流。",
        "欲穷千里目，更上一层楼。",
        "春眠不觉晓，处处闻啼鸟。",
    ]
    corpus = write_corpus(tmp_path, poems)
    out = tmp_path / "out"
    stats = prepare_text(corpus, out, "char", seq_len=13, test_fraction=0.2, seed=88)
    assert (stats["train"], stats["test"], stats["cut"]) == (4, 1, 0)
    assert stats["mean_length"] == 12.0
    vocab = load_vocab(out)
    assert vocab.tokens[4:6] == ("。", "，")  # 4 of each, ordered by code point on the tie
    train = rows(out, "train")
    assert all(row[-1] == END for row in train)
    decoded = [detokenize(r, vocab) for r in train]
    assert len(set(decoded)) == 4 and set(decoded) <= set(poems)
    (test_row,) = rows(out, "test")
    assert (
        test_row[5] == vocab.ids["，"] and test_row[11] == vocab.ids["。"] and test_row[12] == END
    )
    (test_poem,) = set(poems) - set(decoded)
    assert stats["test_unk_rate"] == pytest.approx(
        sum(ch not in vocab.ids for ch in test_poem) / len(test_poem)
    )
    # vocab.json stores the characters themselves, not \u escapes
    assert "，" in (out / "vocab.json").read_text(encoding="utf-8")
