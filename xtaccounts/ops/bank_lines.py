"""What the books hold of each bank account that a statement's lines are checked against.

`BankLines` is a fold of the write snapshot (`xtaccounts.books.write_snapshot.Fold`), so that
`xtaccounts import` classifies a statement without loading the books: per bank account, the
movements booked by hand (no serial), the days of its balance assertions, its CNY balance and
last posting, and the open time-deposit certificates of each demand account. The serials a line
is checked against are the deposit index's (`owner_deposits.DepositIndex.serials`).

The snapshot keeps it bounded by the last close of a period (`kept`): the hand-booked
movements and assertions after it only. A statement reaching back to or before that day is
classified against the books (`NeedsBooks`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal

from beancount.core import data

from xtaccounts.books.write_snapshot import Fold, register_fold
from xtaccounts.core import chart
from xtaccounts.core.dates import meta_day
from xtaccounts.core.entries import number_of
from xtaccounts.core.vocabulary import (
    KIND_CLAIM,
    KIND_CLOSE,
    KIND_DEPOSIT,
    KIND_INTEREST,
    KIND_REFUND,
    KIND_TD_PLACE,
    META_CERTIFICATE,
    META_DEMAND_ACCOUNT,
    META_KIND,
    META_MATURITY,
    META_PRINCIPAL,
    META_SERIAL,
    META_VALUE_DATE,
)

__all__ = ["HAND_BOOKED_KINDS", "BankLines", "NeedsBooks", "OpenCertificate"]

# The kinds of transactions a statement line may have been booked as by hand (no serial).
HAND_BOOKED_KINDS = (KIND_TD_PLACE, KIND_REFUND, KIND_INTEREST, KIND_DEPOSIT, KIND_CLAIM)
_BANK = chart.BANK + ":"


class NeedsBooks(Exception):
    """A statement line needs what the snapshot's indexes do not hold: classify it against the
    books themselves."""


@dataclass(frozen=True)
class OpenCertificate:
    """A time-deposit certificate as its `open` declares it."""

    certificate: str
    account: str
    demand_account: str
    principal: Decimal
    value_date: dt.date
    maturity: dt.date


@register_fold
@dataclass
class BankLines(Fold):
    """Per bank account: the movements booked by hand (kind, by account, date and amount, in
    the books' order), the days of its balance assertions, its balance and last posting; the
    certificates the books open and the accounts they close."""

    hand_booked: dict[tuple[str, dt.date, Decimal], list[str]] = field(default_factory=dict)
    assertions: set[tuple[str, dt.date]] = field(default_factory=set)
    balances: dict[str, Decimal] = field(default_factory=dict)
    last_posting: dict[str, dt.date] = field(default_factory=dict)
    certificates: dict[str, OpenCertificate] = field(default_factory=dict)  # by account
    closed: set[str] = field(default_factory=set)
    closed_through: dt.date | None = None  # the last close's day: what is kept is after it
    _last_close: dt.date | None = None

    def add(self, entry: data.Directive) -> None:
        if isinstance(entry, data.Transaction):
            self._transaction(entry)
        elif isinstance(entry, data.Balance):
            if entry.account.startswith(_BANK):
                self.assertions.add((entry.account, entry.date))
        elif isinstance(entry, data.Open):
            certificate = _certificate(entry)
            if certificate is not None:
                self.certificates[entry.account] = certificate
        elif isinstance(entry, data.Close):
            self.closed.add(entry.account)

    def _transaction(self, entry: data.Transaction) -> None:
        kind = entry.meta.get(META_KIND)
        if kind == KIND_CLOSE:
            self._last_close = max(entry.date, self._last_close or entry.date)
        moved: dict[str, Decimal] = {}
        for posting in entry.postings:
            if posting.account.startswith(_BANK):
                moved[posting.account] = moved.get(posting.account, Decimal(0)) + number_of(posting)
        hand = not entry.meta.get(META_SERIAL) and kind in HAND_BOOKED_KINDS
        for account, amount in moved.items():
            self.balances[account] = self.balances.get(account, Decimal(0)) + amount
            last = self.last_posting.get(account)
            if last is None or entry.date > last:
                self.last_posting[account] = entry.date
            if hand:
                self.hand_booked.setdefault((account, entry.date, amount), []).append(str(kind))

    def kept(self) -> BankLines:
        """Without the hand-booked movements and assertions of the days up to the last close."""
        day = self._last_close
        if day is None or day == self.closed_through:
            return self
        return replace(
            self,
            hand_booked={k: v for k, v in self.hand_booked.items() if k[1] > day},
            assertions={k for k in self.assertions if k[1] > day},
            closed_through=day,
        )

    def answers(self, day: dt.date) -> bool:
        """Whether the fold holds all the books say of `day` (a day after the last close)."""
        return self.closed_through is None or day > self.closed_through

    def open_certificates(self, demand_account: str) -> Iterator[OpenCertificate]:
        """The certificates of `demand_account` the books open and do not close, in the books'
        order."""
        for account, certificate in self.certificates.items():
            if certificate.demand_account == demand_account and account not in self.closed:
                yield certificate


def _certificate(entry: data.Open) -> OpenCertificate | None:
    """The certificate an `open` declares (None: none, or a garbled one, which the time-deposit
    commands report when it is used)."""
    meta = entry.meta or {}
    if not meta.get(META_CERTIFICATE):
        return None
    try:
        return OpenCertificate(
            str(meta[META_CERTIFICATE]),
            entry.account,
            str(meta.get(META_DEMAND_ACCOUNT)),
            Decimal(str(meta[META_PRINCIPAL])),
            meta_day(meta[META_VALUE_DATE]),
            meta_day(meta[META_MATURITY]),
        )
    except (KeyError, ValueError, ArithmeticError):
        return None
