"""`allocate`: share interest by 积数 (spread to the pools, base interest to the units)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from xtaccounts.cli.output import emit, format_option
from xtaccounts.cli.params import DATE, ledger_path
from xtaccounts.core.i18n import N_
from xtaccounts.ops.allocation import AllocationReport, allocate

COLUMNS = ["kind", "receiver", "amount"]


def report_rows(report: AllocationReport) -> list[dict]:
    """One row per receiver: pools (spread) first, then units (base interest)."""
    plan = report.plan
    if plan is None:
        return []
    rows = [{"kind": "pool", "receiver": p, "amount": a} for p, a in plan.pool_totals.items()]
    rows += [{"kind": "unit", "receiver": u, "amount": a} for u, a in plan.unit_totals.items()]
    return rows


def report_summary(report: AllocationReport, **first: object) -> dict:
    plan = report.plan
    summary: dict = dict(first)
    summary["booked"] = report.booked
    summary["dry_run"] = report.dry_run
    if plan is None:
        summary["note"] = "nothing to allocate: every receipt in reach is allocated already"
        return summary
    summary["date"] = plan.date
    summary["file"] = report.file
    summary["spread_receipts"] = ",".join(plan.spread_receipts)
    summary["base_receipts"] = ",".join(plan.base_receipts)
    summary["spread_total"] = plan.spread_total
    summary["base_total"] = plan.base_total
    return summary


def date_option(name: str, **kwargs: Any):
    return click.option(name, type=DATE, **kwargs)


def as_date(value: dt.date | None) -> dt.date | None:
    return value


@click.command("allocate")
@date_option("--through", required=True, help=N_("分配截至此日（YYYY-MM-DD）。"))
@click.option("--dry-run", is_flag=True, help=N_("只显示将记入的分录，不写入。"))
@format_option
@click.pass_context
def allocate_cmd(ctx: click.Context, through: dt.date, dry_run: bool, fmt: str) -> None:
    """按积数把试点期以来收到的利差分配到各统筹账户，把已结束计息年度的基准利息分配到各单元
    （可重复执行）。"""
    day = through
    report = allocate(ledger_path(ctx), through=day, dry_run=dry_run)
    emit("allocate", report_rows(report), COLUMNS, fmt, report_summary(report, through=day))


COMMANDS = (allocate_cmd,)
