"""The package as a user installs it: `python -m build` gives an sdist and a wheel (built from
that sdist), the wheel installs into a fresh venv, and that venv's `seqgan-ray` prints the one
version string (seqgan_ray.__version__, which pyproject.toml reads) and its help.

The build runs offline (`--no-isolation`: setuptools and build come with the [test] extra). The
fresh venv gets the wheel alone (`--no-deps`) and finds torch, Ray and typer through a .pth
line naming this environment's site-packages, so nothing is downloaded; its own site-packages
come first, so `seqgan_ray` is the wheel's, not this checkout's."""

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
import tomllib

import seqgan_ray

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    """sdist + wheel of a copy of the checkout (a build writes build/ and *.egg-info beside
    the sources; the checkout stays clean)."""
    pytest.importorskip("build")
    work = tmp_path_factory.mktemp("package")
    src = work / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(
        ROOT / "seqgan_ray", src / "seqgan_ray", ignore=shutil.ignore_patterns("__pycache__")
    )
    out = work / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(src)],
        check=True,
        capture_output=True,
        text=True,
    )
    return out


def test_build_gives_an_sdist_and_a_wheel_with_the_one_version(dist):
    version = seqgan_ray.__version__
    assert re.fullmatch(r"\d+\.\d+\.\d+", version)
    sdist = sorted(dist.glob("*.tar.gz"))
    wheel = sorted(dist.glob("*.whl"))
    assert [p.name for p in sdist] == [f"seqgan_ray-{version}.tar.gz"]
    assert [p.name for p in wheel] == [f"seqgan_ray-{version}-py3-none-any.whl"]
    with zipfile.ZipFile(wheel[0]) as whl:
        names = whl.namelist()
        meta = whl.read(f"seqgan_ray-{version}.dist-info/METADATA").decode()
        entry = whl.read(f"seqgan_ray-{version}.dist-info/entry_points.txt").decode()
    assert f"\nVersion: {version}\n" in meta
    assert "seqgan-ray = seqgan_ray.cli.app:main" in entry
    assert "seqgan_ray/api.py" in names and "seqgan_ray/presets.py" in names
    assert not [n for n in names if n.startswith(("tests/", "docs/", "benchmarks/"))]
    # the license: pyproject's SPDX expression, and the LICENSE file it names, in the wheel
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]
    assert "\nLicense-Expression: MIT\n" in meta
    assert f"seqgan_ray-{version}.dist-info/licenses/LICENSE" in names
    assert (ROOT / "LICENSE").read_text().startswith("MIT License\n")


def test_pyproject_takes_the_version_from_the_package():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in pyproject["project"]
    assert pyproject["project"]["dynamic"] == ["version"]
    attr = pyproject["tool"]["setuptools"]["dynamic"]["version"]["attr"]
    assert attr == "seqgan_ray.__version__"


def test_the_wheel_installs_in_a_fresh_venv_and_runs(dist, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    wheel = next(dist.glob("*.whl"))
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
         "--no-index", str(wheel)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    # the dependencies (torch, ray, typer, ...) from this environment, after the venv's own
    Path(site, "deps-from-test-env.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*args], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120
        )

    where = run(str(python), "-c", "import seqgan_ray; print(seqgan_ray.__file__)")
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()).is_relative_to(venv)  # the wheel's copy, not the checkout
    meta = run(str(python), "-c", "import importlib.metadata as m; print(m.version('seqgan-ray'))")
    assert meta.stdout.strip() == seqgan_ray.__version__

    cli = str(venv / "bin" / "seqgan-ray")
    version = run(cli, "--version")
    assert version.returncode == 0, version.stderr
    assert version.stdout == f"seqgan-ray {seqgan_ray.__version__}\n"
    shown = run(cli, "--help")
    assert shown.returncode == 0, shown.stderr
    assert "Usage: seqgan-ray" in shown.stdout
    for command in ("train", "experiment", "sweep", "report", "--version"):
        assert command in shown.stdout
    bad = run(cli, "--versio")
    assert bad.returncode == 2 and "No such option" in bad.stderr
