"""Balances people read: pools, unit funds, and the 分户账 of one unit's households.

Everything is derived from the books (see positions.py) and the registry; nothing is stored.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from beancount.core import data

from xtaccounts.books.positions import (
    InterestReceipt,
    Positions,
    credited_households,
    ids_of,
)
from xtaccounts.core import chart
from xtaccounts.core.balance_days import Movement, balance_days
from xtaccounts.core.entries import number_of
from xtaccounts.core.errors import XtError
from xtaccounts.core.shares import NoReceivers, share_by_weight
from xtaccounts.core.vocabulary import (
    KIND_ALLOCATION,
    KIND_OPENING,
    META_BASE_RECEIPTS,
    META_HOUSEHOLD,
    META_HOUSEHOLDS,
    META_KIND,
    META_UNIT,
    ZERO,
)
from xtaccounts.ops.allocation import BASE, ReceiptShares
from xtaccounts.registry import Registry
from xtaccounts.registry.navigation import place_name, pool_units


@dataclass(frozen=True)
class PoolBalance:
    """One 增值收益统筹账户 with what it can pay and the fund behind it."""

    pool: str
    name: str
    level: str
    district: str
    account: str
    units: int
    households: int
    elevators: int
    fund: Decimal
    available: Decimal


@dataclass(frozen=True)
class UnitBalance:
    """One unit's 维修资金."""

    unit: str
    name: str
    pool: str
    households: int
    area_m2: Decimal
    account: str
    fund: Decimal


def pool_balances(registry: Registry, positions: Positions, as_of: dt.date) -> list[PoolBalance]:
    """Every pool's available balance and its units' fund at the end of `as_of`."""
    units = positions.unit_history()
    pools = positions.pool_history()
    # Counted from the households' ids by unit: no household's row is read.
    households_per_unit = {u: len(ids) for u, ids in registry.households_of_unit.items()}
    elevators_per_unit: dict[str, int] = defaultdict(int)
    for elevator in registry.elevators.values():
        elevators_per_unit[elevator.unit] += 1
    rows = []
    for pool_id in chart.pool_ids(registry):
        members = pool_units(registry, pool_id)
        building = registry.buildings[registry.units[members[0]].building]
        rows.append(
            PoolBalance(
                pool=pool_id,
                name=place_name(registry, pool_id),
                level=registry.pool_level(building).value,
                district=registry.communities[building.community].district,
                account=chart.pool_account(registry, pool_id),
                units=len(members),
                households=sum(households_per_unit.get(u, 0) for u in members),
                elevators=sum(elevators_per_unit[u] for u in members),
                fund=sum((units.balance_at(u, as_of) for u in members), ZERO),
                available=pools.balance_at(pool_id, as_of) + ZERO,
            )
        )
    return rows


@dataclass(frozen=True)
class PoolAvailable:
    """A pool's available balance (`PoolBalance.available`) and its community."""

    pool: str
    community: str
    available: Decimal


def _pool_building(registry: Registry, pool_id: str) -> str:
    """The building of a pool: its own id for a building pool, its unit's for a unit pool."""
    return registry.units[pool_id].building if pool_id in registry.units else pool_id


def pool_level_of(registry: Registry, pool_id: str) -> str:
    """`PoolBalance.level` of a pool: "building" or "unit"."""
    return registry.pool_level(registry.buildings[_pool_building(registry, pool_id)]).value


def pool_available(registry: Registry, positions: Positions, as_of: dt.date) -> list[PoolAvailable]:
    """Every pool's available balance at the end of `as_of`, as `pool_balances` gives it, in
    its order, without what it adds up from the pool's units (their fund, households and
    elevators)."""
    pools = positions.pool_history()
    return [
        PoolAvailable(
            pool=pool_id,
            community=registry.buildings[_pool_building(registry, pool_id)].community,
            available=pools.balance_at(pool_id, as_of) + ZERO,
        )
        for pool_id in chart.pool_ids(registry)
    ]


def unit_balances(registry: Registry, positions: Positions, as_of: dt.date) -> list[UnitBalance]:
    """Every unit's fund at the end of `as_of`."""
    units = positions.unit_history()
    households: dict[str, list[Decimal]] = defaultdict(list)
    for household in registry.households.values():
        households[household.unit].append(household.area_m2)
    return [
        UnitBalance(
            unit=unit_id,
            name=place_name(registry, unit_id),
            pool=registry.pool_of_unit(unit_id),
            households=len(households[unit_id]),
            area_m2=sum(households[unit_id], ZERO),
            account=chart.unit_fund_account(registry, unit_id),
            fund=units.balance_at(unit_id, as_of) + ZERO,
        )
        for unit_id in sorted(registry.units)
    ]


# -- 分户账 -------------------------------------------------------------------------------


@dataclass
class HouseholdAccount:
    """One household's line of the 分户账."""

    household: str
    door_no: str
    area_m2: Decimal
    owner: str
    opening: Decimal = ZERO
    deposits: Decimal = ZERO
    refunds: Decimal = ZERO
    interest: Decimal = ZERO
    movements: list[Movement] = field(default_factory=list, repr=False)

    @property
    def balance(self) -> Decimal:
        return self.opening + self.deposits - self.refunds + self.interest


@dataclass(frozen=True)
class UnitLedger:
    """The derived 分户账 of one unit and the unit's own fund, which it must add up to."""

    unit: str
    name: str
    as_of: dt.date
    households: list[HouseholdAccount]
    unit_fund: Decimal

    @property
    def total(self) -> Decimal:
        return sum((h.balance for h in self.households), ZERO)


def _households_share(
    accounts: dict[str, HouseholdAccount], amount: Decimal, receipt: InterestReceipt, unit_id: str
) -> dict[str, Decimal]:
    weights = {
        h: balance_days(a.movements, receipt.window_start, receipt.window_end)
        for h, a in accounts.items()
    }
    try:
        shares = share_by_weight(amount, weights)
    except NoReceivers as exc:
        raise XtError(
            f"receipt {receipt.id}: base interest for {unit_id} but no household of it had a "
            f"balance over {receipt.window_start}..{receipt.window_end}"
        ) from exc
    return {s.receiver: s.amount for s in shares}


def household_ledger(
    registry: Registry,
    entries: Sequence[data.Directive],
    positions: Positions,
    unit_id: str,
    as_of: dt.date,
) -> UnitLedger:
    """The 分户账 of one unit: deposits, refunds and base interest per household.

    Base interest credited to the unit by an allocation is taken receipt by receipt: the unit's
    share of each receipt (recomputed from the books as the allocation computed it) is shared
    among its households in proportion to their balance-days over that receipt's own window,
    largest remainder, so the households add up to the unit exactly.
    """
    if unit_id not in registry.units:
        raise XtError(f"unknown unit {unit_id!r}")
    fund_account = chart.unit_fund_account(registry, unit_id)
    accounts = {
        h.id: HouseholdAccount(h.id, h.door_no, h.area_m2, h.owner_masked or "")
        for h in sorted(registry.households.values(), key=lambda h: h.id)
        if h.unit == unit_id
    }
    receipts = {r.id: r for r in positions.receipts}
    receipt_shares = ReceiptShares(registry, positions)

    def credit(kind: str, day: dt.date, amounts: dict[str, Decimal]) -> None:
        for household, amount in amounts.items():
            if household not in accounts:
                raise XtError(f"{day}: household {household} is not in unit {unit_id}")
            account = accounts[household]
            setattr(account, kind, getattr(account, kind) + amount)
            sign = -1 if kind == "refunds" else 1
            account.movements.append(Movement(day, sign * amount))

    for entry in entries:
        if not isinstance(entry, data.Transaction) or entry.date > as_of:
            continue
        kind = entry.meta.get(META_KIND)
        for posting in entry.postings:
            meta = posting.meta or {}
            if posting.account == fund_account and kind == KIND_OPENING:
                credit("opening", entry.date, credited_households(posting))
            elif posting.account == chart.DEPOSIT_INCOME and meta.get(META_UNIT) == unit_id:
                if META_HOUSEHOLDS in meta:
                    amounts = credited_households(posting)
                    credit("deposits", entry.date, amounts)
            elif posting.account == chart.REFUND and META_HOUSEHOLD in meta:
                if meta.get(META_UNIT) != unit_id:
                    continue
                credit("refunds", entry.date, {str(meta[META_HOUSEHOLD]): number_of(posting)})
            elif posting.account == fund_account and kind == KIND_ALLOCATION:
                credited = -number_of(posting)
                for receipt_id in ids_of(entry.meta.get(META_BASE_RECEIPTS)):
                    receipt = receipts[receipt_id]
                    amount = receipt_shares.of(receipt, BASE).get(unit_id, ZERO)
                    credited -= amount
                    if amount:
                        credit(
                            "interest",
                            entry.date,
                            _households_share(accounts, amount, receipt, unit_id),
                        )
                if credited:
                    raise XtError(
                        f"{entry.meta.get('filename')}:{entry.meta.get('lineno')}: the "
                        f"allocation credits {unit_id} {-number_of(posting)}, but its receipts"
                        f" recomputed from the books give {-number_of(posting) - credited}"
                    )
    unit_fund = positions.unit_history().balance_at(unit_id, as_of) + ZERO
    return UnitLedger(
        unit=unit_id,
        name=place_name(registry, unit_id),
        as_of=as_of,
        households=list(accounts.values()),
        unit_fund=unit_fund,
    )
