"""Issue 16 §5: one strict reader of input dates and periods (with a horizon), amounts in ASCII or
full-width digits only, closes of ended periods only, and one line for a write into a closed
period. Real books (a copy of the committed demo books), the real command line."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from importers import read_statement_file
from importers.reader import DateReader
from importers.reader import parse_cell_amount as statement_amount
from tests.helpers import DEMO_LEDGER, snapshot, xt
from xtaccounts.books.writer import WriteRefused
from xtaccounts.cli.main import cli
from xtaccounts.core.dates import DateInputError, parse_date, parse_period, today
from xtaccounts.core.money import MoneyError, to_exact_money, to_rate
from xtaccounts.demo.bank_statements import StatementFile, ccb_xls
from xtaccounts.insurance import parse_inspection
from xtaccounts.ops.bank_statement_import import import_statements
from xtaccounts.ops.close import PeriodNotEnded, close_period
from xtaccounts.ops.owner_deposits import Receipt, book_deposits

LEDGER = DEMO_LEDGER
ICBC_NO = "1904021109200088821"
CCB_NO = "43050163620800001234"
TODAY = "2026-12-05"


@pytest.fixture
def books(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the committed demo books (2023..2025 closed, statements through 2025-12-31),
    on the issue's day."""
    monkeypatch.setenv("XT_TODAY", TODAY)
    shutil.copytree(LEDGER, tmp_path / "ledger")
    return tmp_path / "ledger" / "main.beancount"


def invoke(main: Path, *args: str):
    return CliRunner().invoke(cli, ["--ledger", str(main), *args])


def one_line_error(result) -> str:
    assert result.exit_code == 1, (result.exit_code, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("错误："), result.stderr
    return lines[0]


# -- the strict reader ---------------------------------------------------------------------------

BAD_DAYS = [
    "20260115",  # basic ISO form: date.fromisoformat reads it
    "2026-W03-4",  # ISO week date
    "2026-015",  # ISO ordinal date
    "٢٠٢٦-٠١-١٥",  # Arabic-Indic digits
    "२०२६-०१-१५",  # Devanagari digits
    "2026-1-15",
    "2026/01/15",
    "2026-01-15T00:00",
]

# (command line with {D} where the date goes, the option named in the message)
DATE_OPTIONS = [
    (["pools", "--as-of", "{D}"], "--as-of"),
    (["audit", "--as-of", "{D}"], "--as-of"),
    (["allocate", "--through", "{D}", "--dry-run"], "--through"),
    (["pool", "transfer-legacy", "--since", "{D}", "--dry-run"], "--since"),
    (["seal", "--through", "{D}", "--dry-run"], "--through"),
    (["policies", "--as-of", "{D}"], "--as-of"),
    (
        ["deposit", "receive", "--account", ICBC_NO, "--amount", "1.00", "--date", "{D}"],
        "--date",
    ),
    (["interest", "expected", "--account", ICBC_NO, "--settlement", "{D}"], "--settlement"),
]


@pytest.mark.parametrize("text", BAD_DAYS)
def test_other_date_forms_are_refused_by_every_date_option(books: Path, text: str) -> None:
    before = snapshot(books.parent)
    for args, option in DATE_OPTIONS:
        line = one_line_error(invoke(books, *[a.replace("{D}", text) for a in args]))
        assert f"{option}：" in line and "YYYY-MM-DD" in line, (args, line)
    assert snapshot(books.parent) == before


def test_full_width_dates_and_periods_are_read(books: Path) -> None:
    result = invoke(books, "pools", "--as-of", "２０２５－１２－３１", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["as_of"] == "2025-12-31"
    result = invoke(books, "close", "--period", "２０２５", "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["period"] == "2025" and doc["closed"] is False  # closed already: nothing to do
    assert parse_period("２０２５－０６", field="p").end == dt.date(2025, 6, 30)


def test_the_horizon_and_the_floor(books: Path) -> None:
    assert today() == dt.date(2026, 12, 5)
    last = "2027-12-06"  # today + 366 days
    ok = invoke(books, "pools", "--as-of", last, "--format", "json")
    assert ok.exit_code == 0, ok.output
    line = one_line_error(invoke(books, "pools", "--as-of", "2027-12-07"))
    assert "--as-of：2027-12-07 晚于 2027-12-06" in line and "366 天" in line
    line = one_line_error(invoke(books, "audit", "--as-of", "2062-01-01"))
    assert "晚于 2027-12-06" in line
    line = one_line_error(invoke(books, "pools", "--as-of", "1989-12-31"))
    assert "早于 1990-01-01" in line
    line = one_line_error(invoke(books, "export", "--period", "2099", "--out", "x"))
    assert "--period：期间 2099 始于 2099-01-01" in line and "晚于 2027-12-06" in line


def test_today_comes_from_the_clock_or_xt_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XT_TODAY", raising=False)
    assert today() == dt.date.today()
    monkeypatch.setenv("XT_TODAY", "2030-01-02")
    assert today() == dt.date(2030, 1, 2)
    monkeypatch.setenv("XT_TODAY", "20261205")
    with pytest.raises(DateInputError, match="XT_TODAY"):
        today()


def test_dates_read_from_input_are_strict() -> None:
    with pytest.raises(DateInputError, match="--inspection 31"):
        parse_inspection("31=20240101")
    assert parse_inspection("31=２０２４-０１-０１:passed").inspected == dt.date(2024, 1, 1)
    assert parse_date(" 2024-02-29 ", field="d") == dt.date(2024, 2, 29)
    with pytest.raises(DateInputError, match="不是存在的日期"):
        parse_date("2023-02-29", field="d")
    reader = DateReader(("YYYY-MM-DD", "YYYYMMDD"))
    assert reader("2025-03-01")[0] == dt.date(2025, 3, 1)
    for text in ("٢٠٢٥-٠٣-٠١", "2099-03-01", "1900-01-01"):
        with pytest.raises(ValueError):
            DateReader(("YYYY-MM-DD", "YYYYMMDD"))(text)


# -- amounts -------------------------------------------------------------------------------------

FOREIGN_DIGITS = [
    "١٢٣",  # Arabic-Indic
    "۱۲۳",  # Extended Arabic-Indic (Persian)
    "१२३",  # Devanagari
    "১২৩",  # Bengali
    "๑๒๓",  # Thai
    "1²3",  # superscript (NFKC would make it 123)
    "①②③",  # circled (NFKC: 123)
    "𝟏𝟐𝟑",  # mathematical bold (NFKC: 123)
    "12.3٤",
]


@pytest.mark.parametrize("text", FOREIGN_DIGITS)
def test_amounts_refuse_digits_of_other_scripts(text: str) -> None:
    with pytest.raises(MoneyError, match="只接受 ASCII 数字 0-9 或全角数字"):
        to_exact_money(text)
    with pytest.raises(MoneyError):
        to_rate(text)
    with pytest.raises(ValueError):
        statement_amount(text)


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("1,234.50", "1234.50"),
        ("１２３", "123.00"),
        ("１２３．４５", "123.45"),
        ("¥100", "100.00"),
        ("1，234.50", "1234.50"),
        ("+5", "5.00"),
        ("(5.00)", "-5.00"),
        ("100元", "100.00"),
    ],
)
def test_the_readme_forms_still_read(text: str, amount: str) -> None:
    assert to_exact_money(text) == Decimal(amount)


def test_arabic_indic_digits_are_refused_in_amount_options(books: Path) -> None:
    before = snapshot(books.parent)
    line = one_line_error(
        invoke(
            books, "deposit", "receive", "--account", ICBC_NO, "--date", "2026-03-01",
            "--amount", "١٠٠.٠٠",
        )
    )  # fmt: skip
    assert "--amount" in line and "U+0661" in line
    line = one_line_error(
        invoke(
            books, "interest", "demand", "--account", ICBC_NO, "--settlement", "2026-03-20",
            "--received", "۵",
        )
    )  # fmt: skip
    assert "--received" in line and "U+06F5" in line
    assert snapshot(books.parent) == before


# -- closes of ended periods only ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "message"),
    [
        ("2099", "晚于 2027-12-06"),
        ("2026", "期间 2026 到 2026-12-31 才结束（今天 2026-12-05）"),
        ("2026-12", "期间 2026-12 到 2026-12-31 才结束"),
        ("2026-11", "银行对账单尚未导入到 2026-11-30"),
    ],
)
def test_a_period_that_has_not_ended_is_not_closed(books: Path, period: str, message: str) -> None:
    before = snapshot(books.parent)
    proc = xt(books, "close", "--period", period)
    assert proc.returncode == 1, proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], lines
    assert snapshot(books.parent) == before
    dry = xt(books, "close", "--period", period, "--dry-run")
    assert dry.returncode == 1 and message in dry.stderr
    assert snapshot(books.parent) == before


def test_the_library_close_refuses_the_future_too(books: Path) -> None:
    before = snapshot(books.parent)
    with pytest.raises(PeriodNotEnded, match="期间 2099 到 2099-12-31 才结束"):
        close_period(books, "2099")
    assert snapshot(books.parent) == before


def _empty_statement(directory: Path, start: str, end: str) -> Path:
    """The bank's statement of a month without movements: a preamble with its period, no line."""
    statement = StatementFile(
        CCB_NO,
        "住宅专项维修资金专户（活期）",
        dt.date.fromisoformat(start),
        dt.date.fromisoformat(end),
        Decimal("1559289.68"),
        (),
    )
    path = directory / f"ccb-{start}.xls"
    path.write_bytes(ccb_xls(statement))
    return path


def test_a_month_is_closed_only_once_every_accounts_statements_reach_its_end(
    books: Path, tmp_path: Path
) -> None:
    # January 2026 has ended, but neither account's statements of it are imported.
    before = snapshot(books.parent)
    proc = xt(books, "close", "--period", "2026-01")
    assert proc.returncode == 1
    assert "ICBC-8821（Assets:Bank-银行存款:ICBC-工商银行:Demand-活期8821）只到 2025-12-31" in (
        proc.stderr
    )
    assert "CCB-1234" in proc.stderr
    assert snapshot(books.parent) == before
    # CCB's statement of January (no movement) arrives: only ICBC is still waited for.
    report = import_statements(
        books, [_empty_statement(tmp_path, "2026-01-01", "2026-01-31")], read=read_statement_file
    )
    assert report.ok, report
    proc = xt(books, "close", "--period", "2026-01")
    assert proc.returncode == 1
    assert "ICBC-8821" in proc.stderr and "CCB-1234" not in proc.stderr
    # The books' own closes through 2025 are covered by their statements.
    assert xt(books, "close", "--period", "2025-06").returncode == 0


# -- a write into a closed period: one line ------------------------------------------------------


def test_a_write_into_a_closed_period_says_so_in_one_line(books: Path) -> None:
    before = snapshot(books.parent)
    proc = xt(
        books, "deposit", "receive", "--account", ICBC_NO, "--date", "2025-03-01",
        "--amount", "100.00",
    )  # fmt: skip
    assert proc.returncode == 1, proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    line = lines[0]
    assert line.startswith("错误：写入被拒绝：2025-03-01 所在的期间已结账——期间 2025-06 已结转")
    assert "结转分录日期 2025-06-30（txns/2025/closes.beancount:1" in line
    assert "xtaccounts close --period 2025-06" in line
    assert "账簿已结账至 2025-12-31（期间 2025）" in line
    assert "积数" not in line and "balance" not in line.lower()
    assert snapshot(books.parent) == before


def test_the_refusal_keeps_every_error_and_names_only_the_close(books: Path) -> None:
    def receive(day: dt.date, dry_run: bool = False):
        receipt = Receipt(ICBC_NO, day, Decimal("5.00"), None, None, None, None)
        return book_deposits(books, [receipt], dry_run=dry_run)

    with pytest.raises(WriteRefused) as caught:
        receive(dt.date(2024, 7, 1))
    refused = caught.value
    assert refused.headline is not None and "期间 2024 已结转" in refused.headline
    assert len(refused.errors) > 1  # the echoes are kept for whoever wants them
    assert str(refused).startswith(refused.headline)
    # A write into the open year is not affected.
    assert receive(dt.date(2026, 3, 2), dry_run=True)
