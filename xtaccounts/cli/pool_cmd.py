"""`pool transfer-legacy`: the once-only move of the spread received since 2023 into the pools."""

from __future__ import annotations

import datetime as dt

import click

from xtaccounts.cli.allocate_cmd import COLUMNS, as_date, date_option, report_rows, report_summary
from xtaccounts.cli.output import emit, format_option
from xtaccounts.cli.params import ledger_path
from xtaccounts.ops.allocation import transfer_legacy


@click.group("pool")
def pool_group() -> None:
    """The pools (增值收益统筹账户)."""


@pool_group.command("transfer-legacy")
@date_option("--since", default=None, help="First receipt day (default: spread_since).")
@date_option("--until", default=None, help="Receipts before this day (default: window_start).")
@click.option("--dry-run", is_flag=True, help="Show what would be booked; write nothing.")
@format_option
@click.pass_context
def transfer_legacy_cmd(
    ctx: click.Context,
    since: dt.date | None,
    until: dt.date | None,
    dry_run: bool,
    fmt: str,
) -> None:
    """Move the spread received before the pilot window into the pools by 积数 (once only)."""
    report = transfer_legacy(
        ledger_path(ctx), since=as_date(since), until=as_date(until), dry_run=dry_run
    )
    summary = report_summary(report)
    if report.plan is not None:
        summary["since"] = report.plan.entry.meta["since"]
        summary["until"] = report.plan.entry.meta["until"]
        summary.pop("base_receipts")
        summary.pop("base_total")
    else:
        summary["note"] = "nothing to transfer: no spread received in the range is left"
    emit("pool transfer-legacy", report_rows(report), COLUMNS, fmt, summary)


COMMANDS = (pool_group,)
