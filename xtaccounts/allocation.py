"""Sharing an amount among receivers in proportion to their balance-days (DOMAIN.md §5).

Largest-remainder method in whole fen: each receiver gets the floor of its exact quota, then the
leftover fen go one each to the largest remainders (ties: larger weight first, then receiver id
ascending). All arithmetic is on integers, so the shares add up to the amount exactly and the
result does not depend on input order, platform or Decimal context.
"""

from __future__ import annotations

import datetime
import heapq
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from xtaccounts.balances import BalanceHistory
from xtaccounts.errors import XtError
from xtaccounts.money import exact_decimal

__all__ = ["NoReceivers", "Share", "allocate", "allocate_by_balance_days", "from_fen", "to_fen"]


class NoReceivers(XtError, ValueError):
    """No receiver has a positive weight, so there is nobody to share the amount with."""


@dataclass(frozen=True)
class Share:
    """One receiver's part of an allocated amount."""

    receiver: str
    weight: Decimal
    amount: Decimal


def to_fen(amount: Decimal) -> int:
    """A CNY amount as a whole number of fen; ValueError if it has a fraction of a fen."""
    numerator, denominator = exact_decimal(amount, "amount").as_integer_ratio()
    fen, rest = divmod(numerator * 100, denominator)
    if rest:
        raise ValueError(f"amount {amount} is not a whole number of fen")
    return fen


def from_fen(fen: int) -> Decimal:
    """A whole number of fen as a CNY Decimal with two places."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return Decimal(f"{sign}{whole}.{cents:02d}")


def allocate(amount: Decimal, weights: Mapping[str, Decimal]) -> list[Share]:
    """Share `amount` (≥ 0, whole fen) among receivers in proportion to their positive weights.

    Receivers with weight ≤ 0 are left out; a receiver with a positive weight too small to earn a
    fen stays in the result with 0.00. Returns shares sorted by receiver id whose amounts add up
    to `amount` exactly. Raises NoReceivers if no weight is positive.
    """
    total_fen = to_fen(amount)
    if total_fen < 0:
        raise ValueError(f"amount {amount} is negative; only amounts ≥ 0 can be allocated")
    positive: dict[str, Decimal] = {}
    for receiver, weight in weights.items():
        checked = exact_decimal(weight, f"weight of {receiver!r}")
        if checked > 0:
            positive[receiver] = checked
    if not positive:
        raise NoReceivers(
            f"no receiver has a positive weight (balance-days) to share {from_fen(total_fen)} "
            f"among ({len(weights)} receiver(s) given, none with a positive balance)"
        )

    # Exact integer weights: every Decimal is n / d with d a power of 2 and 5; scale by the lcm.
    ratios = {receiver: weight.as_integer_ratio() for receiver, weight in positive.items()}
    scale = math.lcm(*(denominator for _, denominator in ratios.values()))
    integer_weights = {r: n * (scale // d) for r, (n, d) in ratios.items()}
    total_weight = sum(integer_weights.values())

    fen: dict[str, int] = {}
    remainders: dict[str, int] = {}
    for receiver, weight in integer_weights.items():
        fen[receiver], remainders[receiver] = divmod(total_fen * weight, total_weight)
    leftover = total_fen - sum(fen.values())
    # Fewer leftover fen than receivers: only the top `leftover` of the ranking matter.
    ranking = heapq.nsmallest(
        leftover,
        integer_weights,
        key=lambda r: (-remainders[r], -integer_weights[r], r),
    )
    for receiver in ranking:
        fen[receiver] += 1

    return [Share(r, positive[r], from_fen(fen[r])) for r in sorted(positive)]


def allocate_by_balance_days(
    amount: Decimal,
    history: BalanceHistory,
    start: datetime.date,
    end: datetime.date,
    receivers: Iterable[str] | None = None,
) -> list[Share]:
    """Share `amount` in proportion to each receiver's 积数 over [start, end] in `history`
    (default receivers: every key of the history)."""
    return allocate(amount, history.balances_days(start, end, receivers))
