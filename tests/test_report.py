"""`seqgan-ray report PATH`: a figure and a markdown summary for a run and an experiment (one
seed or several), whose numbers are the runs' final metrics (a sweep's: tests/test_sweep.py); a
bad PATH is one line, exit 2."""

import numpy as np
import pytest
from test_cli import run_cli

from seqgan_ray import config as C
from seqgan_ray import presets
from seqgan_ray.driver.rundir import read_metrics
from seqgan_ray.driver.trainer import train
from seqgan_ray.methods import method_named

PNG = b"\x89PNG"


def table(md: str, heading: str | None = None) -> dict[str, dict[str, str]]:
    """The markdown's first table (after `heading`): {first cell: {column: cell}}."""
    text = md.split(heading, 1)[1] if heading else md
    lines = text.split("\n| ", 1)[1].split("\n\n", 1)[0].splitlines()
    rows = ["| " + lines[0], *(ln for ln in lines[1:] if not ln.startswith("| ---"))]
    head = [c.strip() for c in rows[0].strip("|").split("|")]
    out = {}
    for line in rows[1:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        out[cells[0]] = dict(zip(head, cells))
    return out


def final(run) -> dict[str, float]:
    row = [r for r in read_metrics(run / "metrics.jsonl") if r["phase"] == "final"][-1]
    return {k: v for k, v in row.items() if k.startswith("final/")}


def report(capsys, *args):
    code, out, err = run_cli(capsys, "report", *args)
    assert code == 0, err
    return out


def test_run_report(tmp_path, capsys):
    run = tmp_path / "run"
    train(presets.TINY, run, show_progress=False)
    out = report(capsys, run)
    assert "report.png" in out and (run / "report.png").read_bytes()[:4] == PNG
    md = (run / "report.md").read_text()
    assert md.startswith("# Run report: run")
    assert "3 MLE epochs, 2 D pre-training rounds × 1 epoch(s), 4 adversarial iterations" in md
    (row,) = table(md).values()
    wanted = final(run)
    assert set(row) - {"method"} == set(wanted)
    for key, value in wanted.items():
        assert float(row[key]) == round(value, 4), key
    # --out names the figure; the markdown goes beside it
    report(capsys, run, "--out", tmp_path / "fig.png")
    assert (tmp_path / "fig.png").read_bytes()[:4] == PNG and (tmp_path / "fig.md").exists()
    # a run still in progress (no final evaluation yet) says so instead of an empty table
    metrics = run / "metrics.jsonl"
    metrics.write_text(
        "".join(ln + "\n" for ln in metrics.read_text().splitlines() if '"final"' not in ln)
    )
    report(capsys, run)
    md = (run / "report.md").read_text()
    final_section = md.split("## Final evaluation", 1)[1].split("\n## ", 1)[0]
    assert "None yet: no run has finished" in final_section and "|" not in final_section


@pytest.mark.parametrize("seeds", [None, "88,89"])
def test_experiment_report(tmp_path, capsys, seeds):
    out = tmp_path / "exp"
    args = ["experiment", "synthetic", "--preset", "tiny", "--methods", "seqgan,mle,random"]
    args += ["--out", out, "--jobs", "2", "--no-progress"] + (["--seeds", seeds] if seeds else [])
    code, _, err = run_cli(capsys, *args)
    assert code == 0, err
    report(capsys, out)
    assert (out / "report.png").read_bytes()[:4] == PNG
    rows = table((out / "report.md").read_text())
    assert set(rows) == {"SeqGAN", "MLE", "Random"}
    units = [out] if seeds is None else [out / f"seed-{s}" for s in seeds.split(",")]
    for label, method in (("SeqGAN", "seqgan"), ("MLE", "mle"), ("Random", "random")):
        finals = [final(u / method) for u in units]
        for key in ("final/nll_oracle", "final/nll_test"):
            mean = float(np.mean([f[key] for f in finals]))  # over seeds
            assert float(rows[label][key]) == round(mean, 4), (label, key)
    md = (out / "report.md").read_text()
    if seeds:
        assert "mean over 2 seeds" in md and "methods seqgan, mle, random, seeds 88, 89" in md
    # the game: SeqGAN's diagnostics (MLE and Random have none), its last iteration's
    # NLL-oracle the mean of its runs' last evaluation
    game = [ln for ln in md.split("## The game", 1)[1].splitlines() if ln.startswith("| ")]
    assert {ln.split(" | ")[0] for ln in game[2:]} == {"| SeqGAN"}
    last = game[-1].strip("| ").split(" | ")
    evals = [
        [r["eval/nll_oracle"] for r in read_metrics(u / "seqgan" / "metrics.jsonl")
         if r["phase"] == "adversarial" and "eval/nll_oracle" in r][-1]
        for u in units
    ]  # fmt: skip
    assert last[1] == str(presets.TINY.schedule.adversarial_iterations - 1)
    assert last[2] == f"{np.mean(evals):.3g}"


def test_several_runs_side_by_side(tmp_path, capsys):
    """Figure 3's use: runs with other training strategies, a panel each, one table row each
    with the strategy's knobs and each method's final main metric."""
    strategies = {"g1-d1-k1": (1, 1, 1), "g2-d2-k3": (2, 2, 3)}
    for name, (g, d, k) in strategies.items():
        cfg = C.override(presets.TINY, "schedule", g_steps=g, d_steps=d, k_epochs=k)
        train(cfg, tmp_path / name, show_progress=False)
    mle = tmp_path / "mle"
    mle_cfg = C.replace(presets.TINY, method=method_named(presets.TINY.method, "mle"))
    train(mle_cfg, mle, show_progress=False)
    runs = [tmp_path / name for name in strategies]
    code, _, err = run_cli(capsys, "report", *runs)
    assert code == 2 and "give --out" in err and len(err.strip().splitlines()) == 1
    report(capsys, *runs, mle, "--out", tmp_path / "fig3.png")
    assert (tmp_path / "fig3.png").read_bytes()[:4] == PNG
    rows = table((tmp_path / "fig3.md").read_text())
    assert set(rows) == {*strategies, "mle"}
    for name, (g, d, k) in strategies.items():
        row = rows[name]
        assert (row["g-steps"], row["d-steps"], row["k"]) == (str(g), str(d), str(k))
        done = final(tmp_path / name)
        assert float(row["SeqGAN"]) == round(done["final/nll_oracle"], 4)
        assert float(row["SeqGAN NLL-test"]) == round(done["final/nll_test"], 4)
        assert row["MLE"] == row["MLE NLL-test"] == "–"
    assert float(rows["mle"]["MLE"]) == round(final(mle)["final/nll_oracle"], 4)
    assert float(rows["mle"]["MLE NLL-test"]) == round(final(mle)["final/nll_test"], 4)


def test_a_bad_path_is_one_line_and_exit_2(tmp_path, capsys):
    (tmp_path / "file.txt").write_text("x")
    for path, message in (
        (tmp_path / "missing", "not found"),
        (tmp_path / "file.txt", "is not a directory"),
        (tmp_path, "is not a run, experiment or sweep directory"),
    ):
        code, _, err = run_cli(capsys, "report", path)
        assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "report.png").exists()
