"""A household's fund balance in fen as it moves, for the 分户账's millions of shares.

The sharing itself is `xtaccounts.core.shares` (`allocate`, and `share_fen` on integer weights);
`HouseholdHistory` keeps one balance in fen, so its 积数 over any window is two prefix-sum
look-ups instead of a pass over the household's movements. A city holds 300,000 of them at once:
each keeps its figures in one machine-integer array, not lists of Python ints (a third of the
memory).
"""

from __future__ import annotations

from array import array
from bisect import bisect_left


class HouseholdHistory:
    """One balance in fen: movement days (ordinals, ascending), and for each movement day the
    balance from that day on and the 积数 (fen × days) of all days before it. All in one
    64-bit array (`figures`: the n days, then balance, 积数, balance, 积数, …; exact: an
    overflow raises): one array a household, not two (a city's 300,000 arrays' own headers
    were 23 MiB)."""

    __slots__ = ("figures",)

    def __init__(self) -> None:
        self.figures = array("q")

    @property
    def days(self) -> array:
        """The movement days, ascending (a copy)."""
        figures = self.figures
        return figures[: len(figures) // 3]

    def add(self, ordinal: int, fen: int) -> None:
        """A movement effective from the end of `ordinal` (days must not go backwards)."""
        figures = self.figures
        count = len(figures) // 3
        if count:
            last = figures[count - 1]
            if last == ordinal:
                figures[-2] += fen
                return
            if ordinal < last:
                raise ValueError("movements must be added in date order")
            balance, before = figures[-2], figures[-1]
            figures.insert(count, ordinal)
            figures.append(balance + fen)
            figures.append(before + balance * (ordinal - last))
        else:
            figures.append(ordinal)
            figures.append(fen)
            figures.append(0)

    def _before(self, ordinal: int) -> int:
        figures = self.figures
        count = len(figures) // 3
        index = bisect_left(figures, ordinal, 0, count)
        if not index:
            return 0
        last = index - 1
        at = count + 2 * last
        return figures[at + 1] + figures[at] * (ordinal - figures[last])

    def balance_days(self, first: int, last: int) -> int:
        """积数 in fen × days over [first, last] (ordinals, inclusive)."""
        return self._before(last + 1) - self._before(first)
