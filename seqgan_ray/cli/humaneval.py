"""`seqgan-ray humaneval`: the paper's human Turing test (§5) — make a blinded questionnaire,
serve it to raters, score their answers (seqgan_ray/humaneval/, docs/humaneval.md)."""

from __future__ import annotations

from pathlib import Path

import typer

from seqgan_ray.errors import UserError

humaneval_app = typer.Typer(
    no_args_is_help=True, help="Human evaluation: is it written by a person or a machine?"
)
STUDY = typer.Argument(..., help="a study directory from `humaneval make`")


@humaneval_app.command("make")
def make(
    real: Path = typer.Option(
        ..., help="a directory from `seqgan-ray prepare text`: its test split"
    ),
    run: list[str] = typer.Option(
        ..., help="NAME=RUN: a source name (e.g. seqgan, mle) and a trained text run; repeat it"
    ),
    n: int = typer.Option(20, "-n", help="items per source (the paper: 20)"),
    out: Path = typer.Option(..., help="study directory to write"),
    seed: int = typer.Option(0, help="seed of the draw, the samples and the order"),
) -> None:
    """Draw n real test items and n samples per run, shuffled under blinded ids.

    items.json (id, text) is what raters see; key.json (id -> source) is kept apart from it."""
    from seqgan_ray.humaneval.questionnaire import make as make_study
    from seqgan_ray.humaneval.questionnaire import parse_runs

    drawn = make_study(real, parse_runs(run), n, out, seed)
    parts = ", ".join(f"{count} {source}" for source, count in drawn.items())
    typer.echo(f"{sum(drawn.values())} items ({parts}) written to {out}; serve them with "
               f"`seqgan-ray humaneval serve {out}`")  # fmt: skip


@humaneval_app.command("serve")
def serve(
    study: Path = STUDY,
    host: str = typer.Option("127.0.0.1", help="address to listen on (0.0.0.0: the whole LAN)"),
    port: int = typer.Option(8000, help="port (0: any free one)"),
) -> None:
    """The questionnaire as a web page, one item at a time; answers go to STUDY/answers.sqlite."""
    from seqgan_ray.humaneval.server import serve as serve_study

    if not 0 <= port <= 65535:
        raise UserError(f"--port must be 0..65535 (got {port})")
    serve_study(study, host, port, echo=typer.echo)


@humaneval_app.command("score")
def score(
    study: Path = STUDY,
    out: Path | None = typer.Option(None, help="where score.md/.json/.png go (default STUDY)"),
    paper: str | None = typer.Option(
        None, help="poems: the paper's human scores (§5, Chinese quatrains) beside ours"
    ),
    seed: int = typer.Option(0, help="bootstrap seed"),
) -> None:
    """The paper's human score per source, its interval, paired tests and Fleiss' kappa.

    95% cluster bootstrap over raters; Wilcoxon signed-rank across raters (humaneval/scoring.py)."""
    from seqgan_ray.humaneval import questionnaire as Q
    from seqgan_ray.humaneval import report, scoring
    from seqgan_ray.humaneval.store import DB, Store

    if paper is not None and paper not in report.PAPER:
        raise UserError(f"--paper takes {', '.join(report.PAPER)} (got {paper!r})")
    key, sources = Q.read_key(study), Q.sources(study)
    if not (study / DB).exists():
        raise UserError(f"no answers yet in {study}; raters answer at `humaneval serve`")
    result = scoring.score(Store(study).answers(), key, sources, Q.REAL, seed)
    typer.echo(report.write(result, out or study, study.name, paper), nl=False)
