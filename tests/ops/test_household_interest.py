"""The households' base interest carried over the year close (ops.household_interest): the
export's figures are the same to the fen with the carry and without it, and a carry that no
longer ties to the books (edited, stale, of other books) is not used."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from tests.helpers import copy_books
from xtaccounts.export import export_books
from xtaccounts.ops.household_interest import (
    CARRY_SUFFIX,
    HouseholdDerivation,
    derive_households,
    household_interest_file,
    latest_carry,
    read_carry,
)
from xtaccounts.reading.ledger import open_ledger

YEAR = (dt.date(2025, 1, 1), dt.date(2025, 12, 31))


def _figures(derivation: HouseholdDerivation) -> dict[str, tuple[int, int, int, int]]:
    return {
        household: (a.before, a.deposits, a.used, a.interest)
        for household, a in derivation.accounts.items()
    }


def _derive(main: Path, start: dt.date, end: dt.date, *, carried: bool) -> HouseholdDerivation:
    books = open_ledger(main)
    carry = latest_carry(main.parent, end) if carried else None
    return derive_households(
        books.registry, books.positions, books.entries, start, end, carry=carry
    )


def test_the_demo_closes_carry_every_closed_year(demo_books: Path) -> None:
    for year in (2023, 2024, 2025):
        carry = read_carry(demo_books.parent / household_interest_file(year))
        assert carry is not None, year
        assert carry.through == dt.date(year, 12, 31)
        assert carry.days and carry.credits
    carry = latest_carry(demo_books.parent, dt.date(2025, 6, 30))
    assert carry is not None and carry.through == dt.date(2024, 12, 31)


@pytest.mark.parametrize(
    "start, end",
    [
        YEAR,
        (dt.date(2025, 7, 1), dt.date(2025, 12, 31)),
        (dt.date(2026, 1, 1), dt.date(2026, 12, 31)),
    ],
)
def test_the_carry_gives_the_same_figures_as_the_first_day(
    demo_books: Path, start: dt.date, end: dt.date
) -> None:
    carried = _derive(demo_books, start, end, carried=True)
    assert carried.carried
    assert _figures(carried) == _figures(_derive(demo_books, start, end, carried=False))
    assert any(interest for _, _, _, interest in _figures(carried).values()) or start.year == 2026


def test_export_with_the_carry_equals_export_without_it(demo_copy: Path, tmp_path: Path) -> None:
    with_carry = export_books(demo_copy, "2025", tmp_path / "with", ("csv",))
    for path in (demo_copy.parent / "years").glob(f"*{CARRY_SUFFIX}"):
        path.unlink()
    without = export_books(demo_copy, "2025", tmp_path / "without", ("csv",))
    assert [f["sha256"] for f in with_carry.files] == [f["sha256"] for f in without.files]


def test_an_edited_carry_is_not_read(demo_copy: Path) -> None:
    path = demo_copy.parent / household_interest_file(2024)
    text = path.read_text("utf-8")
    edited = re.sub(r",(\d+)\n", lambda m: f",{int(m.group(1)) + 1}\n", text, count=1)
    assert edited != text
    path.write_text(edited, "utf-8")
    assert read_carry(path) is None
    # the carry of the year before is the newest one left
    older = latest_carry(demo_copy.parent, dt.date(2025, 6, 30))
    assert older is not None and older.through == dt.date(2023, 12, 31)


def test_a_carry_the_books_no_longer_tie_to_is_not_used(demo_copy: Path, tmp_path: Path) -> None:
    """Two households of one deposit in a carried year swap their amounts (the deposit and the
    unit's fund unchanged): their balance-days change, so would their base interest; the carry
    recorded the old split and is set aside."""
    bank = demo_copy.parent / "txns" / "2024" / "bank-ICBC-8821.beancount"
    text = bank.read_text("utf-8")
    match = re.search(r"(C\d{4}-B\d\d-U\d-\d+)=([\d.]+) (C\d{4}-B\d\d-U\d-\d+)=([\d.]+)", text)
    assert match and match.group(2) != match.group(4)
    first, a, second, b = match.groups()
    bank.write_text(text.replace(match.group(0), f"{first}={b} {second}={a}", 1), "utf-8")
    original = copy_books(demo_copy, tmp_path / "swapped-no-carry")
    for path in (original.parent / "years").glob(f"*{CARRY_SUFFIX}"):
        path.unlink()
    stale = _derive(demo_copy, *YEAR, carried=True)
    assert not stale.carried
    assert _figures(stale) == _figures(_derive(original, *YEAR, carried=False))
