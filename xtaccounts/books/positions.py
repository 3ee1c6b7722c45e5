"""The fund's positions read from the books in one pass over the postings.

A unit's fund (维修资金) is what its `Equity:Fund-维修资金:…` account holds plus what has been
booked for it on the flow accounts and not yet closed (交存收入 and 返还支出 postings tagged
``unit:``). A pool's balance is its account plus the premiums booked for it (tagged ``pool:``) and
not yet closed. Closing entries move amounts between the two sides without changing the sum, so
these balances are right before and after any close. Signs are turned so that a fund or pool
holding money is positive.

The metadata conventions are in docs/metadata.md.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from beancount.core import data

from xtaccounts.core import chart
from xtaccounts.core.balance_days import BalanceHistory
from xtaccounts.core.dates import meta_day
from xtaccounts.core.entries import number_of
from xtaccounts.core.errors import XtError
from xtaccounts.core.money import format_money
from xtaccounts.core.vocabulary import (
    KIND_ALLOCATION,
    KIND_CLOSE,
    KIND_INTEREST,
    KIND_LEGACY,
    META_BANK_ACCOUNT,
    META_BASE_RECEIPTS,
    META_KIND,
    META_PERIOD,
    META_POOL,
    META_RECEIPT,
    META_SOURCE,
    META_SPREAD_RECEIPTS,
    META_UNIT,
    META_WINDOW_END,
    META_WINDOW_START,
    ZERO,
)

# Flow accounts whose postings belong to a unit's fund through `unit:` metadata.
UNIT_FLOW_ACCOUNTS = (chart.DEPOSIT_INCOME, chart.REFUND)
# Flow accounts whose postings belong to a pool through `pool:` metadata.
POOL_FLOW_ACCOUNTS = (chart.PREMIUM_EXPENSE,)


@dataclass(frozen=True)
class InterestReceipt:
    """One interest receipt as booked: its split, and the window it was earned over."""

    id: str
    date: dt.date
    source: str  # "demand", "time" or "early"
    bank_account: str
    window_start: dt.date
    window_end: dt.date
    base: Decimal
    spread: Decimal
    entry: data.Transaction = field(compare=False, repr=False)


def format_households(amounts: Mapping[str, Decimal]) -> str:
    """``"id=amount id=amount"``, sorted by household id (the `households:` metadata)."""
    return " ".join(f"{hh}={format_money(amounts[hh])}" for hh in sorted(amounts))


def parse_households(text: object) -> dict[str, Decimal]:
    """The `households:` metadata back into {household id: amount}."""
    result: dict[str, Decimal] = {}
    for part in str(text or "").split():
        household, sep, amount = part.partition("=")
        try:
            value = Decimal(amount)
        except ArithmeticError:
            value = None
        if not sep or not household or value is None or not value.is_finite():
            raise XtError(f"households metadata {text!r}: {part!r} is not id=amount")
        result[household] = result.get(household, ZERO) + value
    return result


def credited_households(posting: data.Posting) -> dict[str, Decimal]:
    """A posting's `households:` as credited to them: as written on a credit (a deposit, an
    opening), negated on a debit (its 红字冲销, which carries the same metadata)."""
    amounts = parse_households((posting.meta or {}).get("households"))
    number = posting.units.number if posting.units is not None else None
    if number is not None and number > 0:
        return {household: -amount for household, amount in amounts.items()}
    return amounts


def ids_of(value: object) -> list[str]:
    """A comma-separated id list from metadata."""
    if not value:
        return []
    return [part.strip() for part in str(value).split(",") if part.strip()]


Moves = dict[str, list[tuple[dt.date, Decimal]]]


@dataclass
class Positions:
    """Movements of every unit fund, pool and bank account, and the interest receipts.

    The movements of every account (`account_movements`) and of every unit (`unit_movements`)
    are read from the books when first asked for (most readers want neither: at ×1 they are
    48 MiB of tuples), and the unit history straight from the books unless the unit movements
    were read already. `read_positions` keeps the books' entries as they were (a tuple) for it.
    """

    pool_movements: Moves = field(default_factory=lambda: defaultdict(list))
    receipts: list[InterestReceipt] = field(default_factory=list)
    spread_allocated: dict[str, str] = field(default_factory=dict)  # receipt id -> entry kind
    base_allocated: dict[str, str] = field(default_factory=dict)
    unit_of_account: dict[str, str] = field(default_factory=dict)
    pool_of_account: dict[str, str] = field(default_factory=dict)
    open_meta: dict[str, dict] = field(default_factory=dict)
    closed_periods: set[str] = field(default_factory=set)
    last_date: dt.date | None = None
    # The transactions the lazy movements are read from (none: they start empty).
    _transactions: tuple[data.Transaction, ...] = field(default=(), repr=False, compare=False)
    _unit_movements: Moves | None = field(default=None, init=False, repr=False, compare=False)
    _account_movements: Moves | None = field(default=None, init=False, repr=False, compare=False)
    # The unit and pool histories, built on first use: positions are read whole, then only read.
    _histories: dict[str, BalanceHistory] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @property
    def unit_movements(self) -> Moves:
        """(day, amount) of every movement of each unit's fund, in the books' order."""
        if self._unit_movements is None:
            moves: Moves = defaultdict(list)
            for unit, day, amount in self._unit_moves():
                moves[unit].append((day, amount))
            self._unit_movements = moves
        return self._unit_movements

    @property
    def account_movements(self) -> Moves:
        """(day, amount) of every posting of each account, in the books' order."""
        if self._account_movements is None:
            moves: Moves = defaultdict(list)
            for entry in self._transactions:
                day = entry.date
                for posting in entry.postings:
                    moves[posting.account].append((day, number_of(posting)))
            self._account_movements = moves
        return self._account_movements

    def _unit_moves(self) -> Iterator[tuple[str, dt.date, Decimal]]:
        """(unit, day, amount) of every movement of a unit's fund: its `Equity:Fund-维修资金:…`
        account, and 交存收入 and 返还支出 postings tagged ``unit:``; signs turned."""
        unit_of_account = self.unit_of_account
        for entry in self._transactions:
            day = entry.date
            for posting in entry.postings:
                unit = _owner(posting, unit_of_account, UNIT_FLOW_ACCOUNTS, META_UNIT)
                if unit is not None:
                    yield unit, day, -number_of(posting)

    def unit_history(self) -> BalanceHistory:
        if "unit" not in self._histories:
            if self._unit_movements is not None:
                moves: Iterable[tuple[str, dt.date, Decimal]] = (
                    (unit, day, amount)
                    for unit, unit_moves in self._unit_movements.items()
                    for day, amount in unit_moves
                )
            else:  # straight from the books: the movements are not kept
                moves = self._unit_moves()
            self._histories["unit"] = BalanceHistory(moves)
        return self._histories["unit"]

    def pool_history(self) -> BalanceHistory:
        if "pool" not in self._histories:
            self._histories["pool"] = BalanceHistory(
                (pool, day, amount)
                for pool, moves in self.pool_movements.items()
                for day, amount in moves
            )
        return self._histories["pool"]

    def account_history(self, accounts: Iterable[str] | None = None) -> BalanceHistory:
        wanted = None if accounts is None else set(accounts)
        return BalanceHistory(
            (account, day, amount)
            for account, moves in self.account_movements.items()
            if wanted is None or account in wanted
            for day, amount in moves
        )

    def balance(self, account: str, as_of: dt.date | None = None) -> Decimal:
        """An account's balance at the end of `as_of` (all postings when None), Beancount signs."""
        return sum(
            (
                amount
                for day, amount in self.account_movements.get(account, ())
                if as_of is None or day <= as_of
            ),
            Decimal("0"),
        )


def _owner(
    posting: data.Posting, of_account: Mapping[str, str], flows: tuple[str, ...], key: str
) -> str | None:
    """The unit (or pool) a posting moves: its account's, or on a flow account the one its
    metadata names under `key`."""
    account = posting.account
    owner = of_account.get(account)
    if owner is None and account in flows:
        meta = posting.meta or {}
        if key in meta:
            owner = str(meta[key])
    return owner


def read_positions(entries: Sequence[data.Directive]) -> Positions:
    """One pass over the books (the accounts' and units' movements are read when asked for)."""
    transactions = tuple(e for e in entries if isinstance(e, data.Transaction))
    pos = Positions(_transactions=transactions)
    for entry in entries:
        if isinstance(entry, data.Open):
            pos.open_meta[entry.account] = dict(entry.meta)
            if META_UNIT in entry.meta and entry.account.startswith(chart.FUND + ":"):
                pos.unit_of_account[entry.account] = str(entry.meta[META_UNIT])
            if META_POOL in entry.meta and entry.account.startswith(chart.POOL + ":"):
                pos.pool_of_account[entry.account] = str(entry.meta[META_POOL])
    # The tables bound once: this goes through every posting of the books.
    pool_movements, pool_of_account = pos.pool_movements, pos.pool_of_account
    for entry in transactions:
        day = entry.date
        pos.last_date = day if pos.last_date is None or day > pos.last_date else pos.last_date
        kind = entry.meta.get(META_KIND)
        for posting in entry.postings:
            pool = _owner(posting, pool_of_account, POOL_FLOW_ACCOUNTS, META_POOL)
            if pool is not None:
                pool_movements[pool].append((day, -number_of(posting)))
        if kind == KIND_INTEREST:
            pos.receipts.append(_receipt(entry))
        elif kind in (KIND_ALLOCATION, KIND_LEGACY):
            for rid in ids_of(entry.meta.get(META_SPREAD_RECEIPTS)):
                pos.spread_allocated[rid] = kind
            for rid in ids_of(entry.meta.get(META_BASE_RECEIPTS)):
                pos.base_allocated[rid] = kind
        elif kind == KIND_CLOSE:
            pos.closed_periods.add(str(entry.meta.get(META_PERIOD)))
    pos.receipts.sort(key=lambda r: (r.date, r.id))
    return pos


def _receipt(entry: data.Transaction) -> InterestReceipt:
    def total(account: str) -> Decimal:
        return -sum((number_of(p) for p in entry.postings if p.account == account), Decimal("0"))

    meta = entry.meta
    return InterestReceipt(
        id=str(meta[META_RECEIPT]),
        date=entry.date,
        source=str(meta.get(META_SOURCE, "")),
        bank_account=str(meta.get(META_BANK_ACCOUNT, "")),
        window_start=meta_day(meta[META_WINDOW_START]),
        window_end=meta_day(meta[META_WINDOW_END]),
        base=total(chart.INTEREST_BASE),
        spread=total(chart.INTEREST_SPREAD),
        entry=entry,
    )
