"""Piecewise-constant balances and balance-days (积数).

积数 over a window is the sum of the end-of-day balances of every day in it (docs/rules.md §5). A
balance only changes on days with movements, so it is computed per segment (balance × days) and
never day by day. All sums and products run in an unbounded Decimal context: nothing is rounded.
"""

from __future__ import annotations

import datetime
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import (
    MAX_EMAX,
    MAX_PREC,
    MIN_EMIN,
    Context,
    Decimal,
    Inexact,
    InvalidOperation,
    localcontext,
)
from typing import Any

from beancount.core import account as bc_account
from beancount.core import amount as bc_amount
from beancount.core import data as bc_data
from beancount.core import getters, realization
from beancount.core.interpolate import BalanceError
from beancount.ops.balance import get_balance_tolerance

from xtaccounts.core.money import exact_decimal

__all__ = [
    "BalanceHistory",
    "Movement",
    "balance_days",
    "balances_days_by_key",
    "check_balance_assertions",
]

_ZERO = Decimal(0)

# Additions and multiplications are exact in this context; a rounding would trap (it cannot happen).
EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN, traps=[InvalidOperation, Inexact])


def _check_window(start: datetime.date, end: datetime.date) -> None:
    if end < start:
        raise ValueError(f"window ends ({end}) before it starts ({start})")


@dataclass(frozen=True)
class Movement:
    """A signed change of a balance, effective from the end of `date` onwards."""

    date: datetime.date
    amount: Decimal

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", exact_decimal(self.amount, "movement amount"))


def balance_days(
    movements: Iterable[Movement],
    start: datetime.date,
    end: datetime.date,
    opening: Decimal = _ZERO,
) -> Decimal:
    """积数 over [start, end] inclusive: the sum of each day's end-of-day balance.

    Movements dated before `start` fold into `opening`; movements after `end` are ignored.
    Movements need not be sorted. Raises ValueError if `end` is before `start`.
    """
    _check_window(start, end)
    with localcontext(EXACT):
        balance = exact_decimal(opening, "opening balance")
        changes: dict[datetime.date, Decimal] = defaultdict(lambda: _ZERO)
        for movement in movements:
            if movement.date < start:
                balance += movement.amount
            elif movement.date <= end:
                changes[movement.date] += movement.amount
        total = _ZERO
        segment_start = start
        for day in sorted(changes):
            total += balance * (day - segment_start).days
            balance += changes[day]
            segment_start = day
        return total + balance * ((end - segment_start).days + 1)


def balances_days_by_key(
    movements_by_key: Mapping[str, Iterable[Movement]],
    start: datetime.date,
    end: datetime.date,
) -> dict[str, Decimal]:
    """积数 over [start, end] for each key, every key starting from a zero balance."""
    return {key: balance_days(moves, start, end) for key, moves in movements_by_key.items()}


class _Series:
    """One key's history: distinct movement days (ordinals), the end-of-day balance from each of
    those days on, and the 积数 accumulated from the first day up to (excluding) each day. The
    accumulated 积数 are worked out on the first 积数 asked of the key: a reader of balances
    only (Fava's pages, `pools`) does not hold a second Decimal per movement day."""

    __slots__ = ("_accumulated", "balances", "days")

    def __init__(
        self,
        days: tuple[int, ...],
        balances: tuple[Decimal, ...],
        accumulated: tuple[Decimal, ...] | None = None,
    ) -> None:
        self.days = days
        self.balances = balances
        self._accumulated = accumulated

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _Series):
            return NotImplemented
        return (self.days, self.balances, self.accumulated) == (
            other.days,
            other.balances,
            other.accumulated,
        )

    __hash__ = None  # type: ignore[assignment]

    @property
    def accumulated(self) -> tuple[Decimal, ...]:
        accumulated = self._accumulated
        if accumulated is None:
            days, balances = self.days, self.balances
            totals = [_ZERO]
            total = _ZERO
            with localcontext(EXACT):
                for index in range(1, len(days)):
                    total += balances[index - 1] * (days[index] - days[index - 1])
                    totals.append(total)
            accumulated = self._accumulated = tuple(totals)
        return accumulated

    def balance_at(self, ordinal: int) -> Decimal:
        index = bisect_right(self.days, ordinal)
        return self.balances[index - 1] if index else _ZERO

    def accumulated_before(self, ordinal: int) -> Decimal:
        """积数 of all days strictly before `ordinal` (the balance before the first day is 0)."""
        index = bisect_left(self.days, ordinal)
        if not index:
            return _ZERO
        last = index - 1
        return self.accumulated[last] + self.balances[last] * (ordinal - self.days[last])


class BalanceHistory:
    """Balances of many keys (pools, units, accounts) built once, queried many times.

    Built from (key, date, amount) triples in any order. Each query (`balance_at`,
    `balance_days`) costs O(log n) in the number of movement days of that key: 积数 over a
    window is a difference of two prefix sums of balance × segment length. Keys without
    movements have a zero balance.
    """

    __slots__ = ("_series",)

    def __init__(self, entries: Iterable[tuple[str, datetime.date, Decimal]]) -> None:
        per_key: dict[str, dict[int, Decimal]] = defaultdict(dict)
        with localcontext(EXACT):
            for key, day, amount in entries:
                if amount.__class__ is not Decimal or not amount.is_finite():
                    amount = exact_decimal(amount, f"movement amount of {key!r} on {day}")
                changes = per_key[key]
                ordinal = day.toordinal()
                changes[ordinal] = changes.get(ordinal, _ZERO) + amount
            self._series: dict[str, _Series] = {
                key: self._build(changes) for key, changes in per_key.items()
            }

    @staticmethod
    def _build(changes: dict[int, Decimal]) -> _Series:
        days = sorted(changes)
        balances: list[Decimal] = []
        balance = _ZERO
        for day in days:
            balance += changes[day]
            balances.append(balance)
        return _Series(tuple(days), tuple(balances))

    @classmethod
    def from_movements(cls, movements_by_key: Mapping[str, Iterable[Movement]]) -> BalanceHistory:
        """A history from per-key movements."""
        return cls(
            (key, move.date, move.amount)
            for key, moves in movements_by_key.items()
            for move in moves
        )

    def keys(self) -> list[str]:
        """Keys that have at least one movement, sorted."""
        return sorted(self._series)

    def __contains__(self, key: object) -> bool:
        return key in self._series

    def balance_at(self, key: str, day: datetime.date) -> Decimal:
        """The end-of-day balance of `key` on `day` (movements on `day` included)."""
        series = self._series.get(key)
        return series.balance_at(day.toordinal()) if series else _ZERO

    def balance_days(self, key: str, start: datetime.date, end: datetime.date) -> Decimal:
        """积数 of `key` over [start, end] inclusive."""
        _check_window(start, end)
        series = self._series.get(key)
        if series is None:
            return _ZERO
        with localcontext(EXACT):
            return series.accumulated_before(end.toordinal() + 1) - series.accumulated_before(
                start.toordinal()
            )

    def balances_days(
        self,
        start: datetime.date,
        end: datetime.date,
        keys: Iterable[str] | None = None,
    ) -> dict[str, Decimal]:
        """积数 over [start, end] for `keys` (default: every key with movements)."""
        _check_window(start, end)
        first, after = start.toordinal(), end.toordinal() + 1
        result: dict[str, Decimal] = {}
        with localcontext(EXACT):
            for key in self.keys() if keys is None else keys:
                series = self._series.get(key)
                result[key] = (
                    series.accumulated_before(after) - series.accumulated_before(first)
                    if series
                    else _ZERO
                )
        return result


# --- balance assertions, as Beancount checks them ---------------------------------------------

__plugins__ = ("check_balance_assertions",)


def check_balance_assertions(
    entries: list[Any], options_map: dict[str, Any]
) -> tuple[list[Any], list[Any]]:
    """Beancount's `balance` assertions (`beancount.ops.balance.check`): the same checks, errors
    and entries, in time linear in the number of accounts.

    Beancount first picks the accounts to keep a running balance of (each asserted account and
    every account under it) by matching every account against one pattern per asserted account:
    with the city's 11,000 year-end assertions over 21,000 accounts that alone took minutes. Here
    an account is kept when it or one of its parents is asserted. `xtaccounts.books.load.load_books`
    runs this in place of Beancount's plugin.
    """
    asserted = {entry.account for entry in entries if isinstance(entry, bc_data.Balance)}
    root = realization.RealAccount("")
    for name in getters.get_accounts(entries):
        if any(parent in asserted for parent in bc_account.parents(name)):
            realization.get_or_create(root, name)
    opened = getters.get_account_open_close(entries)

    new_entries: list[Any] = []
    errors: list[Any] = []
    for entry in entries:
        if isinstance(entry, bc_data.Transaction):
            for posting in entry.postings:
                real = realization.get(root, posting.account)
                if real is not None:
                    real.balance.add_position(posting)
        elif isinstance(entry, bc_data.Balance):
            entry = _checked(entry, root, opened, options_map, errors)
        new_entries.append(entry)
    return new_entries, errors


def _checked(entry: Any, root: Any, opened: dict, options_map: dict, errors: list) -> Any:
    """One assertion checked against the running balances (errors appended, as Beancount)."""
    expected = entry.amount
    open_entry = None
    try:
        open_entry, _ = opened[entry.account]
    except KeyError:
        errors.append(
            BalanceError(
                entry.meta, f"Invalid reference to unknown account '{entry.account}'", entry
            )
        )
    if (
        expected is not None
        and open_entry
        and open_entry.currencies
        and expected.currency not in open_entry.currencies
    ):
        errors.append(
            BalanceError(
                entry.meta, f"Invalid currency '{expected.currency}' for Balance directive: ", entry
            )
        )
    real = realization.get(root, entry.account)
    assert real is not None, f"Missing {entry.account}"
    subtree = realization.compute_balance(real, leaf_only=False)
    balance = subtree.get_currency_units(expected.currency)
    diff = bc_amount.sub(balance, expected)
    tolerance = get_balance_tolerance(entry, options_map)
    assert diff.number is not None  # both amounts have a number: so has their difference
    if abs(diff.number) > tolerance:
        errors.append(
            BalanceError(
                entry.meta,
                f"Balance failed for '{entry.account}': expected {expected} != accumulated "
                f"{balance} ({abs(diff.number)} {'too much' if diff.number > 0 else 'too little'})",
                entry,
            )
        )
        entry = entry._replace(meta=entry.meta.copy(), diff_amount=diff)
    return entry
