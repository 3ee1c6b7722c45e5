"""What of the registry the books' plugins read: a registry change of files they do not read
is written without checking the books against it (`books.registry_changes`), so this shows
the plugins report the same without those files, and that a staged registry is what they read."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from xtaccounts.books.load import format_error, load_books
from xtaccounts.books.registry_changes import NOT_READ_BY_THE_BOOKS
from xtaccounts.registry import cached_registry
from xtaccounts.registry.load import staged_registry


def _errors(main: Path) -> list[str]:
    return [format_error(e) for e in load_books(main).errors]


def test_the_plugins_report_the_same_without_the_payment_notices(demo_copy: Path) -> None:
    assert {"payment_notices.csv"} == NOT_READ_BY_THE_BOOKS
    directory = demo_copy.parent / "registry"
    registry = cached_registry(directory)
    assert registry.notices  # the demo books' deposits name these notices
    without = dataclasses.replace(registry, notices={})
    with staged_registry(directory, without):
        assert cached_registry(directory) is without
        assert _errors(demo_copy) == []
    assert cached_registry(directory).notices  # the staged registry no longer answers


def test_the_plugins_check_the_books_against_a_staged_registry(demo_copy: Path) -> None:
    """The books' notices ran 7 days: a registry saying 10 makes every one an error."""
    directory = demo_copy.parent / "registry"
    registry = cached_registry(directory)
    longer = dataclasses.replace(
        registry, pilot=registry.pilot.model_copy(update={"notice_days": 10})
    )
    with staged_registry(directory, longer):
        errors = _errors(demo_copy)
    assert errors and all("notice of APP-" in e for e in errors)
    assert _errors(demo_copy) == []
