"""The options every new ledger starts with: fen-exact balance assertions above all. Each test
writes its entries inline below the project's header (`inline_ledger`, no chart) and loads them
with Beancount's own loader (as bean-check and Fava do) and as the commands do."""

from __future__ import annotations

import pytest
from beancount import loader

from tests.helpers import InlineLoader

BANK = "Assets:Bank-银行存款:X"
OPENS = """
2023-01-01 open Assets:Bank-银行存款:X CNY
2023-01-01 open Income:Deposit-交存收入 CNY
"""
TXN = """
2023-02-01 * "交存" "一户"
  Assets:Bank-银行存款:X   100.01 CNY
  Income:Deposit-交存收入  -100.01 CNY
    unit: "C0001-B01-U1"
"""


def _errors(inline_ledger: InlineLoader, txns: str) -> list:
    books = inline_ledger(OPENS + txns, chart=False)
    _, errors, _ = loader.load_file(str(books.main))
    assert books.messages == [e.message for e in errors]  # the commands see the same
    return errors


@pytest.mark.parametrize("assertion", ["100.00 CNY", "100.02 CNY"])
def test_a_one_fen_difference_fails_a_plain_assertion(
    inline_ledger: InlineLoader, assertion: str
) -> None:
    errors = _errors(inline_ledger, TXN + f"\n2023-02-02 balance {BANK} {assertion}\n")
    assert len(errors) == 1 and "Balance failed" in errors[0].message


def test_the_exact_balance_passes(inline_ledger: InlineLoader) -> None:
    assert _errors(inline_ledger, TXN + f"\n2023-02-02 balance {BANK} 100.01 CNY\n") == []
