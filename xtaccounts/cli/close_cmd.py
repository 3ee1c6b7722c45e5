"""`close`: the period close (结转), and for a year the next year's own books."""

from __future__ import annotations

import click

from xtaccounts.cli.output import emit, format_option, output_amount
from xtaccounts.cli.params import ledger_path
from xtaccounts.core.dates import parse_period
from xtaccounts.core.i18n import N_
from xtaccounts.ops.close import close_period, year_book_file


@click.command("close")
@click.option("--period", required=True, help=N_("YYYY-MM（一个月）或 YYYY（一年），须已结束。"))
@click.option("--dry-run", is_flag=True, help=N_("只显示将记入的分录，不写入。"))
@format_option
@click.pass_context
def close_cmd(ctx: click.Context, period: str, dry_run: bool, fmt: str) -> None:
    """把收入和支出结转到各单元维修资金、各统筹账户和待分配累计收益；结转一年时还写入
    txns/<下一年>/carried.beancount 和 years/<下一年>.beancount（可重复执行）。只能结转
    按日期和已导入的银行对账单都已结束的期间。"""
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
