"""The directives the project builds: the one constructor of fen-exact balance assertions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from beancount.core import data
from beancount.parser import printer

from xtaccounts.books.writer import format_entry
from xtaccounts.core.entries import fen_exact_balance
from xtaccounts.core.money import MoneyError

DAY = dt.date(2025, 1, 1)
BANK = "Assets:Bank-银行存款:ICBC-工商银行:Demand-活期8821"


def test_fen_exact_balance() -> None:
    entry = fen_exact_balance(DAY, BANK, Decimal("1234.50"))
    assert isinstance(entry, data.Balance)
    assert entry.amount == data.Amount(Decimal("1234.50"), "CNY")
    assert str(entry.tolerance) == "0.00" and entry.diff_amount is None
    assert str(fen_exact_balance(DAY, BANK, Decimal("7")).amount.number) == "7.00"
    assert str(fen_exact_balance(DAY, BANK, Decimal("7.100")).amount.number) == "7.10"


def test_the_text_is_the_printers_and_the_writers() -> None:
    meta = data.new_metadata("txns/2025/carried.beancount", 0)
    entry = fen_exact_balance(DAY, BANK, Decimal("-0.01"), meta)
    assert entry.meta is meta
    text = format_entry(entry)
    assert text == printer.format_entry(entry)
    assert text.startswith(f"2025-01-01 balance {BANK}")
    assert text.rstrip().endswith(" -0.01 ~ 0.00 CNY")


def test_a_part_of_a_fen_or_a_float_is_refused() -> None:
    with pytest.raises(MoneyError, match="fraction of a fen"):
        fen_exact_balance(DAY, BANK, Decimal("1.005"))
    with pytest.raises(TypeError):
        fen_exact_balance(DAY, BANK, 1.5)  # type: ignore[arg-type]
