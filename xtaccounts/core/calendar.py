"""Calendar arithmetic of the rules: years and months added to a day, ages, cover periods.

A day plus whole years or months keeps its day of the month, clipped to the month's last day
(2020-02-29 plus 5 years is 2025-02-28; 2024-01-31 plus 1 month is 2024-02-29).
"""

from __future__ import annotations

import calendar
import datetime as dt

from xtaccounts.core.errors import XtError
from xtaccounts.core.i18n import _

ONE_DAY = dt.timedelta(days=1)
# The last day the insurance commands take: a year of cover from it still ends in year 9999,
# the last year Python's dates have.
LAST_DAY = dt.date(9998, 12, 31)


def refuse_after_last_day(day: dt.date | None, what: str) -> None:
    """Refuse a day after LAST_DAY (XtError, one line); None passes."""
    if day is not None and day > LAST_DAY:
        raise XtError(
            _(
                "{what} {day} 晚于 {last}：从该日起一年的保障将结束于账簿所能记录的最后一天 "
                "9999-12-31 之后"
            ).format(what=what, day=day, last=LAST_DAY)
        )


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` plus whole months, the day of the month clipped to the month's end (XtError
    past 9999-12-31)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    if not dt.MINYEAR <= year <= dt.MAXYEAR:
        raise XtError(
            _("{day} 加 {months} 个月超出日历的终点（9999-12-31）").format(day=day, months=months)
        )
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def add_years(day: dt.date, years: int) -> dt.date:
    return add_months(day, 12 * years)


def age_years(since: dt.date, day: dt.date) -> int:
    """Whole years from `since` to `day` (an elevator commissioned 2014-04-25 is 10 on
    2024-04-25 and still 9 the day before)."""
    years = day.year - since.year
    if (day.month, day.day) < (since.month, since.day):
        years -= 1
    return years


def one_year_from(start: dt.date) -> dt.date:
    """The last day of one year of cover starting on `start`."""
    return add_years(start, 1) - ONE_DAY


def cover_years(start: dt.date, end: dt.date) -> int | None:
    """How many whole years `start..end` is (end the day before an anniversary), or None."""
    for years in range(1, 11):
        if start.year + years > dt.MAXYEAR:
            return None
        if add_years(start, years) - ONE_DAY == end:
            return years
    return None


def days_between(first: dt.date, last: dt.date) -> int:
    """Days in `first..last`, both included (0 when last is before first)."""
    return max(0, (last - first).days + 1)
