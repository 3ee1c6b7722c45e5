"""What the books paid on each payment notice (缴款通知书): one index for receipts and claims.

A deposit (``kind: deposit``) with a `notice` and postings on 交存收入 pays that notice what it
credits there; a 红字冲销 (``kind: reversal``) of it takes that back, and the notice is owed
again. `deposit receive` asks which deposit paid a notice (to send a second payment to
待查明), a claim and the import's top-up how much a notice was paid in all.

The index is part of folds of the write snapshot (`DepositIndex`, `SuspenseItems`): it holds
text, dates and amounts, and gives the same answers whatever the order its entries came in (a
reversal names its deposit's voucher).
"""

from __future__ import annotations

import bisect
import datetime as dt
from array import array
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from beancount.core import data

from xtaccounts.books.write_snapshot import (
    DigestSet,
    Fold,
    join_texts,
    shared,
    shared_days,
    split_texts,
)
from xtaccounts.core import chart
from xtaccounts.core.entries import number_of
from xtaccounts.core.vocabulary import (
    KIND_DEPOSIT,
    KIND_REVERSAL,
    META_KIND,
    META_NOTICE,
    META_REVERSES_VOUCHER,
    META_SERIAL,
    META_VOUCHER,
    ZERO,
)

__all__ = ["NoticePayments", "Payment"]


class Payment(NamedTuple):
    """A deposit on a notice: its date, serial and voucher, and what it credits 交存收入."""

    date: dt.date
    serial: str
    voucher: str
    amount: Decimal


@dataclass
class NoticePayments(Fold):
    """The deposits on each notice, and what the reversals of deposits took back (by the
    voucher they reverse). Kept in the snapshot as part of the folds that read it."""

    payments: dict[str, list[Payment]] = field(default_factory=dict)
    reversals: dict[str, Decimal] = field(default_factory=dict)
    old: DigestSet = field(default_factory=DigestSet)  # notices paid on or before a close

    def __getstate__(self) -> dict[str, Any]:
        """The payments in columns (texts joined, dates as ordinals): a city's index holds a
        hundred thousand notices, and pickling them as objects took seven times the memory of
        the pickle (its memo of every object) each time a write kept its snapshot."""
        state = dict(self.__dict__)
        payments: dict[str, list[Payment]] = state.pop("payments")
        rows = [payment for paid in payments.values() for payment in paid]
        texts = (
            join_texts(payments),
            join_texts(p.serial for p in rows),
            join_texts(p.voucher for p in rows),
        )
        if any(text is None for text in texts):
            state["payments"] = payments  # (a text holding the separator: kept as objects)
            return state
        state["columns"] = (
            *texts,
            array("I", map(len, payments.values())),
            array("i", (p.date.toordinal() for p in rows)),
            join_texts(map(str, (p.amount for p in rows))),
        )
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        columns = state.pop("columns", None)
        if columns is not None:
            notices, serials, vouchers, counts, ordinals, amounts = columns
            days = shared_days(ordinals)
            rows = len(ordinals)
            made = list(
                map(
                    Payment,
                    map(days.__getitem__, ordinals),
                    split_texts(serials, rows),
                    split_texts(vouchers, rows),
                    map(Decimal, split_texts(amounts, rows)),
                )
            )
            payments: dict[str, list[Payment]] = {}
            at = 0
            for notice, count in zip(split_texts(notices, len(counts)), counts, strict=True):
                payments[notice] = made[at : at + count]
                at += count
            state["payments"] = payments
        for name, value in state.items():
            setattr(self, name, value)

    def answers(self, notice: str) -> bool:
        """Whether the index holds all the books' payments of `notice` (not those of a notice
        paid on or before the close `kept_after` was given: ask the books)."""
        return notice not in self.old

    def kept_after(self, day: dt.date) -> NoticePayments:
        """The index without the notices paid on or before `day` (kept as digests)."""
        old = [n for n, paid in self.payments.items() if paid[0].date <= day]
        if not old:
            return self
        return NoticePayments(
            {n: paid for n, paid in self.payments.items() if paid[0].date > day},
            dict(self.reversals),
            self.old.with_keys(old),
        )

    def add(self, entry: data.Directive) -> None:
        if not isinstance(entry, data.Transaction):
            return
        kind = entry.meta.get(META_KIND)
        if kind == KIND_REVERSAL:
            voucher = str(entry.meta.get(META_REVERSES_VOUCHER) or "")
            if voucher:
                taken = _credited(entry) or ZERO
                self.reversals[voucher] = self.reversals.get(voucher, ZERO) + taken
            return
        notice = entry.meta.get(META_NOTICE)
        if kind != KIND_DEPOSIT or not notice:
            return
        credited = _credited(entry)
        if credited is None or (self.old and str(notice) in self.old):
            return  # no 交存收入; or a notice paid before the close: see `answers`
        serial = entry.meta.get(META_SERIAL)
        payment = Payment(
            shared(entry.date),
            str(serial) if serial else "",
            str(entry.meta.get(META_VOUCHER) or ""),
            credited,
        )
        # In order, whatever the order they came in: a fold fed entries equals one rebuilt.
        bisect.insort(self.payments.setdefault(str(notice), []), payment)

    def paid_by(self, notice: str) -> Payment | None:
        """The first deposit that paid the notice and was not reversed (None: it is owed)."""
        standing = [p for p in self.payments.get(notice, ()) if p.voucher not in self.reversals]
        return standing[0] if standing else None

    def paid(self, notice: str) -> Decimal:
        """What the notice was paid in all, less what reversals took back."""
        total = ZERO
        for payment in self.payments.get(notice, ()):
            total += payment.amount
            if payment.amount > 0 and payment.voucher:
                total += self.reversals.get(payment.voucher, ZERO)
        return total

    def last_paid(self, notice: str) -> dt.date | None:
        """The day of the last deposit that paid the notice something."""
        return max((p.date for p in self.payments.get(notice, ()) if p.amount > 0), default=None)


def _credited(entry: data.Transaction) -> Decimal | None:
    """What an entry credits 交存收入 (a reversal: negative); None: no posting on it."""
    credited: Decimal | None = None
    for posting in entry.postings:
        if posting.account == chart.DEPOSIT_INCOME:
            credited = (credited or ZERO) - number_of(posting)
    return credited
