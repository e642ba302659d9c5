"""Seeds and intervals (`experiment --seeds`), --print-config, and the issue-15 presets."""

import dataclasses
import json
import math
import shutil

import numpy as np
import pytest
import torch
from test_cli import run_cli

from seqgan_ray import config as C
from seqgan_ray import presets
from seqgan_ray.cli.app import app
from seqgan_ray.core import learner as learner_module
from seqgan_ray.core import sampling
from seqgan_ray.core.learner import Learner
from seqgan_ray.core.models import Discriminator, Generator
from seqgan_ray.core.rollout import DiscriminatorReward, estimate_q
from seqgan_ray.core.sampling import derive_seed, sample_negatives, sample_sequences
from seqgan_ray.driver.rundir import RunDir, read_metrics
from seqgan_ray.driver.trainer import LocalRuntime, train
from seqgan_ray.errors import UserError
from seqgan_ray.studies.experiment import parse_methods, render_results
from seqgan_ray.studies.seeds import parse_seeds, seed_config
from seqgan_ray.studies.significance import paired, pooled, t_interval

T_975_DOF2 = 4.302652729911275  # Student t, 97.5 % quantile, 2 degrees of freedom (tables)


def test_t_interval_of_three_values_by_hand():
    # mean 2, s = 1, half-width = 4.3027 * 1 / sqrt(3) = 2.48414
    lo, hi = t_interval([1.0, 2.0, 3.0])
    assert (lo, hi) == pytest.approx((2 - T_975_DOF2 / math.sqrt(3), 2 + T_975_DOF2 / math.sqrt(3)))
    assert hi - 2 == pytest.approx(2.48414, abs=1e-5)
    assert t_interval([5.0]) is None


def test_paired_t_test_by_hand():
    # differences (1, 0, 2): mean 1, s 1, t = 1 / (1 / sqrt 3) = sqrt 3; with 2 dof the two-sided
    # p is 1 - t / sqrt(2 + t^2) = 1 - sqrt(3/5)
    result = paired([1.0, 2.0, 3.0], [0.0, 2.0, 1.0])
    assert result["t"] == pytest.approx(math.sqrt(3))
    assert result["p"] == pytest.approx(1 - math.sqrt(3 / 5))
    assert (result["dof"], result["mean_diff"]) == (2.0, 1.0)


def test_paired_t_test_of_students_sleep_data():
    # Cushny & Peebles' sleep data as Student (1908) analysed it (R's `sleep`): extra hours of
    # sleep of 10 patients under two drugs. R's t.test(extra ~ group, data = sleep, paired = TRUE)
    # prints t = -4.0621, df = 9, p-value = 0.002833, mean difference -1.58
    drug1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
    drug2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]
    result = paired(drug1, drug2)
    assert result["t"] == pytest.approx(-4.0621, abs=5e-5)
    assert result["p"] == pytest.approx(0.002833, abs=5e-7)
    assert result["dof"] == 9.0 and result["mean_diff"] == pytest.approx(-1.58)


def test_paired_t_test_with_one_degree_of_freedom_by_hand():
    # differences (1, 3): mean 2, s = sqrt 2, t = 2 / (sqrt 2 / sqrt 2) = 2; Student t with 1
    # dof is Cauchy, two-sided p = 1 - (2 / pi) atan |t| = 0.29517
    result = paired([3.0, 5.0], [2.0, 2.0])
    assert result["t"] == pytest.approx(2.0)
    assert result["p"] == pytest.approx(1 - 2 / math.pi * math.atan(2.0))
    # differences (1, -1, 2, -2): mean 0, t = 0, p = 1
    assert paired([1.0, 0.0, 2.0, 0.0], [0.0, 1.0, 0.0, 2.0])["p"] == pytest.approx(1.0)
    assert paired([1.0], [2.0]) is None
    with pytest.raises(ValueError, match="as many values"):
        paired([1.0, 2.0], [1.0])


def test_paired_p_is_symmetric_and_small_for_consistent_differences():
    rng = np.random.default_rng(0)
    a, b = rng.normal(9.0, 0.05, 5), rng.normal(9.0, 0.05, 5)
    ab, ba = paired(a, b), paired(b, a)
    assert ba["p"] == pytest.approx(ab["p"]) and ab["p"] > 0.05
    assert (ba["t"], ba["mean_diff"]) == pytest.approx((-ab["t"], -ab["mean_diff"]))
    assert paired(a + 3.0, b + 3.0)["p"] == pytest.approx(ab["p"])  # a shared shift cancels
    # every seed 1.0 apart, give or take 0.01: t ~ 1 / (0.01 / sqrt 5) ~ 220 with 4 dof
    assert paired(b + 1.0 + rng.normal(0.0, 0.01, 5), b)["p"] < 1e-6


def test_seed_arguments_parse_and_the_base_seed_is_the_base_config():
    assert seed_config(presets.TINY, 88) == presets.TINY
    with pytest.raises(UserError, match="--seeds must be"):
        parse_seeds("88,x")
    assert parse_seeds("88, 89,88") == (88, 89)


SHORT = C.override(
    presets.TINY, "schedule", mle_epochs=1, d_pretrain_rounds=1, adversarial_iterations=1,
    eval_interval=1, test_samples=64,
)  # fmt: skip


class Draws:
    """Spies on a run: G's and D's initial weights, S, the held-out set and the oracle, every key
    turned into a seed (sampling.derive_seed: every keyed stream, weight init and dropout), and
    the keys of the g-batches, the negatives and the roll-outs."""

    def __init__(self, monkeypatch):
        self.runs = []
        init, sample = Learner.__init__, Learner.sample
        q_values, negatives = Learner.q_values, LocalRuntime.negatives

        def spy_init(learner, cfg, task, device):
            init(learner, cfg, task, device)
            weights = {**learner.generator.state_dict()}
            weights |= {f"d.{k}": v for k, v in learner.discriminator.state_dict().items()}
            self.run.update(
                init={k: v.clone() for k, v in weights.items()},
                real=task.real.clone(),
                test=task.test.clone(),
                oracle=[p.detach().clone() for p in task.oracle.parameters()],
            )

        def spy(name, fn, at):
            def wrapped(*args):
                self.run[name].append(args[at])
                return fn(*args)

            return wrapped

        def spy_derive(*key):
            self.run["derived"].append(key)
            return derive_seed(*key)  # the original, imported before any patch

        monkeypatch.setattr(Learner, "__init__", spy_init)
        monkeypatch.setattr(Learner, "sample", spy("sample", sample, 2))
        monkeypatch.setattr(Learner, "q_values", spy("rollout", q_values, 2))
        monkeypatch.setattr(LocalRuntime, "negatives", spy("negatives", negatives, 3))
        monkeypatch.setattr(sampling, "derive_seed", spy_derive)
        monkeypatch.setattr(learner_module, "derive_seed", spy_derive)

    def __call__(self, seed: int, out) -> dict:
        run = self.run = {"derived": [], "sample": [], "negatives": [], "rollout": []}
        train(seed_config(SHORT, seed), out, show_progress=False)
        self.run = {"derived": [], "sample": [], "negatives": [], "rollout": []}  # later draws
        rows = read_metrics(out / "metrics.jsonl")
        run["metrics"] = [{k: v for k, v in r.items() if "perf/" not in k} for r in rows]
        return run


def _replayed(run: dict) -> list[torch.Tensor]:
    """The run's g-batch, negative and roll-out noise, replayed through one fixed G and D (so
    only the keys' random numbers differ between runs)."""
    torch.manual_seed(0)
    gen, disc = Generator(50, 8, 8, 8), Discriminator(50, 8, (1, 2), (4, 4)).eval()
    policy, y = gen.policy(), sample_sequences(gen.policy(), 8, (0, "y"))
    draws = [sample_sequences(policy, 8, key) for key in run["sample"]]
    draws += [sample_negatives(policy, 8, key, 4) for key in run["negatives"]]
    draws += [estimate_q(policy, DiscriminatorReward(disc), y, 2, key) for key in run["rollout"]]
    return draws


def test_a_seed_changes_every_random_stream_but_the_oracle(tmp_path, monkeypatch):
    draws = Draws(monkeypatch)
    a, again, b = (draws(s, tmp_path / f"run-{i}") for i, s in enumerate((88, 88, 89)))
    # the same seed: every stream and every logged number again, bit for bit
    assert a["derived"] == again["derived"] and a["metrics"] == again["metrics"]
    assert all(torch.equal(a["init"][k], again["init"][k]) for k in a["init"])
    assert torch.equal(a["real"], again["real"]) and torch.equal(a["test"], again["test"])
    assert all(torch.equal(x, y) for x, y in zip(_replayed(a), _replayed(again)))
    # another seed: no keyed stream is shared (init, S, held-out, batches, negatives, roll-outs,
    # dropout, evaluations, diagnostics), ...
    assert {derive_seed(*k) for k in a["derived"]}.isdisjoint(derive_seed(*k) for k in b["derived"])
    assert {k[1] for k in a["derived"]} >= {"init", "real_data", "test_data", "g_batch", "rollout"}
    # ... every weight G and D draw at random differs (D's constant biases, 0.1, do not) ...
    random = [k for k, v in a["init"].items() if v.unique().numel() > 1]
    assert len(random) >= 10 and all(not torch.equal(a["init"][k], b["init"][k]) for k in random)
    # ... S and the held-out set are other oracle draws (the oracle is peaked: the odd row, such
    # as all 36s, comes out the same at the same place) ...
    for part in ("real", "test"):
        assert (a[part] != b[part]).any(dim=1).float().mean() > 0.9
    # ... the same G and D fed seed 89's keys draw other batches, negatives and roll-outs ...
    replayed_a, replayed_b = _replayed(a), _replayed(b)
    assert len(replayed_a) == len(replayed_b) >= 4
    assert all(not torch.equal(x, y) for x, y in zip(replayed_a, replayed_b))
    assert a["metrics"][-1]["final/nll_oracle"] != b["metrics"][-1]["final/nll_oracle"]
    # ... and the oracle is the same
    assert all(torch.equal(x, y) for x, y in zip(a["oracle"], b["oracle"]))


def test_methods_and_variants_parse():
    assert parse_methods("seqgan,shuffled,seqgan+logit") == ("seqgan", "shuffled", "seqgan+logit")
    for bad in ("seqgan+gail", "mle+baseline", "gail"):
        with pytest.raises(UserError):
            parse_methods(bad)


def _experiment(out, *args):
    app(
        ["experiment", "synthetic", "--preset", "tiny", "--out", str(out), "--jobs", "2", *args],
        standalone_mode=False,
    )


def _snapshot(paths):
    return {
        str(f): (f.read_bytes(), f.stat().st_mtime_ns)
        for path in paths
        for f in sorted(path.rglob("*"))
        if f.is_file()
    }


@pytest.fixture(scope="module")
def three_seeds(tmp_path_factory):
    """`--seeds 1,2,3`, interrupted by a run that cannot start (seed 3's `shuffled` directory is
    blocked by a file), then run again: returns (out, files of the other runs before the rerun)."""
    out = tmp_path_factory.mktemp("seeds") / "exp"
    args = ("--seeds", "1,2,3", "--methods", "seqgan,mle,shuffled")
    (out / "seed-3").mkdir(parents=True)
    (out / "seed-3" / "shuffled").write_text("not a directory")
    with pytest.raises(UserError, match="cannot create run directory"):
        _experiment(out, *args)
    assert not (out / "results.json").exists()
    done = [out / f"seed-{s}" / m for s in (1, 2, 3) for m in ("pretrain", "seqgan", "mle")]
    done += [out / "seed-1" / "shuffled", out / "seed-2" / "shuffled"]
    assert all(RunDir(d).final_nll.exists() for d in done)  # everything else finished
    before = _snapshot(done)
    (out / "seed-3" / "shuffled").unlink()
    _experiment(out, *args)
    return out, before, done


def test_rerun_resumes_without_redoing_finished_runs(three_seeds):
    out, before, done = three_seeds
    assert _snapshot(done) == before  # bytes and modification times
    assert RunDir(out / "seed-3" / "shuffled").final_nll.exists()


def test_results_over_seeds_have_per_seed_values_and_intervals(three_seeds):
    out, _, _ = three_seeds
    results = json.loads((out / "results.json").read_text())
    assert results["seeds"] == [1, 2, 3]
    assert set(results["methods"]) == {"seqgan", "mle", "shuffled"}
    for m, row in results["methods"].items():
        assert [r["seed"] for r in row["seeds"]] == [1, 2, 3]
        values = []
        for r in row["seeds"]:
            own = json.loads((out / f"seed-{r['seed']}" / "results.json").read_text())
            assert r["nll_oracle"] == own["methods"][m]["nll_oracle"]
            assert r["final"]["nll_test"] == own["methods"][m]["final"]["nll_test"]
            values.append(r["nll_oracle"])
        half = T_975_DOF2 * np.std(values, ddof=1) / math.sqrt(3)
        assert row["ci95"] == pytest.approx([np.mean(values) - half, np.mean(values) + half])
        pooled = np.concatenate(
            [np.load(out / f"seed-{s}" / m / "final_nll_oracle.npy") for s in (1, 2, 3)]
        )
        assert row["nll_oracle"] == pytest.approx(pooled.mean()) and row["n"] == len(pooled)
        assert row["std"] == pytest.approx(pooled.std(ddof=1))
        # the curve is the seeds' mean at each evaluated epoch, the band their min and max
        curves = [
            json.loads((out / f"seed-{s}" / "results.json").read_text())["methods"][m]["curve"]
            for s in (1, 2, 3)
        ]
        assert [e for e, _ in row["curve"]] == [e for e, _ in curves[0]] != []
        for (e, mean), (e_band, lo, hi), *points in zip(row["curve"], row["band"], *curves):
            values = [v for _, v in points]
            assert e == e_band and all(p[0] == e for p in points)
            assert mean == pytest.approx(np.mean(values)) and (lo, hi) == (min(values), max(values))
    seqgan = [r["nll_oracle"] for r in results["methods"]["seqgan"]["seeds"]]
    for m in ("mle", "shuffled"):
        other = [r["nll_oracle"] for r in results["methods"][m]["seeds"]]
        test = results["t_tests_vs_seqgan"][m]
        # t from the differences' mean and sd; two-sided p of Student t with 2 dof in closed
        # form, 1 - |t| / sqrt(2 + t^2)
        d = np.subtract(seqgan, other)
        t = d.mean() / (d.std(ddof=1) / math.sqrt(3))
        assert test["paired"]["t"] == pytest.approx(t)
        assert test["paired"]["p"] == pytest.approx(1 - abs(t) / math.sqrt(2 + t * t))
        assert set(test["per_seed"]) == {"1", "2", "3"}
    # every seed draws its own S (pre-training ends elsewhere); the oracle is the same
    after = [json.loads((out / f"seed-{s}" / "results.json").read_text())["after_mle"] for s in (1, 2, 3)]  # fmt: skip
    assert len(set(after)) == 3
    cfg = C.RunConfig.from_file(out / "seed-2" / "shuffled" / "config.json")
    assert (cfg.seed, cfg.task.data_seed, cfg.task.random_oracle_seed) == (2, 2, 88)
    assert cfg.method.name == "shuffled"
    table = (out / "results.md").read_text()
    assert table == render_results(results) and "±" in table and "Shuffled Q (control)" in table
    # SeqGAN's NLL-test cell: the seeds' mean ± the t-interval's half-width, by hand
    lines = [ln.strip("| ").split(" | ") for ln in table.splitlines() if ln.startswith("| ")]
    column = lines[0].index("NLL-test ± 95 % CI")
    tests_ = [r["final"]["nll_test"] for r in results["methods"]["seqgan"]["seeds"]]
    half = T_975_DOF2 * np.std(tests_, ddof=1) / math.sqrt(3)
    (seqgan,) = [ln for ln in lines if ln[0] == "SeqGAN"]
    assert seqgan[column] == f"{np.mean(tests_):.3f} ± {half:.3f}"
    assert table.endswith(
        f"({results['pretrain_epochs']} epochs), mean of seeds: {np.mean(after):.3f}.\n"
        f"Wall time: {results['wall_s'] / 60:.1f} min.\n"
    )
    for png in ("learning_curves.png", "diagnostics.png"):
        assert (out / png).read_bytes()[:4] == b"\x89PNG"
        assert (out / "seed-1" / png).read_bytes()[:4] == b"\x89PNG"


def test_seeds_run_elsewhere_join_by_copying_their_directories(three_seeds, tmp_path):
    """Each seed's directory copied without checkpoints, per-sequence scores or samples (as a
    seed run on another machine arrives): nothing runs again, the results over seeds are the
    same, and a seed's own wall time is reported."""
    out, _, _ = three_seeds
    joined = tmp_path / "joined"
    for s in (1, 2, 3):
        shutil.copytree(out / f"seed-{s}", joined / f"seed-{s}", ignore=HEAVY)
    alone = json.loads((joined / "seed-2" / "results.json").read_text())
    alone["wall_s"] = 90.0  # as `--seeds 2` run by itself records it
    (joined / "seed-2" / "results.json").write_text(json.dumps(alone))
    _experiment(joined, "--seeds", "1,2,3", "--methods", "seqgan,mle,shuffled")
    assert not list(joined.rglob("checkpoint.pt")) and not list(joined.rglob("*.npy"))
    before = json.loads((out / "results.json").read_text())
    after = json.loads((joined / "results.json").read_text())
    for m in ("seqgan", "mle", "shuffled"):
        for key in ("nll_oracle", "std", "n", "ci95", "final"):
            assert after["methods"][m][key] == pytest.approx(before["methods"][m][key])
        assert after["methods"][m]["seeds"] == before["methods"][m]["seeds"]
    assert after["t_tests_vs_seqgan"] == before["t_tests_vs_seqgan"]
    assert after["seed_wall_s"] == {"2": 90.0}
    assert (
        "Seeds run alone, their own wall times: 2: 1.5 min." in (joined / "results.md").read_text()
    )


HEAVY = shutil.ignore_patterns("checkpoint.pt", "*.npy", "samples.txt", "events.*")


def _kept_without(out, seed, method, where):
    """`out`'s seed copied as docs/table1-cpu keeps one (no checkpoints, per-sequence scores or
    samples), as if it had been run without `method`."""
    unit = where / f"seed-{seed}"
    shutil.copytree(out / f"seed-{seed}", unit, ignore=HEAVY)
    shutil.rmtree(unit / method)
    results = json.loads((unit / "results.json").read_text())
    del results["methods"][method], results["t_tests_vs_seqgan"][method]
    (unit / "results.json").write_text(json.dumps(results))
    return unit


def test_a_kept_seed_takes_a_new_method_without_running_its_others(three_seeds, tmp_path, capsys):
    """Adding `shuffled` to a kept seed: the pre-training is made again and found identical, only
    `shuffled` runs, and the seed's results equal those of all three methods run together."""
    out, _, _ = three_seeds
    unit = _kept_without(out, 1, "shuffled", tmp_path / "kept")
    kept = [unit / "seqgan", unit / "mle", unit / "pretrain"]
    before = _snapshot(kept)
    capsys.readouterr()
    _experiment(tmp_path / "kept", "--seeds", "1", "--methods", "seqgan,mle,shuffled")
    said = capsys.readouterr().out
    assert "running shuffled (1 at a time, " in said and "; seqgan, mle kept from earlier" in said
    after = _snapshot(kept)
    assert {f: after[f] for f in before} == before  # the kept files untouched
    assert not list((unit / "seqgan").glob("*.npy"))  # read from results.json, not run again
    assert (unit / "pretrain" / "checkpoint.pt").exists()
    assert not (unit / "pretrain" / "again").exists()
    ran_together = json.loads((out / "seed-1" / "results.json").read_text())
    added = json.loads((unit / "results.json").read_text())
    for m in ("seqgan", "mle", "shuffled"):
        for key in ("nll_oracle", "std", "n", "final"):
            assert added["methods"][m][key] == pytest.approx(ran_together["methods"][m][key])
    for m in ("mle", "shuffled"):
        for key in ("t", "p", "dof"):
            want = ran_together["t_tests_vs_seqgan"][m][key]
            assert added["t_tests_vs_seqgan"][m][key] == pytest.approx(want, rel=1e-9)


def test_a_method_asked_alone_joins_the_ones_a_seed_finished_before(three_seeds, tmp_path, capsys):
    """`--methods shuffled` on a kept seed that holds `seqgan` and `mle`: only `shuffled` runs,
    and the seed's results (and those over seeds) still hold all three, as if asked together;
    the kept rows (no per-sequence scores left) were dropped from results.json before."""
    out, _, _ = three_seeds
    unit = _kept_without(out, 1, "shuffled", tmp_path / "kept")
    capsys.readouterr()
    _experiment(tmp_path / "kept", "--seeds", "1", "--methods", "shuffled")
    said = capsys.readouterr().out
    assert "running shuffled (1 at a time, " in said and "; seqgan, mle kept from earlier" in said
    ran_together = json.loads((out / "seed-1" / "results.json").read_text())
    added = json.loads((unit / "results.json").read_text())
    over_seeds = json.loads((tmp_path / "kept" / "results.json").read_text())
    assert list(added["methods"]) == list(over_seeds["methods"]) == ["seqgan", "shuffled", "mle"]
    for m in ("seqgan", "mle", "shuffled"):
        for key in ("nll_oracle", "std", "n", "final"):
            assert added["methods"][m][key] == pytest.approx(ran_together["methods"][m][key])
    assert added["t_tests_vs_seqgan"]["shuffled"]["p"] == pytest.approx(
        ran_together["t_tests_vs_seqgan"]["shuffled"]["p"], rel=1e-9
    )


def test_a_kept_seed_whose_pretraining_does_not_repeat_is_refused(three_seeds, tmp_path, capsys):
    """A kept pre-training that the machine does not reproduce (another CPU type or commit;
    here its final value is altered): exit 2, one line, nothing of the kept seed changed."""
    out, _, _ = three_seeds
    unit = _kept_without(out, 2, "shuffled", tmp_path / "kept")
    metrics = unit / "pretrain" / "metrics.jsonl"
    rows = [json.loads(line) for line in metrics.read_text().splitlines()]
    rows[-1]["final/nll_oracle"] += 0.001
    metrics.write_text("".join(json.dumps(r) + "\n" for r in rows))
    before = _snapshot([unit])
    code, _, err = run_cli(
        capsys, "experiment", "synthetic", "--preset", "tiny", "--out", tmp_path / "kept",
        "--seeds", "2", "--methods", "seqgan,mle,shuffled",
    )  # fmt: skip
    assert code == 2 and "another final evaluation" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert _snapshot([unit]) == before  # nothing run, nothing left behind


def test_pooled_moments_equal_the_concatenation():
    # [1, 2, 3] and [10, 20]: concatenation mean 36 / 5 = 7.2; sum of squares 514,
    # variance (514 - 5 * 7.2**2) / 4 = 63.7
    mean, std, n = pooled([2.0, 15.0], [1.0, math.sqrt(50.0)], [3, 2])
    assert (mean, n) == (pytest.approx(7.2), 5)
    assert std == pytest.approx(math.sqrt(63.7))


def _print(capsys, *args):
    try:
        app([*map(str, args), "--print-config"], standalone_mode=False)
    except SystemExit as exc:
        assert exc.code in (0, None)
    return capsys.readouterr().out


def test_print_config_reads_back_through_config(tmp_path, capsys):
    printed = _print(
        capsys, "train", "synthetic", "--preset", "tiny", "--method", "seqgan+maligan",
        "--rollout-update-rate", "0.8", "--seed", "7",
    )  # fmt: skip
    cfg = C.RunConfig.from_dict(json.loads(printed))
    assert (cfg.seed, cfg.schedule.rollout_update_rate, cfg.method.reward) == (7, 0.8, "maligan")
    path = tmp_path / "printed.json"
    path.write_text(printed)
    assert _print(capsys, "train", "synthetic", "--config", path) == printed
    printed = _print(capsys, "experiment", "synthetic", "--preset", "tiny", "--seed", "5")
    assert C.RunConfig.from_dict(json.loads(printed)) == dataclasses.replace(presets.TINY, seed=5)
    path.write_text(printed)
    assert _print(capsys, "train", "synthetic", "--config", path) == printed
    printed = _print(capsys, "sweep", "synthetic", "--preset", "tiny", "--reward", "logit")
    method = C.RunConfig.from_dict(json.loads(printed)).method
    assert (method.reward, method.reward_baseline) == ("logit", "batch-mean")


def test_issue_15_presets_change_only_their_knobs():
    base = presets.TABLE1_CPU
    official = presets.preset("table1-cpu-official-d")
    assert official.schedule == dataclasses.replace(
        base.schedule, d_pretrain_rounds=50, d_steps=5, k_epochs=3,
        num_negatives=None, num_positives=None,
    )  # fmt: skip
    assert dataclasses.replace(official, schedule=base.schedule) == base
    assert official.num_negatives == 10_000
    full = presets.preset("table1-cpu-official-full-d")
    assert full.discriminator.total_filters == 1720 and full.schedule == official.schedule
    full_d = presets.preset("table1-cpu-full-d")
    assert full_d.discriminator.total_filters == 1720 and base.discriminator.total_filters == 430
    assert dataclasses.replace(full_d, discriminator=base.discriminator) == base
    for name, (g, d, k) in {
        "fig3-cpu-g100-d1-k10": (100, 1, 10),
        "fig3-cpu-g30-d1-k30": (30, 1, 30),
        "fig3-cpu-g1-d1-k10": (1, 1, 10),
        "fig3-cpu-g1-d5-k3": (1, 5, 3),
    }.items():
        cfg = presets.preset(name)
        s = cfg.schedule
        assert (s.g_steps, s.d_steps, s.k_epochs) == (g, d, k)
        assert s.d_pretrain_epochs == base.schedule.k_epochs == 1  # every strategy: table1-cpu's D
        knobs = ("g_steps", "d_steps", "k_epochs", "adversarial_iterations", "eval_interval",
                 "checkpoint_every", "d_pretrain_epochs")  # fmt: skip
        assert s == dataclasses.replace(base.schedule, **{f: getattr(s, f) for f in knobs})
        assert dataclasses.replace(cfg, schedule=base.schedule) == base
    short = presets.preset("pretrain20-cpu")
    assert short.schedule == dataclasses.replace(base.schedule, mle_epochs=20)


def test_a_seed_with_nothing_to_run_is_summed_up_again_from_its_rows(three_seeds, tmp_path):
    """A seed whose rows were joined from invocations banked apart (its table and t-tests made
    before one method's row arrived) gets its own results rebuilt, not trusted as they stand."""
    out, _, _ = three_seeds
    joined = tmp_path / "joined"
    for s in (1, 2, 3):
        shutil.copytree(out / f"seed-{s}", joined / f"seed-{s}", ignore=HEAVY)
    partial = json.loads((joined / "seed-2" / "results.json").read_text())
    del partial["t_tests_vs_seqgan"]["mle"]  # as banked by the invocation that ran shuffled
    (joined / "seed-2" / "results.json").write_text(json.dumps(partial))
    _experiment(joined, "--seeds", "1,2,3", "--methods", "seqgan,mle,shuffled")
    rebuilt = json.loads((joined / "seed-2" / "results.json").read_text())
    before = json.loads((out / "seed-2" / "results.json").read_text())
    assert rebuilt["t_tests_vs_seqgan"] == before["t_tests_vs_seqgan"]
    after = json.loads((joined / "results.json").read_text())
    assert (
        after["t_tests_vs_seqgan"]
        == json.loads((out / "results.json").read_text())["t_tests_vs_seqgan"]
    )
