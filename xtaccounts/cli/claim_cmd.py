"""`claim`: 待查明款项认领 — list the open suspense items, claim one, or many from a file.

    xtaccounts claim list [--as-of D] [--format table|json|csv]
    xtaccounts claim book ITEM --date D --amount A --to TARGET [--reason R] [--dry-run]
    xtaccounts claim file FILE.csv|FILE.xlsx [--dry-run]

The rules are in docs/claims.md; the library is `xtaccounts.ops.claims`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from xtaccounts.cli.output import ENTRY_COLUMNS, emit, entry_rows, format_option, output_amount
from xtaccounts.cli.params import DATE, MONEY, dry_run_option, ledger_path, report_day
from xtaccounts.core.errors import XtError
from xtaccounts.core.i18n import _
from xtaccounts.core.privacy import mask_name
from xtaccounts.ops import claims
from xtaccounts.ops.claim_file import claims_from_rows
from xtaccounts.reading.ledger import open_ledger

LIST_COLUMNS = [
    "item",
    "date",
    "age_days",
    "amount",
    "open",
    "bank_account",
    "statement",
    "payer",
    "notice",
    "reason",
]


@click.group("claim")
def claim_group() -> None:
    """待查明款项认领：列出未认领款项，认领到缴款通知书、分户、单元、科目或退回付款人。"""


def _row(item: claims.Item, day: dt.date) -> dict[str, Any]:
    return {
        "item": item.id,
        "date": item.date,
        "age_days": (day - item.date).days,
        "amount": output_amount(item.amount),
        "open": output_amount(item.open),
        "bank_account": item.bank_account.rsplit(":", 1)[-1],
        "statement": claims.statement_of(item),
        "payer": mask_name(item.payer),
        "notice": item.meta("notice"),
        "reason": item.meta("suspense_reason"),
    }


@claim_group.command("list")
@click.option("--as-of", "as_of", type=DATE, default=None, help=_("截至日期（默认账簿最后一日）。"))
@format_option
@click.option("--json", "as_json", is_flag=True, help=_("等同于 --format json。"))
@click.pass_context
def list_cmd(ctx: click.Context, as_of: dt.date | None, fmt: str, as_json: bool) -> None:
    """列出尚未认领完的待查明款项：账龄、余额、来自哪一行对账单、付款人（已脱敏）。"""
    fmt = "json" if as_json else fmt
    entries = open_ledger(ledger_path(ctx)).entries
    day = report_day(entries, as_of)
    index = claims.ClaimIndex.of(entries, as_of=day)
    rows = [_row(item, day) for item in index.open_items()]
    total = sum((item.open for item in index.open_items()), Decimal(0))
    extra = {"as_of": day, "items": len(rows), "open_total": output_amount(total)}
    emit("claim list", rows, LIST_COLUMNS, fmt, extra)


def _emit_booked(command: str, booked: claims.ClaimsBooked, fmt: str, dry_run: bool) -> None:
    status = _("将入账（试算，未写入）") if dry_run else _("已入账")
    emit(
        command,
        entry_rows(booked.entries),
        ENTRY_COLUMNS,
        fmt,
        {"status": status, "claims": len(booked.entries), "dry_run": dry_run},
    )


@claim_group.command("book")
@click.argument("item")
@click.option("--date", "day", type=DATE, required=True, help=_("认领日期（未结账期间）。"))
@click.option("--amount", type=MONEY, required=True, help=_("认领金额（可少于款项余额）。"))
@click.option(
    "--to",
    "target",
    required=True,
    help=_(
        "认领对象：缴款通知书编号、分户编号、单元编号、退回、手续费、其他收入、其他支出或收支科目。"
    ),
)
@click.option("--reason", default="", help=_("认领事由。"))
@dry_run_option
@format_option
@click.pass_context
def book_cmd(
    ctx: click.Context,
    item: str,
    day: dt.date,
    amount: Decimal,
    target: str,
    reason: str,
    dry_run: bool,
    fmt: str,
) -> None:
    """认领一笔待查明款项（全部或部分）：ITEM 为 claim list 中的款项编号或银行流水号。"""
    request = claims.ClaimRequest(item, day, amount, target, reason)
    booked = claims.book_claims(ledger_path(ctx), [request], dry_run=dry_run)
    _emit_booked("claim book", booked, fmt, dry_run)


@claim_group.command("file")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@dry_run_option
@format_option
@click.pass_context
def file_cmd(ctx: click.Context, file: Path, dry_run: bool, fmt: str) -> None:
    """从 CSV 或 xlsx 文件批量认领（列：款项、日期、金额、认领对象、事由）。

    全部核对无误后一次入账；有误则逐行列出，不写入。"""
    requests = _read_claims(file)
    booked = claims.book_claims(ledger_path(ctx), requests, dry_run=dry_run)
    _emit_booked("claim file", booked, fmt, dry_run)


def _read_claims(path: Path) -> list[claims.ClaimRequest]:
    """The claims of a CSV or xlsx file, read with the statements' guarded reader (a regular
    file only; size, cell and xlsx inflation limits: docs/threat-model.md)."""
    from importers.sniff import read_file, sniff
    from importers.table import read_table

    try:
        sheets = read_table(read_file(path), sniff(path))
    except XtError as exc:
        raise XtError(f"{path}: {exc}") from exc
    if not sheets:
        return claims_from_rows(path, [])
    sheet = sheets[0]
    numbers = [sheet.row_number(i) for i in range(len(sheet.rows))]
    return claims_from_rows(path, sheet.rows, numbers)


COMMANDS = (claim_group,)
