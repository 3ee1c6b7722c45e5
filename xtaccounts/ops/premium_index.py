"""What a premium is checked against, kept in the write snapshot: a fold of the books.

A purchase, renewal or cancellation (`insurance.premiums`) reads the books' insurance records,
the pool's balance and each insured unit's fund on its day and the closed periods; the fund's
plugins then check the records it writes against every record of the books and the pool
against going negative. This index keeps all of that, so that a premium is planned and its
entries checked without loading the books:

- the insurance records themselves (the `xt-…` records and the premium and refund
  transactions), in the books' order: the checks read them as entries, and they are few;
- each pool's balance and each unit's fund, with the last day anything moved them
  (`books.positions`: an account of the pool or unit named by its open's metadata, or the flow
  accounts' postings tagged ``pool:``/``unit:``). A balance on or after that day is the sum;
  an earlier day's is asked of the books;
- the periods closed, and whether the books start from carried balances (a year's own books:
  records referring to earlier years are not errors there).
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from beancount.core import data

from xtaccounts.books.positions import POOL_FLOW_ACCOUNTS, UNIT_FLOW_ACCOUNTS
from xtaccounts.books.write_snapshot import Fold, register_fold, shared
from xtaccounts.core import chart
from xtaccounts.core.entries import number_of
from xtaccounts.core.vocabulary import (
    INSURANCE_TYPES,
    KIND_CARRY,
    KIND_CLOSE,
    KIND_PREMIUM,
    KIND_PREMIUM_REFUND,
    META_KIND,
    META_PERIOD,
    META_POOL,
    META_UNIT,
)

__all__ = ["PremiumIndex", "Running"]

Running = tuple[Decimal, dt.date]  # a balance (fund or pool: money held positive), its last day
_RECORD_KINDS = frozenset({KIND_PREMIUM, KIND_PREMIUM_REFUND})
_TYPES = frozenset(INSURANCE_TYPES)
_UNIT_FLOWS = frozenset(UNIT_FLOW_ACCOUNTS)
_POOL_FLOWS = frozenset(POOL_FLOW_ACCOUNTS)


@register_fold
@dataclass
class PremiumIndex(Fold):
    """The insurance records, pools' and units' balances and the closed periods (see the
    module)."""

    records: list[data.Directive] = field(default_factory=list)
    pools: dict[str, Running] = field(default_factory=dict)
    units: dict[str, Running] = field(default_factory=dict)
    closed_periods: set[str] = field(default_factory=set)
    carried: bool = False
    pool_of_account: dict[str, str] = field(default_factory=dict)
    unit_of_account: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, entries: Iterable[data.Directive]) -> PremiumIndex:
        """The index of the books: the opens first (as `books.positions` reads them)."""
        if not isinstance(entries, Sequence):  # read twice: the opens, then the rest
            entries = list(entries)
        fold = cls()
        for entry in entries:
            if type(entry) is data.Open:
                meta = entry.meta
                account = entry.account
                if META_UNIT in meta and account.startswith(chart.FUND + ":"):
                    fold.unit_of_account[account] = str(meta[META_UNIT])
                if META_POOL in meta and account.startswith(chart.POOL + ":"):
                    fold.pool_of_account[account] = str(meta[META_POOL])
        for entry in entries:
            if type(entry) is data.Transaction or type(entry) is data.Custom:
                fold.add(entry)
        return fold

    def add(self, entry: data.Directive) -> None:
        if isinstance(entry, data.Custom):
            if entry.type in _TYPES:
                self._record(entry)
            return
        if not isinstance(entry, data.Transaction):
            return
        kind = entry.meta.get(META_KIND)
        if kind is not None:
            if kind in _RECORD_KINDS:
                self._record(entry)
            elif kind == KIND_CLOSE:
                self.closed_periods.add(str(entry.meta.get(META_PERIOD)))
            elif kind == KIND_CARRY:
                self.carried = True
        day = entry.date
        units_of = self.unit_of_account
        pools_of = self.pool_of_account
        for posting in entry.postings:
            account = posting.account
            unit = units_of.get(account)
            pool = pools_of.get(account)
            if unit is None and pool is None:
                if account in _UNIT_FLOWS:
                    meta = posting.meta
                    if meta and META_UNIT in meta:
                        unit = str(meta[META_UNIT])
                elif account in _POOL_FLOWS:
                    meta = posting.meta
                    if meta and META_POOL in meta:
                        pool = str(meta[META_POOL])
                if unit is None and pool is None:
                    continue
            number = number_of(posting)
            if unit is not None:
                _move(self.units, unit, day, number)
            if pool is not None:
                _move(self.pools, pool, day, number)

    def _record(self, entry: data.Directive) -> None:
        # In the books' order, whatever the order they came in: a fed index equals a rebuilt one
        # (without what booking adds to a loaded entry's metadata: `__tolerances__`).
        if any(key.startswith("__") for key in entry.meta):
            meta = {k: v for k, v in entry.meta.items() if not k.startswith("__")}
            entry = entry._replace(meta=meta)
        bisect.insort(self.records, entry, key=data.entry_sortkey)

    def pool(self, pool: str, day: dt.date) -> Decimal | None:
        """The pool's balance at the end of `day` (None: something moved it later: ask the
        books)."""
        return _balance(self.pools, pool, day)

    def unit_fund(self, unit: str, day: dt.date) -> Decimal | None:
        """The unit's fund at the end of `day` (None: ask the books, as for `pool`)."""
        return _balance(self.units, unit, day)


def _move(table: dict[str, Running], key: str, day: dt.date, number: Decimal) -> None:
    """A posting of `number` (Beancount's sign: a credit adds to a fund or pool) on `day`."""
    running = table.get(key)
    if running is None:
        table[shared(key)] = (-number, shared(day))
    else:
        table[key] = (running[0] - number, shared(day) if day > running[1] else running[1])


def _balance(table: dict[str, Running], key: str, day: dt.date) -> Decimal | None:
    running = table.get(key)
    if running is None:
        return Decimal(0)
    balance, last = running
    return balance if day >= last else None
