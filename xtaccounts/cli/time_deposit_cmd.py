"""`time-deposit`: time deposits (定期) placed, matured and withdrawn early.

`deposit` is the owners' money (交存); `time-deposit` is the centre moving the fund's money into
and out of fixed-term certificates. The old spellings `deposit place|mature|withdraw` still work,
hidden from the help.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

import click
from beancount.core import data

from xtaccounts.cli.output import ENTRY_COLUMNS, emit, entry_rows, format_option, interest_summary
from xtaccounts.cli.params import DATE, MONEY, RATE, dry_run_option, ledger_path
from xtaccounts.core.i18n import N_, _
from xtaccounts.core.vocabulary import (
    META_AGREED_RATE,
    META_AGREEMENT,
    META_BASE_RATE,
    META_BASE_SOURCE,
    META_CERTIFICATE,
    META_MATURITY,
)
from xtaccounts.ops import time_deposits
from xtaccounts.registry.models import Product


def _first_txn(entries: Iterable[data.Directive]) -> data.Transaction:
    return next(e for e in entries if isinstance(e, data.Transaction))


@click.group("time-deposit")
def time_deposit_group() -> None:
    """定期存款：存入、到期、提前支取。"""


@time_deposit_group.command("place")
@click.option(
    "--account",
    "account",
    required=True,
    help=N_("转出本金的活期账户：账号或其 Beancount 科目名。"),
)
@click.option("--certificate", required=True, help=N_("存单号。"))
@click.option("--principal", type=MONEY, required=True, help=N_("本金（元）。"))
@click.option(
    "--product",
    type=click.Choice([p.value for p in Product if p is not Product.DEMAND]),
    required=True,
    help=N_("存期。"),
)
@click.option("--value-date", type=DATE, required=True, help=N_("起息日。"))
@click.option("--agreement", default=None, help=N_("利率协议编号（默认：当时有效的协议）。"))
@click.option("--agreed-rate", type=RATE, default=None, help=N_("明确给出的协议利率（百分比）。"))
@click.option("--base-rate", type=RATE, default=None, help=N_("明确给出的基准利率（百分比）。"))
@click.option(
    "--base-source",
    type=click.Choice(["pboc", "listed"]),
    default=None,
    help=N_("所给基准利率的出处（给出利率时必填）。"),
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
    """存入定期存款（整存整取）：开设存单科目并转入本金。"""
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
    agreed, base = Decimal(str(meta[META_AGREED_RATE])), Decimal(str(meta[META_BASE_RATE]))
    if agreed < base:
        click.echo(
            _(
                "注意：存单 {certificate} 的约定利率 {agreed}% 低于基准利率 {base}%，没有利差可分配"
            ).format(certificate=certificate, agreed=agreed, base=base),
            err=True,
        )
    emit(
        "time-deposit place",
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


@time_deposit_group.command("mature")
@click.option("--certificate", required=True, help=N_("存单号。"))
@click.option("--received", type=MONEY, required=True, help=N_("收到的利息（元）。"))
@click.option("--date", "day", type=DATE, default=None, help=N_("付息日（默认：到期日）。"))
@click.option("--rollover", default=None, help=N_("新存单号：本金转存。"))
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
    """记入定期存款到期及其利息拆分，并注销存单。"""
    booked = time_deposits.mature(
        ledger_path(ctx),
        certificate=certificate,
        received=received,
        date=day,
        rollover_certificate=rollover,
        dry_run=dry_run,
    )
    emit(
        "time-deposit mature",
        entry_rows(booked.entries),
        ENTRY_COLUMNS,
        fmt,
        interest_summary(_first_txn(booked.entries), dry_run),
    )


@time_deposit_group.command("withdraw")
@click.option("--certificate", required=True, help=N_("存单号。"))
@click.option("--date", "day", type=DATE, required=True, help=N_("支取日。"))
@click.option("--received", type=MONEY, required=True, help=N_("收到的利息（元）。"))
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
    """记入提前支取（按持有天数计活期利息），并注销存单。"""
    booked = time_deposits.withdraw(
        ledger_path(ctx), certificate=certificate, date=day, received=received, dry_run=dry_run
    )
    emit(
        "time-deposit withdraw",
        entry_rows(booked.entries),
        ENTRY_COLUMNS,
        fmt,
        interest_summary(_first_txn(booked.entries), dry_run),
    )


def old_spellings() -> list[click.Command]:
    """The commands as `deposit place|mature|withdraw` used to spell them, hidden from the help."""
    spellings = []
    for command in time_deposit_group.commands.values():
        old = copy.copy(command)
        old.hidden = True
        spellings.append(old)
    return spellings


COMMANDS = (time_deposit_group,)
