"""`deposit`: owner deposits, opening balances, refunds and time deposits.

A bad option value (an amount that is not a whole number of fen, a date that does not exist)
is a library error: one line, exit 1. Every amount printed has two decimals.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

import click
from beancount.core import data

from xtaccounts.cli.output import (
    ENTRY_COLUMNS,
    emit,
    entry_rows,
    format_option,
    interest_summary,
    output_amount,
)
from xtaccounts.cli.params import DATE, MONEY, RATE, account_help, dry_run_option, ledger_path
from xtaccounts.core.errors import XtError
from xtaccounts.core.vocabulary import (
    META_AGREED_RATE,
    META_AGREEMENT,
    META_BASE_RATE,
    META_BASE_SOURCE,
    META_CERTIFICATE,
    META_MATURITY,
)
from xtaccounts.ops import owner_deposits as deposits
from xtaccounts.ops import time_deposits
from xtaccounts.registry.load import read_text
from xtaccounts.registry.models import Product


def _first_txn(entries: Iterable[data.Directive]) -> data.Transaction:
    return next(e for e in entries if isinstance(e, data.Transaction))


@click.group("deposit")
def deposit_group() -> None:
    """Money into and out of the fund: deposits, openings, refunds, time deposits."""


@deposit_group.command("receive")
@click.option("--account", "account", required=True, help=account_help)
@click.option("--date", "day", type=DATE, required=True, help="Value date of the receipt.")
@click.option("--amount", type=MONEY, required=True, help="Amount received (CNY).")
@click.option("--notice", default=None, help="Payment notice number (缴款通知书编号).")
@click.option("--serial", default=None, help="The bank's serial number (交易流水号).")
@click.option("--payer", default=None, help="Payer (对方户名).")
@click.option("--memo", default=None, help="The statement's memo (摘要).")
@dry_run_option
@format_option
@click.pass_context
def receive_cmd(
    ctx: click.Context,
    account: str,
    day: dt.date,
    amount: Decimal,
    notice: str | None,
    serial: str | None,
    payer: str | None,
    memo: str | None,
    dry_run: bool,
    fmt: str,
) -> None:
    """Book one deposit receipt: to the units of its payment notice, or to suspense (待查明)."""
    receipt = deposits.Receipt(account, day, amount, notice, serial, payer, memo)
    report = deposits.book_deposits(ledger_path(ctx), [receipt], dry_run=dry_run)
    line = report.lines[0]
    emit(
        "deposit receive",
        entry_rows([line.entry] if line.entry is not None else []),
        ENTRY_COLUMNS,
        fmt,
        {"status": line.status, "reason": line.reason, "dry_run": dry_run},
    )


def _read_amounts(path: Path) -> dict[str, Decimal]:
    """household,amount rows (header required) from a CSV file."""
    reader = csv.DictReader(io.StringIO(read_text(path)))
    if not reader.fieldnames or not {"household", "amount"} <= set(reader.fieldnames):
        raise XtError(f"{path}: needs a header with the columns household and amount")
    amounts: dict[str, Decimal] = {}
    for number, row in enumerate(reader, start=2):
        household = (row.get("household") or "").strip()
        if household in amounts:
            raise XtError(f"{path}:{number}: household {household} is listed twice")
        try:
            amounts[household] = deposits.parse_amount(
                row.get("amount") or "", "amount", positive=False
            )
        except XtError as exc:
            raise XtError(f"{path}:{number}: {exc}") from exc
    return amounts


@deposit_group.command("opening")
@click.option("--account", "account", required=True, help=account_help)
@click.option("--date", "day", type=DATE, required=True, help="Date of the opening balances.")
@click.option(
    "--amounts",
    "amounts_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="CSV file with the columns household and amount (UTF-8 or GB18030).",
)
@dry_run_option
@format_option
@click.pass_context
def opening_cmd(
    ctx: click.Context, account: str, day: dt.date, amounts_file: Path, dry_run: bool, fmt: str
) -> None:
    """Bring in the households' fund balances from before the books (once per bank account)."""
    amounts = _read_amounts(amounts_file)
    booked = deposits.book_opening(ledger_path(ctx), day, account, amounts, dry_run=dry_run)
    emit(
        "deposit opening",
        entry_rows(booked.entries),
        ENTRY_COLUMNS,
        fmt,
        {
            "households": len(amounts),
            "total": output_amount(sum(amounts.values(), Decimal(0))),
            "dry_run": dry_run,
        },
    )


@deposit_group.command("refund")
@click.option("--household", required=True, help="Household id (C0001-B01-U1-101).")
@click.option("--amount", type=MONEY, required=True, help="Amount refunded (CNY).")
@click.option("--date", "day", type=DATE, required=True, help="Date of the payment.")
@click.option("--account", "account", required=True, help=account_help)
@click.option("--reason", required=True, help="Why (e.g. 房屋灭失).")
@dry_run_option
@format_option
@click.pass_context
def refund_cmd(
    ctx: click.Context,
    household: str,
    amount: Decimal,
    day: dt.date,
    account: str,
    reason: str,
    dry_run: bool,
    fmt: str,
) -> None:
    """Book a refund (返还支出); refused above the household's own balance or its unit's fund."""
    booked = deposits.book_refund(
        ledger_path(ctx),
        household=household,
        amount=amount,
        date=day,
        bank_account=account,
        reason=reason,
        dry_run=dry_run,
    )
    emit(
        "deposit refund",
        entry_rows(booked.entries),
        ENTRY_COLUMNS,
        fmt,
        {"household": household, "amount": output_amount(amount), "dry_run": dry_run},
    )


@deposit_group.command("place")
@click.option(
    "--account", "account", required=True, help="Demand account placed from. " + account_help
)
@click.option("--certificate", required=True, help="Certificate number (存单号).")
@click.option("--principal", type=MONEY, required=True, help="Principal (CNY).")
@click.option(
    "--product",
    type=click.Choice([p.value for p in Product if p is not Product.DEMAND]),
    required=True,
    help="Term.",
)
@click.option("--value-date", type=DATE, required=True, help="Value date (起息日).")
@click.option("--agreement", default=None, help="Rate agreement id (default: the one valid).")
@click.option("--agreed-rate", type=RATE, default=None, help="Explicit agreed rate, percent.")
@click.option("--base-rate", type=RATE, default=None, help="Explicit base rate, percent.")
@click.option(
    "--base-source",
    type=click.Choice(["pboc", "listed"]),
    default=None,
    help="Where the explicit base rate comes from (required with explicit rates).",
)
@dry_run_option
@format_option
@click.pass_context
def place_cmd(
    ctx: click.Context,
    account: str,
    certificate: str,
    principal: Decimal,
    product: str,
    value_date: dt.date,
    agreement: str | None,
    agreed_rate: Decimal | None,
    base_rate: Decimal | None,
    base_source: str | None,
    dry_run: bool,
    fmt: str,
) -> None:
    """Place a time deposit (整存整取): open its certificate account and move the principal."""
    booked = time_deposits.place(
        ledger_path(ctx),
        demand_account=account,
        certificate=certificate,
        principal=principal,
        product=product,
        value_date=value_date,
        agreement_id=agreement,
        agreed_rate=agreed_rate,
        base_rate=base_rate,
        base_source=base_source,
        dry_run=dry_run,
    )
    opened = next(e for e in booked.entries if isinstance(e, data.Open))
    meta = opened.meta
    emit(
        "deposit place",
        entry_rows(booked.entries),
        ENTRY_COLUMNS,
        fmt,
        {
            "certificate": meta[META_CERTIFICATE],
            "account": opened.account,
            "maturity": meta[META_MATURITY],
            "agreed_rate": meta[META_AGREED_RATE],
            "base_rate": meta[META_BASE_RATE],
            "base_source": meta[META_BASE_SOURCE],
            "agreement": meta[META_AGREEMENT],
            "dry_run": dry_run,
        },
    )


@deposit_group.command("mature")
@click.option("--certificate", required=True, help="Certificate number.")
@click.option("--received", type=MONEY, required=True, help="Interest received (CNY).")
@click.option("--date", "day", type=DATE, default=None, help="Day paid (default: maturity).")
@click.option("--rollover", default=None, help="New certificate number: roll the principal over.")
@dry_run_option
@format_option
@click.pass_context
def mature_cmd(
    ctx: click.Context,
    certificate: str,
    received: Decimal,
    day: dt.date | None,
    rollover: str | None,
    dry_run: bool,
    fmt: str,
) -> None:
    """Book a time deposit's maturity with its interest split, and close the certificate."""
    booked = time_deposits.mature(
        ledger_path(ctx),
        certificate=certificate,
        received=received,
        date=day,
        rollover_certificate=rollover,
        dry_run=dry_run,
    )
    emit(
        "deposit mature",
        entry_rows(booked.entries),
        ENTRY_COLUMNS,
        fmt,
        interest_summary(_first_txn(booked.entries), dry_run),
    )


@deposit_group.command("withdraw")
@click.option("--certificate", required=True, help="Certificate number.")
@click.option("--date", "day", type=DATE, required=True, help="Day withdrawn.")
@click.option("--received", type=MONEY, required=True, help="Interest received (CNY).")
@dry_run_option
@format_option
@click.pass_context
def withdraw_cmd(
    ctx: click.Context,
    certificate: str,
    day: dt.date,
    received: Decimal,
    dry_run: bool,
    fmt: str,
) -> None:
    """Book an early withdrawal (demand rate on the days held), and close the certificate."""
    booked = time_deposits.withdraw(
        ledger_path(ctx), certificate=certificate, date=day, received=received, dry_run=dry_run
    )
    emit(
        "deposit withdraw",
        entry_rows(booked.entries),
        ENTRY_COLUMNS,
        fmt,
        interest_summary(_first_txn(booked.entries), dry_run),
    )


COMMANDS = (deposit_group,)
