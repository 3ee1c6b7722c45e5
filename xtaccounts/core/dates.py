"""The one strict reader of dates and periods given as input: command options, input files and
the pages' query parameters.

Accepted: a day as ``YYYY-MM-DD``, a period as ``YYYY`` (a year) or ``YYYY-MM`` (a month),
written with ASCII digits or full-width digits (``２０２６－０１－１５`` is read as 2026-01-15; the
separator may be ``-`` or ``－``). Nothing else: Python's `date.fromisoformat` also reads
``20260115``, ``2026-W03-4``, ``2026-015`` and digits of other scripts (``٢٠٢٦-٠١-١٥``), forms a
slip of the keyboard or a pasted text produce unnoticed.

Range: a day from `FLOOR` (1990-01-01, before any account of the fund) to today plus
`HORIZON_DAYS` (366 days: a year ahead, enough for a cover start or a look at next year's
renewals; ``2062`` typed for ``2026`` is refused); a period whose first day is in that range.
"Today" is the system clock's, or ``XT_TODAY=YYYY-MM-DD`` (tests and rehearsals). The demo's own
library calls are not input and do not come here.
"""

from __future__ import annotations

import calendar
import datetime as dt
import os
import re
from dataclasses import dataclass

from xtaccounts.core.errors import XtError
from xtaccounts.core.i18n import N_, _
from xtaccounts.core.money import first_foreign_digit

__all__ = [
    "FLOOR",
    "HORIZON_DAYS",
    "TODAY_ENV",
    "DateInputError",
    "InputPeriod",
    "check_day",
    "horizon",
    "meta_day",
    "parse_date",
    "parse_period",
    "period_form",
    "today",
]

FLOOR = dt.date(1990, 1, 1)
HORIZON_DAYS = 366
TODAY_ENV = "XT_TODAY"

_FULL_WIDTH = str.maketrans("０１２３４５６７８９－", "0123456789-")
_DAY = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_PERIOD = re.compile(r"([0-9]{4})(?:-([0-9]{2}))?")
DAY_FORM = N_("YYYY-MM-DD（如 2026-01-15，ASCII 或全角数字）")
PERIOD_FORM = N_("YYYY 或 YYYY-MM（如 2025 或 2025-06，ASCII 或全角数字）")


class DateInputError(XtError):
    """A date or period given as input that is not in the accepted form or range."""


@dataclass(frozen=True)
class InputPeriod:
    """A period read from input: its canonical text (``2025`` or ``2025-06``) and its days."""

    text: str
    start: dt.date
    end: dt.date
    is_year: bool


def _normalised(text: object, field: str, form: str) -> str:
    if not isinstance(text, str):
        raise DateInputError(
            _("{field}：{text!r} 不是文本，应为 {form}").format(
                field=field, text=text, form=_(form)
            )
        )
    foreign = first_foreign_digit(text)
    if foreign is not None:
        raise DateInputError(
            _(
                "{field}：{text!r} 含数字 {foreign!r}（U+{code}）：只接受 ASCII 数字 "
                "0-9 或全角数字 ０-９，格式 {form}"
            ).format(
                field=field, text=text, foreign=foreign, code=f"{ord(foreign):04X}", form=_(form)
            )
        )
    return text.strip().translate(_FULL_WIDTH)


def _read_day(text: object, field: str) -> dt.date:
    """The day `text` names, in the accepted form only (no range check)."""
    plain = _normalised(text, field, DAY_FORM)
    match = _DAY.fullmatch(plain)
    if match is None:
        raise DateInputError(
            _("{field}：{text!r} 不是日期：只接受 {form}").format(
                field=field, text=text, form=_(DAY_FORM)
            )
        )
    year, month, day = (int(part) for part in match.groups())
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise DateInputError(
            _("{field}：{text!r} 不是存在的日期（没有这个月或这一天）").format(
                field=field, text=text
            )
        ) from None


def read_day(text: object, *, field: str) -> dt.date:
    """A day written in the accepted form only (``YYYY-MM-DD``, ASCII or full-width digits),
    with no range check: for dates in master data (a rate agreement valid to 2030)."""
    return _read_day(text, field)


def meta_day(value: object) -> dt.date:
    """A day as the books' own metadata holds it: a date, or the ISO text the project writes."""
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def today() -> dt.date:
    """Today: ``$XT_TODAY`` (YYYY-MM-DD) when set, else the system clock's date."""
    value = os.environ.get(TODAY_ENV, "").strip()
    if not value:
        return dt.date.today()
    return _read_day(value, _("环境变量 {name}").format(name=TODAY_ENV))


def horizon(on: dt.date | None = None) -> dt.date:
    """The last day accepted as input: today (or `on`) plus `HORIZON_DAYS`."""
    return _plus_days(on or today(), HORIZON_DAYS)


def _plus_days(day: dt.date, days: int) -> dt.date:
    try:
        return day + dt.timedelta(days=days)
    except OverflowError:  # a "today" near the calendar's end (XT_TODAY=9998-12-31)
        return dt.date.max


def check_day(
    day: dt.date, *, field: str, horizon_days: int = HORIZON_DAYS, shown: str = ""
) -> dt.date:
    """`day` when it is from `FLOOR` to today + `horizon_days`; DateInputError otherwise
    (`shown`: how the message names the value, the day itself by default)."""
    shown = shown or f"{day} "
    if day < FLOOR:
        raise DateInputError(
            _("{field}：{shown}早于 {floor}：不是本账簿可能涉及的日期").format(
                field=field, shown=shown, floor=FLOOR
            )
        )
    now = today()
    limit = _plus_days(now, horizon_days)
    if day > limit:
        raise DateInputError(
            _("{field}：{shown}晚于 {limit}：只接受今天（{now}）之后 {days} 天以内的日期").format(
                field=field, shown=shown, limit=limit, now=now, days=horizon_days
            )
        )
    return day


def parse_date(text: object, *, field: str, horizon_days: int = HORIZON_DAYS) -> dt.date:
    """A day given as input: ``YYYY-MM-DD`` in ASCII or full-width digits, from `FLOOR` to
    today + `horizon_days` (DateInputError naming `field` otherwise)."""
    return check_day(_read_day(text, field), field=field, horizon_days=horizon_days)


def period_form(text: object, *, field: str) -> str:
    """`text` with full-width digits made ASCII and the ends stripped; DateInputError for a
    digit of another script (the form itself is checked by the caller's pattern)."""
    return _normalised(text, field, PERIOD_FORM)


def parse_period(text: object, *, field: str, bounded: bool = True) -> InputPeriod:
    """A period given as input: ``YYYY`` or ``YYYY-MM`` in ASCII or full-width digits.

    `bounded`: its first day is from `FLOOR` to today + `HORIZON_DAYS` (a period read back
    from the books' own metadata is not bounded; its form is still checked).
    """
    plain = period_form(text, field=field)
    match = _PERIOD.fullmatch(plain)
    if match is None:
        raise DateInputError(
            _("{field}：{text!r} 不是期间：只接受 {form}").format(
                field=field, text=text, form=_(PERIOD_FORM)
            )
        )
    year = int(match.group(1))
    if year < dt.MINYEAR:
        raise DateInputError(
            _("{field}：{text!r} 不是期间：没有 0000 年").format(field=field, text=text)
        )
    if match.group(2) is None:
        start, end, is_year = dt.date(year, 1, 1), dt.date(year, 12, 31), True
    else:
        month = int(match.group(2))
        if not 1 <= month <= 12:
            raise DateInputError(
                _("{field}：{text!r} 不是期间：没有 {month} 月").format(
                    field=field, text=text, month=month
                )
            )
        start = dt.date(year, month, 1)
        end = dt.date(year, month, calendar.monthrange(year, month)[1])
        is_year = False
    if bounded:
        check_day(
            start,
            field=field,
            shown=_("期间 {period} 始于 {start}，").format(period=plain, start=start),
        )
    return InputPeriod(plain, start, end, is_year)


# The last year that can be closed: closing a year writes the books of the next one.
LAST_CLOSABLE_YEAR = 9998


def closing_day(period: str, books_start: dt.date | None = None) -> tuple[dt.date, bool]:
    """The last day of a period ("2024-05" or "2024") and whether it is a whole year.

    The form is `xtaccounts.core.dates`' (ASCII or full-width digits, nothing else). Refused
    (XtError): a year after `LAST_CLOSABLE_YEAR` (its close would write the books of a year past
    9999), year 0000, and, given the books' first day, a period of an earlier year.
    """
    match = _PERIOD.fullmatch(period_form(period, field="period"))
    if not match:
        raise XtError(_("期间 {period!r} 既不是 YYYY-MM 也不是 YYYY").format(period=period))
    year = int(match.group(1))
    if not 1 <= year <= LAST_CLOSABLE_YEAR:
        raise XtError(
            _(
                "期间 {period!r}：{year} 年不能结转（只能结转 0001 至 {last} 年："
                "结转一年会写下一年的账簿）"
            ).format(period=period, year=f"{year:04d}", last=LAST_CLOSABLE_YEAR)
        )
    if books_start is not None and year < books_start.year:
        raise XtError(
            _(
                "期间 {period!r} 早于建账日 {first}（试点设置 registry/pilot.toml 的 books_start）"
            ).format(period=period, first=books_start)
        )
    if match.group(2) is None:
        return dt.date(year, 12, 31), True
    month = int(match.group(2))
    if not 1 <= month <= 12:
        raise XtError(f"period {period!r}: no month {month}")
    return dt.date(year, month, calendar.monthrange(year, month)[1]), False
