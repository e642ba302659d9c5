"""What the `train`, `experiment` and `sweep` commands share: the reward and --print-config
options, the base config (a preset, a config file or a prepared data directory) and the
`text|music DATA` commands built from each `synthetic` command."""

from __future__ import annotations

from pathlib import Path

import typer

from seqgan_ray import config as C
from seqgan_ray import presets
from seqgan_ray.tasks.sources import DATA_PRESETS, data_preset

REWARD_OPTION = typer.Option(
    None,
    help="d (the paper: Q = D's P(real)); ours, not the paper's: logit (log D/(1-D), with the "
    "batch-mean baseline unless --reward-baseline says otherwise) or maligan (MaliGAN's "
    "normalised weights D/(1-D) over the batch)",
)
BASELINE_OPTION = typer.Option(
    None, help="none (the paper) or batch-mean (ours: subtract Q's per-position batch mean)"
)
PRINT_CONFIG_OPTION = typer.Option(
    False, help="print the resolved config as JSON (a --config file) and exit"
)


def with_method(
    cfg: C.RunConfig, method: str | None, reward: str | None, baseline: str | None
) -> C.RunConfig:
    """`cfg` with --method (a name or METHOD+VARIANT), --reward and --reward-baseline applied."""
    from dataclasses import replace

    if method is not None:
        cfg = replace(cfg, method=C.method_named(cfg.method, method))
    if reward == "logit" and baseline is None:
        baseline = "batch-mean"  # the logit reward is meant with its baseline (issue 15)
    return C.override(cfg, "method", reward=reward, reward_baseline=baseline)


def base_config(
    kind: str, data: Path | None, preset: str, config: Path | None, oracle: Path | None = None
) -> C.RunConfig:
    """The run config before command-line overrides: a preset or a config file, and for real
    data the prepared directory's sizes and special ids (D's filter table follows its length)."""
    if kind == "synthetic":
        cfg = C.RunConfig.from_file(config) if config else presets.preset(preset)
        return C.override(cfg, "task", oracle_path=str(oracle.resolve()) if oracle else None)
    from dataclasses import replace

    from seqgan_ray.tasks.corpus import read_data_config

    task = read_data_config(kind, data)
    if config is None:
        return data_preset(preset, kind).bind(task)
    cfg = C.RunConfig.from_file(config)
    orders = cfg.task.bleu_orders if cfg.task.kind == kind else task.bleu_orders
    return replace(cfg, task=replace(task, bleu_orders=orders))


def data_command(template, kind: str, default_preset: str, run, doc: str):
    """A `text|music DATA` command with the options of the synthetic `template` command: a
    data directory in place of the oracle, and the real-data presets."""
    import inspect
    import typing

    hints = typing.get_type_hints(template)
    presets = ", ".join(n for n, p in DATA_PRESETS.items() if p.kind == kind)
    params = [
        inspect.Parameter(
            "data",
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
            default=typer.Argument(..., help=f"a directory from `seqgan-ray prepare {kind}`"),
            annotation=Path,
        )
    ]
    for param in inspect.signature(template).parameters.values():
        if param.name == "oracle":
            continue
        if param.name == "preset":
            param = param.replace(default=typer.Option(default_preset, help=presets))
        params.append(param.replace(annotation=hints[param.name]))

    def command(data: Path, **options) -> None:
        run(kind, data, oracle=None, **options)

    command.__signature__ = inspect.Signature(params)
    command.__annotations__ = {p.name: p.annotation for p in params} | {"return": None}
    command.__doc__ = doc
    command.__name__ = f"{template.__name__.split('_')[0]}_{kind}"
    return command
