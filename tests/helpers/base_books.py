"""Books on the demo registry, built without pytest (the campaign builds them too): the bare
books (chart only) with text builders for them, and the importer tests' base books."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from decimal import Decimal
from pathlib import Path

from tests.helpers.files import write_files
from xtaccounts.books.init_ledger import create_ledger, ledger_files
from xtaccounts.books.writer import LedgerWriter
from xtaccounts.core import chart
from xtaccounts.demo.books import demo_registry
from xtaccounts.demo.events import _opening_amounts
from xtaccounts.ops.accounts_sync import sync_accounts
from xtaccounts.ops.owner_deposits import book_opening
from xtaccounts.ops.time_deposits import place
from xtaccounts.registry import Registry, load_registry

ICBC = "Assets:Bank-银行存款:ICBC-工商银行:Demand-活期8821"
CCB = "Assets:Bank-银行存款:CCB-建设银行:Demand-活期1234"
D = Decimal
day = dt.date.fromisoformat


# --- the bare books and text for them --------------------------------------------------------


def make_bare_books(directory: Path) -> Path:
    """Books with the demo registry and chart and no transactions: their main.beancount."""
    main = create_ledger(directory / "ledger", ledger_files(registry=demo_registry()))
    sync_accounts(main)
    return main


def copy_books(main: Path, target: Path) -> Path:
    """A copy of the books of `main` at `target`: its main.beancount."""
    shutil.copytree(main.parent, target)
    return target / "main.beancount"


def append(main: Path, relpath: str, text: str) -> None:
    """Append `text` to one file of the books through the writer."""
    with LedgerWriter(main) as session:
        session.append(relpath, text)
        session.commit()


_REGISTRY: list[Registry] = []


def loaded_demo_registry() -> Registry:
    """The demo registry, loaded once per process."""
    if not _REGISTRY:
        directory = Path(tempfile.mkdtemp(prefix="xt-registry-"))
        _REGISTRY.append(load_registry(write_files(directory, demo_registry())))
    return _REGISTRY[0]


def opening(date: str, funds: dict[str, str], bank: str = ICBC) -> str:
    """Fund balances brought in (kind opening): Dr bank / Cr each unit's 维修资金."""
    reg = loaded_demo_registry()
    total = sum(D(v) for v in funds.values())
    lines = [f'{date} * "期初余额"', '  kind: "opening"', f"  {bank}  {total:.2f} CNY"]
    for unit, amount in funds.items():
        lines.append(f"  {chart.unit_fund_account(reg, unit)}  -{D(amount):.2f} CNY")
    return "\n".join(lines) + "\n\n"


def deposit(date: str, unit: str, amount: str, bank: str = ICBC) -> str:
    """An owner deposit of one unit (kind deposit)."""
    return (
        f'{date} * "交存"\n  kind: "deposit"\n  {bank}  {amount} CNY\n'
        f'  {chart.DEPOSIT_INCOME}  -{amount} CNY\n    unit: "{unit}"\n\n'
    )


def interest(
    rid: str, date: str, start: str, end: str, base: str, spread: str, bank: str = ICBC
) -> str:
    """A demand interest receipt split into base and spread (kind interest)."""
    total = D(base) + D(spread)
    return (
        f'{date} * "利息"\n  kind: "interest"\n  receipt: "{rid}"\n  source: "demand"\n'
        f'  bank_account: "{bank}"\n  window_start: "{start}"\n  window_end: "{end}"\n'
        f"  {bank}  {total:.2f} CNY\n"
        f"  {chart.INTEREST_BASE}  -{base} CNY\n  {chart.INTEREST_SPREAD}  -{spread} CNY\n\n"
    )


def fund_books(main: Path) -> None:
    """Openings of three units on 2023-01-01 and a deposit of a fourth on 2024-04-10."""
    append(
        main,
        "txns/2023/deposits.beancount",
        opening(
            "2023-01-01",
            {"C0001-B01-U1": "50000.00", "C0001-B02-U1": "30000.00", "C0002-B01-U2": "20000.00"},
        )
        + deposit("2024-04-10", "C0001-B02-U2", "12000.00"),
    )


# --- the importer tests' base books ----------------------------------------------------------


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
