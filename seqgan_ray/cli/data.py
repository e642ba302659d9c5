"""`seqgan-ray prepare`, `metrics` and `sample`: data in and out of the trainer (cli.py mounts
these next to the training commands)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer

from seqgan_ray.errors import UserError

prepare_app = typer.Typer(no_args_is_help=True, help="Turn your data into training sets.")
metrics_app = typer.Typer(no_args_is_help=True, help="Score any text files the paper's way.")


@prepare_app.command("text")
def prepare_text(
    corpus: Path = typer.Argument(..., help="UTF-8 text, one sequence per line"),
    out: Path = typer.Option(..., help="data directory to write"),
    tokenizer: str = typer.Option("char", help="char (e.g. Chinese poems), space or word"),
    seq_len: int = typer.Option(20, help="tokens per sequence, end token included"),
    max_vocab: int | None = typer.Option(None, help="largest vocabulary (special tokens included)"),
    min_count: int = typer.Option(1, help="drop tokens seen fewer times in the training split"),
    test_fraction: float = typer.Option(0.1, help="held-out share of the lines"),
    seed: int = typer.Option(88, help="split seed"),
) -> None:
    """Tokenize a corpus, build its vocabulary and write train/test Arrow files."""
    from seqgan_ray.tasks.text import prepare_text as prepare

    stats = prepare(corpus, out, tokenizer, seq_len, max_vocab, min_count, test_fraction, seed)
    typer.echo(
        f"{stats['train']} train + {stats['test']} test sequences, vocabulary {stats['vocab_size']}, "
        f"{stats['cut']} cut to {seq_len - 1} tokens, test <unk> rate "
        f"{stats['test_unk_rate'] if stats['test_unk_rate'] is None else round(stats['test_unk_rate'], 4)}; "
        f"written to {out}"
    )


@prepare_app.command("music")
def prepare_music(
    midi_dir: Path = typer.Argument(..., help="a directory of melody MIDI files"),
    out: Path = typer.Option(..., help="data directory to write"),
    seq_len: int = typer.Option(32, help="keys per sequence (paper: 32)"),
    step_s: float = typer.Option(0.4, help="seconds between pitch samples (paper: 0.4)"),
    test_fraction: float = typer.Option(0.1, help="held-out share of the tunes"),
    seed: int = typer.Option(88, help="split seed"),
) -> None:
    """Sample each tune's highest note every STEP_S seconds as piano keys 1..88 (0 = rest)."""
    from seqgan_ray.tasks.music import prepare_music as prepare

    stats = prepare(midi_dir, out, seq_len, step_s, test_fraction, seed)
    for item in stats["skipped"]:
        typer.echo(f"skipped {item['file']}: {item['reason']}", err=True)
    typer.echo(
        f"{stats['files_read']} files, {stats['skipped_count']} skipped; "
        f"{stats['windows_train']} train + {stats['windows_test']} test sequences of {seq_len} keys "
        f"from {stats['tunes_train']} + {stats['tunes_test']} tunes; written to {out}"
    )


def _tokenized(path: Path, tokenizer: str) -> list[list[str]]:
    from seqgan_ray.tasks.text import read_lines, tokenize

    lines, _ = read_lines(path)
    return [tokenize(line, tokenizer) for line in lines]


def _bleu_options(n: int, smoothing: str, tokenizer: str) -> None:
    if n not in (2, 3, 4, 5):
        raise UserError(f"--n must be 2, 3, 4 or 5 (got {n})")
    if smoothing not in ("none", "method1"):
        raise UserError(f"--smoothing must be none or method1 (got {smoothing!r})")
    if tokenizer not in ("char", "space", "word"):
        raise UserError(f"--tokenizer must be char, space or word (got {tokenizer!r})")


# The options `metrics bleu` and `metrics self-bleu` share.
BLEU_N = typer.Option(4, help="BLEU-n: uniform weights over 1..n-gram precisions")
TOKENIZER = typer.Option("space", help="char, space or word")
SMOOTHING = typer.Option("none", help="none or method1 (as nltk's SmoothingFunction)")
AS_JSON = typer.Option(False, "--json", help="print one JSON object")


@metrics_app.command("bleu")
def metrics_bleu(
    hypotheses: Path = typer.Argument(..., help="generated text, one sequence per line"),
    references: Path = typer.Argument(..., help="reference text (e.g. the whole test set)"),
    n: int = BLEU_N,
    tokenizer: str = TOKENIZER,
    smoothing: str = SMOOTHING,
    as_json: bool = AS_JSON,
) -> None:
    """Mean sentence BLEU-n of every hypothesis against ALL references (the paper's protocol)."""
    from seqgan_ray.core.bleu import BleuScorer

    _bleu_options(n, smoothing, tokenizer)
    hyps, refs = _tokenized(hypotheses, tokenizer), _tokenized(references, tokenizer)
    t0 = time.perf_counter()
    value = BleuScorer(refs, n, smoothing).corpus_mean(hyps)
    result = {"bleu": value, "n": n, "hypotheses": len(hyps), "references": len(refs),
              "tokenizer": tokenizer, "smoothing": smoothing,
              "seconds": round(time.perf_counter() - t0, 3)}  # fmt: skip
    typer.echo(json.dumps(result) if as_json else f"BLEU-{n} = {value:.4f} ({len(hyps)} "
               f"hypotheses vs {len(refs)} references, {tokenizer} tokens, smoothing {smoothing})")  # fmt: skip


@metrics_app.command("self-bleu")
def metrics_self_bleu(
    samples: Path = typer.Argument(..., help="generated text, one sequence per line"),
    n: int = BLEU_N,
    tokenizer: str = TOKENIZER,
    smoothing: str = SMOOTHING,
    as_json: bool = AS_JSON,
) -> None:
    """Self-BLEU: each sample against all the others (higher = less diverse)."""
    from seqgan_ray.core.bleu import self_bleu

    _bleu_options(n, smoothing, tokenizer)
    hyps = _tokenized(samples, tokenizer)
    if len(hyps) < 2:
        raise UserError(f"{samples}: self-BLEU needs at least two samples")
    value = self_bleu(hyps, n, smoothing)
    result = {"self_bleu": value, "n": n, "samples": len(hyps), "tokenizer": tokenizer,
              "smoothing": smoothing}  # fmt: skip
    typer.echo(
        json.dumps(result) if as_json else f"self-BLEU-{n} = {value:.4f} ({len(hyps)} samples)"
    )


def sample(
    run_dir: Path = typer.Argument(..., help="a run directory (its last checkpoint is used)"),
    n: int = typer.Option(20, "-n", help="how many sequences"),
    temperature: float = typer.Option(1.0, help="sampling temperature"),
    seed: int = typer.Option(0, help="sampling seed"),
    out: Path | None = typer.Option(
        None, help="music: directory for the MIDI files (default RUN_DIR/samples-midi)"
    ),
) -> None:
    """Generate from a trained run: text is printed detokenized, tunes are written as MIDI."""
    from seqgan_ray.studies.generate import as_text, generate, write_midi

    cfg, samples = generate(run_dir, n, temperature, seed)
    if cfg.task.kind == "music":
        paths = write_midi(cfg, samples, out or run_dir / "samples-midi")
        typer.echo(f"wrote {len(paths)} MIDI files to {paths[0].parent}")
        return
    for line in as_text(cfg, samples):
        typer.echo(line)
