"""One read of the books answers every day as a fresh read would: InsuranceHistory.state(day)
equals state_as_of(registry, entries, day) on the demo books, day by day."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from beancount import loader

from xtaccounts.books.layout import LedgerLayout
from xtaccounts.insurance.checks import InsuranceHistory
from xtaccounts.insurance.coverage import elevators_of
from xtaccounts.insurance.status import policy_rows_of, state_as_of, statuses_of
from xtaccounts.registry import load_registry

DAYS = ["2024-06-30", "2024-12-31", "2025-03-01", "2025-10-31", "2025-12-31", "2026-06-30"]


@pytest.fixture(scope="module")
def books(demo_books: Path):
    entries, errors, _ = loader.load_file(str(demo_books))
    assert not errors
    registry = load_registry(LedgerLayout(demo_books).registry)
    return registry, entries, InsuranceHistory(registry, entries)


@pytest.mark.parametrize("day", DAYS)
def test_history_state_equals_a_fresh_state(books, day: str) -> None:
    registry, entries, history = books
    on = dt.date.fromisoformat(day)
    fresh, shared = state_as_of(registry, entries, on), history.state(on)
    assert shared.book == fresh.book
    assert [list(p) for p in shared.book.problems] == [list(p) for p in fresh.book.problems]
    assert shared.closed_through == fresh.closed_through
    assert statuses_of(shared, on) == statuses_of(fresh, on)
    assert policy_rows_of(shared, on) == policy_rows_of(fresh, on)
    assert elevators_of(shared, on) == elevators_of(fresh, on)
    for pool in history.positions.pool_movements:
        assert shared.pool_available(pool, on) == fresh.pool_available(pool, on)
    later = on + dt.timedelta(days=400)
    for unit in registry.units:
        assert str(shared.unit_fund(unit, on)) == str(fresh.unit_fund(unit, on))
        assert str(shared.unit_fund(unit, later)) == str(fresh.unit_fund(unit, later))
    # the demo has insurance on these days: the comparison is not of two empty states
    if on >= dt.date(2024, 12, 31):
        assert shared.book.policies
