"""The period an export covers: a month (YYYY-MM) or a year (YYYY)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from xtaccounts.core.calendar import ONE_DAY
from xtaccounts.core.dates import closing_day


@dataclass(frozen=True)
class Period:
    text: str  # "2025" or "2025-12"
    start: dt.date
    end: dt.date
    is_year: bool

    @property
    def year_start(self) -> dt.date:
        return dt.date(self.end.year, 1, 1)

    @property
    def month_start(self) -> dt.date:
        return self.end.replace(day=1)

    @property
    def prior_year_end(self) -> dt.date:
        return self.year_start - ONE_DAY

    @property
    def before(self) -> dt.date:
        """The last day before the period (opening balances are taken at its end)."""
        return self.start - ONE_DAY

    @property
    def label(self) -> str:
        """'2025年度' or '2025年12月'."""
        if self.is_year:
            return f"{self.end.year}年度"
        return f"{self.end.year}年{self.end.month}月"

    @property
    def end_label(self) -> str:
        return f"{self.end.year}年{self.end.month}月{self.end.day}日"


def export_period(text: str, books_start: dt.date | None = None) -> Period:
    """A period from "YYYY" or "YYYY-MM" (`xtaccounts.core.dates`' form: ASCII or full-width digits;
    XtError otherwise), named in its ASCII form."""
    end, is_year = closing_day(text, books_start)
    start = dt.date(end.year, 1, 1) if is_year else end.replace(day=1)
    return Period(f"{end.year:04d}" if is_year else f"{end:%Y-%m}", start, end, is_year)
