"""`humaneval make`: n real test items and n samples of each run, shuffled under blinded ids.

A study directory holds `items.json` (what raters see: id and text, nothing else), `key.json`
(id -> source, read only by scoring) and `study.json` (how the draw was made). The draw and the
order are seeded; the ids are not (`secrets`), so nobody who knows the seed can map an id back
to its source. Text is detokenized exactly as `seqgan-ray sample` prints it (each run sampled
at temperature 1 with the seed study.json records for it).
"""

from __future__ import annotations

import json
import random
import re
import secrets
import zlib
from pathlib import Path

from seqgan_ray.atomic import atomic_write
from seqgan_ray.errors import UserError

REAL = "real"  # the source name of the prepared data's test items
ITEMS, KEY, STUDY = "items.json", "key.json", "study.json"
SOURCE_NAME = re.compile(r"[a-z][a-z0-9_-]{0,31}")


def parse_runs(specs: list[str]) -> dict[str, Path]:
    """`--run NAME=RUN` options -> {name: run directory}, names checked and unique."""
    if not specs:
        raise UserError("give at least one --run NAME=RUN (e.g. --run seqgan=runs/text-poems-…)")
    runs: dict[str, Path] = {}
    for spec in specs:
        name, sep, path = spec.partition("=")
        if not sep or not path:
            raise UserError(f"--run takes NAME=RUN (got {spec!r})")
        if not SOURCE_NAME.fullmatch(name):
            raise UserError(f"source name {name!r}: lower-case letters, digits, _ or -")
        if name == REAL:
            raise UserError(f"{REAL!r} names the data's test items; call the run otherwise")
        if name in runs:
            raise UserError(f"source name {name!r} given twice")
        runs[name] = Path(path)
    return runs


def _real_texts(data: Path, n: int, seed: int) -> list[str]:
    from seqgan_ray.core.tables import from_table, read_table
    from seqgan_ray.tasks.corpus import read_data_config
    from seqgan_ray.tasks.text import detokenize, load_vocab

    read_data_config("text", data)  # a prepared text directory, checked as training checks it
    test = from_table(read_table(data / "test.arrow")).tolist()
    if n > len(test):
        raise UserError(f"-n {n} is more than the {len(test)} test items of {data}")
    vocab = load_vocab(data)
    return [detokenize(test[i], vocab) for i in random.Random(seed).sample(range(len(test)), n)]


def sample_seed(seed: int, name: str) -> int:
    """The `sample --seed` of a source: its own, so that two runs' samples are independent draws
    (one seed for all makes similar models give samples of matching lengths)."""
    return zlib.crc32(f"{seed}:{name}".encode())


def _run_texts(name: str, run: Path, data: Path, n: int, seed: int) -> list[str]:
    from seqgan_ray.studies.generate import as_text, generate

    # what `seqgan-ray sample RUN -n N --seed SEED` prints
    cfg, samples = generate(run, n, 1.0, sample_seed(seed, name))
    if cfg.task.kind != "text":
        raise UserError(f"--run {name}={run} is a {cfg.task.kind} run; humaneval takes text runs")
    if Path(cfg.task.data).resolve() != data.resolve():
        raise UserError(f"--run {name}={run} was trained on {cfg.task.data}, not on {data}")
    return as_text(cfg, samples)


def make(data: Path, runs: dict[str, Path], n: int, out: Path, seed: int = 0) -> dict[str, int]:
    """Write the questionnaire into `out`; returns {source: items}. Refuses to overwrite one."""
    if n < 1:
        raise UserError(f"-n must be >= 1 (got {n})")
    if (out / ITEMS).exists() or (out / KEY).exists():
        raise UserError(f"{out} already holds a questionnaire; choose another --out")
    drawn = {REAL: _real_texts(data, n, seed)}
    for name, run in runs.items():
        drawn[name] = _run_texts(name, run, data, n, seed)
    entries = [(source, text) for source, texts in drawn.items() for text in texts]
    random.Random(f"{seed}:order").shuffle(entries)
    ids: list[str] = []
    while len(ids) < len(entries):  # 64 random bits: a clash is astronomically rare, still checked
        new = secrets.token_hex(8)
        if new not in ids:
            ids.append(new)
    items = [{"id": i, "text": text} for i, (_, text) in zip(ids, entries)]
    key = {i: source for i, (source, _) in zip(ids, entries)}
    study = {
        "data": str(data.resolve()),
        "runs": {name: str(run.resolve()) for name, run in runs.items()},
        "n": n,
        "seed": seed,
        "sample_seeds": {name: sample_seed(seed, name) for name in runs},
        "temperature": 1.0,
    }
    _write_json(study, out / STUDY)
    _write_json(key, out / KEY)
    _write_json(items, out / ITEMS)  # last: its presence means the questionnaire is complete
    return {source: len(texts) for source, texts in drawn.items()}


def read_items(study: Path) -> list[dict[str, str]]:
    """The questionnaire raters see: [{"id", "text"}] in the order make wrote it."""
    return _read_json(study, ITEMS)


def read_key(study: Path) -> dict[str, str]:
    """The blinding key: item id -> source name."""
    return _read_json(study, KEY)


def sources(study: Path) -> list[str]:
    """The study's source names: the real items first, then the runs in `--run` order."""
    return [REAL, *_read_json(study, STUDY)["runs"]]


def _read_json(study: Path, name: str):
    if not study.is_dir():
        raise UserError(f"study directory not found: {study} (make one with `humaneval make`)")
    try:
        return json.loads((study / name).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"{study} holds no {name}; make the study with `humaneval make`") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"{study / name} is not readable JSON: {exc}") from None


def _write_json(obj, path: Path) -> None:
    with atomic_write(path) as tmp:
        Path(tmp).write_text(json.dumps(obj, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
