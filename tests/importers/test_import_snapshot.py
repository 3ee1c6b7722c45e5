"""An import classified against the write snapshot's indexes gives what it gives against the
books: the same lines booked, skipped and sent to suspense, the same words, the same bytes on
disk. With a snapshot that describes the books, a statement the indexes answer loads no books;
a line that needs the books themselves (a settlement's 积数) has them loaded."""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from importers import read_statement_file
from tests.helpers import ICBC_NO, build_base, snapshot
from xtaccounts.books import writer
from xtaccounts.books.load import load_books
from xtaccounts.demo.bank_statements import BankLine, StatementFile, icbc_flag_text
from xtaccounts.ops import bank_statement_import
from xtaccounts.ops.bank_statement_import import SETTLE_LINES, import_statements
from xtaccounts.ops.demand_interest import expected_settlement
from xtaccounts.registry import load_registry

ICBC = "Assets:Bank-银行存款:ICBC-工商银行:Demand-活期8821"
NAME = "湘潭市物业专项维修资金管理中心"
D = Decimal
day = dt.date.fromisoformat


@pytest.fixture(scope="module")
def base_books(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_base(tmp_path_factory.mktemp("import-snapshot-base") / "ledger")


def _copy(base: Path, to: Path) -> Path:
    shutil.copytree(base.parent, to)
    return to / "main.beancount"


def _balance(main: Path, through: dt.date) -> Decimal:
    total = D("0.00")
    for entry in load_books(main).entries:
        if getattr(entry, "postings", None) and entry.date <= through:
            total += sum((p.units.number for p in entry.postings if p.account == ICBC), D(0))
    return total


def _notices(main: Path) -> list[tuple[str, Decimal]]:
    """Registry notices of the base books that no receipt paid yet, with their totals."""
    registry = load_registry(main.parent / "registry")
    text = "".join(p.read_text("utf-8") for p in main.parent.rglob("*.beancount"))
    unpaid = sorted(n for n in registry.notices if n not in text)
    return [(n, sum((line.amount for line in registry.notices[n]), D(0))) for n in unpaid]


def L(when: str, amount: Decimal | str, memo: str, **other: str) -> BankLine:
    return BankLine(day(when), D(amount), memo, **other)


def _statement(path: Path, start: str, end: str, opening: Decimal, lines: list[BankLine]) -> Path:
    file = StatementFile(ICBC_NO, NAME, day(start), day(end), opening, tuple(lines))
    path.write_bytes(icbc_flag_text(file))
    return path


def _import(main: Path, path: Path) -> list[Any]:
    report = import_statements(main, [path], read=read_statement_file)
    return [
        (f.error, f.booked, f.skipped, f.suspense, f.assertions, f.archived) for f in report.files
    ] + [
        [(p.serial, p.status, p.rule, p.reason) for p in f.plan.lines]
        for f in report.files
        if f.plan is not None
    ]


def _twice(
    fast: Path, full: Path, statement: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[Any], int]:
    """Import `statement` into `fast` (its snapshot kept) and into `full` (no snapshot): the
    results must agree; returns them and the loads of the books the fast import took."""
    loads: list[Path] = []
    real_load = writer.load_books

    def counted(main: Path, *args: Any, **kwargs: Any) -> Any:
        loads.append(main)
        return real_load(main, *args, **kwargs)

    with monkeypatch.context() as patched:
        patched.setattr(writer, "load_books", counted)
        got = _import(fast, statement)
    with monkeypatch.context() as no_snapshot:
        no_snapshot.setattr(writer, "load_snapshot", lambda main: None)
        no_snapshot.setenv("XT_CACHE_DIR", str(tmp_path / "cache-full"))
        assert _import(full, statement) == got
    assert snapshot(fast.parent) == snapshot(full.parent)
    assert load_books(fast).errors == []
    return got, len(loads)


@pytest.mark.parametrize("settle_lines", [SETTLE_LINES, 0], ids=["large", "every"])
def test_an_import_against_the_snapshot_loads_no_books_and_writes_the_same_bytes(
    base_books: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settle_lines: int
) -> None:
    """(`every`: each statement settles the session as a long one does: the copy without a
    snapshot lets its books go once the indexes are built, and loads them again for the
    settlement's 积数; the results are the same.)"""
    monkeypatch.setattr(bank_statement_import, "SETTLE_LINES", settle_lines)
    monkeypatch.setenv("XT_CACHE_DIR", str(tmp_path / "cache"))
    fast = _copy(base_books, tmp_path / "fast")
    full = _copy(base_books, tmp_path / "full")
    (one, one_due), (two, two_due), (three, three_due) = _notices(base_books)[:3]
    opening = _balance(fast, day("2023-06-01"))  # after the books' last posting to the account
    first = [
        L("2023-06-03", one_due, f"维修资金补交 {one}", counterparty="何二"),
        L("2023-06-10", "-12.50", "手续费"),
        L("2023-06-10", "-12.50", "手续费"),
    ]
    a = _statement(tmp_path / "a.xls", "2023-06-02", "2023-06-10", opening, first)
    # The first import writes the year's bank file (a new file: the full check), and keeps
    # the snapshot with the indexes the import reads.
    _twice(fast, full, a, tmp_path, monkeypatch)

    short = two_due - D("100.00")
    second = [
        *first[1:],  # already in the books: skipped, by their keys
        L("2023-06-14", short, f"维修资金补交 {two}", counterparty="张三", serial="S1"),
        L("2023-06-14", "88.00", "转账", counterparty="某商贸有限公司", serial="S2"),
        L("2023-06-15", "100.00", f"维修资金补交 {two} 补缴", counterparty="张三", serial="S3"),
        L("2023-06-16", one_due, f"维修资金补交 {one}", counterparty="何二", serial="S4"),
        L("2023-06-16", three_due, f"维修资金补交 {three}", counterparty="李四", serial="S5"),
        L("2023-06-17", "5.00", "维修资金补交 N2099-9999", serial="S6"),
        L("2023-06-17", "-3.00", "手续费", serial="S7"),
    ]
    before = _balance(fast, day("2023-06-09"))
    b = _statement(tmp_path / "b.xls", "2023-06-10", "2023-06-17", before, second)
    got, loads = _twice(fast, full, b, tmp_path, monkeypatch)
    assert loads == 0
    lines = got[1]
    assert [status for _serial, status, _rule, _reason in lines] == [  # the top-up settles
        "skipped",
        "skipped",
        "suspense",
        "suspense",
        "booked",
        "suspense",
        "booked",
        "suspense",
        "suspense",
    ]
    assert "缴清" in lines[5][3] and "少" in lines[2][3]

    # The quarter's settlement needs the account's 积数: the books are read for it.
    settlement = expected_settlement(
        load_registry(fast.parent / "registry"), load_books(fast).entries, ICBC, day("2023-06-20")
    ).expected
    third = [
        L("2023-06-19", "7.00", "转账", serial="S8"),
        L("2023-06-21", settlement, "结息", time="02:00:00", serial="S9"),
    ]
    before = _balance(fast, day("2023-06-18"))
    c = _statement(tmp_path / "c.xls", "2023-06-18", "2023-06-21", before, third)
    got, loads = _twice(fast, full, c, tmp_path, monkeypatch)
    assert loads >= 1
    assert [status for _serial, status, _rule, _reason in got[1]] == ["suspense", "booked"]
