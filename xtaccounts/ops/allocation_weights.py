"""Fund balance-days (积数) per unit and per pool over a window: the weights by which a receipt is
shared out, the same for the allocation, its audit and its export."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal, localcontext

from xtaccounts.core.balance_days import EXACT, BalanceHistory
from xtaccounts.core.shares import Weighted
from xtaccounts.core.vocabulary import ZERO
from xtaccounts.registry import Registry

SPREAD = "spread"  # the part of a receipt that goes to the pools
BASE = "base"  # the part that goes to the units' 维修资金


class FundWeights:
    """Each unit's 积数 over a window, and each pool's (the sum of its units'), each window
    computed once."""

    def __init__(self, registry: Registry, history: BalanceHistory) -> None:
        self.registry = registry
        self.history = history
        self.units = sorted(registry.units)
        self.pool_of = {unit: registry.pool_of_unit(unit) for unit in self.units}
        self._units: dict[tuple[dt.date, dt.date], dict[str, Decimal]] = {}
        self._pools: dict[tuple[dt.date, dt.date], dict[str, Decimal]] = {}
        self._weighted: dict[tuple[str, dt.date, dt.date], Weighted] = {}

    def unknown_units(self) -> list[str]:
        """Units the books move fund for that the registry does not know (sorted)."""
        return sorted(set(self.history.keys()) - set(self.registry.units))

    def of_units(self, start: dt.date, end: dt.date) -> dict[str, Decimal]:
        key = (start, end)
        if key not in self._units:
            self._units[key] = self.history.balances_days(start, end, self.units)
        return self._units[key]

    def of_pools(self, start: dt.date, end: dt.date) -> dict[str, Decimal]:
        key = (start, end)
        if key not in self._pools:
            pools: dict[str, Decimal] = defaultdict(lambda: ZERO)
            with localcontext(EXACT):
                for unit, days in self.of_units(start, end).items():
                    pools[self.pool_of[unit]] += days
            self._pools[key] = dict(pools)
        return self._pools[key]

    def of(self, part: str, start: dt.date, end: dt.date) -> dict[str, Decimal]:
        """The receivers' weights for a receipt part: pools for the spread, units for the base."""
        return self.of_pools(start, end) if part == SPREAD else self.of_units(start, end)

    def weighted(self, part: str, start: dt.date, end: dt.date) -> Weighted:
        """`of`'s receivers with a positive weight, ready to share any amount (`Weighted`)."""
        key = (part, start, end)
        if key not in self._weighted:
            self._weighted[key] = Weighted.of(self.of(part, start, end))
        return self._weighted[key]
