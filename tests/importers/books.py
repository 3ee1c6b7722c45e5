"""The importer tests' base books, built without pytest (the campaign builds them too)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from xtaccounts.accounts import sync_accounts
from xtaccounts.demo import demo_registry
from xtaccounts.demo_events import _opening_amounts
from xtaccounts.deposits import book_opening
from xtaccounts.init_ledger import create_ledger, ledger_files
from xtaccounts.registry import load_registry
from xtaccounts.time_deposits import place

ICBC = "Assets:Bank-银行存款:ICBC-工商银行:Demand-活期8821"
CCB = "Assets:Bank-银行存款:CCB-建设银行:Demand-活期1234"
D = Decimal
day = dt.date.fromisoformat


def build_base(directory: Path) -> Path:
    """Demo registry and chart, both openings (2023-01-01), ICBC2023001 (1y, 2023-02-01),
    CCB2023001 (1y, 2023-04-01) and ICBC2023002 (3y, 2023-06-01) placed by command."""
    main = create_ledger(directory, ledger_files(registry=demo_registry()))
    sync_accounts(main)
    registry = load_registry(main.parent / "registry")
    for account in (ICBC, CCB):
        book_opening(main, day("2023-01-01"), account, _opening_amounts(registry, account))
    for account, certificate, principal, product, value in (
        (ICBC, "ICBC2023001", "1500000.00", "1y", "2023-02-01"),
        (CCB, "CCB2023001", "1000000.00", "1y", "2023-04-01"),
        (ICBC, "ICBC2023002", "500000.00", "3y", "2023-06-01"),
    ):
        place(
            main,
            demand_account=account,
            certificate=certificate,
            principal=D(principal),
            product=product,
            value_date=day(value),
        )
    return main
