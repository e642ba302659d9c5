import dataclasses
import json
import subprocess
import sys

import pytest
import torch

from seqgan_ray import config as C
from seqgan_ray import presets
from seqgan_ray.cli import app as cli
from seqgan_ray.cli import common as cli_common
from seqgan_ray.cli import experiment as cli_experiment
from seqgan_ray.cli.options import flag_params
from seqgan_ray.driver.rundir import read_metrics
from seqgan_ray.driver.trainer import LocalRuntime, train


def main_code(*args) -> int:
    """The `seqgan-ray` main() in this process, as the entry point runs it but without a new
    interpreter's start-up: its exit code."""
    argv = sys.argv
    sys.argv = ["seqgan-ray", *map(str, args)]
    try:
        cli.main()
        return 0
    except SystemExit as exc:
        return exc.code or 0
    finally:
        sys.argv = argv


def run_cli(capsys, *args):
    """Call the console entry point in-process; returns (exit code, stdout, stderr)."""
    code = main_code(*args)
    out = capsys.readouterr()
    return code, out.out, out.err


def without_perf(rows):
    return [{k: v for k, v in r.items() if not k.startswith("perf/")} for r in rows]


def test_train_tiny_writes_every_artifact(tmp_path, capsys, ray_cluster):
    """The default path (Ray: learner actor, 2 roll-out actors, sampling tasks) writes every
    artifact, and exactly the numbers of the in-process path at the same thread count."""
    out = tmp_path / "run"
    ray_args = ("--rollout-workers", "2", "--learner-cpus", "1")
    code, stdout, err = run_cli(
        capsys, "train", "synthetic", "--preset", "tiny", "--out", out, "--no-progress", *ray_args
    )
    assert code == 0, err
    code, _, err = run_cli(
        capsys, "train", "synthetic", "--preset", "tiny", "--out", tmp_path / "local",
        "--no-progress", "--no-ray", "--threads", "1",
    )  # fmt: skip
    assert code == 0, err
    assert without_perf(read_metrics(out / "metrics.jsonl")) == without_perf(
        read_metrics(tmp_path / "local" / "metrics.jsonl")
    )
    assert "nll_oracle_after_mle=" in stdout
    cfg = C.RunConfig.from_file(out / "config.json")
    assert cfg == presets.TINY
    rows = read_metrics(out / "metrics.jsonl")
    s = presets.TINY.schedule
    phases = [r["phase"] for r in rows]
    assert phases == ["mle"] * s.mle_epochs + ["d_pretrain"] * s.d_pretrain_rounds + [
        "adversarial"
    ] * s.adversarial_iterations + ["final"]
    adv = [r for r in rows if r["phase"] == "adversarial"]
    for key in (
        "adv/reward_mean",
        "adv/g_loss",
        "d/loss",
        "d/acc",
        "perf/step_s",
        "perf/rollouts_per_s",
    ):
        assert all(key in r for r in adv), key
    evals = [r["step"] for r in adv if "eval/nll_oracle" in r]
    assert evals == [0, 2, 3]  # every eval_interval = 2 iterations, and the last
    assert all(0 <= r["adv/reward_mean"] <= 1 for r in adv)
    samples = (out / "samples.txt").read_text().splitlines()
    assert len(samples) == s.test_samples and all(
        len(line.split()) == presets.TINY.task.seq_len for line in samples
    )
    assert (out / "checkpoint.pt").stat().st_size > 0


class CrashAt(LocalRuntime):
    """Dies inside the g-step of adversarial iteration `it` (after a checkpoint at it - 1)."""

    def __init__(self, it):
        self.it = it

    def q_values(self, learner, y, key):
        if key[2] == self.it:
            raise RuntimeError("injected crash")
        return super().q_values(learner, y, key)


def test_resume_after_a_crash_matches_the_uninterrupted_run(tmp_path):
    cfg = C.override(presets.TINY, "schedule", adversarial_iterations=5, checkpoint_every=2)
    train(cfg, tmp_path / "whole", show_progress=False)
    with pytest.raises(RuntimeError, match="injected crash"):
        train(cfg, tmp_path / "cut", runtime=CrashAt(3), show_progress=False)
    logged = [
        r["step"]
        for r in read_metrics(tmp_path / "cut" / "metrics.jsonl")
        if r["phase"] == "adversarial"
    ]
    assert logged == [
        0,
        1,
        2,
    ]  # iteration 2 ran after the checkpoint at 2 and is logged twice otherwise
    train(None, tmp_path / "cut", resume=True, show_progress=False)
    whole = without_perf(read_metrics(tmp_path / "whole" / "metrics.jsonl"))
    resumed = without_perf(read_metrics(tmp_path / "cut" / "metrics.jsonl"))
    assert resumed == whole
    assert (tmp_path / "whole" / "samples.txt").read_text() == (
        tmp_path / "cut" / "samples.txt"
    ).read_text()


def test_resume_from_the_cli(tmp_path, capsys):
    out = tmp_path / "run"
    cfg = C.override(presets.TINY, "schedule", adversarial_iterations=3)
    with pytest.raises(RuntimeError):
        train(cfg, out, runtime=CrashAt(2), show_progress=False)
    code, stdout, err = run_cli(
        capsys, "train", "synthetic", "--resume", out, "--no-progress", "--no-ray"
    )
    assert code == 0, err
    assert [
        r["step"] for r in read_metrics(out / "metrics.jsonl") if r["phase"] == "adversarial"
    ] == [0, 1, 2]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--preset", "papr"], "unknown preset 'papr'"),
        (["--preset", "tiny", "--rollout-num", "0"], "rollout_num must be >= 1"),
        (
            ["--preset", "tiny", "--oracle", "/nonexistent/target_params.pkl"],
            "oracle file not found",
        ),
        (
            ["--preset", "tiny", "--score-dtype", "float8"],
            "score_dtype must be float32 or bfloat16",
        ),
        (["--preset", "tiny", "--d-dtype", "half"], "d_dtype must be float32 or bfloat16"),
        (["--resume", "/nonexistent/run"], "checkpoint not found"),
        (["--preset", "tiny", "--threads", "0"], "--threads must be >= 1"),
    ],
)
def test_bad_input_exits_2_with_one_message(tmp_path, capsys, args, message):
    out = [] if "--resume" in args else ["--out", tmp_path / "r"]
    code, _, err = run_cli(capsys, "train", "synthetic", *out, "--no-progress", *args)
    assert code == 2
    assert message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_corrupt_checkpoint_and_existing_run_are_refused_without_loss(tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    (out / "checkpoint.pt").write_bytes(b"\x00garbage")
    (out / "metrics.jsonl").write_text('{"phase": "mle", "step": 0}\n')
    code, _, err = run_cli(capsys, "train", "synthetic", "--resume", out, "--no-progress")
    assert code == 2 and "corrupt" in err
    code, _, err = run_cli(
        capsys, "train", "synthetic", "--preset", "tiny", "--out", out, "--no-progress"
    )
    assert code == 2 and "already holds a run" in err
    assert (out / "checkpoint.pt").read_bytes() == b"\x00garbage"  # nothing written is lost
    assert (out / "metrics.jsonl").read_text() == '{"phase": "mle", "step": 0}\n'


# A valid value unlike the tiny preset's for every config flag that is not an int (ints: + 1)
FLAG_VALUES = {
    "rollout_update_rate": 0.5, "temperature": 0.7, "score_dtype": "bfloat16", "d_dtype": "bfloat16",
    "device": "cuda",
    "name": "mle", "reward": "maligan", "reward_baseline": "batch-mean",
}  # fmt: skip


@pytest.mark.parametrize(
    "command, flag_sets",
    [
        ("train synthetic", cli.TRAIN_FLAGS),
        ("experiment synthetic", cli_experiment.EXPERIMENT_FLAGS),
        ("sweep synthetic", (cli_common.REWARD_FLAGS,)),
    ],
)
def test_every_config_flag_reaches_the_printed_config(capsys, command, flag_sets):
    """The flags are generated from the config dataclasses (cli/options.py): `--field VALUE`
    ends up as that field of the config `--print-config` prints, and nothing else changes."""
    for flags in flag_sets:
        for param, name in flag_params(flags):
            base = presets.TINY if flags.section == "run" else getattr(presets.TINY, flags.section)
            value = FLAG_VALUES[name] if name in FLAG_VALUES else (getattr(base, name) or 99) + 1
            option = "--" + param.name.replace("_", "-")
            code, out, err = run_cli(
                capsys, *command.split(), "--preset", "tiny", option, value, "--print-config"
            )
            assert code == 0, (option, err)
            if flags.section == "run":
                expected = dataclasses.replace(presets.TINY, **{name: value})
            else:
                changed = dataclasses.replace(base, **{name: value})
                expected = dataclasses.replace(presets.TINY, **{flags.section: changed})
            assert C.RunConfig.from_dict(json.loads(out)) == expected, option


def test_bench_rollout_json(capsys):
    code, stdout, err = run_cli(
        capsys,
        "bench",
        "rollout",
        "--vocab",
        "50",
        "--seq-len",
        "6",
        "--batch",
        "4",
        "--rollouts",
        "2",
        "--repeats",
        "2",
        "--threads",
        "1",
        "--json",
    )
    assert code == 0, err
    result = json.loads(stdout)
    assert result["threads"] == 1 and result["min"] <= result["seconds_per_q"] <= result["max"]
    assert {"vocab": 50, "seq_len": 6, "batch": 4, "rollouts": 2}.items() <= result.items()
    torch.set_num_threads(2)


def test_console_script_runs_as_a_module(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "seqgan_ray",
            "train",
            "synthetic",
            "--preset",
            "tiny",
            "--out",
            str(tmp_path / "r"),
            "--no-progress",
            "--no-ray",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "r" / "samples.txt").exists()


def test_metrics_bleu_cli_matches_nltk_against_all_references(tmp_path, capsys):
    from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu

    hyps = ["the cat sat on the mat", "a dog ran", "on the mat the cat"]
    refs = ["the cat sat on a mat", "the dog ran far", "a cat on the mat"]
    (tmp_path / "h.txt").write_text("\n".join(hyps) + "\n")
    (tmp_path / "r.txt").write_text("\n".join(refs) + "\n")
    code, out, err = run_cli(
        capsys, "metrics", "bleu", tmp_path / "h.txt", tmp_path / "r.txt",
        "--n", "3", "--smoothing", "method1", "--json",
    )  # fmt: skip
    assert code == 0, err
    expected = sum(
        sentence_bleu([r.split() for r in refs], h.split(), weights=(1 / 3,) * 3,
                      smoothing_function=SmoothingFunction().method1)
        for h in hyps
    ) / len(hyps)  # fmt: skip
    assert abs(json.loads(out)["bleu"] - expected) < 1e-12
    code, _, err = run_cli(
        capsys, "metrics", "bleu", tmp_path / "h.txt", tmp_path / "r.txt", "--n", "7"
    )
    assert code == 2 and "--n must be 2, 3, 4 or 5" in err
