"""`close`: the period close (结转), and for a year the next year's own books."""

from __future__ import annotations

import click

from xtaccounts.cli.output import emit, format_option, output_amount
from xtaccounts.cli.params import ledger_path
from xtaccounts.core.dates import parse_period
from xtaccounts.ops.close import close_period, year_book_file


@click.command("close")
@click.option(
    "--period", required=True, help="YYYY-MM (a month) or YYYY (a year), once it has ended."
)
@click.option("--dry-run", is_flag=True, help="Show what would be booked; write nothing.")
@format_option
@click.pass_context
def close_cmd(ctx: click.Context, period: str, dry_run: bool, fmt: str) -> None:
    """Close income and expenses into the unit funds, the pools and 待分配累计收益; a year also
    writes txns/<next>/carried.beancount and years/<next>.beancount (idempotent). Only a
    period that has ended, by the date and by the bank statements imported."""
    read = parse_period(period, field="--period")
    report = close_period(ledger_path(ctx), read.text, dry_run=dry_run)
    plan = report.plan
    rows = [
        {"kind": "unit", "receiver": unit, "amount": output_amount(amount)}
        for unit, amount in plan.unit_totals.items()
    ]
    rows += [
        {"kind": "pool", "receiver": pool, "amount": output_amount(amount)}
        for pool, amount in plan.pool_totals.items()
    ]
    if plan.undistributed:
        rows.append(
            {"kind": "undistributed", "receiver": "", "amount": output_amount(plan.undistributed)}
        )
    summary: dict = {
        "period": report.period,
        "date": report.date,
        "booked": report.booked,
        "dry_run": dry_run,
        "closed": plan.entry is not None,
        "files": ",".join(report.files),
    }
    if report.carry is not None:
        summary["year_book"] = year_book_file(report.carry.year)
        summary["carried_accounts"] = len(report.carry.balances)
    if not report.files:
        summary["note"] = "nothing to close"
    emit("close", rows, ["kind", "receiver", "amount"], fmt, summary)


COMMANDS = (close_cmd,)
