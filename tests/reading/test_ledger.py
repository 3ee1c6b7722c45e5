"""The one Ledger: the books loaded once, every reader taking its parts, a day's view sharing
what the whole books' reading holds."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

import xtaccounts
from xtaccounts.books.layout import LedgerLayout
from xtaccounts.books.load import load_books
from xtaccounts.books.positions import read_positions
from xtaccounts.insurance.checks import InsuranceState
from xtaccounts.reading import ledger as ledger_module
from xtaccounts.reading.ledger import Ledger, open_ledger
from xtaccounts.registry import load as registry_load
from xtaccounts.registry import load_registry


def test_the_books_and_the_registry_are_loaded_once(
    demo_books: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loads: list[Path] = []

    def counted(main: Path, *args, **kwargs):
        loads.append(main)
        return load_books(main, *args, **kwargs)

    validations: list[Path] = []
    validate = registry_load._validate_registry

    def validated(directory: Path, files):
        validations.append(directory)
        return validate(directory, files)

    monkeypatch.setattr(ledger_module, "load_books", counted)
    monkeypatch.setattr(registry_load, "_validate_registry", validated)
    registry_load._MEMO.clear()
    ledger = open_ledger(demo_books)
    # Every part, and a day's view of each, read from the one load.
    assert ledger.entries is ledger.books.entries
    assert ledger.registry.elevators
    assert ledger.positions is ledger.positions
    assert ledger.unit_history is ledger.positions.unit_history()
    assert ledger.insurance.book.policies
    last = ledger.entries[-1].date
    assert ledger.as_of(last).insurance.book is ledger.insurance.book
    ledger.as_of(dt.date(2024, 12, 31)).positions  # noqa: B018
    assert loads == [ledger.layout.main]
    # The books' insurance plugin read the registry; the Ledger shares that copy.
    assert validations == [ledger.layout.registry]


def test_a_view_of_the_last_day_is_the_whole_ledger(demo_books: Path) -> None:
    ledger = open_ledger(demo_books)
    view = ledger.as_of(ledger.entries[-1].date + dt.timedelta(days=30))
    assert view.whole
    assert view.entries is ledger.entries
    assert view.positions is ledger.positions
    assert view.account_history is ledger.account_history
    assert view.insurance is ledger.insurance.whole
    assert ledger.insurance.state(view.day) is ledger.insurance.whole
    assert view.insurance.positions is ledger.positions


def test_a_view_of_an_earlier_day_reads_only_the_entries_up_to_it(demo_books: Path) -> None:
    ledger = open_ledger(demo_books)
    day = dt.date(2024, 12, 31)
    view = ledger.as_of(day)
    assert not view.whole
    assert view.entries == [e for e in ledger.entries if e.date <= day]
    assert view.positions == read_positions(view.entries)
    fresh = InsuranceState(ledger.registry, view.entries)
    assert view.insurance.book == fresh.book
    assert view.insurance.closed_through == fresh.closed_through
    for pool in ledger.positions.pool_movements:
        assert view.insurance.pool_available(pool, day) == fresh.pool_available(pool, day)


def test_a_ledger_of_books_loaded_already_loads_nothing(demo_books: Path) -> None:
    books = load_books(demo_books)
    registry = load_registry(LedgerLayout(demo_books).registry)
    ledger = Ledger.of(books, registry)
    assert ledger.books is books and ledger.registry is registry
    assert ledger.layout.main == books.path


def test_no_module_writes_into_an_objects_dict() -> None:
    """Values are shared through constructors, not by writing into another's `__dict__`."""
    root = Path(xtaccounts.__file__).parent
    write = re.compile(r"__dict__\s*(\[[^\]]*\]\s*=|\.update\(|\.setdefault\()|\"__dict__\"\s*,")
    found = [
        f"{path.relative_to(root)}:{number}: {line.strip()}"
        for path in sorted(root.rglob("*.py"))
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        if write.search(line)
    ]
    assert found == []
