"""Reopening the last closed period: the reason in the books, the period open again until the
next close; a sealed period, a carried year and an earlier period are refused."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from beancount.core import data

from tests.helpers import append, deposit, fund_books, make_bare_books
from tests.helpers import snapshot as files_of
from xtaccounts.audit.seal import seal_books
from xtaccounts.books.closed_periods import closes_in, reopened_periods
from xtaccounts.books.load import load_books
from xtaccounts.books.writer import WriteRefused
from xtaccounts.ops.close import close_period
from xtaccounts.ops.reopen import ReopenRefused, reopen_period

day = dt.date.fromisoformat


@pytest.fixture
def main(tmp_path: Path) -> Path:
    """Openings in 2023 (closed and carried), a deposit in 2024-04 and that month closed."""
    main = make_bare_books(tmp_path)
    fund_books(main)
    close_period(main, "2023")
    close_period(main, "2024-04")
    return main


def book(main: Path, when: str) -> None:
    """A deposit of 500.00 dated `when`, booked through the writer."""
    append(main, "txns/2024/deposits.beancount", deposit(when, "C0001-B02-U2", "500.00"))


def customs(main: Path, kind: str) -> list[data.Custom]:
    entries = load_books(main).entries
    return [e for e in entries if isinstance(e, data.Custom) and e.type == kind]


def test_reopen_book_into_the_period_and_close_it_again(main: Path) -> None:
    with pytest.raises(WriteRefused, match="期间 2024-04 已结转"):
        book(main, "2024-04-20")
    report = reopen_period(main, "漏记一笔返还", "2024-04")
    assert report.period == "2024-04"
    (reopen,) = customs(main, "xt-reopen")
    assert reopen.values[0].value == "2024-04"
    assert reopen.meta["reason"] == "漏记一笔返还"
    assert reopen.meta["close"].startswith("记-2024-04-")
    assert reopen.meta["filename"].endswith("txns/2024/closes.beancount")
    assert reopened_periods(load_books(main).entries) == {"2024-04"}
    book(main, "2024-04-20")  # the period is open again
    close_period(main, "2024-04")
    entries = load_books(main).entries
    assert load_books(main).errors == []
    assert reopened_periods(entries) == set()
    closes = [c for c in closes_in(entries) if c.period == "2024-04"]
    assert len(closes) == 2  # the first close stays; the second closes what came since
    with pytest.raises(WriteRefused, match="期间 2024-04 已结转"):
        book(main, "2024-04-21")


def test_a_reopened_period_with_nothing_booked_is_closed_again(main: Path) -> None:
    reopen_period(main, "核对后无需更正")
    report = close_period(main, "2024-04")
    assert report.plan.entry is None and report.files == ["txns/2024/closes.beancount"]
    (reclose,) = customs(main, "xt-reclose")
    assert reclose.values[0].value == "2024-04"
    assert reopened_periods(load_books(main).entries) == set()
    with pytest.raises(WriteRefused, match="期间 2024-04 已结转"):
        book(main, "2024-04-20")


def test_a_later_period_waits_for_the_reopened_one(main: Path) -> None:
    reopen_period(main, "漏记")
    with pytest.raises(Exception, match="期间 2024-04 已重开，尚未再次结账"):
        close_period(main, "2024-05")


@pytest.mark.parametrize(
    ("period", "reason", "match"),
    [
        ("2024-03", "改", "只能重开最后结账的期间 2024-04"),
        (None, " ", "重开原因（--reason）不能为空"),
    ],
)
def test_bad_reopen_refused_nothing_written(
    main: Path, period: str | None, reason: str, match: str
) -> None:
    before = files_of(main.parent)
    with pytest.raises(ReopenRefused, match=match):
        reopen_period(main, reason, period)
    assert files_of(main.parent) == before


def test_a_sealed_period_cannot_be_reopened(main: Path) -> None:
    seal_books(main, day("2024-04-30"))
    before = files_of(main.parent)
    with pytest.raises(ReopenRefused, match="已封存（账簿封存至 2024-04-30）：封存的期间是最终的"):
        reopen_period(main, "改")
    assert files_of(main.parent) == before


def test_a_carried_year_cannot_be_reopened(tmp_path: Path) -> None:
    main = make_bare_books(tmp_path)
    fund_books(main)
    append(main, "txns/2023/deposits.beancount", deposit("2023-05-01", "C0001-B02-U2", "50.00"))
    close_period(main, "2023")
    with pytest.raises(ReopenRefused, match="已年度结账，余额已结转到 2024 年的账簿"):
        reopen_period(main, "改")
