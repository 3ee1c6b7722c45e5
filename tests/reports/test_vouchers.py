"""Voucher numbers (no gaps, no repeats, a reversal naming what it reverses), 大写, the PDF."""

from __future__ import annotations

import json
import os
import subprocess
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from beancount.core import data

from tests.helpers import ICBC, append, fund_books, make_bare_books, xt
from xtaccounts.books.load import load_books
from xtaccounts.books.voucher_numbers import parse_voucher
from xtaccounts.core import chart
from xtaccounts.core.capital_amount import capital_amount
from xtaccounts.reports.vouchers import ledger_vouchers

GOLDEN = Path(__file__).parent / "golden"
D = Decimal


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("0", "零元整"),
        ("0.05", "伍分"),
        ("100", "壹佰元整"),
        ("1000.05", "壹仟元零伍分"),
        ("1005.30", "壹仟零伍元叁角整"),
        ("100230.50", "壹拾万零贰佰叁拾元伍角整"),
        ("10010001.01", "壹仟零壹万零壹元零壹分"),
        ("11900.00", "壹万壹仟玖佰元整"),
        ("123456789.12", "壹亿贰仟叁佰肆拾伍万陆仟柒佰捌拾玖元壹角贰分"),
        ("-3.20", "负叁元贰角整"),
        ("2.005", "贰元零壹分"),
    ],
)
def test_capital_amount(amount: str, words: str) -> None:
    assert capital_amount(D(amount)) == words


def _deposit(date: str, unit: str, amount: str, link: str) -> str:
    return (
        f'{date} * "交存 {unit}" ^{link}\n  kind: "deposit"\n  {ICBC}  {amount} CNY\n'
        f'  {chart.DEPOSIT_INCOME}  -{amount} CNY\n    unit: "{unit}"\n\n'
    )


def _reversal(date: str, unit: str, amount: str, link: str) -> str:
    """A 红字冲销 as the contract writes it: kind reversal, `reverses:` and the link."""
    return (
        f'{date} * "冲销 交存 {unit}（误入账）" ^{link}\n  kind: "reversal"\n'
        f'  reverses: "{link}"\n  {ICBC}  -{amount} CNY\n'
        f'  {chart.DEPOSIT_INCOME}  {amount} CNY\n    unit: "{unit}"\n\n'
    )


def test_voucher_numbers_have_no_gaps_or_repeats_across_a_month_with_a_reversal(
    tmp_path: Path,
) -> None:
    main = make_bare_books(tmp_path)
    fund_books(main)
    append(
        main, "txns/2025/deposits.beancount", _deposit("2025-03-05", "C0001-B01-U1", "800.00", "D1")
    )
    append(
        main,
        "txns/2025/deposits.beancount",
        _deposit("2025-03-09", "C0001-B02-U1", "600.00", "D2")
        + _reversal("2025-03-10", "C0001-B01-U1", "800.00", "D1"),
    )
    # Backdated into March after April has begun: March's next number, April's stays 0001.
    append(
        main, "txns/2025/deposits.beancount", _deposit("2025-04-01", "C0001-B01-U1", "700.00", "D3")
    )
    append(
        main, "txns/2025/deposits.beancount", _deposit("2025-03-02", "C0001-B01-U1", "900.00", "D4")
    )
    books = load_books(main)
    assert books.errors == []
    by_month: dict[tuple[int, int], list[int]] = defaultdict(list)
    for entry in books.entries:
        if isinstance(entry, data.Transaction):
            parsed = parse_voucher(entry.meta.get("voucher"))
            assert parsed is not None, entry
            assert (parsed[0], parsed[1]) == (entry.date.year, entry.date.month)
            by_month[parsed[0], parsed[1]].append(parsed[2])
    for numbers in by_month.values():
        assert sorted(numbers) == list(range(1, len(numbers) + 1))
    assert sorted(by_month[2025, 3]) == [1, 2, 3, 4]
    assert by_month[2025, 4] == [1]

    vouchers, _, _ = ledger_vouchers(main, D_("2025-03-01"), D_("2025-03-31"))
    assert [v.number for v in vouchers] == [f"记-2025-03-000{n}" for n in (1, 2, 3, 4)]
    reversal = vouchers[2]
    assert reversal.reverses == "记-2025-03-0001"
    assert reversal.summary.startswith("冲销 记-2025-03-0001 ")
    # Red ink: the reversed voucher's sides, negative; the two add up to nothing.
    assert [(line.debit, line.credit) for line in reversal.lines] == [
        (D("-800.00"), D("0.00")),
        (D("0.00"), D("-800.00")),
    ]
    for voucher in vouchers:
        assert voucher.debit == voucher.credit


def D_(text: str):
    import datetime as dt

    return dt.date.fromisoformat(text)


def test_demo_vouchers_match_the_golden_file(demo_books: Path) -> None:
    """Every voucher of the demo's 2025 (lines, 大写, 附件) as `vouchers --format json` lists it."""
    done = xt(demo_books, "vouchers", "--period", "2025", "--format", "json")
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    golden = GOLDEN / "demo-vouchers-2025.json"
    if os.environ.get("XT_UPDATE_GOLDEN"):
        golden.write_text(json.dumps(got, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    assert got == json.loads(golden.read_text(encoding="utf-8"))
    numbers = [v["voucher"] for v in got["vouchers"]]
    assert len(numbers) == len(set(numbers)) > 20


def test_the_voucher_pdf_renders_chinese(demo_books: Path, tmp_path: Path) -> None:
    out = tmp_path / "v.pdf"
    done = xt(demo_books, "vouchers", "--period", "2025-03", "--out", str(out))
    assert done.returncode == 0, done.stderr
    text = subprocess.run(
        ["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True
    ).stdout
    for word in (
        "记账凭证",
        "凭证号：记-2025-03-0001",
        "合计（大写）：人民币",
        "制单",
        "审核",
        "记账",
        "出纳",
        "附件",
        "1002 银行存款",
    ):
        assert word in text, word
    inside = xt(
        demo_books, "vouchers", "--period", "2025-03", "--out", str(demo_books.parent / "v.pdf")
    )
    assert inside.returncode != 0 and not (demo_books.parent / "v.pdf").exists()
