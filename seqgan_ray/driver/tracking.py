"""Experiment tracking outside metrics.jsonl: TensorBoard event files in every run directory, and
the MLflow / Weights & Biases logger callbacks of a Ray Tune sweep.

TensorBoard's step axis is the run's `epoch` (MLE epoch e is step e, adversarial iteration i is
step mle_epochs + i), the x axis of the learning curves, so the runs of an experiment line up
under `tensorboard --logdir EXPERIMENT`. Rows logged without an epoch go where that axis has no
room: D's pre-training rounds to the sub-run RUN/d_pretrain (step = round), the final evaluation
(`final/...` tags) one step after the last epoch.

The event files are a function of metrics.jsonl: when a run (re)starts they are written anew from
the lines it keeps (a resumed run drops the lines logged after its checkpoint), and the new file
opens with TensorBoard's purge marker at step 0, so a TensorBoard that had read an older file,
or a copy that kept one, shows only the new numbers.
"""

from __future__ import annotations

import math
from pathlib import Path

AXIS_KEYS = ("phase", "step", "epoch")  # where a row sits, not scalars
EVENTS_GLOB = "events.out.tfevents.*"
# The open log of each run directory: a run restarted in this process (a lost learner rebuilt
# from its checkpoint) closes the writers of its previous attempt before rewriting the files.
_OPEN: dict[Path, TensorBoardLog] = {}


class TensorBoardLog:
    """Writes each metrics.jsonl row as TensorBoard scalars (same tags, epoch as the step)."""

    def __init__(self, run_dir: str | Path, rows: list[dict]):
        self.path = Path(run_dir).resolve()
        self.writers: dict[str, object] = {}
        self.last_epoch = -1
        if self.path in _OPEN:
            _OPEN.pop(self.path).close()
        _OPEN[self.path] = self
        for old in _event_files(self.path):  # superseded by the rewrite below
            old.unlink()
        for row in rows:
            self.add(row, flush=False)
        self.flush()

    def add(self, row: dict, flush: bool = True) -> None:
        sub, step = self.place(row)
        writer = self._writer(sub)
        for key, value in row.items():
            if key in AXIS_KEYS or isinstance(value, bool | str):
                continue
            if value is None:  # metrics.jsonl stores a non-finite value as null
                value = math.nan
            if isinstance(value, int | float):
                writer.add_scalar(key, value, step)
        if flush:
            writer.flush()

    def place(self, row: dict) -> tuple[str, int]:
        """(sub-run, step) of a row: see the module docstring."""
        if "epoch" in row:
            self.last_epoch = max(self.last_epoch, int(row["epoch"]))
            return "", int(row["epoch"])
        if row.get("phase") == "final":
            return "", self.last_epoch + 1
        return str(row.get("phase", "other")), int(row.get("step", 0))

    def _writer(self, sub: str):
        if sub not in self.writers:
            from torch.utils.tensorboard import SummaryWriter

            # purge_step 0: readers drop whatever an earlier file of this directory said
            self.writers[sub] = SummaryWriter(str(self.path / sub), purge_step=0, flush_secs=10)
        return self.writers[sub]

    def flush(self) -> None:
        for writer in self.writers.values():
            writer.flush()

    def close(self) -> None:
        for writer in self.writers.values():
            writer.close()
        self.writers = {}


def _event_files(run_dir: Path) -> list[Path]:
    """Event files of the run and of its sub-runs (subdirectories holding event files only)."""
    found = list(run_dir.glob(EVENTS_GLOB))
    for sub in (p for p in run_dir.iterdir() if p.is_dir()):
        files = [f for f in sub.iterdir() if f.is_file()]
        if files and all(f.match(EVENTS_GLOB) for f in files):
            found += files
    return found


# --- Ray Tune: MLflow and Weights & Biases beside Tune's own CSV/JSON/TensorBoard loggers ----------
CALLBACKS = {
    "mlflow": ("mlflow", "mlflow"),  # --callback NAME: (module to import, package to install)
    "wandb": ("wandb", "wandb"),
}


def check_callbacks(names: list[str] | tuple[str, ...]) -> None:
    """One UserError for an unknown name or a package that is not installed."""
    import importlib.util

    from seqgan_ray.errors import UserError

    for name in names:
        if name not in CALLBACKS:
            raise UserError(f"unknown --callback {name!r}; choose from {', '.join(CALLBACKS)}")
        module, package = CALLBACKS[name]
        if importlib.util.find_spec(module) is None:
            raise UserError(
                f"--callback {name} needs the {package} package, which is not installed "
                f"(pip install {package})"
            )


def tune_callbacks(names: list[str] | tuple[str, ...], experiment: str) -> list:
    """Tune logger callbacks for `--callback` names, checked before anything runs. Tune adds its
    CSV, JSON and TensorBoard loggers to these itself (they are on unless
    TUNE_DISABLE_AUTO_CALLBACK_LOGGERS=1)."""
    import os

    check_callbacks(names)
    out = []
    for name in names:
        if name == "mlflow":
            from ray.air.integrations.mlflow import MLflowLoggerCallback

            # tracking URI: MLFLOW_TRACKING_URI, else MLflow's default (./mlflow.db)
            out.append(MLflowLoggerCallback(experiment_name=experiment))
        else:
            from ray.air.integrations.wandb import WandbLoggerCallback

            project = os.environ.get("WANDB_PROJECT", "seqgan-ray")
            out.append(WandbLoggerCallback(project=project, group=experiment))
    return out
