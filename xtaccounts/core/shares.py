"""Sharing an amount among receivers in proportion to their balance-days (docs/rules.md §5).

Largest-remainder method in whole fen: each receiver gets the floor of its exact quota, then the
leftover fen go one each to the largest remainders (ties: larger weight first, then receiver id
ascending). All arithmetic is on integers, so the shares add up to the amount exactly and the
result does not depend on input order, platform or Decimal context.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Context, Decimal

from xtaccounts.core.balance_days import BalanceHistory
from xtaccounts.core.errors import XtError
from xtaccounts.core.money import exact_decimal

__all__ = [
    "NoReceivers",
    "Share",
    "Weighted",
    "allocate_by_balance_days",
    "from_fen",
    "integer_weights",
    "share_by_weight",
    "share_fen",
    "to_fen",
]


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


_FEN_DIGITS = 60
_FEN_CONTEXT = Context(prec=_FEN_DIGITS)  # scaleb() is exact below this many digits


def from_fen(fen: int) -> Decimal:
    """A whole number of fen as a CNY Decimal with two places."""
    if -(10**_FEN_DIGITS) < fen < 10**_FEN_DIGITS:
        return Decimal(fen).scaleb(-2, _FEN_CONTEXT)
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return Decimal(f"{sign}{whole}.{cents:02d}")


def integer_weights(weights: Sequence[Decimal]) -> list[int]:
    """Exact Decimal weights as proportional integers: each is n / d with d a power of 2 and 5,
    so scaling by the lcm of the denominators keeps every ratio exactly."""
    ratios = [weight.as_integer_ratio() for weight in weights]
    scale = math.lcm(*(denominator for _, denominator in ratios)) if ratios else 1
    return [numerator * (scale // denominator) for numerator, denominator in ratios]


def share_fen(
    total_fen: int,
    receivers: Sequence[str],
    weights: Sequence[int],
    total_weight: int | None = None,
) -> list[int]:
    """Each receiver's whole fen of `total_fen` (≥ 0) by largest remainder on integer `weights`
    (in the order given; a weight ≤ 0 gets 0). `total_weight` is the sum of the positive
    weights, when the caller has it. The integer core of `share_by_weight`, for callers that share
    millions of times over the same windows (exports, audit). Raises NoReceivers if no weight
    is positive."""
    if total_fen < 0:
        raise ValueError(f"{from_fen(total_fen)} is negative; only amounts ≥ 0 can be shared")
    if total_weight is None:
        total_weight = sum(w for w in weights if w > 0)
    if total_weight <= 0:
        raise NoReceivers(
            f"no receiver has a positive weight (balance-days) to share {from_fen(total_fen)} "
            f"among ({len(weights)} receiver(s) given, none with a positive balance)"
        )
    products = [total_fen * w if w > 0 else 0 for w in weights]
    fen = [p // total_weight for p in products]
    leftover = total_fen - sum(fen)
    if leftover:
        # The leftover fen go to the largest remainders. They add up to leftover × total_weight
        # and each is below total_weight, so more than `leftover` receivers have one: ranking
        # by the remainder alone decides, unless two tie across the cut.
        remainders = [p % total_weight for p in products]
        ranking = sorted(range(len(products)), key=remainders.__getitem__, reverse=True)
        if remainders[ranking[leftover - 1]] == remainders[ranking[leftover]]:
            # Ties: the larger weight first, then the receiver id ascending.
            ranking = sorted(
                (i for i, r in enumerate(remainders) if r),
                key=lambda i: (-remainders[i], -weights[i], receivers[i]),
            )
        for i in ranking[:leftover]:
            fen[i] += 1
    return fen


@dataclass(frozen=True)
class Weighted:
    """The receivers of one set of weights that have a positive one, sorted by id, with their
    weights and those weights as proportional integers (`integer_weights`): what sharing any
    amount over the same weights needs, worked out once (an allocation shares tens of receipts
    over the same window's weights)."""

    receivers: tuple[str, ...]
    weights: tuple[Decimal, ...]
    given: int = field(compare=False)  # how many receivers were given, positive or not
    integers: tuple[int, ...] = field(compare=False, repr=False)
    total: int = field(compare=False, repr=False)  # the sum of `integers`

    @classmethod
    def of(cls, weights: Mapping[str, Decimal]) -> Weighted:
        """The positive ones of `weights` (each checked to be an exact, finite Decimal)."""
        positive: dict[str, Decimal] = {}
        for receiver, weight in weights.items():
            checked = (
                weight
                if weight.__class__ is Decimal and weight.is_finite()
                else exact_decimal(weight, f"weight of {receiver!r}")
            )
            if checked > 0:
                positive[receiver] = checked
        receivers = tuple(sorted(positive))
        values = tuple(positive[r] for r in receivers)
        integers = tuple(integer_weights(values))
        return cls(receivers, values, len(weights), integers, sum(integers))

    def fen(self, amount: Decimal) -> list[int]:
        """Each receiver's whole fen of `amount` (≥ 0, whole fen), in `receivers`' order, by
        largest remainder. Raises NoReceivers if no weight is positive."""
        total_fen = to_fen(amount)
        if total_fen < 0:
            raise ValueError(f"amount {amount} is negative; only amounts ≥ 0 can be allocated")
        if not self.receivers:
            raise NoReceivers(
                f"no receiver has a positive weight (balance-days) to share {from_fen(total_fen)} "
                f"among ({self.given} receiver(s) given, none with a positive balance)"
            )
        return share_fen(total_fen, self.receivers, self.integers, self.total)

    def shares(self, fen: Sequence[int]) -> list[Share]:
        """The shares of `fen` (what `fen` gave), one per receiver."""
        return [
            Share(r, w, from_fen(f))
            for r, w, f in zip(self.receivers, self.weights, fen, strict=True)
        ]


def share_by_weight(amount: Decimal, weights: Mapping[str, Decimal]) -> list[Share]:
    """Share `amount` (≥ 0, whole fen) among receivers in proportion to their positive weights.

    Receivers with weight ≤ 0 are left out; a receiver with a positive weight too small to earn a
    fen stays in the result with 0.00. Returns shares sorted by receiver id whose amounts add up
    to `amount` exactly. Raises NoReceivers if no weight is positive.
    """
    total_fen = to_fen(amount)
    if total_fen < 0:
        raise ValueError(f"amount {amount} is negative; only amounts ≥ 0 can be allocated")
    weighted = Weighted.of(weights)
    return weighted.shares(weighted.fen(amount))


def allocate_by_balance_days(
    amount: Decimal,
    history: BalanceHistory,
    start: datetime.date,
    end: datetime.date,
    receivers: Iterable[str] | None = None,
) -> list[Share]:
    """Share `amount` in proportion to each receiver's 积数 over [start, end] in `history`
    (default receivers: every key of the history)."""
    return share_by_weight(amount, history.balances_days(start, end, receivers))
