"""Usage errors through the installed `seqgan-ray` entry point (not CliRunner): every command
answers an unknown option, a wrong-type value or a misspelt command with typer's usage message,
exit code 2 and no traceback, whatever click typer is built on (typer >= 0.20 vendors its own)."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).with_name("seqgan-ray")
ENTRY = str(BIN) if BIN.exists() else shutil.which("seqgan-ray")


def _leaves() -> list[str]:
    """Every command that runs something ("train synthetic", "sample", ...), read from the app
    itself so that a command added later is checked too."""
    import typer.main

    from seqgan_ray.cli.app import app

    found = []

    def walk(command, path):
        subcommands = getattr(command, "commands", None)
        if subcommands:
            for name, sub in subcommands.items():
                walk(sub, [*path, name])
        else:
            found.append(" ".join(path))

    walk(typer.main.get_command(app), [])
    return sorted(found)


COMMANDS = _leaves()
GROUPS = sorted({c.split()[0] for c in COMMANDS if " " in c})

# (command line, the command its usage line names, what the message must say)
WRONG_TYPE = [
    ("train synthetic --rollout-num abc", "train synthetic", "'--rollout-num'", "valid integer"),
    ("train text DATA --learner-cpus x", "train text", "'--learner-cpus'", "valid number"),
    ("experiment synthetic --jobs two", "experiment synthetic", "'--jobs'", "valid integer"),
    ("sweep synthetic --num-samples abc", "sweep synthetic", "'--num-samples'", "valid integer"),
    ("prepare text corpus.txt --seq-len x", "prepare text", "'--seq-len'", "valid integer"),
    ("metrics bleu hyp.txt ref.txt --n four", "metrics bleu", "'--n'", "valid integer"),
    ("sample RUN -n many", "sample", "'-n'", "valid integer"),
    ("bench rollout --repeats x", "bench rollout", "'--repeats'", "valid integer"),
]
MISSPELT = [
    ("trian", "", "No such command 'trian'", "Did you mean 'train'?"),
    ("train synthtic", "train", "No such command 'synthtic'", "Did you mean 'synthetic'?"),
    (
        "experiment synthetc",
        "experiment",
        "No such command 'synthetc'",
        "Did you mean 'synthetic'?",
    ),
    ("sweep txt DATA", "sweep", "No such command 'txt'", "Did you mean 'text'?"),
    ("prepare musc midi", "prepare", "No such command 'musc'", "Did you mean 'music'?"),
    ("metrics blue a b", "metrics", "No such command 'blue'", "Did you mean 'bleu'?"),
    ("bench rolout", "bench", "No such command 'rolout'", "Did you mean 'rollout'?"),
    ("smaple RUN", "", "No such command 'smaple'", "Did you mean 'sample'?"),
    # an option one typo away: click lists the near ones
    (
        "train synthetic --rollout-nmu 3",
        "train synthetic",
        "No such option: --rollout-nmu",
        "--rollout-num",
    ),
]


def run(args: str | list[str], cwd: Path) -> subprocess.CompletedProcess:
    assert ENTRY, "the seqgan-ray entry point is not installed (pip install -e .)"
    argv = args.split() if isinstance(args, str) else args
    return subprocess.run(
        [ENTRY, *argv], cwd=cwd, capture_output=True, text=True, timeout=300
    )  # generous: start-up on a busy machine


def flat(text: str) -> str:
    """The message without rich's panel borders and line wrapping."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", text).split())


def assert_usage_error(result: subprocess.CompletedProcess, command: str, *needles: str) -> None:
    err = flat(result.stderr)
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    prog = " ".join(["seqgan-ray", *command.split()])
    assert f"Usage: {prog} [OPTIONS]" in err, err
    assert f"Try '{prog} --help' for help." in err, err
    for needle in needles:
        assert needle in err, (needle, err)


def test_every_command_of_the_issue_is_checked():
    named = {"train", "experiment", "sweep", "prepare", "metrics", "sample", "bench"}
    assert named <= {c.split()[0] for c in COMMANDS}, COMMANDS


@pytest.mark.parametrize("command", COMMANDS)
def test_unknown_option_is_a_usage_error(command, tmp_path):
    """Click parses every option before it checks the arguments: no arguments needed."""
    result = run([*command.split(), "--bogus"], tmp_path)
    assert_usage_error(result, command, "No such option: --bogus")
    assert list(tmp_path.iterdir()) == []  # nothing written


@pytest.mark.parametrize(("line", "command", "option", "hint"), WRONG_TYPE)
def test_wrong_type_value_is_a_usage_error(line, command, option, hint, tmp_path):
    result = run(line, tmp_path)
    assert_usage_error(result, command, f"Invalid value for {option}", hint)


@pytest.mark.parametrize(("line", "command", "problem", "hint"), MISSPELT)
def test_misspelt_command_or_option_says_did_you_mean(line, command, problem, hint, tmp_path):
    result = run(line, tmp_path)
    assert_usage_error(result, command, problem, hint)


def test_the_issues_experiment_example_is_one_line(tmp_path):
    """The issue's `experiment text DIR --no-progress` (a traceback then; `--no-progress` is an
    experiment option now): an empty DIR is one `error:` line naming it, exit 2."""
    result = run(["experiment", "text", str(tmp_path), "--no-progress"], tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        f"error: {tmp_path} holds no prepared data "
        + ("(no vocab.json; run `seqgan-ray prepare text`)")
    ]


def test_bad_value_found_by_our_checks_is_one_line(tmp_path):
    """Input typer accepts but the config refuses: one `error:` line, exit 2, nothing written."""
    result = run("train synthetic --preset nope --no-ray --out run", tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith("error: unknown preset 'nope'")
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("command", ["", *GROUPS, *COMMANDS])
def test_help_still_exits_0(command, tmp_path):
    result = run([*command.split(), "--help"], tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"Usage: {' '.join(['seqgan-ray', *command.split()])} [OPTIONS]" in flat(result.stdout)
    assert result.stderr == ""
