"""Which day a report shows: one default for every page and command.

Every report of the books on a day (the pilot's pages in Fava; `pools`, `units`, `households`,
`application list/show`, `policies`, `coverage`, `audit`) shows, unless asked for another day,
the day of the books' last entry, or today if that is earlier (books may hold entries dated
ahead, such as a policy's cover). A day after the books' last entry is shown when asked for, with
a note: nothing after that entry is booked yet (interest, deposits, premiums, inspections), so
balances, eligibility and policy standing may not be what they are by then.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from beancount.core import data

from xtaccounts.core.dates import today


@dataclass(frozen=True)
class ShownDay:
    """The day a report shows, the books' last entry, and whether the day was asked for."""

    day: dt.date
    last_entry: dt.date | None
    asked: bool

    @property
    def past_books(self) -> bool:
        """The day is after the books' last entry."""
        return self.last_entry is not None and self.day > self.last_entry

    @property
    def explanation(self) -> str:
        """Which day is shown and why, as a page says it."""
        if self.last_entry is None:
            return f"账簿中还没有分录；显示 {self.day}（今天）"
        if self.asked:
            return f"显示 {self.day} 日终的账簿（账簿最后一笔分录：{self.last_entry}）"
        if self.day < self.last_entry:
            return (
                f"显示今天 {self.day} 日终的账簿（默认：账簿最后一笔分录的日期 "
                f"{self.last_entry} 晚于今天时取今天）"
            )
        return f"显示 {self.day} 日终的账簿（默认：账簿最后一笔分录的日期）"

    @property
    def warning(self) -> str | None:
        """The note for a day after the books' last entry, else None."""
        if not self.past_books:
            return None
        return (
            f"所选日期 {self.day} 晚于账簿最后一笔分录（{self.last_entry}）：此后的利息、交存、"
            "保费、检验和维保记录尚未入账，余额、投保资格和保单状态可能与实际不符"
        )


def last_entry_day(entries: Sequence[data.Directive]) -> dt.date | None:
    """The date of the books' last entry (they are sorted by date), or None."""
    return entries[-1].date if entries else None


def shown_day(
    entries: Sequence[data.Directive], asked: dt.date | None = None, on: dt.date | None = None
) -> ShownDay:
    """The day to show: `asked`, else the books' last entry, or today (`on`, else the clock or
    $XT_TODAY) if that is earlier."""
    last = last_entry_day(entries)
    if asked is not None:
        return ShownDay(asked, last, True)
    now = on or today()
    return ShownDay(now if last is None else min(last, now), last, False)
