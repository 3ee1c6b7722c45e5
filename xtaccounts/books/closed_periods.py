"""A write dated inside a closed period: the one line that says so, instead of its echoes.

A change dated in a closed period breaks the books in many places at once: the close rule
(`plugins.fund_rules`: income and expenses left after a close), every demand settlement's
recorded 积数 over the period, the carried balance assertions of a closed year. The writer
(`writer.WriteSession.commit`) refuses the change on those errors; when the change holds such
an entry it reports this module's line alone: which entry, which close covers its date (period,
date of the close entry, file:line, the command that wrote it) and how far the books are closed.

Dated in a closed period means: a transaction (not a close itself) with a non-zero posting on an
income or expense account dated on or before a close, or, on or before the last day of a closed
year, a non-zero posting on a balance-sheet account (the year's carried balances).

A period closed and then reopened (`xtaccounts reopen`, docs/corrections.md) is open again: a
``custom "xt-reopen" "<period>"`` directive (with its `reason`) cancels one close of the period,
and the next close of it (a close transaction, or ``custom "xt-reclose" "<period>"`` when nothing
was left to close) closes it again. Each reopen follows a close and each re-close a reopen, so a
period is closed while its closes (transactions and re-closes) outnumber its reopens; the close
transactions of a reopened period do not count (`reopened_periods`, `closes_in`).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from beancount.core import data
from beancount.parser.grammar import ValueType

from xtaccounts.core import chart
from xtaccounts.core.vocabulary import KIND_CLOSE, META_KIND, META_PERIOD

_FLOW_PREFIXES = tuple(f"{root}:" for root in chart.FLOW_ROOTS)
_SHEET_PREFIXES = tuple(f"{root}:" for root in chart.SHEET_ROOTS)

__all__ = [
    "RECLOSE",
    "REOPEN",
    "CloseMark",
    "closed_write",
    "closes_in",
    "period_directive",
    "reopened_periods",
]

REOPEN = "xt-reopen"  # custom directive: a closed period opened again, with its reason
RECLOSE = "xt-reclose"  # custom directive: a reopened period closed with nothing left to close


@dataclass(frozen=True)
class CloseMark:
    """A close in the books: its period, its date (the period's last day) and where it is."""

    period: str
    date: dt.date
    filename: str
    lineno: int

    @property
    def is_year(self) -> bool:
        return len(self.period) == 4

    def where(self, ledger_dir: Path) -> str:
        path = self.filename
        if os.path.isabs(path):
            rel = os.path.relpath(path, ledger_dir)
            path = path if rel.startswith("..") else rel
        return f"{path}:{self.lineno}"


def _period_of(entry: data.Custom) -> str:
    try:
        return str(entry.values[0].value)
    except (IndexError, AttributeError):
        return ""


def reopened_periods(entries: Iterable[data.Directive]) -> set[str]:
    """The periods closed and then reopened, and not closed again."""
    count: dict[str, int] = {}
    for entry in entries:
        if isinstance(entry, data.Transaction) and entry.meta.get(META_KIND) == KIND_CLOSE:
            period, step = str(entry.meta.get(META_PERIOD, "")), 1
        elif isinstance(entry, data.Custom) and entry.type in (REOPEN, RECLOSE):
            period, step = _period_of(entry), (-1 if entry.type == REOPEN else 1)
        else:
            continue
        count[period] = count.get(period, 0) + step
    return {period for period, closes in count.items() if closes <= 0}


def period_directive(
    kind: str, period: str, day: dt.date, relpath: str, **meta: object
) -> data.Custom:
    """An `xt-reopen` or `xt-reclose` directive of `period`, dated `day`."""
    values = data.new_metadata(relpath, 0)
    values.update(meta)
    return data.Custom(values, day, kind, [ValueType(period, str)])


def closes_in(entries: Iterable[data.Directive]) -> list[CloseMark]:
    """The close transactions of the books' closed periods (a reopened period's left out), by
    date."""
    entries = list(entries)
    reopened = reopened_periods(entries)
    return sorted(
        (
            CloseMark(
                str(e.meta.get(META_PERIOD, "")),
                e.date,
                str(e.meta.get("filename", "")),
                int(e.meta.get("lineno") or 0),
            )
            for e in entries
            if isinstance(e, data.Transaction)
            and e.meta.get(META_KIND) == KIND_CLOSE
            and str(e.meta.get(META_PERIOD, "")) not in reopened
        ),
        key=lambda c: c.date,
    )


def _moves(entry: data.Transaction, roots: tuple[str, ...]) -> bool:
    """Whether a posting of `entry` on an account under `roots` is non-zero (one whose amount
    the parser left to interpolation counts as non-zero)."""
    for posting in entry.postings:
        if not posting.account.startswith(roots):
            continue
        number = getattr(posting.units, "number", None)
        if not isinstance(number, Decimal) or number != 0:
            return True
    return False


def closed_write(
    closes: Sequence[CloseMark], staged: Iterable[data.Directive], ledger_dir: Path
) -> str | None:
    """The one line for a change that writes into a closed period, or None."""
    if not closes:
        return None
    last = closes[-1]
    last_year = max((c.date for c in closes if c.is_year), default=None)
    hits = [
        entry
        for entry in staged
        if isinstance(entry, data.Transaction)
        and entry.meta.get(META_KIND) != KIND_CLOSE
        and entry.date <= last.date
        and (
            _moves(entry, _FLOW_PREFIXES)
            or (
                last_year is not None and entry.date <= last_year and _moves(entry, _SHEET_PREFIXES)
            )
        )
    ]
    if not hits:
        return None
    first = min(hits, key=lambda e: e.date)
    covering = next(c for c in closes if c.date >= first.date)
    through = (
        f"，账簿已结账至 {last.date}（期间 {last.period}）" if last.date > covering.date else ""
    )
    return (
        f"写入被拒绝：{first.date} 所在的期间已结账——期间 {covering.period} 已结转，结转分录日期 "
        f"{covering.date}（{covering.where(ledger_dir)}，由 xtaccounts close --period "
        f"{covering.period} 写入）{through}；已结账期间不能再记入收支或已结转年度的余额变动，"
        f"请把这笔 {first.date} 的分录记入 {last.date} 之后的未结账期间"
    )
