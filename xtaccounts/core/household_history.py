"""A household's fund balance in fen as it moves, for the 分户账's millions of shares.

The sharing itself is `xtaccounts.core.shares` (`allocate`, and `share_fen` on integer weights);
`HouseholdHistory` keeps one balance in fen, so its 积数 over any window is two prefix-sum
look-ups instead of a pass over the household's movements. A city holds 300,000 of them at once:
each keeps its figures in two machine-integer arrays, not lists of Python ints (a third of the
memory).
"""

from __future__ import annotations

from array import array
from bisect import bisect_left


class HouseholdHistory:
    """One balance in fen: movement days (ordinals, ascending), and for each movement day the
    balance from that day on and the 积数 (fen × days) of all days before it (`figures`:
    balance, 积数, balance, 积数, …; 64-bit, exact: an overflow raises)."""

    __slots__ = ("days", "figures")

    def __init__(self) -> None:
        self.days = array("l")
        self.figures = array("q")

    def add(self, ordinal: int, fen: int) -> None:
        """A movement effective from the end of `ordinal` (days must not go backwards)."""
        days, figures = self.days, self.figures
        if days:
            last = days[-1]
            if last == ordinal:
                figures[-2] += fen
                return
            if ordinal < last:
                raise ValueError("movements must be added in date order")
            balance, before = figures[-2], figures[-1]
            figures.append(balance + fen)
            figures.append(before + balance * (ordinal - last))
        else:
            figures.append(fen)
            figures.append(0)
        days.append(ordinal)

    def _before(self, ordinal: int) -> int:
        index = bisect_left(self.days, ordinal)
        if not index:
            return 0
        last = index - 1
        figures = self.figures
        return figures[2 * last + 1] + figures[2 * last] * (ordinal - self.days[last])

    def balance_days(self, first: int, last: int) -> int:
        """积数 in fen × days over [first, last] (ordinals, inclusive)."""
        return self._before(last + 1) - self._before(first)
