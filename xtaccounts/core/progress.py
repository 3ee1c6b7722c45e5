"""Progress of long work: the library says what it is doing, the command line shows it.

Library code marks its long stretches with `step(label, total)` (a context manager yielding
`advance(n=1)`) or `track(items, label)`; nothing is shown, and next to nothing spent, unless a
`Reporter` is installed with `reporting(reporter)`. The command line installs one (a rich bar on
stderr, `xtaccounts.cli.progress`) only when stderr is a terminal and `--quiet` is not given,
so scripts and pipes never see progress. No rendering and no third-party import here.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Sized
from typing import Protocol, TypeVar

__all__ = ["Advance", "Reporter", "active", "reporting", "step", "track"]

T = TypeVar("T")
Advance = Callable[..., None]  # advance(n=1): n more done


class Reporter(Protocol):
    """What shows progress: a task begins (with its total, None when unknown), advances, ends."""

    def begin(self, label: str, total: int | None) -> object: ...

    def advance(self, task: object, n: int) -> None: ...

    def end(self, task: object) -> None: ...


_reporter: Reporter | None = None


def _nothing(n: int = 1) -> None:
    """`advance` when nobody is watching."""


def active() -> bool:
    """Whether progress is shown in this process (a caller may skip preparing a label)."""
    return _reporter is not None


@contextlib.contextmanager
def step(label: str, total: int | None = None) -> Iterator[Advance]:
    """A stretch of long work named `label` (already in the user's language), of `total` parts
    when known; yields `advance(n=1)` to call as parts are done."""
    reporter = _reporter
    if reporter is None:
        yield _nothing
        return
    task = reporter.begin(label, total)

    def advance(n: int = 1) -> None:
        reporter.advance(task, n)

    try:
        yield advance
    finally:
        reporter.end(task)


def track(items: Iterable[T], label: str, total: int | None = None) -> Iterator[T]:
    """`items`, one by one, each counted as done once the caller asks for the next."""
    if total is None and isinstance(items, Sized):
        total = len(items)
    with step(label, total) as advance:
        for item in items:
            yield item
            advance()


@contextlib.contextmanager
def reporting(reporter: Reporter | None) -> Iterator[None]:
    """Show the progress of the work inside the block with `reporter` (None: show nothing)."""
    global _reporter
    previous, _reporter = _reporter, reporter
    try:
        yield
    finally:
        _reporter = previous
