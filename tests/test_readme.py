"""The README as a front page a newcomer can trust: its two set-up commands open it, `.ci/run`
installs exactly as they say and runs the second one's test command, and every command its
quickstart shows is one the suite runs (the subcommand with each flag the README passes it).
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
TESTS = "\n".join(p.read_text() for p in sorted((ROOT / "tests").glob("test_*.py")))
CI = (ROOT / ".ci" / "run").read_text()

SET_UP = "python3 -m venv .venv && . .venv/bin/activate && pip install torch==2.13.0"
RUN_DEMO = f"{SET_UP} && pip install -e . && seqgan-ray train synthetic --preset demo"
RUN_TESTS = f'{SET_UP} && pip install -e ".[test]" && python -m pytest -q'
# What the suite cannot run as the README writes it, and what runs it instead
ELSEWHERE = {
    "tensorboard": "test_tracking.py reads the event files with tensorboard's own reader",
    "python benchmarks/gpu_check.py": "test_gpu_check.py runs its CPU-checkable parts",
}


def bash_blocks(text: str) -> list[str]:
    return re.findall(r"```bash\n(.*?)```", text, re.S)


def commands(block: str) -> list[list[str]]:
    """The block's commands as argv lists: continuation lines joined, comments and leading
    environment assignments (RAY_AUTH_MODE=token) dropped."""
    joined = block.replace("\\\n", " ")
    argvs = [shlex.split(line, comments=True) for line in joined.splitlines() if line.strip()]
    return [argv[next(i for i, a in enumerate(argv) if "=" not in a) :] for argv in argvs]


def test_the_readme_opens_with_the_two_set_up_commands():
    first, second = bash_blocks(README)[:2]
    assert first.strip() == RUN_DEMO
    assert second.strip() == RUN_TESTS
    assert README.index(RUN_DEMO) < README.index("## Quickstart")


def test_ci_installs_as_the_readme_says_and_runs_its_test_command():
    steps = [line.strip() for line in CI.splitlines() if not line.lstrip().startswith("#")]
    assert "python3 -m venv .venv-ci" in steps
    assert "pip install -q torch==2.13.0" in steps
    assert 'pip install -q -e ".[test]"' in steps
    assert steps.index("pip install -q torch==2.13.0") < steps.index('pip install -q -e ".[test]"')
    assert "python -m pytest -q" in steps
    assert CI.startswith("#!/usr/bin/env bash") and "set -euo pipefail" in CI


def quickstart_commands() -> list[list[str]]:
    quickstart = README[README.index("## Quickstart") : README.index("## Results")]
    return [argv for block in bash_blocks(quickstart) for argv in commands(block)]


def _subcommand(argv: list[str]) -> list[str]:
    """`seqgan-ray train synthetic ...` -> ["train", "synthetic"]; a group's one word else."""
    words = [w for w in argv[1:3] if not w.startswith("-")]
    groups = {"train", "experiment", "sweep", "prepare", "humaneval"}
    return words[:2] if words and words[0] in groups else words[:1]


def test_every_quickstart_command_is_one_the_suite_runs():
    """Each `seqgan-ray` command's subcommand is invoked by a test (as consecutive string
    arguments, e.g. "train", "synthetic") and each flag it passes appears in a test; `ray start`
    and `ray job submit` are test_job_submit.py's; the rest are named in ELSEWHERE."""
    missing = []
    for argv in quickstart_commands():
        if argv[0] == "ray":
            needed = {"start": '"start", "--head"', "job": '"job", "submit"'}.get(argv[1])
            if needed is None or needed not in TESTS:
                missing.append(" ".join(argv))
            continue
        if argv[0] != "seqgan-ray":
            if not any(" ".join(argv).startswith(k) for k in ELSEWHERE):
                missing.append(" ".join(argv))
            continue
        sub = _subcommand(argv)
        if ", ".join(f'"{w}"' for w in sub) not in TESTS:
            missing.append(" ".join(argv))
        flags = [a.strip("[]").split("=")[0] for a in argv if a.strip("[").startswith("-")]
        missing += [f"{' '.join(sub)} {f}" for f in flags if f'"{f}"' not in TESTS]
    assert not missing, f"README commands no test runs: {missing}"


def test_the_check_sees_every_quickstart_block():
    """The parse above is not vacuous: it finds the commands of every kind the README shows."""
    seen = {tuple(_subcommand(a)) for a in quickstart_commands() if a[0] == "seqgan-ray"}
    assert {("train", "synthetic"), ("experiment", "synthetic"), ("sweep", "synthetic")} <= seen
    assert {("prepare", "text"), ("prepare", "music"), ("train", "text"), ("sample",)} <= seen
    assert {("humaneval", "make"), ("humaneval", "serve"), ("humaneval", "score")} <= seen
    assert {("report",)} <= seen
    assert sum(a[0] == "ray" for a in quickstart_commands()) == 2
