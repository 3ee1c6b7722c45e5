"""`deposit`: owner deposits, opening balances, refunds and time deposits.

A bad option value (an amount that is not a whole number of fen, a date that does not exist)
is a library error: one line, exit 1. Every amount printed has two decimals.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import click
from beancount.core import data

from xtaccounts import chart, deposits, time_deposits
from xtaccounts.cli.main import ledger_path
from xtaccounts.cli.output import emit, format_option
from xtaccounts.dates import HORIZON_DAYS, parse_date
from xtaccounts.errors import XtError
from xtaccounts.money import MoneyError, format_money, to_rate
from xtaccounts.registry.load import read_text
from xtaccounts.registry.models import Product

ENTRY_COLUMNS = ["date", "flag", "kind", "account", "amount", "unit", "detail"]


def _option(param: click.Parameter | None, default: str) -> str:
    return param.opts[0] if param is not None and param.opts else default


def money(amount: Decimal) -> Decimal:
    """An amount for output: two decimals (`format_money`), never ``-0.00``."""
    value = Decimal(format_money(amount))
    return abs(value) if value == 0 else value


class MoneyType(click.ParamType):
    """A CNY amount as text (``1234.50``, ``1,234.50``) in whole fen: a part of a fen is
    refused, not rounded; floats never. The sign is checked by the command that uses it."""

    name = "amount"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        return deposits.parse_amount(value, _option(param, "amount"), positive=False)


class RateType(click.ParamType):
    """An annual rate in percent (``1.95``)."""

    name = "rate"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, Decimal):
            return value
        try:
            return to_rate(value)
        except MoneyError as exc:
            raise XtError(f"{_option(param, 'rate')}: {exc}") from exc


class DateType(click.ParamType):
    """A day ``YYYY-MM-DD`` (ASCII or full-width digits) from 1990-01-01 to today plus the
    input horizon (`xtaccounts.dates`, the one strict reader of input dates)."""

    name = "date"

    def __init__(self, horizon_days: int = HORIZON_DAYS) -> None:
        self.horizon_days = horizon_days

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, dt.date):
            return value
        return parse_date(value, field=_option(param, "date"), horizon_days=self.horizon_days)


MONEY = MoneyType()
RATE = RateType()
DATE = DateType()

dry_run_option = click.option(
    "--dry-run", is_flag=True, help="Show what would be booked; write nothing."
)
account_help = "Bank account: its account number or its Beancount account name."


def entry_rows(entries: Iterable[data.Directive]) -> list[dict[str, Any]]:
    """One row per posting (and per open/close) of what was booked."""
    rows: list[dict[str, Any]] = []
    for entry in entries:
        if isinstance(entry, data.Open):
            meta = entry.meta
            detail = " ".join(
                f"{key}={meta[key]}"
                for key in ("principal", "product", "maturity", "agreed_rate", "base_rate")
                if key in meta
            )
            rows.append(
                {"date": entry.date, "kind": "open", "account": entry.account, "detail": detail}
            )
        elif isinstance(entry, data.Close):
            rows.append({"date": entry.date, "kind": "close", "account": entry.account})
        elif isinstance(entry, data.Transaction):
            for posting in entry.postings:
                meta: Mapping[str, Any] = posting.meta or {}
                rows.append(
                    {
                        "date": entry.date,
                        "flag": entry.flag,
                        "kind": entry.meta.get("kind", ""),
                        "account": posting.account,
                        "amount": money(posting.units.number),
                        "unit": meta.get("unit", ""),
                        "detail": meta.get("households") or meta.get("household") or "",
                    }
                )
    return rows


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
            "total": money(sum(amounts.values(), Decimal(0))),
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
        {"household": household, "amount": money(amount), "dry_run": dry_run},
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
            "certificate": meta["certificate"],
            "account": opened.account,
            "maturity": meta["maturity"],
            "agreed_rate": meta["agreed_rate"],
            "base_rate": meta["base_rate"],
            "base_source": meta["base_source"],
            "agreement": meta["agreement"],
            "dry_run": dry_run,
        },
    )


def interest_summary(entry: data.Transaction, dry_run: bool) -> dict[str, Any]:
    """The split of a booked interest receipt, for the report's summary."""
    meta = entry.meta

    def part(account: str) -> Decimal:
        return -sum((p.units.number for p in entry.postings if p.account == account), Decimal(0))

    base, spread = part(chart.INTEREST_BASE), part(chart.INTEREST_SPREAD)
    return {
        "receipt": meta["receipt"],
        "received": money(base + spread),
        "expected": money(Decimal(str(meta["expected"]))),
        "base": money(base),
        "spread": money(spread),
        "difference": money(Decimal(str(meta["difference"]))),
        "flagged": entry.flag == "!",
        "flag_reason": meta.get("flag_reason", ""),
        "dry_run": dry_run,
    }


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
