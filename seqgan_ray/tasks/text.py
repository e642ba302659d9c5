"""Text corpora turned into token tables: tokenizers, a seeded split, a vocabulary, and back.

`prepare_text` reads one sequence per line and writes `train.arrow`, `test.arrow` (the schema of
`data.py`), `vocab.json` and `prepare.json` into an output directory. Rows are ids, then `<end>`,
then `<pad>` up to `seq_len`, the variable-length layout the generator's end/pad handling expects.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from seqgan_ray.atomic import atomic_write
from seqgan_ray.core.tables import to_table, write_table
from seqgan_ray.errors import UserError
from seqgan_ray.tasks.sources import fingerprint

PAD, START, END, UNK = "<pad>", "<start>", "<end>", "<unk>"
SPECIALS = (PAD, START, END, UNK)  # ids 0..3, in this order, in every vocabulary

# `word`: a word is a run of word characters with at most one inner apostrophe ("don't",
# "O'Neil"); every other non-space character is a token of its own ("," "?" "—"). Case is kept.
WORD_PATTERN = re.compile(r"\w+(?:'\w+)?|[^\w\s]")
_PUNCT = re.compile(r"[^\w\s]")


def _char_tokens(line: str) -> list[str]:
    # Inner spaces are tokens too (so text round-trips); only the line's edges are trimmed.
    return list(line.strip())


TOKENIZERS: dict[str, Callable[[str], list[str]]] = {
    "char": _char_tokens,
    "space": str.split,
    "word": WORD_PATTERN.findall,
}


def tokenize(line: str, tokenizer: str) -> list[str]:
    """Split one line into tokens with the named tokenizer (char | space | word)."""
    if tokenizer not in TOKENIZERS:
        raise UserError(f"tokenizer must be one of {'|'.join(TOKENIZERS)} (got {tokenizer!r})")
    return TOKENIZERS[tokenizer](line)


@dataclass(frozen=True)
class Vocab:
    """Tokens in id order plus the reverse map; the special ids are fixed (see SPECIALS)."""

    tokens: tuple[str, ...]
    ids: dict[str, int]
    tokenizer: str
    seq_len: int
    pad: int = 0
    start: int = 1
    end: int = 2
    unk: int = 3

    def __len__(self) -> int:
        return len(self.tokens)

    @classmethod
    def build(cls, tokens: Sequence[str], tokenizer: str, seq_len: int) -> Vocab:
        return cls(tuple(tokens), {t: i for i, t in enumerate(tokens)}, tokenizer, seq_len)

    def encode(self, tokens: Sequence[str]) -> list[int]:
        """Token ids; unknown tokens, and corpus text that spells a special token, become <unk>."""
        ids = [self.ids.get(t, self.unk) for t in tokens]
        return [i if i >= len(SPECIALS) else self.unk for i in ids]


def load_vocab(path: str | Path) -> Vocab:
    """Read a `vocab.json` written by `prepare_text` (the file itself or its directory)."""
    path = Path(path)
    if path.is_dir():
        path = path / "vocab.json"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"vocabulary not found: {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"vocabulary {path} is not readable JSON: {exc}") from None
    tokens = raw.get("tokens") if isinstance(raw, dict) else None
    if (
        not isinstance(tokens, list)
        or tuple(tokens[: len(SPECIALS)]) != SPECIALS
        or len(set(tokens)) != len(tokens)
        or any(raw.get(name) != i for i, name in enumerate(("pad", "start", "end", "unk")))
        or raw.get("tokenizer") not in TOKENIZERS
        or not isinstance(raw.get("seq_len"), int)
    ):
        raise UserError(f"{path} is not a vocabulary written by prepare_text")
    return Vocab.build(tokens, raw["tokenizer"], raw["seq_len"])


def detokenize(ids: Sequence[int] | np.ndarray, vocab: Vocab, tokenizer: str | None = None) -> str:
    """Ids -> text: stop at <end>, drop <pad> and <start>; join with "" (char) or " " (space,
    word), and for `word` put no space before a punctuation token ("Hi , there" -> "Hi, there")."""
    tokenizer = tokenizer or vocab.tokenizer
    if tokenizer not in TOKENIZERS:
        raise UserError(f"tokenizer must be one of {'|'.join(TOKENIZERS)} (got {tokenizer!r})")
    words: list[str] = []
    for i in (int(x) for x in ids):
        if i == vocab.end:
            break
        if not 0 <= i < len(vocab):
            raise UserError(f"token id {i} is outside the vocabulary of {len(vocab)} tokens")
        if i not in (vocab.pad, vocab.start):
            words.append(vocab.tokens[i])
    if tokenizer == "char":
        return "".join(words)
    if tokenizer == "space":
        return " ".join(words)
    text = ""
    for w in words:
        glue = "" if not text or _PUNCT.fullmatch(w) else " "
        text += glue + w
    return text


def _check_args(
    tokenizer: str, seq_len: int, max_vocab: int | None, min_count: int, test_fraction: float
) -> None:
    if tokenizer not in TOKENIZERS:
        raise UserError(f"tokenizer must be one of {'|'.join(TOKENIZERS)} (got {tokenizer!r})")
    if seq_len < 2:
        raise UserError(f"seq_len must be >= 2: one token plus <end> (got {seq_len})")
    if not 0 <= test_fraction < 1:
        raise UserError(f"test_fraction must be in [0, 1) (got {test_fraction})")
    # The four special tokens always take ids 0..3, so a cap below 5 leaves no room for text.
    if max_vocab is not None and max_vocab <= len(SPECIALS):
        raise UserError(
            f"max_vocab must be >= {len(SPECIALS) + 1}: it counts the {len(SPECIALS)} special "
            f"tokens (got {max_vocab})"
        )
    if min_count < 1:
        raise UserError(f"min_count must be >= 1 (got {min_count})")


def read_lines(corpus: Path) -> tuple[list[str], int]:
    """Non-blank lines without their line ending, and how many blank lines were skipped.

    The file is split on b"\\n" and decoded line by line so an encoding error names its line;
    str.splitlines would also break at \\x1c, \\u2028 and friends, which are text here."""
    try:
        data = corpus.read_bytes()
    except FileNotFoundError:
        raise UserError(f"corpus not found: {corpus}") from None
    except IsADirectoryError:
        raise UserError(f"corpus {corpus} is a directory, not a text file") from None
    except OSError as exc:
        raise UserError(f"cannot read corpus {corpus}: {exc.strerror}") from None
    if data.startswith(b"\xef\xbb\xbf"):  # a UTF-8 byte order mark is not part of line 1
        data = data[3:]
    lines, blank = [], 0
    for number, raw in enumerate(data.split(b"\n"), start=1):
        try:
            line = raw.decode("utf-8").removesuffix("\r")
        except UnicodeDecodeError:
            raise UserError(f"corpus {corpus}: line {number} is not valid UTF-8") from None
        if line.strip():
            lines.append(line)
        else:
            blank += 1
    if not lines:
        raise UserError(f"corpus {corpus} is empty")
    # A final newline leaves one empty piece after the split; it is not a blank line.
    if data.endswith(b"\n"):
        blank -= 1
    return lines, blank


def split_indices(n: int, test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A seeded permutation of range(n) cut into (train, test); each part keeps corpus order.

    The test part gets round(test_fraction * n) lines, at least one when test_fraction > 0 and
    n >= 2, and never all of them: the vocabulary is built from the training part."""
    n_test = round(test_fraction * n)
    if test_fraction > 0 and n >= 2:
        n_test = max(n_test, 1)
    n_test = min(n_test, n - 1)
    order = np.random.default_rng(seed).permutation(n)
    return np.sort(order[n_test:]), np.sort(order[:n_test])


def build_vocab(
    sequences: Sequence[Sequence[str]],
    tokenizer: str,
    seq_len: int,
    max_vocab: int | None = None,
    min_count: int = 1,
) -> Vocab:
    """Specials, then tokens seen >= min_count times by (-count, token), at most max_vocab total."""
    counts = Counter(t for seq in sequences for t in seq)
    for special in SPECIALS:  # corpus text spelling "<pad>" must not get the pad id
        counts.pop(special, None)
    ranked = sorted((t for t, c in counts.items() if c >= min_count), key=lambda t: (-counts[t], t))
    if max_vocab is not None:
        ranked = ranked[: max_vocab - len(SPECIALS)]
    return Vocab.build([*SPECIALS, *ranked], tokenizer, seq_len)


def encode_rows(
    sequences: Sequence[Sequence[str]], vocab: Vocab, seq_len: int
) -> tuple[np.ndarray, int, int]:
    """(N, seq_len) int32 rows of ids + <end> + <pad>..., the number of rows cut to seq_len - 1
    tokens, and the number of <unk> ids among the tokens before cutting."""
    rows = np.full((len(sequences), seq_len), vocab.pad, dtype=np.int32)
    cut = unk = 0
    for r, seq in enumerate(sequences):
        ids = vocab.encode(seq)
        unk += ids.count(vocab.unk)
        if len(ids) > seq_len - 1:
            ids, cut = ids[: seq_len - 1], cut + 1
        rows[r, : len(ids)] = ids
        rows[r, len(ids)] = vocab.end
    return rows, cut, unk


def write_prepared(out: Path, train_rows, test_rows, stats: dict, vocab: dict) -> None:
    """A prepared data directory: train/test Arrow files, prepare.json, and vocab.json last,
    so an interrupted preparation never looks finished."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot create output directory {out}: {exc.strerror}") from None
    write_table(to_table(train_rows), out / "train.arrow")
    write_table(to_table(test_rows), out / "test.arrow")
    _write_json(stats, out / "prepare.json")
    _write_json(vocab, out / "vocab.json")


def _write_json(obj: Any, path: Path) -> None:
    with atomic_write(path) as tmp:
        Path(tmp).write_text(json.dumps(obj, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def prepare_text(
    corpus: Path,
    out: Path,
    tokenizer: str = "char",
    seq_len: int = 20,
    max_vocab: int | None = None,
    min_count: int = 1,
    test_fraction: float = 0.1,
    seed: int = 88,
) -> dict:
    """Turn a one-sequence-per-line text file into train/test token tables and a vocabulary.

    Everything is computed before anything is written, and vocab.json (the marker of prepared
    data) is written last, so a refused or failed call never damages an earlier preparation.
    Returns the statistics also written to out/prepare.json."""
    corpus, out = Path(corpus), Path(out)
    _check_args(tokenizer, seq_len, max_vocab, min_count, test_fraction)
    if (out / "vocab.json").exists():
        raise UserError(
            f"{out} already holds prepared data ({out / 'vocab.json'}); choose another out"
        )
    if out.exists() and not out.is_dir():
        raise UserError(f"output {out} exists and is not a directory")

    lines, blank = read_lines(corpus)
    sequences = [tokenize(line, tokenizer) for line in lines]
    kept = [seq for seq in sequences if seq]
    if not kept:
        raise UserError(f"corpus {corpus}: no line has any {tokenizer!r} token")

    train_idx, test_idx = split_indices(len(kept), test_fraction, seed)
    train = [kept[i] for i in train_idx]
    test = [kept[i] for i in test_idx]
    vocab = build_vocab(train, tokenizer, seq_len, max_vocab, min_count)
    train_rows, train_cut, train_unk = encode_rows(train, vocab, seq_len)
    test_rows, test_cut, test_unk = encode_rows(test, vocab, seq_len)

    lengths = np.array([len(seq) for seq in kept])
    stats = {
        "source": str(corpus),
        "source_sha256": fingerprint(corpus),  # says whether it is the paper's (tasks/sources.py)
        "tokenizer": tokenizer,
        "seq_len": seq_len,
        "max_vocab": max_vocab,
        "min_count": min_count,
        "test_fraction": test_fraction,
        "seed": seed,
        "lines_read": len(lines),
        "blank_lines": blank,
        "lines_dropped": len(lines) - len(kept),  # non-blank but no token
        "train": len(train),
        "test": len(test),
        "vocab_size": len(vocab),
        "train_unk_rate": _rate(train_unk, sum(len(s) for s in train)),
        "test_unk_rate": _rate(test_unk, sum(len(s) for s in test)),  # None without a test set
        "cut": train_cut + test_cut,
        "mean_length": float(lengths.mean()),  # tokens per line before cutting, without <end>
        "max_length": int(lengths.max()),
    }
    write_prepared(
        out,
        train_rows,
        test_rows,
        stats,
        {
            "tokens": list(vocab.tokens),
            **{name: vocab.ids[tok] for name, tok in zip(("pad", "start", "end", "unk"), SPECIALS)},
            "tokenizer": tokenizer,
            "seq_len": seq_len,
            "source": str(corpus),
        },
    )
    return stats
