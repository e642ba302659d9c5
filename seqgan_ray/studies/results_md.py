"""results.md: the Table-1-style table of an experiment, rendered from its results.json alone
(one seed here; several seeds by seeds.render_seed_results with this module's formats)."""

from __future__ import annotations

from seqgan_ray.studies.sample_checks import render_checks
from seqgan_ray.studies.seeds import closing_lines, render_seed_results

_COLUMN_LABELS = {
    "nll_oracle": "NLL-oracle",
    "nll_test": "NLL-test",
    "mse": "pitch MSE",
    "length": "mean length",
}


def _column_label(key: str) -> str:
    return _COLUMN_LABELS.get(key) or (f"BLEU-{key[4:]}" if key.startswith("bleu") else key)


def render_results(results: dict) -> str:
    """results.md from results.json alone (so the table can always be re-made from the JSON)."""
    if results.get("seeds"):
        return render_seed_results(results, _format_p, _column_label)
    rows, tests = results["methods"], results["t_tests_vs_seqgan"]
    metric = results["metric"]
    key, label = metric["key"], metric["label"]
    first = next(iter(rows.values()), {})
    # Every other final metric, NLL-test last (the diversity side, issue 7), paper values beside.
    others = [k for k in first.get("final", {}) if k not in (key, "nll_test")]
    others += ["nll_test"] if "nll_test" in first.get("final", {}) else []
    direction = "higher" if metric["higher"] else "lower"
    paper_column = _has_paper(rows, key)  # none for a user's own data
    head = f"| method | {label} (ours) | ± std |{' paper |' * paper_column} p-value vs SeqGAN (Welch) |"
    for k in others:
        head += f" {_column_label(k)} |" + (" paper |" if _has_paper(rows, k) else "")
    lines = [
        f"# {results['title']}: {label} ({direction} is better)",
        "",
        head,
        "|" + " --- |" * (head.count("|") - 1),
    ]
    for m, row in rows.items():
        paper = _paper(row, key)
        p = "–" if m not in tests else _format_p(tests[m]["p"])
        paper = f" {paper} |" if paper_column else ""
        line = f"| {row['label']} | {row[key]:.3f} | {row['std']:.3f} |{paper} {p} |"
        for k in others:
            value = row.get("final", {}).get(k)
            line += " – |" if value is None else f" {value:.3f} |"
            line += f" {_paper(row, k)} |" if _has_paper(rows, k) else ""
        lines.append(line)
    n = first.get("n", 0)
    lines += [
        "",
        f"Per-sequence {label} of {n:,} samples per method; the t-tests compare SeqGAN's "
        "per-sequence values with each method's (two-sided, unequal variances): they measure "
        "the sampling noise of this seed's samples only, not how results vary between seeds.",
    ]
    official = " (the official code's log: 9.07)" if key == "nll_oracle" else ""
    lines += closing_lines(results, label, ": {value:.3f}" + official)
    if results.get("checks"):
        lines += render_checks({"": results["checks"]})
    return "\n".join(lines) + "\n"


def _paper(row: dict, key: str) -> str:
    found = row["paper"].get(key)
    return "–" if found is None else f"{found:.3f}"


def _has_paper(rows: dict, key: str) -> bool:
    return any(_paper(row, key) != "–" for row in rows.values())


def _format_p(p: float) -> str:
    if p == 0.0:
        return "< 1e-300"
    return f"{p:.1e}" if p < 1e-3 else f"{p:.3f}"
