"""Check 5: pools never negative, and the spread since ``spread_since`` all in the pools.

- every pool's balance (its account plus its unclosed premiums, positions.py) at the end of
  every day it moves is ≥ 0; the first negative day of a pool is the finding, with the entry
  that made it so;
- every receipt dated from ``spread_since`` on with a spread is allocated (legacy transfer or
  allocation) once it is due: from the pilot window's start on, when an allocation's
  ``through`` has reached its date; before the window, when the legacy transfer is booked (or an
  allocation reached the window's start); the others are counted as pending;
- the spread of receipts dated before ``spread_since`` is never given to the pools.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from beancount.core import data

from xtaccounts.audit.context import AuditContext
from xtaccounts.audit.findings import CheckResult
from xtaccounts.core import chart
from xtaccounts.core.dates import meta_day
from xtaccounts.core.entries import units_of
from xtaccounts.core.i18n import N_, _
from xtaccounts.core.vocabulary import KIND_ALLOCATION, KIND_LEGACY, META_KIND, META_POOL, ZERO

NAME = "pools"
TITLE = N_("统筹账户从不为负；spread_since 以来的利差都在统筹账户中")


def check(ctx: AuditContext) -> CheckResult:
    result = CheckResult(NAME, _(TITLE))
    positions = ctx.positions
    _negative(ctx, result)
    pilot = ctx.registry.pilot
    reached: dt.date | None = None  # the latest allocation's `through`
    legacy = False
    for entry in ctx.transactions:
        kind = entry.meta.get(META_KIND)
        if kind == KIND_ALLOCATION:
            through = entry.meta.get("through")
            day = meta_day(through) if through else entry.date
            reached = day if reached is None else max(reached, day)
        elif kind == KIND_LEGACY:
            legacy = True
    for receipt in positions.receipts:
        if receipt.spread <= 0:
            continue
        if receipt.date < pilot.spread_since:
            if receipt.id in positions.spread_allocated:
                result.add(
                    "spread-before-since",
                    _(
                        "{date} 的收息 {receipt} 早于 spread_since {since}，其利差却分给了统筹账户"
                    ).format(receipt=receipt.id, date=receipt.date, since=pilot.spread_since),
                    [ctx.where(receipt.entry)],
                )
            continue
        result.count("spread_receipts")
        if receipt.id in positions.spread_allocated:
            result.count("spread_allocated")
        elif _due(receipt.date, pilot.window_start, reached, legacy):
            result.add(
                "spread-stranded",
                _(
                    "{date} 的收息 {receipt}：其利差 {spread} 不在任何统筹账户中，"
                    "而分配已进行到 {reached}"
                ).format(
                    receipt=receipt.id, date=receipt.date, spread=receipt.spread, reached=reached
                ),
                [ctx.where(receipt.entry)],
                expected=receipt.spread,
                booked=ZERO,
            )
        else:
            result.count("spread_pending")
    return result


def _due(day: dt.date, window_start: dt.date, reached: dt.date | None, legacy: bool) -> bool:
    """Whether a receipt's spread should be in the pools by now: from the window's start on,
    once an allocation reached its date; before it, once the legacy transfer is booked or an
    allocation reached the window's start (which then takes what the transfer left)."""
    if day >= window_start:
        return reached is not None and day <= reached
    return legacy or (reached is not None and reached >= window_start)


def _negative(ctx: AuditContext, result: CheckResult) -> None:
    positions = ctx.positions
    movers: dict[tuple[str, dt.date], data.Transaction] = {}
    for entry in ctx.transactions:
        for posting in entry.postings:
            pool = positions.pool_of_account.get(posting.account)
            if pool is None and posting.account == chart.PREMIUM_EXPENSE:
                pool = (posting.meta or {}).get(META_POOL)
            if pool is not None:
                key = (str(pool), entry.date)
                # The entry that takes money out of the pool on that day is the one to name.
                if key not in movers or (units_of(posting).number or ZERO) > 0:
                    movers[key] = entry
    for pool in sorted(positions.pool_movements):
        result.count("pools")
        days: dict[dt.date, Decimal] = defaultdict(lambda: ZERO)
        for day, amount in positions.pool_movements[pool]:
            days[day] += amount
        balance = ZERO
        for day in sorted(days):
            result.count("pool_days")
            balance += days[day]
            if balance < 0:
                mover = movers.get((pool, day))
                result.add(
                    "pool-negative",
                    _("统筹账户 {pool} 在 {day} 结束时为负：{balance}").format(
                        pool=pool, day=day, balance=balance
                    ),
                    [ctx.where(mover)] if mover is not None else [],
                    expected="≥ 0.00",
                    booked=balance,
                )
                break
