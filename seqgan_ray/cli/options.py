"""Command-line options generated from dataclasses, so that each flag has one source.

Two kinds of source (as cleanrl's dataclass + tyro, but with typer):
- `Flags`: fields of a config section (config.py, methods.py) become `--field-name VALUE` with
  default None (= keep the preset's or config file's value) and the field's comment as help
  (the comment at the end of its line, else the comment lines right above it); the command gets
  the flags given as `{section: {field: value}}`.
- a command's own options: a dataclass in the cli module whose fields are made with `opt`
  (default, help); the command gets one instance of it.
"""

from __future__ import annotations

import functools
import inspect
import textwrap
import tokenize
import typing
from dataclasses import MISSING, dataclass, field, fields
from typing import Any

import typer

Overrides = dict[str, dict[str, Any]]  # section -> {field: value}, only the flags given


def opt(default: Any, help: str, *decls: str) -> Any:
    """A field of a command's options dataclass: default, --help text and, when not
    `--field-name`, the flag declarations (e.g. "--ray/--no-ray")."""
    return field(default=default, metadata={"help": help, "decls": decls})


@dataclass(frozen=True)
class Flags:
    """Config fields set from the command line: `section` is a RunConfig section ("schedule",
    "method") or "run" for RunConfig's own fields."""

    section: str
    cls: type
    names: tuple[str, ...] = ()  # () = every field of cls
    rename: dict[str, str] = field(default_factory=dict)  # field -> option (name -> method)
    extra_help: dict[str, str] = field(default_factory=dict)  # what the CLI adds to a field


@functools.cache
def field_comments(cls: type) -> dict[str, str]:
    """Each field's comment in the source of `cls`: the one ending its line, else the comment
    lines right above it (joined)."""
    lines = textwrap.dedent(inspect.getsource(cls)).splitlines(keepends=True)
    tokens = list(tokenize.generate_tokens(iter(lines).__next__))
    comment = {
        t.start[0]: t.string.lstrip("#").strip() for t in tokens if t.type == tokenize.COMMENT
    }
    found = {}
    for name, colon in zip(tokens, tokens[1:]):
        row, col = name.start
        if name.type != tokenize.NAME or col != 4 or colon.string != ":" or name.line[:4].strip():
            continue  # not `    field: type ...` in the class body
        if row in comment:
            found[name.string] = comment[row]
            continue
        above = []
        while row - 1 in comment and lines[row - 2].lstrip().startswith("#"):
            row -= 1
            above.insert(0, comment[row])
        if above:
            found[name.string] = " ".join(above)
    return found


def flag_params(flags: Flags) -> list[tuple[inspect.Parameter, str]]:
    """(parameter, field) per flag: typed `T | None`, default None, help from its comment."""
    hints = typing.get_type_hints(flags.cls)
    helps = field_comments(flags.cls)
    out = []
    for name in flags.names or tuple(f.name for f in fields(flags.cls)):
        if name not in helps:
            raise TypeError(f"{flags.cls.__name__}.{name} has no comment to be its --help")
        option = typer.Option(None, help=helps[name] + flags.extra_help.get(name, ""))
        param = inspect.Parameter(
            flags.rename.get(name, name), inspect.Parameter.KEYWORD_ONLY,
            default=option, annotation=hints[name] | None,
        )  # fmt: skip
        out.append((param, name))
    return out


def _options_params(cls: type) -> list[inspect.Parameter]:
    """A parameter per field of a command's options dataclass (fields made with `opt`)."""
    hints = typing.get_type_hints(cls)
    out = []
    for f in fields(cls):
        assert f.default is not MISSING and "help" in f.metadata, f"{cls.__name__}.{f.name}: opt()"
        option = typer.Option(f.default, *f.metadata["decls"], help=f.metadata["help"])
        out.append(
            inspect.Parameter(
                f.name, inspect.Parameter.KEYWORD_ONLY, default=option, annotation=hints[f.name]
            )
        )
    return out


def command(**sources: type | tuple[Flags, ...]):
    """Decorator of a typer command: its own parameters, then an option per field of each source.
    The command receives `name=` an instance of each options dataclass and `name=` Overrides for
    each tuple of Flags."""

    def decorate(fn):
        hints = typing.get_type_hints(fn)
        own = [
            p.replace(annotation=hints[p.name])
            for p in inspect.signature(fn).parameters.values()
            if p.name not in sources
        ]
        params, route = list(own), {}  # route: option -> (source, section or None, field)
        for source_name, source in sources.items():
            if isinstance(source, type):
                made = [(p, None, p.name) for p in _options_params(source)]
            else:
                made = [(p, f.section, name) for f in source for p, name in flag_params(f)]
            for param, section, name in made:
                assert param.name not in route and param.name not in hints, param.name
                params.append(param)
                route[param.name] = (source_name, section, name)

        @functools.wraps(fn)
        def run(**given: Any) -> Any:
            call = {p.name: given.pop(p.name) for p in own}
            values: dict[str, dict] = {}
            for option, (source_name, section, name) in route.items():
                values.setdefault(source_name, {})
                value = given[option]
                if section is None:
                    values[source_name][name] = value
                elif value is not None:
                    values[source_name].setdefault(section, {})[name] = value
            for source_name, source in sources.items():
                got = values.get(source_name, {})
                call[source_name] = source(**got) if isinstance(source, type) else got
            return fn(**call)

        del run.__wrapped__  # typer reads the signature below, not fn's
        run.__signature__ = inspect.Signature(params)
        run.__annotations__ = {p.name: p.annotation for p in params} | {"return": None}
        return run

    return decorate


def flag_names(overrides: Overrides, flag_sets: tuple[Flags, ...]) -> list[str]:
    """The command-line spelling of the flags in `overrides` (--reward-baseline, --method)."""
    rename = {(f.section, k): v for f in flag_sets for k, v in f.rename.items()}
    return [
        "--" + rename.get((section, name), name).replace("_", "-")
        for section, values in overrides.items()
        for name in values
    ]
