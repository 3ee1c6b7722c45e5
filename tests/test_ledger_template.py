"""The options every new ledger starts with: fen-exact balance assertions above all."""

from __future__ import annotations

from pathlib import Path

import pytest
from beancount import loader

from xtaccounts.init_ledger import create_ledger, ledger_files


def _books_with(tmp_path: Path, txns: str) -> list:
    main = create_ledger(tmp_path / "books", ledger_files())
    main.write_text(main.read_text("utf-8") + '\ninclude "t.beancount"\n', "utf-8")
    (main.parent / "t.beancount").write_text(
        "2023-01-01 open Assets:Bank-银行存款:X CNY\n2023-01-01 open Income:Deposit-交存收入 CNY\n"
        + txns,
        "utf-8",
    )
    _, errors, _ = loader.load_file(str(main))
    return errors


BANK = "Assets:Bank-银行存款:X"
TXN = """
2023-02-01 * "交存" "一户"
  Assets:Bank-银行存款:X   100.01 CNY
  Income:Deposit-交存收入  -100.01 CNY
    unit: "C0001-B01-U1"
"""


@pytest.mark.parametrize("assertion", ["100.00 CNY", "100.02 CNY"])
def test_a_one_fen_difference_fails_a_plain_assertion(tmp_path: Path, assertion: str) -> None:
    errors = _books_with(tmp_path, TXN + f"\n2023-02-02 balance {BANK} {assertion}\n")
    assert len(errors) == 1 and "Balance failed" in errors[0].message


def test_the_exact_balance_passes(tmp_path: Path) -> None:
    assert _books_with(tmp_path, TXN + f"\n2023-02-02 balance {BANK} 100.01 CNY\n") == []
