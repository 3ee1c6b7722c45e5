"""The writer's fast path on allocations (issue 23): an allocation or legacy transfer that only
adds to pools is checked against the snapshot, and its verdict is the full load's.

Like `test_fast_write_equivalence` (whose books and helpers these are): two copies of the demo
books with a 2026 demand settlement and a first 2026 allocation get the same stream of changes,
one through the writer as it is, the other with the snapshot turned off. The changes are
allocations valid and invalid (taking from a pool, overdrawing one, a wrong total, fractions of
a fen, an unknown account, dated into the closed year or before an assertion), legacy
transfers, balance assertions on the pools and plain deposits between them. A last test books
a real allocation with the command's library call on books the writer has a snapshot of.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from beancount.core import data

from tests.books.test_fast_write_equivalence import (
    ICBC,
    PARENT,
    Books,
    Change,
    _files,
    _txn,
    compare_streams,
    settled_books,  # noqa: F401 (the fixture these books start from)
    two_copies,
)
from tests.helpers import copy_books, xt
from xtaccounts.books import writer
from xtaccounts.books.load import load_books
from xtaccounts.core import chart
from xtaccounts.core.vocabulary import KIND_ALLOCATION, KIND_LEGACY
from xtaccounts.ops.allocation import allocate

ALLOCATIONS = "txns/2026/allocations.beancount"
BANK_FILE = "txns/2026/bank-ICBC-8821.beancount"
FIRST_THROUGH = dt.date(2026, 3, 31)


@pytest.fixture(scope="module")
def allocated_books(settled_books: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:  # noqa: F811
    """The settled books with their first 2026 allocation (which writes the year's file)."""
    main = copy_books(settled_books, tmp_path_factory.mktemp("allocated") / "books")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XT_CACHE_DIR", str(main.parent.parent / "cache"))
        report = allocate(main, through=FIRST_THROUGH)
    assert report.booked
    return main


def _fund_accounts(main: Path) -> list[str]:
    books = load_books(main)
    return sorted(
        e.account
        for e in books.entries
        if isinstance(e, data.Open) and e.account.startswith(chart.FUND + ":")
    )


def _generator(
    books: Books, funds: list[str], rng: random.Random
) -> Callable[[], tuple[str, Change, list]]:
    """A function making the next change: (its kind, its text by file, its postings)."""

    def future() -> dt.date:
        return books.last + dt.timedelta(days=rng.randrange(4))

    def amount() -> Decimal:
        return Decimal(rng.randrange(1, 200000)) / 100

    def allocation(when: dt.date, kind: str = KIND_ALLOCATION) -> list[tuple[str, Decimal]]:
        """Credits to some pools and unit funds (Beancount signs), the debit left out."""
        receivers = rng.sample(books.pools, rng.randrange(1, len(books.pools) + 1))
        if kind == KIND_ALLOCATION:
            receivers += rng.sample(funds, rng.randrange(0, min(len(funds), 40) + 1))
        return [(account, -amount()) for account in receivers]

    def text(when: dt.date, credits: list[tuple[str, Decimal]], kind: str, debit: Decimal) -> str:
        postings = [(PARENT, str(debit), "")] + [(a, str(n), "") for a, n in credits]
        meta = {"kind": kind, "through": when.isoformat()}
        receipt = f"R-{rng.randrange(10**6)}"
        if kind == KIND_LEGACY:
            meta |= {"since": "2023-01-01", "until": when.isoformat(), "spread_receipts": receipt}
        else:
            meta |= {"spread_receipts": receipt, "base_receipts": ""}
        return _txn(when, postings, **meta)

    def make() -> tuple[str, Change, list]:
        kind = rng.choice(KINDS)
        when = future()
        target = ALLOCATIONS
        moves: list = []
        if kind in ("deposit", "balance", "balance on a pool"):
            if kind == "deposit":
                value = amount()
                body = _txn(when, [(ICBC, str(value), ""), (chart.SUSPENSE, str(-value), "")])
                moves = [(when, ICBC, value), (when, chart.SUSPENSE, -value)]
                target = BANK_FILE
            else:
                account = PARENT if kind == "balance" else rng.choice(books.pools)
                when = books.last + dt.timedelta(days=1)
                body = f"{when} balance {account}  {books.subtree(account)} CNY\n\n"
                moves = [(when, None, Decimal(0))]
            return kind, {target: body}, moves
        credits = allocation(when, KIND_LEGACY if kind == "legacy transfer" else KIND_ALLOCATION)
        if kind == "from a pool":
            credits[0] = (credits[0][0], Decimal("0.01"))
        elif kind == "overdraws a pool":
            credits[0] = (credits[0][0], Decimal("99999999.00"))
        elif kind == "not whole fen":
            credits[-1] = (credits[-1][0], credits[-1][1] - Decimal("0.001"))
        elif kind == "unknown account":
            credits.append((chart.FUND + ":U-无此单元", Decimal("-1.00")))
        elif kind == "closed year":
            when = dt.date(2025, 12, rng.randrange(1, 31))
        elif kind == "before an assertion":
            when = books.last - dt.timedelta(days=1)
        debit = -sum((n for _, n in credits), Decimal(0))
        if kind == "wrong total":
            debit += Decimal("1.00")
        entry_kind = KIND_LEGACY if kind == "legacy transfer" else KIND_ALLOCATION
        moves = [(when, PARENT, debit)] + [(when, a, n) for a, n in credits]
        return kind, {target: text(when, credits, entry_kind, debit)}, moves

    return make


KINDS = [
    "allocation", "allocation", "allocation", "legacy transfer", "deposit", "balance",
    "balance on a pool", "from a pool", "overdraws a pool", "wrong total", "not whole fen",
    "unknown account", "closed year", "before an assertion",
]  # fmt: skip


@pytest.mark.slow
def test_allocations_on_the_fast_path_get_the_full_loads_verdicts(
    allocated_books: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast_main, full_main, books = two_copies(allocated_books, tmp_path, monkeypatch)
    books.last = FIRST_THROUGH
    make = _generator(books, _fund_accounts(fast_main), random.Random(23))
    verdicts, taken = compare_streams(fast_main, full_main, books, make, 160, monkeypatch)
    assert not load_books(fast_main).errors
    assert set(verdicts) == set(KINDS)
    for kind in ("allocation", "legacy transfer", "balance", "balance on a pool", "from a pool"):
        assert verdicts[kind] == {"accepted"}, kind
    for kind in ("overdraws a pool", "wrong total", "not whole fen", "unknown account"):
        assert verdicts[kind] == {"refused"}, kind
    assert "refused" in verdicts["before an assertion"]
    fast_kinds = set(taken)
    assert {"allocation", "legacy transfer", "balance on a pool"} <= fast_kinds
    # Taking from a pool, and anything dated into the closed year or before an assertion, is
    # the full load's to decide.
    assert not fast_kinds & {"from a pool", "overdraws a pool", "closed year"}
    assert taken.count("allocation") > 20


@pytest.mark.slow
def test_a_booked_allocation_takes_the_fast_path(
    allocated_books: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`allocate` on books the writer has a snapshot of: the allocation is written without a
    second load of the books, with the bytes the full check writes."""
    monkeypatch.setenv("XT_CACHE_DIR", str(tmp_path / "cache"))
    mains = [copy_books(allocated_books, tmp_path / name) for name in ("fast", "full")]
    for main in mains:  # a second settlement: a receipt left to allocate (the full check)
        done = xt(main, "interest", "demand", "--account", ICBC, "--settlement", "2026-06-20",
                  "--received", "7000.00")  # fmt: skip
        assert done.returncode == 0, done.stderr
    taken: list[Path] = []
    real_fast = writer.WriteSession._commit_fast

    def counted(self: writer.WriteSession, *args: object, **kwargs: object) -> object:
        taken.append(self.main)
        return real_fast(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(writer.WriteSession, "_commit_fast", counted)
    fast_main, full_main = mains
    report = allocate(fast_main, through=dt.date(2026, 6, 30))
    assert report.booked and report.plan is not None and report.plan.pool_totals
    assert taken == [fast_main]
    with monkeypatch.context() as full_only:
        full_only.setattr(writer.WriteSession, "_fast_change", lambda self: None)
        assert allocate(full_main, through=dt.date(2026, 6, 30)).booked
    assert taken == [fast_main]
    assert _files(fast_main) == _files(full_main)
    assert not load_books(fast_main).errors
    assert allocate(fast_main, through=dt.date(2026, 6, 30)).plan is None
