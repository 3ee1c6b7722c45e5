"""`deposit`: owner deposits (交存), opening balances and refunds.

A bad option value (an amount that is not a whole number of fen, a date that does not exist)
is a library error: one line, exit 1. Every amount printed has two decimals.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import click

from xtaccounts.cli import time_deposit_cmd
from xtaccounts.cli.output import (
    ENTRY_COLUMNS,
    emit,
    entry_rows,
    format_option,
    output_amount,
)
from xtaccounts.cli.params import DATE, MONEY, account_help, dry_run_option, ledger_path
from xtaccounts.core.errors import XtError
from xtaccounts.core.i18n import N_, _
from xtaccounts.ops import owner_deposits as deposits
from xtaccounts.registry.load import read_text


@click.group("deposit")
def deposit_group() -> None:
    """业主资金的进出：交存、期初余额、返还。"""


@deposit_group.command("receive")
@click.option("--account", "account", required=True, help=account_help)
@click.option("--date", "day", type=DATE, required=True, help=N_("收款的起息日。"))
@click.option("--amount", type=MONEY, required=True, help=N_("收到的金额（元）。"))
@click.option("--notice", default=None, help=N_("缴款通知书编号。"))
@click.option("--serial", default=None, help=N_("银行交易流水号。"))
@click.option("--payer", default=None, help=N_("付款人（对方户名）。"))
@click.option("--memo", default=None, help=N_("对账单摘要。"))
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
    """记入一笔交存收款：记到其缴款通知书的各单元，或记入待查明款项。"""
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
        raise XtError(
            _("{path}：须有表头，列为 household（户号）和 amount（金额）").format(path=path)
        )
    amounts: dict[str, Decimal] = {}
    for number, row in enumerate(reader, start=2):
        household = (row.get("household") or "").strip()
        if household in amounts:
            raise XtError(
                _("{path}:{number}：住户 {household} 列了两次").format(
                    path=path, number=number, household=household
                )
            )
        try:
            amounts[household] = deposits.parse_amount(
                row.get("amount") or "", "amount", positive=False
            )
        except XtError as exc:
            raise XtError(f"{path}:{number}: {exc}") from exc
    return amounts


@deposit_group.command("opening")
@click.option("--account", "account", required=True, help=account_help)
@click.option("--date", "day", type=DATE, required=True, help=N_("期初余额的日期。"))
@click.option(
    "--amounts",
    "amounts_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help=N_("CSV 文件，列为 household（户号）和 amount（金额）（UTF-8 或 GB18030）。"),
)
@dry_run_option
@format_option
@click.pass_context
def opening_cmd(
    ctx: click.Context, account: str, day: dt.date, amounts_file: Path, dry_run: bool, fmt: str
) -> None:
    """导入建账前各住户的资金余额（每个银行账户一次）。"""
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
@click.option("--household", required=True, help=N_("户号（如 C0001-B01-U1-101）。"))
@click.option("--amount", type=MONEY, required=True, help=N_("返还金额（元）。"))
@click.option("--date", "day", type=DATE, required=True, help=N_("支付日期。"))
@click.option("--account", "account", required=True, help=account_help)
@click.option("--reason", required=True, help=N_("原因（如 房屋灭失）。"))
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
    """记入返还支出；超过该住户自身余额或其单元维修资金的将被拒绝。"""
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


for _old in time_deposit_cmd.old_spellings():
    deposit_group.add_command(_old)


COMMANDS = (deposit_group,)
