"""A household's fund balance in fen as it moves, for the 分户账's millions of shares.

The sharing itself is `xtaccounts.core.shares` (`allocate`, and `share_fen` on integer weights);
`HouseholdHistory` keeps one balance in fen, so its 积数 over any window is two prefix-sum
look-ups instead of a pass over the household's movements.
"""

from __future__ import annotations

from bisect import bisect_left


class HouseholdHistory:
    """One balance in fen: movement days (ordinals, ascending), the balance from each day on,
    and the 积数 (fen × days) of all days before each movement day."""

    __slots__ = ("acc", "balances", "days")

    def __init__(self) -> None:
        self.days: list[int] = []
        self.balances: list[int] = []
        self.acc: list[int] = []

    def add(self, ordinal: int, fen: int) -> None:
        """A movement effective from the end of `ordinal` (days must not go backwards)."""
        days = self.days
        if days and days[-1] == ordinal:
            self.balances[-1] += fen
            return
        if days and ordinal < days[-1]:
            raise ValueError("movements must be added in date order")
        if days:
            self.acc.append(self.acc[-1] + self.balances[-1] * (ordinal - days[-1]))
            self.balances.append(self.balances[-1] + fen)
        else:
            self.acc.append(0)
            self.balances.append(fen)
        days.append(ordinal)

    def _before(self, ordinal: int) -> int:
        index = bisect_left(self.days, ordinal)
        if not index:
            return 0
        last = index - 1
        return self.acc[last] + self.balances[last] * (ordinal - self.days[last])

    def balance_days(self, first: int, last: int) -> int:
        """积数 in fen × days over [first, last] (ordinals, inclusive)."""
        return self._before(last + 1) - self._before(first)
