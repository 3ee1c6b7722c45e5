"""`interest`: quarterly demand settlements, booked or only computed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import click

from xtaccounts.cli.output import (
    ENTRY_COLUMNS,
    emit,
    entry_rows,
    format_option,
    interest_summary,
    output_amount,
)
from xtaccounts.cli.params import DATE, MONEY, ledger_path
from xtaccounts.core.i18n import N_
from xtaccounts.core.vocabulary import META_BALANCE_DAYS, META_WINDOW_END, META_WINDOW_START
from xtaccounts.ops.demand_interest import book_settlement, settlement_terms
from xtaccounts.ops.owner_deposits import format_rate
from xtaccounts.reading.ledger import open_ledger

account_help = N_("活期账户：账号或其 Beancount 科目名。")


@click.group("interest")
def interest_group() -> None:
    """利息收入及其基准利息/利差拆分。"""


@interest_group.command("demand")
@click.option("--account", "account", required=True, help=account_help)
@click.option(
    "--settlement", type=DATE, required=True, help=N_("结息日（3、6、9、12 月的 20 日）。")
)
@click.option("--received", type=MONEY, required=True, help=N_("银行支付的利息（元）。"))
@click.option("--paid-on", type=DATE, default=None, help=N_("付息日（默认：次日）。"))
@click.option("--dry-run", is_flag=True, help=N_("只显示将记入的分录，不写入。"))
@format_option
@click.pass_context
def demand_cmd(
    ctx: click.Context,
    account: str,
    settlement: dt.date,
    received: Decimal,
    paid_on: dt.date | None,
    dry_run: bool,
    fmt: str,
) -> None:
    """按实收记入活期结息，拆分为基准利息和利差（与预期不符时标记）。"""
    report = book_settlement(
        ledger_path(ctx),
        bank_account=account,
        settlement=settlement,
        received=received,
        paid_on=paid_on,
        dry_run=dry_run,
    )
    line = report.lines[0]
    if line.entry is None:
        summary = {"receipt": line.receipt, "status": line.status, "dry_run": dry_run}
        emit("interest demand", [], ENTRY_COLUMNS, fmt, summary)
        return
    summary = {"status": line.status, **interest_summary(line.entry, dry_run)}
    meta = line.entry.meta
    summary.update(
        window_start=meta[META_WINDOW_START],
        window_end=meta[META_WINDOW_END],
        balance_days=output_amount(Decimal(str(meta[META_BALANCE_DAYS]))),
    )
    emit("interest demand", entry_rows([line.entry]), ENTRY_COLUMNS, fmt, summary)


@interest_group.command("expected")
@click.option("--account", "account", required=True, help=account_help)
@click.option(
    "--settlement", type=DATE, required=True, help=N_("结息日（3、6、9、12 月的 20 日）。")
)
@format_option
@click.pass_context
def expected_cmd(ctx: click.Context, account: str, settlement: dt.date, fmt: str) -> None:
    """显示一次结息的积数、预期利息及其基准利息/利差拆分；不记账。"""
    ledger = open_ledger(ledger_path(ctx))
    terms = settlement_terms(ledger.registry, ledger.entries, account, settlement)
    split = terms.expected
    rows = [
        {
            "start": seg.start,
            "end": seg.end,
            "days": seg.days,
            "balance": output_amount(seg.balance),
            "balance_days": output_amount(seg.balance_days),
        }
        for seg in terms.segments
    ]
    emit(
        "interest expected",
        rows,
        ["start", "end", "days", "balance", "balance_days"],
        fmt,
        {
            "account": terms.bank_account,
            "receipt": terms.receipt,
            "window_start": terms.window_start,
            "window_end": terms.window_end,
            "days": terms.days,
            "balance_days": output_amount(terms.balance_days),
            "agreement": terms.agreement,
            "agreed_rate": format_rate(terms.agreed_rate),
            "base_rate": format_rate(terms.base_rate),
            "base_source": terms.base_source,
            "expected": output_amount(split.expected),
            "base": output_amount(split.base),
            "spread": output_amount(split.spread),
        },
    )


COMMANDS = (interest_group,)
