"""`pools`, `units`, `households`: balances people read."""

from __future__ import annotations

import datetime as dt

import click

from xtaccounts.cli.output import books_errors_warning, emit, format_option
from xtaccounts.cli.params import DATE, ledger_path, report_day
from xtaccounts.core.i18n import N_
from xtaccounts.reading.ledger import Ledger, open_ledger
from xtaccounts.reports.balances import household_ledger, pool_balances, unit_balances

as_of_option = click.option(
    "--as-of",
    type=DATE,
    default=None,
    help=N_("此日结束时的余额（默认：账簿最后一笔分录的日期，若早于今天则为今天）。"),
)


def _open(ctx: click.Context) -> Ledger:
    books = open_ledger(ledger_path(ctx))
    if books.errors:
        count = len(books.errors)
        click.echo(books_errors_warning(count), err=True)
    return books


@click.command("pools")
@as_of_option
@click.option("--district", default=None, help=N_("只列此区的统筹账户（如 雨湖区）。"))
@format_option
@click.pass_context
def pools_cmd(ctx: click.Context, as_of: dt.date | None, district: str | None, fmt: str) -> None:
    """各增值收益统筹账户的可用余额及其单元的维修资金。"""
    books = _open(ctx)
    day = report_day(books.entries, as_of)
    rows = [
        vars(row)
        for row in pool_balances(books.registry, books.positions, day)
        if district is None or row.district == district
    ]
    total = sum((r["available"] for r in rows), start=0)
    columns = ["pool", "name", "level", "units", "households", "elevators", "fund", "available"]
    emit("pools", rows, columns, fmt, {"as_of": day, "pools": len(rows), "available": total})


@click.command("units")
@as_of_option
@click.option("--pool", default=None, help=N_("只列此统筹账户的单元。"))
@format_option
@click.pass_context
def units_cmd(ctx: click.Context, as_of: dt.date | None, pool: str | None, fmt: str) -> None:
    """各单元的维修资金。"""
    books = _open(ctx)
    day = report_day(books.entries, as_of)
    rows = [
        vars(row)
        for row in unit_balances(books.registry, books.positions, day)
        if pool is None or row.pool == pool
    ]
    total = sum((r["fund"] for r in rows), start=0)
    columns = ["unit", "name", "pool", "households", "area_m2", "fund"]
    emit("units", rows, columns, fmt, {"as_of": day, "units": len(rows), "fund": total})


@click.command("households")
@click.argument("unit")
@as_of_option
@format_option
@click.pass_context
def households_cmd(ctx: click.Context, unit: str, as_of: dt.date | None, fmt: str) -> None:
    """一个单元（UNIT）的分户账：各住户的交存、返还、基准利息和余额。"""
    books = _open(ctx)
    ledger = household_ledger(
        books.registry, books.entries, books.positions, unit, report_day(books.entries, as_of)
    )
    rows = [
        {
            "household": h.household,
            "door_no": h.door_no,
            "owner": h.owner,
            "area_m2": h.area_m2,
            "opening": h.opening,
            "deposits": h.deposits,
            "refunds": h.refunds,
            "interest": h.interest,
            "balance": h.balance,
        }
        for h in ledger.households
    ]
    columns = list(rows[0]) if rows else ["household"]
    extra = {
        "unit": ledger.unit,
        "name": ledger.name,
        "as_of": ledger.as_of,
        "total": ledger.total,
        "unit_fund": ledger.unit_fund,
        "ties_out": ledger.total == ledger.unit_fund,
    }
    emit("households", rows, columns, fmt, extra)


COMMANDS = (pools_cmd, units_cmd, households_cmd)
