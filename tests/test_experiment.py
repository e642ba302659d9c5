"""`seqgan-ray experiment synthetic` on a tiny config: every artifact, t-tests, reproducible table."""

import json
import shutil

import numpy as np
import pytest
from scipy import stats

from seqgan_ray import config as C
from seqgan_ray import presets
from seqgan_ray.cli.app import app
from seqgan_ray.errors import UserError
from seqgan_ray.studies.experiment import parse_methods, render_results
from seqgan_ray.studies.plots import official_log_points
from seqgan_ray.studies.significance import welch


@pytest.fixture(scope="module")
def experiment(tmp_path_factory):
    out = tmp_path_factory.mktemp("exp") / "tiny"
    try:
        app(
            ["experiment", "synthetic", "--preset", "tiny", "--out", str(out), "--jobs", "2"],
            standalone_mode=False,
        )
    except SystemExit as exc:  # typer may exit 0 at the end
        assert exc.code in (0, None)
    return out


def test_experiment_writes_every_method_with_p_values(experiment):
    results = json.loads((experiment / "results.json").read_text())
    methods = set(results["methods"])
    assert methods == {
        "seqgan",
        "shuffled",
        "row_shuffled",
        "mle",
        "ss",
        "pg_bleu",
        "constant",
        "random",
    }
    assert set(results["t_tests_vs_seqgan"]) == methods - {"seqgan"}
    for m, test in results["t_tests_vs_seqgan"].items():
        seq = np.load(experiment / "seqgan" / "final_nll_oracle.npy")
        other = np.load(experiment / m / "final_nll_oracle.npy")
        assert test["p"] == pytest.approx(stats.ttest_ind(seq, other, equal_var=False).pvalue)
    for m, row in results["methods"].items():
        assert row["n"] == presets.TINY.schedule.test_samples
        assert row["curve"] or m == "random"
    assert results["after_mle"] is not None and results["metric"]["key"] == "nll_oracle"
    png = experiment / "learning_curves.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000


def test_the_official_log_sits_at_its_own_g_step_count_on_the_epoch_axis():
    # sequence_gan.py logs iteration k after its (k + 1)-th g-step, as our adversarial step k
    # (epoch 50 + k after 50 MLE epochs) is; a 50-iteration run ends at step 49, one g-step short
    # of the official 50, which is still drawn; 100 and 150 are not.
    assert official_log_points(50, 99.0) == [
        (50, 9.08457), (60, 9.03079), (80, 8.91642), (100, 8.83388)
    ]  # fmt: skip
    assert official_log_points(50, 98.0)[-1] == (80, 8.91642)
    assert official_log_points(120, 270.0)[-1] == (270, 8.68320)


def test_results_table_reproduces_from_results_json(experiment):
    results = json.loads((experiment / "results.json").read_text())
    assert (experiment / "results.md").read_text() == render_results(results)
    table = (experiment / "results.md").read_text()
    assert "| SeqGAN |" in table and "8.736" in table  # the paper's number beside ours
    assert table.endswith(
        f"({results['pretrain_epochs']} epochs): {results['after_mle']:.3f} (the official "
        f"code's log: 9.07).\nWall time: {results['wall_s'] / 60:.1f} min.\n"
    )


def test_rerunning_a_finished_experiment_reuses_its_runs(experiment):
    before = (experiment / "seqgan" / "metrics.jsonl").read_text()
    wall = json.loads((experiment / "results.json").read_text())["wall_s"]
    app(
        ["experiment", "synthetic", "--preset", "tiny", "--out", str(experiment)],
        standalone_mode=False,
    )
    assert (experiment / "seqgan" / "metrics.jsonl").read_text() == before
    assert json.loads((experiment / "results.json").read_text())["wall_s"] >= wall  # summed


def test_wall_time_counts_an_invocation_killed_before_its_results(experiment, tmp_path):
    """wall.json keeps the time of every finished step: an experiment killed after its methods
    but before its results, then resumed, reports the first invocation's time too."""
    first = json.loads((experiment / "wall.json").read_text())["wall_s"]
    assert first == json.loads((experiment / "results.json").read_text())["wall_s"]
    killed = tmp_path / "killed"
    shutil.copytree(experiment, killed)
    (killed / "results.json").unlink()
    (killed / "results.md").unlink()
    app(
        ["experiment", "synthetic", "--preset", "tiny", "--out", str(killed)],
        standalone_mode=False,
    )
    resumed = json.loads((killed / "results.json").read_text())["wall_s"]
    assert resumed >= first > 1.0  # the pre-training and seven methods took seconds at least
    assert f"Wall time: {resumed / 60:.1f} min." in (killed / "results.md").read_text()


def test_a_method_killed_before_its_first_checkpoint_starts_again(experiment, tmp_path):
    """A session that ends seconds into a run leaves config.json and an empty metrics.jsonl but
    no checkpoint.pt; re-running the experiment runs it from the start (it refused the directory
    as "already holds a run"), and reproduces the row the uninterrupted run wrote."""
    killed = tmp_path / "killed"
    shutil.copytree(experiment, killed)
    for name in ("checkpoint.pt", "final_nll_oracle.npy", "samples.txt"):
        (killed / "mle" / name).unlink(missing_ok=True)
    (killed / "mle" / "metrics.jsonl").write_text("")
    for name in ("results.json", "results.md"):
        (killed / name).unlink()
    app(
        ["experiment", "synthetic", "--preset", "tiny", "--out", str(killed)],
        standalone_mode=False,
    )
    again = json.loads((killed / "results.json").read_text())["methods"]["mle"]
    first = json.loads((experiment / "results.json").read_text())["methods"]["mle"]
    assert again["nll_oracle"] == pytest.approx(first["nll_oracle"])
    assert (killed / "mle" / "checkpoint.pt").exists()


def test_welch_matches_scipy_on_fixed_inputs():
    a = np.array([8.1, 8.7, 9.0, 8.4, 8.9, 8.2])
    b = np.array([9.3, 9.1, 9.6, 8.8, 9.4])
    ours = welch(a, b)
    ref = stats.ttest_ind(a, b, equal_var=False)
    assert ours["t"] == pytest.approx(ref.statistic) and ours["p"] == pytest.approx(ref.pvalue)
    # Welch-Satterthwaite by hand
    va, vb = a.var(ddof=1) / 6, b.var(ddof=1) / 5
    assert ours["dof"] == pytest.approx((va + vb) ** 2 / (va**2 / 5 + vb**2 / 4))
    assert ours["mean_a"] == pytest.approx(a.mean())


def test_unknown_methods_are_refused():
    assert parse_methods("seqgan, mle") == ("seqgan", "mle")
    with pytest.raises(UserError, match="unknown method"):
        parse_methods("seqgan,gail")


def test_frontier_writes_one_curve_per_method(experiment, monkeypatch):
    from seqgan_ray.studies import frontier
    from seqgan_ray.studies.frontier import pareto_front, run_frontier

    methods = ["mle", "seqgan", "shuffled", "constant"]
    result = run_frontier(experiment, methods, (0.7, 1.0, 1.4), 200, print)
    saved = json.loads((experiment / "frontier.json").read_text())
    assert saved == json.loads(json.dumps(result))
    assert set(saved["curves"]) == {"pretrain", *methods}  # the pre-trained G as a reference
    for points in saved["curves"].values():
        assert [p["temperature"] for p in points] == [0.7, 1.0, 1.4]
        assert all({"nll_oracle", "nll_test"} <= set(p) for p in points)
    assert set(saved["vs_pretrained_g"]) == set(methods)
    assert set(saved["vs_temperature_tuned_mle"]) == {"seqgan", "shuffled", "constant"}
    assert set(saved["vs_temperature_tuned_shuffled"]) == {"seqgan", "constant"}
    # SeqGAN's tau = 1 gap, by hand: the reference's points sorted by NLL-test (the front, when
    # its NLL-oracle falls as NLL-test rises), linearly interpolated at SeqGAN's NLL-test
    mine = saved["curves"]["seqgan"][1]
    for name, ref in (
        ("vs_pretrained_g", "pretrain"),
        ("vs_temperature_tuned_mle", "mle"),
        ("vs_temperature_tuned_shuffled", "shuffled"),
    ):
        front = pareto_front(saved["curves"][ref], "nll_oracle", False)
        xs, ys = [p["nll_test"] for p in front], [p["nll_oracle"] for p in front]
        gap = saved[name]["seqgan"]["gap_at_tau1"]
        if xs[0] <= mine["nll_test"] <= xs[-1]:
            assert gap == pytest.approx(np.interp(mine["nll_test"], xs, ys) - mine["nll_oracle"])
        else:
            assert gap is None or mine["nll_oracle"] >= ys[-1]
    # Interrupted after three methods: only the missing one is swept again, the rest is reused.
    partial = {**saved, "curves": {m: c for m, c in saved["curves"].items() if m != "constant"}}
    (experiment / "frontier.json").write_text(json.dumps(partial))
    swept = []

    def sweep_once(task, gen, temperatures, samples, key, metric):
        swept.append(gen)
        return saved["curves"]["constant"]

    monkeypatch.setattr(frontier, "sweep", sweep_once)
    assert run_frontier(experiment, methods, (0.7, 1.0, 1.4), 200, print) == result
    assert len(swept) == 1
    # a copy without checkpoints (a seed banked or run elsewhere) reuses every curve it holds
    copy = experiment.parent / "frontier-copy"
    shutil.copytree(experiment, copy, ignore=shutil.ignore_patterns("checkpoint.pt"))
    assert run_frontier(copy, methods, (0.7, 1.0, 1.4), 200, print) == result
    assert len(swept) == 1
    # other temperatures: nothing is reused (every method and the pre-trained G sweep again)
    run_frontier(experiment, methods, (0.7, 1.0), 200, print)
    assert len(swept) == 1 + len(methods) + 1
    png = experiment / "frontier.png"
    assert png.read_bytes()[:4] == b"\x89PNG" and png.stat().st_size > 10_000


def test_runs_differing_only_in_adversarial_lr_share_a_pretraining(tmp_path):
    """A run started from another run's MLE pre-training (with another adversarial learning rate)
    logs exactly what it logs when it pre-trains by itself, and takes the MLE lines over as they
    are rather than re-running them (their timings are the pre-training run's)."""
    from seqgan_ray.driver.rundir import read_metrics
    from seqgan_ray.driver.trainer import train

    base = C.override(presets.TINY, "schedule", adversarial_iterations=0, d_pretrain_rounds=0)
    train(base, tmp_path / "pre", show_progress=False)
    other = C.override(C.override(presets.TINY, "generator", adv_lr=0.05), "schedule",
                       adversarial_iterations=1)  # fmt: skip
    assert other.generator.adv_lr != base.generator.adv_lr
    train(other, tmp_path / "run", show_progress=False, init_from=tmp_path / "pre")
    train(other, tmp_path / "alone", show_progress=False)

    def rows(name, timings=False):
        return [
            {
                k: v
                for k, v in r.items()
                if timings or not (k.startswith("perf/") or k.endswith("_s"))
            }
            for r in read_metrics(tmp_path / name / "metrics.jsonl")
        ]

    assert rows("run") == rows("alone")
    assert [r["phase"] for r in rows("run")].count("adversarial") == 1
    mle = [r for r in rows("pre", timings=True) if r["phase"] == "mle"]
    assert [r for r in rows("run", timings=True) if r["phase"] == "mle"] == mle


def test_an_experiment_started_from_another_ones_pretraining_repeats_its_runs(experiment, tmp_path):
    """`--init-from EXPERIMENT`: no pre-training of its own, and a method starting from the same
    G gives exactly the run the source experiment gave (the same config, the same start)."""
    from seqgan_ray.driver.rundir import read_metrics

    out = tmp_path / "again"
    args = ["experiment", "synthetic", "--preset", "tiny", "--methods", "seqgan"]
    app([*args, "--out", str(out), "--init-from", str(experiment)], standalone_mode=False)

    def rows(run):
        return [
            {k: v for k, v in r.items() if not k.startswith("perf/")}
            for r in read_metrics(run / "metrics.jsonl")
        ]

    assert not (out / "pretrain").exists()
    assert rows(out / "seqgan") == rows(experiment / "seqgan")
    results = json.loads((out / "results.json").read_text())
    assert (
        results["after_mle"] == json.loads((experiment / "results.json").read_text())["after_mle"]
    )
    spec = json.loads((out / "experiment.json").read_text())
    assert spec["init_from"] == str(experiment.resolve())
    # resuming it without saying where it started from would pre-train anew: refused
    with pytest.raises(UserError, match="started from"):
        app([*args, "--out", str(out)], standalone_mode=False)


def test_init_from_a_pretraining_that_does_not_fit_is_one_line(experiment, tmp_path):
    """Another seed's (hence another S's) pre-training, or a directory without a run: one
    `error:` line through the installed entry point, exit 2, nothing written."""
    from test_cli_usage import run

    for extra, says in (
        (["--seed", "5", "--init-from", str(experiment)], "its seed differs from this run's"),
        (["--init-from", str(tmp_path)], "no checkpoint.pt in it"),
    ):
        line = ["experiment", "synthetic", "--preset", "tiny", "--out", "exp", *extra]
        result = run([*line, "--no-progress"], tmp_path)
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
        assert result.stderr.splitlines() == [result.stderr.strip()], result.stderr
        assert result.stderr.startswith("error: ") and says in result.stderr, result.stderr
        assert not (tmp_path / "exp").exists()


def test_train_init_from_an_experiments_pretraining_is_that_experiments_run(
    experiment, tmp_path, capsys
):
    """`train --init-from EXP/pretrain` (one thread, as the experiment's workers) is the
    experiment's SeqGAN run; with --resume, or not fitting, it is one line, exit 2."""
    from test_cli import run_cli
    from test_cli_usage import run

    from seqgan_ray.driver.rundir import read_metrics

    out = tmp_path / "run"
    args = ["train", "synthetic", "--preset", "tiny", "--no-ray", "--threads", "1"]
    code, _, err = run_cli(
        capsys, *args, "--init-from", experiment / "pretrain", "--out", out, "--no-progress"
    )
    assert code == 0, err

    def rows(run):
        return [
            {k: v for k, v in r.items() if not k.startswith("perf/")}
            for r in read_metrics(run / "metrics.jsonl")
        ]

    assert rows(out) == rows(experiment / "seqgan")
    for extra, says in (
        (["--resume", str(out)], "drop --init-from"),
        (["--seed", "5", "--out", "other"], "its seed differs from this run's"),
    ):
        result = run([*args, "--init-from", str(experiment / "pretrain"), *extra], tmp_path)
        assert result.returncode == 2 and result.stderr.startswith("error: "), result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and says in result.stderr
    assert not (tmp_path / "other").exists()
