"""维修资金 by housing type: the part of the households the registry marks 已售公有住房.

A household's fund is its line of the derived 分户账 (`reports.balances.household_ledger`:
deposits, refunds and its share of base interest); 商品住宅 is the rest of 维修资金.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from beancount.core import data

from xtaccounts.books.positions import Positions
from xtaccounts.core.vocabulary import ZERO
from xtaccounts.registry import Registry
from xtaccounts.registry.lazy_table import values_of
from xtaccounts.registry.models import HOUSING_TYPES
from xtaccounts.reports.balances import household_ledger

_HOUSING_TYPE = ("housing_type",)


@dataclass(frozen=True)
class PublicHousing:
    """The 已售公有住房 households' 维修资金: at the end of the previous year, the year's
    收支差额 (deposits less refunds), 分配 (base interest), 划转 (balances brought in), and at
    the end of the period (= the four added up)."""

    prior_close: Decimal
    surplus: Decimal
    distributed: Decimal
    transfer: Decimal
    closing: Decimal


def _sums(
    registry: Registry,
    entries: Sequence[data.Directive],
    positions: Positions,
    public: set[str],
    day: dt.date,
) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """(opening, deposits less refunds, interest, balance) of the public households on `day`."""
    opening = flows = interest = balance = ZERO
    for unit in sorted({registry.households[h].unit for h in public}):
        for h in household_ledger(registry, entries, positions, unit, day).households:
            if h.household in public:
                opening += h.opening
                flows += h.deposits - h.refunds
                interest += h.interest
                balance += h.balance
    return opening, flows, interest, balance


def public_housing_funds(
    registry: Registry,
    entries: Sequence[data.Directive],
    positions: Positions,
    prior_year_end: dt.date,
    end: dt.date,
) -> PublicHousing | None:
    """The 已售公有住房 part of 维修资金 between `prior_year_end` and `end`; None when the registry
    marks no household so (every fund is then 商品住宅)."""
    # Each household's housing type read without restoring its model (a city's 300,000
    # models would stay in the registry's table).
    households = registry.households
    public = {
        h for h in households if values_of(households, h, _HOUSING_TYPE)[0] == HOUSING_TYPES[1]
    }
    if not public:
        return None
    before = _sums(registry, entries, positions, public, prior_year_end)
    after = _sums(registry, entries, positions, public, end)
    return PublicHousing(
        prior_close=before[3],
        surplus=after[1] - before[1],
        distributed=after[2] - before[2],
        transfer=after[0] - before[0],
        closing=after[3],
    )
