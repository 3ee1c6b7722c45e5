"""Reopening the last closed period (反结账), when it is not sealed.

`reopen_period` writes ``custom "xt-reopen" "<period>"`` (dated today, with the `reason` and the
voucher of the close it cancels, `close`) into the closes file of the period's year. From then
on the period counts as open (`books.closed_periods`): entries may be dated in it, and the next
`xtaccounts close --period P` closes it again (a close transaction for what was booked since, or
``custom "xt-reclose"`` when nothing was). The close transaction itself stays: it closed what it
closed, and the books keep it.

Refused: books with no closed period; a period other than the last closed one; a sealed period
(sealed periods are final: corrections go in the open period, by `reverse`); a period of a year
whose balances were carried into the next year's books (the carried balance assertions would
break; corrections go in the open period too).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from beancount.core import data

from xtaccounts.books.closed_periods import REOPEN, closes_in, period_directive
from xtaccounts.books.layout import LedgerLayout, require_ledger
from xtaccounts.books.seal_chain import chain_head
from xtaccounts.books.voucher_numbers import voucher_of
from xtaccounts.books.writer import CommitResult, LedgerWriter
from xtaccounts.core.dates import today
from xtaccounts.core.errors import XtError
from xtaccounts.core.i18n import _
from xtaccounts.core.outside_text import admit_text
from xtaccounts.core.vocabulary import KIND_CLOSE, META_KIND, META_PERIOD, META_REASON
from xtaccounts.ops.close import CLOSES_FILE_KIND, carried_file

__all__ = ["ReopenRefused", "ReopenReport", "reopen_period"]


class ReopenRefused(XtError):
    """A reopen that is not allowed; nothing is written."""


@dataclass(frozen=True)
class ReopenReport:
    """The period reopened (or, for a dry run, that would be) and the directive written."""

    period: str
    end: dt.date
    directive: data.Custom
    result: CommitResult | None


def reopen_period(
    main: Path, reason: str, period: str | None = None, *, dry_run: bool = False
) -> ReopenReport:
    """Reopen the last closed period (`period`, when given, must be it)."""
    reason = admit_text(reason or "", field=_("重开原因（--reason）"))
    if not reason:
        raise ReopenRefused(_("重开原因（--reason）不能为空：请写明为什么重开这个期间"))
    layout = require_ledger(main)
    with LedgerWriter(layout.main) as session:
        entries = session.books().entries
        closes = closes_in(entries)
        if not closes:
            raise ReopenRefused(_("账簿没有已结账的期间，无需重开"))
        last = closes[-1]
        if period is not None and period != last.period:
            raise ReopenRefused(
                _(
                    "只能重开最后结账的期间 {last}（结账至 {end}），不能重开 {period}："
                    "更早的期间请在未结账期间用 xtaccounts reverse 红字冲销更正"
                ).format(last=last.period, end=last.date, period=period)
            )
        head = chain_head(entries)
        if head is not None and head.through >= last.date:
            raise ReopenRefused(
                _(
                    "期间 {period} 已封存（账簿封存至 {through}）：封存的期间是最终的，不能重开；"
                    "更正请在未结账期间用 xtaccounts reverse 红字冲销"
                ).format(period=last.period, through=head.through)
            )
        carried = carried_file(last.date.year + 1)
        if last.is_year or (layout.root / carried).exists():
            raise ReopenRefused(
                _(
                    "期间 {period} 所在的 {year} 年已年度结账，余额已结转到 {next} 年的账簿"
                    "（{carried}）：不能重开；更正请在未结账期间用 xtaccounts reverse 红字冲销"
                ).format(
                    period=last.period,
                    year=last.date.year,
                    next=last.date.year + 1,
                    carried=carried,
                )
            )
        close = next(
            (
                e
                for e in reversed(entries)
                if isinstance(e, data.Transaction)
                and e.meta.get(META_KIND) == KIND_CLOSE
                and str(e.meta.get(META_PERIOD)) == last.period
            ),
            None,
        )
        relpath = LedgerLayout.txns_file(last.date.year, CLOSES_FILE_KIND)
        meta: dict[str, object] = {META_REASON: reason}
        voucher = voucher_of(close) if close is not None else None
        if voucher:
            meta["close"] = voucher
        directive = period_directive(REOPEN, last.period, max(today(), last.date), relpath, **meta)
        session.append_entries(relpath, [directive])
        result = session.commit(dry_run=dry_run)
    return ReopenReport(last.period, last.date, directive, result)
