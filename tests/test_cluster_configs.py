"""Offline checks of the cluster configs in cluster/ (no network, no cloud credentials, no Ray).

- cluster/aws-gpu.yaml goes through Ray's own launcher checks: `prepare_config` (merges the
  AWS defaults shipped in the ray package) and `validate_config` (ray/autoscaler/ray-schema.json
  plus Ray's semantic checks). These are the steps `ray up` runs before it first calls AWS.
- cluster/rayjob-synthetic.yaml is validated against cluster/schemas/rayjob-v1.schema.json,
  a compact schema of the KubeRay RayJob v1 fields (no installable package ships the CRD).

Each file also gets a copy with one misspelled key, which the same validation must reject.
"""

from __future__ import annotations

import copy
import re
import shlex
import socket
from pathlib import Path
from urllib.parse import urlparse

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
LAUNCHER = ROOT / "cluster" / "aws-gpu.yaml"
RAYJOB = ROOT / "cluster" / "rayjob-synthetic.yaml"
RAYJOB_SCHEMA = ROOT / "cluster" / "schemas" / "rayjob-v1.schema.json"

ENTRYPOINT = "python -m seqgan_ray train synthetic --preset demo --out /tmp/seqgan-runs/synthetic"
RUNTIME_PIP = ("ray", "torch", "numpy", "pyarrow", "typer", "rich", "scipy")


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    """Any attempt to open a connection (AWS, a registry, a Ray cluster) fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"network access during an offline config check: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def _load(path: Path) -> dict:
    with path.open() as f:
        return yaml.safe_load(f)


def _rename(tree: dict, path: str, old: str, new: str) -> dict:
    """Copy of `tree` with key `old` renamed to `new` in the mapping at dotted `path`
    (integers index lists; "" is the top level)."""
    bad = copy.deepcopy(tree)
    node = bad
    for part in filter(None, path.split(".")):
        node = node[int(part)] if part.isdigit() else node[part]
    assert old in node, f"{old!r} is not at {path!r}: the test no longer matches the file"
    node[new] = node.pop(old)
    return bad


def _set(tree: dict, path: str, value) -> dict:
    bad = copy.deepcopy(tree)
    *parents, leaf = path.split(".")
    node = bad
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    node[leaf] = value
    return bad


def _requirement_name(requirement: str) -> str:
    return re.match(r"[A-Za-z0-9_.\-]+", requirement).group(0).lower().replace("_", "-")


# ---------------------------------------------------------------------------------------------
# Ray cluster launcher: cluster/aws-gpu.yaml
# ---------------------------------------------------------------------------------------------


def _ray_launcher_check(config: dict) -> dict:
    """What `ray up` does before the provider's bootstrap (the first AWS call)."""
    from ray.autoscaler._private.util import prepare_config, validate_config

    prepared = prepare_config(copy.deepcopy(config))
    validate_config(prepared)
    return prepared


@pytest.fixture(scope="module")
def launcher() -> dict:
    return _load(LAUNCHER)


def test_launcher_passes_ray_validation(launcher):
    prepared = _ray_launcher_check(launcher)

    assert prepared["provider"]["type"] == "aws"
    types = prepared["available_node_types"]
    head = types[prepared["head_node_type"]]
    assert head["resources"] == {"CPU": 8, "GPU": 0}
    assert head["max_workers"] == 0  # filled in by prepare_config: the head type never scales

    workers = {name: t for name, t in types.items() if name != prepared["head_node_type"]}
    assert workers, "no worker node type"
    gpu_workers = [t for t in workers.values() if t["resources"].get("GPU", 0) >= 1]
    assert gpu_workers, "no worker node type advertises a GPU"
    for t in gpu_workers:
        assert 0 <= t["min_workers"] <= t["max_workers"] <= prepared["max_workers"]


def test_launcher_does_not_inherit_ray_default_commands(launcher):
    """prepare_config merges the AWS defaults shallowly: a command list missing from the file
    would be replaced by Ray's example commands (which pip-install a nightly Ray wheel)."""
    prepared = _ray_launcher_check(launcher)

    setup = launcher["setup_commands"]
    assert prepared["head_setup_commands"] == setup + launcher["head_setup_commands"]
    assert prepared["worker_setup_commands"] == setup + launcher["worker_setup_commands"]
    for key in ("initialization_commands", "head_start_ray_commands", "worker_start_ray_commands"):
        assert prepared[key] == launcher[key]
    assert "ray-wheels" not in repr(prepared)
    assert any("pip install" in c and "-e ~/seqgan-ray" in c for c in setup)
    assert launcher["file_mounts"]["~/seqgan-ray"] == "."  # the repository root, see README


def test_launcher_starts_every_node_with_token_auth(launcher):
    starts = launcher["head_start_ray_commands"] + launcher["worker_start_ray_commands"]
    ray_starts = [c for c in starts if "ray start" in c]
    assert len(ray_starts) == 2
    assert all("RAY_AUTH_MODE=token ray start" in c for c in ray_starts)
    assert launcher["file_mounts"]["~/.ray/auth_token"] == "~/.ray/auth_token"


def test_launcher_images_pin_one_ray_version(launcher):
    docker = launcher["docker"]
    head_tag = docker["head_image"].split(":", 1)[1]
    worker_tag = docker["worker_image"].split(":", 1)[1]
    head_version = head_tag.split("-", 1)[0]
    assert re.fullmatch(r"\d+\.\d+\.\d+", head_version), head_tag  # pinned, never "latest"
    assert worker_tag.split("-", 1)[0] == head_version
    assert worker_tag.endswith("-gpu") and not head_tag.endswith("-gpu")


@pytest.mark.parametrize(
    ("path", "old", "new"),
    [
        ("", "head_node_type", "head_node_typ"),
        ("", "idle_timeout_minutes", "idle_timeout_minute"),
        ("available_node_types.gpu_worker", "min_workers", "min_worker"),
        ("available_node_types.gpu_worker", "resources", "resource"),
        ("docker", "pull_before_run", "pull_before_rum"),
    ],
)
def test_launcher_rejects_a_misspelled_key(launcher, path, old, new):
    bad = _rename(launcher, path, old, new)
    with pytest.raises(jsonschema.ValidationError) as excinfo:
        _ray_launcher_check(bad)
    message = excinfo.value.message  # the one-line reason, without the schema dump
    assert f"'{new}' was unexpected" in message or f"'{old}' is a required" in message, message


def test_launcher_rejects_fractional_resources(launcher):
    bad = _set(launcher, "available_node_types.gpu_worker.resources", {"CPU": 48, "GPU": 0.5})
    with pytest.raises(jsonschema.ValidationError, match="integer"):
        _ray_launcher_check(bad)


def test_launcher_rejects_min_workers_above_max(launcher):
    """Ray's semantic checks run too, not only its JSON schema."""
    bad = _set(launcher, "available_node_types.gpu_worker.min_workers", launcher["max_workers"] + 1)
    with pytest.raises(ValueError, match="max_workers"):
        _ray_launcher_check(bad)


# ---------------------------------------------------------------------------------------------
# KubeRay RayJob: cluster/rayjob-synthetic.yaml
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rayjob() -> dict:
    return _load(RAYJOB)


@pytest.fixture(scope="module")
def rayjob_validator() -> jsonschema.Draft202012Validator:
    import json

    schema = json.loads(RAYJOB_SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _schema_errors(validator, manifest) -> list[str]:
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(manifest)]


def test_rayjob_matches_schema(rayjob, rayjob_validator):
    assert _schema_errors(rayjob_validator, rayjob) == []


@pytest.mark.parametrize(
    ("path", "old", "new"),
    [
        ("", "spec", "specs"),
        ("spec", "entrypoint", "entrypont"),
        ("spec", "shutdownAfterJobFinishes", "shutdownAfterJobFinished"),
        ("spec", "runtimeEnvYAML", "runtimeEnvYaml"),
        ("spec.rayClusterSpec", "headGroupSpec", "headGroupSpecs"),
        ("spec.rayClusterSpec", "authOptions", "authOption"),
        ("spec.rayClusterSpec.headGroupSpec", "rayStartParams", "rayStartParam"),
        ("spec.rayClusterSpec.workerGroupSpecs.0", "maxReplicas", "maxReplica"),
        ("spec.rayClusterSpec.workerGroupSpecs.0", "groupName", "name"),
    ],
)
def test_rayjob_rejects_a_misspelled_key(rayjob, rayjob_validator, path, old, new):
    errors = _schema_errors(rayjob_validator, _rename(rayjob, path, old, new))
    assert any(f"'{new}' was unexpected" in e for e in errors), errors


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("apiVersion", "ray.io/v1alpha1"),
        ("kind", "RayCluster"),
        ("metadata.name", "SeqGAN_synthetic"),
        ("metadata.name", "s" * 48),
        ("spec.ttlSecondsAfterFinished", "600"),
        ("spec.shutdownAfterJobFinishes", "true"),
        ("spec.submissionMode", "K8sMode"),
        ("spec.rayClusterSpec.authOptions.mode", "tokens"),
        ("spec.rayClusterSpec.workerGroupSpecs.0.minReplicas", -1),
    ],
)
def test_rayjob_rejects_a_wrong_value(rayjob, rayjob_validator, path, value):
    assert _schema_errors(rayjob_validator, _set(rayjob, path, value))


def test_rayjob_entrypoint_is_the_synthetic_demo(rayjob):
    entrypoint = rayjob["spec"]["entrypoint"]
    assert shlex.split(entrypoint) == shlex.split(ENTRYPOINT)


def test_rayjob_entrypoint_options_exist_in_the_cli(rayjob):
    """The manifest must not drift from the CLI: every option it passes is one `train
    synthetic` takes, and the preset is a known one."""
    import typer.main

    from seqgan_ray.cli.app import app
    from seqgan_ray.presets import PRESETS

    argv = shlex.split(rayjob["spec"]["entrypoint"])
    assert argv[:3] == ["python", "-m", "seqgan_ray"]
    command = typer.main.get_command(app)
    for name in argv[3:5]:  # "train", "synthetic"
        command = command.commands[name]
    known = {opt for param in command.params for opt in param.opts}
    options = argv[5:]
    assert all(opt in known for opt in options[::2]), (options, sorted(known))
    assert options[options.index("--preset") + 1] in PRESETS


def test_rayjob_runtime_env_ships_the_package(rayjob):
    runtime_env = yaml.safe_load(rayjob["spec"]["runtimeEnvYAML"])
    assert set(runtime_env) <= {"working_dir", "pip", "env_vars"}

    # The submitter pod has no checkout: working_dir must be a zip the cluster can fetch.
    url = urlparse(runtime_env["working_dir"])
    assert url.scheme in {"https", "s3", "gs"} and url.path.endswith(".zip"), url

    pip = runtime_env["pip"]
    names = {_requirement_name(r) for r in pip}
    assert set(RUNTIME_PIP) <= names

    # Ray in the job's environment must be exactly the cluster's Ray.
    ray_version = rayjob["spec"]["rayClusterSpec"]["rayVersion"]
    ray_reqs = [r for r in pip if _requirement_name(r) == "ray"]
    assert ray_reqs == [f"ray[default,tune]=={ray_version}"]


def test_rayjob_runtime_env_covers_the_project_dependencies(rayjob):
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    needed = {_requirement_name(r) for r in project["dependencies"]}
    pip = yaml.safe_load(rayjob["spec"]["runtimeEnvYAML"])["pip"]
    assert needed <= {_requirement_name(r) for r in pip}


def test_rayjob_cluster_has_a_gpu_worker_and_cleans_up(rayjob):
    spec = rayjob["spec"]
    assert spec["shutdownAfterJobFinishes"] is True
    assert spec["ttlSecondsAfterFinished"] > 0
    cluster = spec["rayClusterSpec"]
    assert cluster["authOptions"]["mode"] == "token"
    ray_version = cluster["rayVersion"]

    head_containers = cluster["headGroupSpec"]["template"]["spec"]["containers"]
    for c in head_containers:
        assert c["image"].startswith(f"rayproject/ray:{ray_version}")
        assert "nvidia.com/gpu" not in c.get("resources", {}).get("limits", {})

    gpu_groups = []
    for group in cluster["workerGroupSpecs"]:
        assert group["minReplicas"] <= group.get("replicas", group["minReplicas"])
        assert group.get("replicas", group["minReplicas"]) <= group["maxReplicas"]
        for c in group["template"]["spec"]["containers"]:
            assert c["image"].startswith(f"rayproject/ray:{ray_version}")
            if int(c.get("resources", {}).get("limits", {}).get("nvidia.com/gpu", 0)) >= 1:
                gpu_groups.append(group["groupName"])
    assert gpu_groups, "no worker group has an nvidia.com/gpu limit"


def test_both_configs_pin_the_same_ray(launcher, rayjob):
    head_tag = launcher["docker"]["head_image"].split(":", 1)[1]
    assert head_tag.split("-", 1)[0] == rayjob["spec"]["rayClusterSpec"]["rayVersion"]


def test_job_runtime_env_covers_the_dependencies_the_image_lacks():
    """jobs/runtime_env.yaml installs every project dependency except torch and ray, which a
    Ray GPU image carries (a pip torch would replace its CUDA build)."""
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    needed = {_requirement_name(r) for r in project["dependencies"]} - {"torch", "ray"}
    env = yaml.safe_load((ROOT / "jobs" / "runtime_env.yaml").read_text())
    assert needed <= {_requirement_name(r) for r in env["pip"]["packages"]}
