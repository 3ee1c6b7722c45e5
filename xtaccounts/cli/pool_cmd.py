"""`pool transfer-legacy`: the once-only move of the spread received since 2023 into the pools."""

from __future__ import annotations

import datetime as dt

import click

from xtaccounts.cli.allocate_cmd import COLUMNS, as_date, date_option, report_rows, report_summary
from xtaccounts.cli.output import emit, format_option
from xtaccounts.cli.params import ledger_path
from xtaccounts.core.i18n import N_
from xtaccounts.ops.allocation import transfer_legacy


@click.group("pool")
def pool_group() -> None:
    """增值收益统筹账户。"""


@pool_group.command("transfer-legacy")
@date_option("--since", default=None, help=N_("首个收款日（默认：spread_since）。"))
@date_option("--until", default=None, help=N_("此日之前的收款（默认：window_start）。"))
@click.option("--dry-run", is_flag=True, help=N_("只显示将记入的分录，不写入。"))
@format_option
@click.pass_context
def transfer_legacy_cmd(
    ctx: click.Context,
    since: dt.date | None,
    until: dt.date | None,
    dry_run: bool,
    fmt: str,
) -> None:
    """按积数把试点期之前收到的利差转入各统筹账户（只能一次）。"""
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
