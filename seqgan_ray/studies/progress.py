"""The overall progress of a long study on stderr: runs, trials or temperature sweeps done out of
the total, and the time elapsed, live between the lines the study prints.

A run's own bar (trainer.py) shows its phase, step and main metric; a study (experiment, sweep,
--frontier) runs many of them in other processes, so this bar counts finished units instead.
Like the run's bar it is off under --no-progress, and also when stderr is not a terminal (a log
file or a CI job gets the study's printed lines only).
"""

from __future__ import annotations

# The live study bar of this process, for Tune's callback (tune.py), which Tune pickles with the
# sweep's RunConfig and so cannot hold the bar itself. Rich allows one live display at a time.
_ACTIVE: StudyBar | None = None


class StudyBar:
    """`what done/total, elapsed` and a note about the last unit that finished."""

    def __init__(self, what: str, total: int, enabled: bool = True):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as RichProgress

        console = Console(stderr=True)
        self.what = what
        self.bar = RichProgress(
            TextColumn(f"{what} done"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=console,
            disable=not (enabled and console.is_terminal),
        )
        self.task = self.bar.add_task("", total=total)

    def __enter__(self) -> StudyBar:
        global _ACTIVE
        self.bar.start()
        _ACTIVE = self
        return self

    def __exit__(self, *exc) -> None:
        global _ACTIVE
        _ACTIVE = None
        self.bar.stop()

    def advance(self, note: str = "") -> None:
        self.bar.update(self.task, advance=1, description=note)

    def set(self, done: int, total: int) -> None:
        self.bar.update(self.task, completed=done, total=total)

    def note(self, text: str) -> None:
        self.bar.update(self.task, description=text)

    @property
    def done(self) -> int:
        return int(self.bar.tasks[0].completed)


def active() -> StudyBar | None:
    return _ACTIVE


def on_terminal(enabled: bool) -> bool:
    """Whether a study shows a bar at all: asked for, and stderr is a terminal (a run's own bar
    inside a study follows this too, so a log gets no bar's last frame)."""
    from rich.console import Console

    return enabled and Console(stderr=True).is_terminal
