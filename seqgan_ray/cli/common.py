"""What the `train`, `experiment` and `sweep` commands share: the config flags they set, the
base config (a preset, a config file or a prepared data directory) and the overrides applied
to it, and the options of a command's DATA directory, preset and oracle."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import typer

from seqgan_ray import api, presets
from seqgan_ray import config as C
from seqgan_ray.cli.options import Flags, Overrides, opt
from seqgan_ray.methods import MethodConfig

RUN_FLAGS = Flags("run", C.RunConfig, ("seed", "device"))
# --method takes a method or METHOD+VARIANT (methods.method_named); --reward logit comes with its
# baseline (with_overrides), as issue 15 meant it
METHOD_FLAGS = Flags(
    "method",
    MethodConfig,
    ("name", "reward", "reward_baseline"),
    rename={"name": "method"},
    extra_help={
        "name": "; METHOD+VARIANT (seqgan+logit) sets the reward options too",
        "reward": "; logit comes with the batch-mean baseline unless --reward-baseline says "
        "otherwise",
    },
)
REWARD_FLAGS = replace(METHOD_FLAGS, names=("reward", "reward_baseline"))

ORACLE_OPTION = typer.Option(
    None, help="official target_params(_py3).pkl; default: a seeded random oracle"
)


def print_config_opt():
    return opt(False, "print the resolved config as JSON (a --config file) and exit")


def data_argument(kind: str):
    return typer.Argument(..., help=f"a directory from `seqgan-ray prepare {kind}`")


def data_preset_option(default: str, kind: str):
    names = ", ".join(n for n, p in presets.DATA_PRESETS.items() if p.kind == kind)
    return typer.Option(default, help=names)


def with_overrides(cfg: C.RunConfig, overrides: Overrides) -> C.RunConfig:
    """`cfg` with the config flags given (cli/options.py), by api.change: --method (a name or
    METHOD+VARIANT) first, then --reward, --reward-baseline and the other sections' fields."""
    dotted = {
        name if section == "run" else f"{section}.{name}": value
        for section, values in overrides.items()
        for name, value in values.items()
    }
    return api.change(cfg, dotted)


def base_config(
    kind: str, data: Path | None, preset: str, config: Path | None, oracle: Path | None = None
) -> C.RunConfig:
    """The run config before command-line overrides: a preset or a config file, and for real
    data the prepared directory's sizes and special ids (D's filter table follows its length)."""
    if kind == "synthetic":
        cfg = C.RunConfig.from_file(config) if config else api.preset(preset)
        return C.override(cfg, "task", oracle_path=str(oracle.resolve()) if oracle else None)
    from seqgan_ray.tasks.corpus import read_data_config

    if config is None:
        presets.data_preset(preset, kind)  # this command's kind: `train text --preset nottingham`
        return api.preset(preset, data)
    task = read_data_config(kind, data)
    cfg = C.RunConfig.from_file(config)
    orders = cfg.task.bleu_orders if cfg.task.kind == kind else task.bleu_orders
    return replace(cfg, task=replace(task, bleu_orders=orders))
