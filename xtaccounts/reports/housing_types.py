"""维修资金 by housing type: the part of the households the registry marks 已售公有住房.

A household's fund is its line of the derived 分户账 (`reports.balances.household_ledger`:
deposits, refunds and its share of base interest); 商品住宅 is the rest of 维修资金.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from beancount.core import data

from xtaccounts.books.positions import Positions
from xtaccounts.core.vocabulary import ZERO
from xtaccounts.registry import Registry
from xtaccounts.reports.balances import household_ledger


def public_housing_funds(
    registry: Registry,
    entries: Sequence[data.Directive],
    positions: Positions,
    days: Sequence[dt.date],
) -> list[Decimal] | None:
    """The 已售公有住房 households' 维修资金 at the end of each of `days`; None when the registry
    marks no household so (every fund is then 商品住宅)."""
    public = {h.id for h in registry.households.values() if h.public_housing}
    if not public:
        return None
    units = sorted({registry.households[h].unit for h in public})
    totals = []
    for day in days:
        total = ZERO
        for unit in units:
            ledger = household_ledger(registry, entries, positions, unit, day)
            total += sum((h.balance for h in ledger.households if h.household in public), ZERO)
        totals.append(total)
    return totals
