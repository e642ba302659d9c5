"""`humaneval score`'s output: score.md (also printed), score.json and score.png, with the
paper's numbers beside ours when asked for (`--paper poems`)."""

from __future__ import annotations

import json
from pathlib import Path

from seqgan_ray.atomic import atomic_write

# Yu et al. 2017, §5, the Chinese-poem table (Table 2 of the AAAI paper): expert judges, 20 real
# + 20 SeqGAN + 20 MLE quatrains, +1 when judged human, averaged. Keyed by our source names.
PAPER = {"poems": {"seqgan": 0.5356, "mle": 0.4165, "real": 0.6011}}
PAPER_NOTE = (
    "Paper: Yu et al. 2017, §5, Chinese quatrains judged by experts (Table 2). Other raters, "
    "other poems and other models: a reference point, not a replication."
)


def _f(v, digits: int = 3) -> str:
    return "—" if v is None else f"{v:.{digits}f}"


def _interval(s: dict) -> str:
    return "—" if s["low"] is None else f"{s['low']:.3f}–{s['high']:.3f}"


def render(result: dict, title: str, paper: str | None = None) -> str:
    """score.md: the sources' table, the comparisons and the agreement, with how each is made."""
    ref = PAPER.get(paper, {}) if paper else {}
    head = "| source | human score | 95% interval | answers | items | raters |"
    rule = "| --- | ---: | :---: | ---: | ---: | ---: |"
    if paper:
        head, rule = head + f" paper ({paper}) |", rule + " ---: |"
    lines = [f"# Human evaluation: {title}", "", head, rule]
    for name, s in result["sources"].items():
        row = (
            f"| {name} | {_f(s['score'])} | {_interval(s)} | {s['answers']} "
            f"| {s['items']} | {s['raters']} |"
        )
        lines.append(row + (f" {_f(ref.get(name), 4)} |" if paper else ""))
    lines += [
        "",
        "| comparison | mean per-rater difference | raters | Wilcoxon W | p |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for c in result["comparisons"]:
        lines.append(
            f"| {c['a']} − {c['b']} | {_f(c['diff'])} | {c['raters']} | {_f(c['statistic'], 1)} "
            f"| {_f(c['p'], 4)} |"
        )
    kappa = result["fleiss_kappa"]
    lines += [
        "",
        f"Fleiss' κ (agreement between raters, items judged at least twice): {_f(kappa)}",
        "",
        f"{result['answers']} answers from {result['raters']} raters. Score: {result['rule']}. "
        f"Interval: {result['interval']}, items held fixed. Test: {result['test']}.",
    ]
    if paper:
        lines += ["", PAPER_NOTE]
    return "\n".join(lines) + "\n"


def plot(result: dict, path: Path, paper: str | None = None) -> None:
    """score.png: each source's score with its interval, the paper's as open diamonds."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(result["sources"])
    fig, ax = plt.subplots(figsize=(5, 0.6 * len(names) + 1.2))
    for y, name in enumerate(names):
        s = result["sources"][name]
        if s["score"] is not None:
            ax.errorbar(
                s["score"],
                y,
                xerr=[[s["score"] - s["low"]], [s["high"] - s["score"]]],
                fmt="o",
                color="C0",
                capsize=4,
                label="ours (95% rater bootstrap)" if y == 0 else None,
            )
        ref = PAPER.get(paper, {}).get(name) if paper else None
        if ref is not None:
            ax.plot(ref, y, "D", mfc="none", color="C3", label=f"paper ({paper})")
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(dict(zip(labels, handles)).values(), dict(zip(labels, handles)), fontsize=8)
    ax.set_yticks(range(len(names)), names)
    ax.set_xlim(0, 1)
    ax.axvline(0.5, color="grey", lw=0.8, ls=":")
    ax.set_xlabel("human score (share judged written by a person)")
    fig.tight_layout()
    with atomic_write(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)


def write(result: dict, out: Path, title: str, paper: str | None = None) -> str:
    """Write score.json, score.md and score.png into `out`; returns the markdown."""
    out.mkdir(parents=True, exist_ok=True)
    text = render(result, title, paper)
    stored = {**result, "paper": {"name": paper, "scores": PAPER[paper]} if paper else None}
    for name, body in (("score.json", json.dumps(stored, indent=1) + "\n"), ("score.md", text)):
        with atomic_write(out / name) as tmp:
            Path(tmp).write_text(body, encoding="utf-8")
    plot(result, out / "score.png", paper)
    return text
