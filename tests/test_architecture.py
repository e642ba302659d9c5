"""The layout's import rules (README, "Layout"), read from the source with `ast`, every import
counted wherever it is written (module top or inside a function): the numerics and tasks know
nothing of Ray, the driver, the studies or the CLI; the Ray layer and the driver know nothing of
the studies or the CLI; only the entry point imports the CLI."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "seqgan_ray"

# (packages the rule applies to, module prefixes they must not import)
RULES = [
    (
        ("seqgan_ray.core", "seqgan_ray.tasks"),
        (
            "ray",
            "seqgan_ray.distributed",
            "seqgan_ray.driver",
            "seqgan_ray.studies",
            "seqgan_ray.cli",
        ),
    ),
    (("seqgan_ray.distributed",), ("seqgan_ray.studies", "seqgan_ray.cli")),
    (("seqgan_ray.driver",), ("seqgan_ray.studies", "seqgan_ray.cli")),
]
# Who may import the CLI: the entry point (`python -m seqgan_ray`) and the CLI itself.
CLI_IMPORTERS = ("seqgan_ray.__main__", "seqgan_ray.cli")


def within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_module(name: str) -> bool:
    path = PACKAGE.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def imports(source: str, module: str, is_package: bool = False) -> list[tuple[int, str]]:
    """Every module `source` imports, with its line: `import a.b` gives a.b, `from a import b`
    gives a.b when that is one of our modules and a otherwise; relative imports are resolved
    against `module`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = module.split(".")
                # a package's own __init__ is the package: `from . import x` stays inside it
                parent = parent[: len(parent) - node.level + (1 if is_package else 0)]
                base = ".".join([*parent, base] if base else parent)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.append((node.lineno, sub if is_module(sub) else base))
    return found


def violations(source: str, module: str, is_package: bool = False) -> list[str]:
    """One line per forbidden import: `module:line imports name`."""
    bad = set()
    for line, name in imports(source, module, is_package):
        banned = [b for owners, bs in RULES if any(within(module, o) for o in owners) for b in bs]
        if not any(within(module, m) for m in CLI_IMPORTERS):
            banned.append("seqgan_ray.cli")  # only the entry point may
        if any(within(name, b) for b in banned):
            bad.add((line, name))
    return [f"{module}:{line} imports {name}" for line, name in sorted(bad)]


def test_the_checker_flags_a_bad_import_anywhere_in_a_module():
    source = "import torch\n\ndef f():\n    import ray.util\n    from seqgan_ray.cli import app\n"
    assert violations(source, "seqgan_ray.core.models") == [
        "seqgan_ray.core.models:4 imports ray.util",
        "seqgan_ray.core.models:5 imports seqgan_ray.cli.app",
    ]
    # the CLI is off limits even where no other rule applies
    assert violations("import seqgan_ray.cli.app", "seqgan_ray.studies.report") == [
        "seqgan_ray.studies.report:1 imports seqgan_ray.cli.app"
    ]
    # `from seqgan_ray import studies` and a relative import are the same import
    assert violations("from seqgan_ray import studies", "seqgan_ray.driver.trainer") == [
        "seqgan_ray.driver.trainer:1 imports seqgan_ray.studies"
    ]
    assert violations("from ..studies import seeds", "seqgan_ray.distributed.runtime") == [
        "seqgan_ray.distributed.runtime:1 imports seqgan_ray.studies.seeds"
    ]
    # a name that merely starts like a banned one is not it
    assert violations("import rayon\nimport seqgan_ray.core", "seqgan_ray.tasks.text") == []
    # what the rules allow: the studies import everything but the CLI, the entry point the CLI
    assert (
        violations("import ray\nfrom seqgan_ray.driver import trainer", "seqgan_ray.studies.tune")
        == []
    )
    assert violations("from seqgan_ray.cli.app import main", "seqgan_ray.__main__") == []


MODULES = sorted(PACKAGE.rglob("*.py"))


def test_the_walk_sees_every_package():
    names = {module_name(p) for p in MODULES}
    for package in ("core", "tasks", "distributed", "driver", "studies", "cli"):
        assert f"seqgan_ray.{package}" in names
    assert "seqgan_ray.__main__" in names


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE.parent)))
def test_module_keeps_the_import_rules(path):
    module = module_name(path)
    bad = violations(path.read_text(), module, path.name == "__init__.py")
    assert not bad, "forbidden imports:\n" + "\n".join(bad)
