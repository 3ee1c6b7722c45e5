"""The parameters every command shares: the chosen ledger, dates, money, rates, --dry-run.

A bad value is a library error (one line, exit 1): an amount that is not a whole number of fen, a
date that does not exist or lies outside 1990-01-01 .. today plus the input horizon
(`xtaccounts.core.dates`, the one strict reader of input dates), a rate with too many decimals.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import click
from beancount.core import data

from xtaccounts.core.calendar import LAST_DAY
from xtaccounts.core.dates import HORIZON_DAYS, parse_date
from xtaccounts.core.errors import XtError
from xtaccounts.core.i18n import N_
from xtaccounts.core.money import MoneyError, to_rate
from xtaccounts.ops import owner_deposits
from xtaccounts.reading.day import shown_day


def ledger_path(ctx: click.Context) -> Path:
    """The top-level ledger file chosen for this run."""
    return ctx.find_root().obj


def report_day(entries: Sequence[data.Directive], asked: dt.date | None) -> dt.date:
    """The day a report shows (`xtaccounts.reading.day`): `asked`, else the books' last entry or
    today if earlier; a day after the books' last entry is noted on standard error."""
    shown = shown_day(entries, asked)
    if shown.warning and shown.day <= LAST_DAY:  # a later day is refused, on its own line
        click.echo(f"注意：{shown.warning}", err=True)
    return shown.day


def _option(param: click.Parameter | None, default: str) -> str:
    return param.opts[0] if param is not None and param.opts else default


class MoneyType(click.ParamType):
    """A CNY amount as text (``1234.50``, ``1,234.50``) in whole fen: a part of a fen is
    refused, not rounded; floats never. The sign is checked by the command that uses it."""

    name = "amount"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        return owner_deposits.parse_amount(value, _option(param, "amount"), positive=False)


class RateType(click.ParamType):
    """An annual rate in percent (``1.95``)."""

    name = "rate"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, Decimal):
            return value
        try:
            return to_rate(value)
        except MoneyError as exc:
            raise XtError(f"{_option(param, 'rate')}: {exc}") from exc


class DateType(click.ParamType):
    """A day ``YYYY-MM-DD`` (ASCII or full-width digits) from 1990-01-01 to today plus the
    input horizon (`xtaccounts.core.dates`, the one strict reader of input dates)."""

    name = "date"

    def __init__(self, horizon_days: int = HORIZON_DAYS) -> None:
        self.horizon_days = horizon_days

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, dt.date):
            return value
        return parse_date(value, field=_option(param, "date"), horizon_days=self.horizon_days)


MONEY = MoneyType()
RATE = RateType()
DATE = DateType()

dry_run_option = click.option("--dry-run", is_flag=True, help=N_("只显示将记入的分录，不写入。"))
account_help = N_("银行账户：账号或其 Beancount 科目名。")
