"""`reverse` (红字冲销, with the corrected entry) and `reopen` (the last closed period).

The rules are in docs/corrections.md; the library in `xtaccounts.ops.reversal` and
`xtaccounts.ops.reopen`. A refusal is one line, exit 1, nothing written.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from xtaccounts.cli.output import ENTRY_COLUMNS, emit, entry_rows, format_option
from xtaccounts.cli.params import DATE, MONEY, dry_run_option, ledger_path
from xtaccounts.core.dates import parse_period
from xtaccounts.core.i18n import N_
from xtaccounts.ops.reopen import reopen_period
from xtaccounts.ops.reversal import book_reversal


@click.command("reverse")
@click.argument("voucher")
@click.option("--date", "day", type=DATE, required=True, help=N_("冲销日期（须在未结账期间）。"))
@click.option("--reason", required=True, help=N_("冲销原因（必填），如“误记入他户”。"))
@click.option(
    "--household",
    default=None,
    help=N_("更正：同一分录改记到这一户（户号，如 C0001-B01-U1-102）。"),
)
@click.option("--amount", type=MONEY, default=None, help=N_("更正：同一分录改为这个金额（元）。"))
@dry_run_option
@format_option
@click.pass_context
def reverse_cmd(
    ctx: click.Context,
    voucher: str,
    day: dt.date,
    reason: str,
    dry_run: bool,
    fmt: str,
    **correction: Any,
) -> None:
    """红字冲销凭证号为 VOUCHER（记-YYYY-MM-NNNN）的分录，并可同时记入更正后的分录。"""
    booked = book_reversal(ledger_path(ctx), voucher, day, reason, dry_run=dry_run, **correction)
    plan = booked.plan
    emit(
        "reverse",
        entry_rows(plan.entries),
        ENTRY_COLUMNS,
        fmt,
        {
            "reverses": plan.voucher,
            "link": plan.link,
            "corrected": plan.correction is not None,
            "dry_run": dry_run,
        },
    )


@click.command("reopen")
@click.option("--reason", required=True, help=N_("重开原因（必填），记入账簿。"))
@click.option("--period", default=None, help=N_("YYYY-MM 或 YYYY：须是最后结账的期间。"))
@dry_run_option
@format_option
@click.pass_context
def reopen_cmd(
    ctx: click.Context, reason: str, period: str | None, dry_run: bool, fmt: str
) -> None:
    """重开最后结账且未封存的期间；原因记入账簿，更正后再 xtaccounts close。"""
    asked = parse_period(period, field="--period").text if period is not None else None
    report = reopen_period(ledger_path(ctx), reason, asked, dry_run=dry_run)
    emit(
        "reopen",
        [],
        ["period"],
        fmt,
        {"period": report.period, "end": report.end, "dry_run": dry_run},
    )


COMMANDS = (reverse_cmd, reopen_cmd)
