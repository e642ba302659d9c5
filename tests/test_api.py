"""The Python API (seqgan_ray/api.py): docs/api.md's example runs as written, and its checks of
bad input are one clear error each."""

import json
import re
from pathlib import Path

import pytest

from seqgan_ray import api, presets
from seqgan_ray.config import ConfigError
from seqgan_ray.errors import UserError

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "api.md"


def python_block(page: Path) -> str:
    """The page's one fenced python block."""
    blocks = re.findall(r"^```python\n(.*?)^```", page.read_text(), flags=re.M | re.S)
    assert len(blocks) == 1, (
        f"{page.name} should hold exactly one python block, found {len(blocks)}"
    )
    return blocks[0]


def doc_example() -> str:
    return python_block(DOC)


def test_the_readmes_python_quickstart_runs_as_written(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    scope: dict = {}
    exec(compile(python_block(ROOT / "README.md"), "README.md", "exec"), scope)
    run = scope["run"]
    assert Path(run.path).resolve() == (tmp_path / "runs" / "readme-tiny").resolve()
    assert run.config == scope["cfg"] and run.config.schedule.adversarial_iterations == 2
    rows = [json.loads(line) for line in (run.path / "metrics.jsonl").read_text().splitlines()]
    final = rows[-1]["final/nll_oracle"]
    evals = [(r["epoch"], r["eval/nll_oracle"]) for r in rows if "eval/nll_oracle" in r]
    assert capsys.readouterr().out == f"{final} {evals}\n"


def test_the_docs_example_runs_and_its_numbers_are_the_files(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    scope: dict = {}
    exec(compile(doc_example(), str(DOC), "exec"), scope)

    cfg, summary, run, curve = scope["cfg"], scope["summary"], scope["run"], scope["curve"]
    out = tmp_path / "runs" / "api-tiny"
    # the change took: 2 adversarial iterations, seed 1, the rest is tiny's
    assert (cfg.schedule.adversarial_iterations, cfg.seed) == (2, 1)
    assert cfg.schedule.mle_epochs == presets.TINY.schedule.mle_epochs
    assert api.RunConfig.from_file(out / "config.json") == cfg == run.config
    # the summary's numbers are the run directory's: the final row and the last MLE evaluation
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    final = rows[-1]
    assert final["phase"] == "final"
    assert summary["final/nll_oracle"] == final["final/nll_oracle"] == run.final["final/nll_oracle"]
    mle_evals = [
        r["eval/nll_oracle"] for r in rows if r["phase"] == "mle" and "eval/nll_oracle" in r
    ]
    assert summary["nll_oracle_after_mle"] == mle_evals[-1]
    assert [r["step"] for r in rows if r["phase"] == "adversarial"] == [0, 1]
    # tiny's oracle has 50 tokens: a per-token NLL between 0 and log 50 (+ a margin)
    assert 0 < run.final["final/nll_oracle"] < 4.5 and 0 < run.final["final/nll_test"] < 4.5
    # evaluations every 2 epochs and at each phase's end: MLE epochs 0, 2; adversarial 3, 4
    assert [epoch for epoch, _ in curve] == [0, 2, 3, 4]
    assert curve[1][1] == summary["nll_oracle_after_mle"]
    assert (out / "checkpoint.pt").exists() and (out / "samples.txt").exists()

    results = scope["results"]
    assert set(results["methods"]) == {"seqgan", "mle"}
    on_disk = json.loads((tmp_path / "runs" / "api-experiment" / "results.json").read_text())
    assert results["methods"] == on_disk["methods"]
    for method, row in results["methods"].items():
        run_dir = api.load_run(tmp_path / "runs" / "api-experiment" / method)
        assert row["nll_oracle"] == run_dir.final["final/nll_oracle"]
        assert row["n"] == presets.TINY.schedule.test_samples
    printed = capsys.readouterr().out
    assert f"final {run.final['final/nll_oracle']:.3f}" in printed
    assert f"SeqGAN: NLL-oracle {results['methods']['seqgan']['nll_oracle']:.3f}" in printed


def test_change_sets_fields_by_dotted_name():
    cfg = api.change(
        api.preset("demo"),
        {"schedule.g_steps": 2, "generator.adv_lr": 0.02, "seed": 7, "method.name": "seqgan+logit"},
    )
    assert (cfg.schedule.g_steps, cfg.generator.adv_lr, cfg.seed) == (2, 0.02, 7)
    # a variant sets its reward options; the logit reward comes with its baseline
    assert (cfg.method.name, cfg.method.reward, cfg.method.reward_baseline) == (
        "seqgan",
        "logit",
        "batch-mean",
    )
    assert api.change(cfg, {"method.name": "seqgan"}).method.reward == "d"
    # None is a value too: schedule.num_negatives None means |S|
    assert api.change(presets.DEMO, {"schedule.num_negatives": None}).num_negatives == 10_000
    assert presets.DEMO.schedule.g_steps == 1  # presets are never modified


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"schedule.g_stepz": 2}, r"unknown field\(s\) g_stepz in config section 'schedule'"),
        ({"sched.g_steps": 2}, r"unknown config section 'sched'"),
        ({"seeds": 2}, r"unknown field\(s\) seeds in the run's own fields"),
        ({"schedule.g_steps": 0}, r"g_steps"),
        ({"method.name": "seqgan+nope"}, r"unknown reward variant"),
    ],
)
def test_bad_changes_are_one_config_error(changes, message):
    with pytest.raises(ConfigError, match=message):
        api.change(presets.TINY, changes)


def test_unknown_presets_and_missing_runs_are_one_error(tmp_path):
    with pytest.raises(ConfigError, match="unknown preset 'nope'"):
        api.preset("nope")
    with pytest.raises(ConfigError, match="unknown data preset 'nope'"):
        api.preset("nope", tmp_path)
    with pytest.raises(UserError, match="holds no run"):
        api.load_run(tmp_path)
    with pytest.raises(ConfigError, match="not found"):
        api.load_results(tmp_path)
    with pytest.raises(ConfigError, match="drop --init-from"):
        api.train(None, tmp_path, resume=True, init_from=tmp_path, ray=False)
