"""Progress bars on stderr (rich) for the library's long work (`xtaccounts.core.progress`).

Shown only when stderr is a terminal (not piped, not redirected to a file, `TERM` not `dumb`)
and the root option `--quiet`/`-q` is not given: scripts and pipes see no progress at all. The
bars of one stretch of work (the books' load inside an allocation, say) share one live display,
which is cleared when that work ends, so what the command prints afterwards stands alone.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from xtaccounts.core.progress import reporting


def wanted(quiet: bool) -> bool:
    """Whether to show progress: not --quiet, and stderr a terminal that can draw."""
    if quiet or os.environ.get("TERM") == "dumb":
        return False
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


class RichReporter:
    """`core.progress.Reporter` drawing rich bars on stderr."""

    def __init__(self) -> None:
        self._progress: Any = None
        self._open = 0

    def _start(self) -> Any:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(file=sys.stderr),
            transient=True,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        progress.start()
        return progress

    def begin(self, label: str, total: int | None) -> object:
        if self._progress is None:
            self._progress = self._start()
        self._open += 1
        return self._progress.add_task(label, total=total)

    def advance(self, task: object, n: int) -> None:
        if self._progress is not None:
            self._progress.advance(task, n)

    def end(self, task: object) -> None:
        progress = self._progress
        if progress is None:
            return
        progress.update(task, visible=False)
        self._open -= 1
        if self._open <= 0:
            self.close()

    def close(self) -> None:
        """Stop the live display (the command ends or its last bar is done)."""
        progress, self._progress = self._progress, None
        self._open = 0
        if progress is not None:
            progress.stop()


def install(ctx: click.Context, quiet: bool) -> None:
    """Show the progress of this run's work on stderr, if `wanted`, until the command ends."""
    if not wanted(quiet):
        return
    reporter = RichReporter()
    ctx.call_on_close(reporter.close)
    ctx.with_resource(reporting(reporter))
