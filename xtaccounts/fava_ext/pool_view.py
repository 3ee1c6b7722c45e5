"""统筹账户明细: one pool's true balance on a day and every movement behind it.

Fava's account page of a pool adds up the pool's account only; premiums reach it at the next
close, so in between it shows more than the pool can pay. This page shows the pool's ledger
(`xtaccounts.reports.pool_ledger`): every allocation, the legacy transfer, every premium and
premium refund, each close (0.00: it only moves a premium into the account), with the running
balance, whose last figure is `xtaccounts pools --as-of`; next to it the account's own balance,
so that the two can be told apart. The balance over time is drawn as well, for one pool and for
all pools together.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from xtaccounts.core.privacy import mask_free_text
from xtaccounts.core.vocabulary import (
    KIND_ALLOCATION,
    KIND_CLOSE,
    KIND_LEGACY,
    KIND_PREMIUM,
    KIND_PREMIUM_REFUND,
    ZERO,
)
from xtaccounts.fava_ext.hashes import entry_hash
from xtaccounts.registry import Registry
from xtaccounts.registry.navigation import place_name
from xtaccounts.reports.pool_ledger import PoolLedger, PoolMovement

# A document of an entry: (what it is, its absolute path).
Documents = Mapping[int, Sequence[tuple[str, str]]]

# The totals shown above the ledger, in this order.
TOTALS = (
    (KIND_ALLOCATION, "分配转入"),
    (KIND_LEGACY, "历史利差转入"),
    (KIND_PREMIUM, "支付保费"),
    (KIND_PREMIUM_REFUND, "退保退回"),
)


@dataclass(frozen=True)
class PoolLine:
    date: dt.date
    label: str
    detail: str
    amount: Decimal
    balance: Decimal
    account_balance: Decimal
    application: str
    policy: str
    muted: bool  # a close: moves a premium into the account, the balance does not change
    hash: str
    documents: Sequence[tuple[str, str]]


@dataclass(frozen=True)
class PoolPage:
    pool: str
    name: str
    account: str
    as_of: dt.date
    balance: Decimal
    account_balance: Decimal
    not_closed: Decimal
    totals: list[tuple[str, Decimal]]
    lines: list[PoolLine]


def _detail(movement: PoolMovement) -> str:
    entry = movement.entry
    if movement.kind == KIND_PREMIUM_REFUND and entry.meta.get("reason"):
        return f"保单 {movement.policy} 退保：{mask_free_text(str(entry.meta['reason']))}"
    if movement.kind == KIND_CLOSE:
        period = entry.meta.get("period", "")
        return f"{period} 期间结转（{entry.narration}）"
    return mask_free_text(entry.narration or "")


def pool_page(
    registry: Registry, account: str, ledger: PoolLedger, documents: Documents
) -> PoolPage:
    """The page of one pool from its ledger on a day."""
    lines = [
        PoolLine(
            date=line.movement.date,
            label=line.movement.label,
            detail=_detail(line.movement),
            amount=line.movement.amount,
            balance=line.balance,
            account_balance=line.account_balance,
            application=line.movement.application,
            policy=line.movement.policy,
            muted=line.movement.kind == KIND_CLOSE,
            hash=entry_hash(line.movement.entry),
            documents=documents.get(id(line.movement.entry), ()),
        )
        for line in ledger.lines
    ]
    return PoolPage(
        pool=ledger.pool,
        name=place_name(registry, ledger.pool),
        account=account,
        as_of=ledger.as_of,
        balance=ledger.balance,
        account_balance=ledger.account_balance,
        not_closed=ledger.not_closed,
        totals=[  # what went out shown as a positive 支付
            (label, -ledger.total(kind) if kind == KIND_PREMIUM else ledger.total(kind))
            for kind, label in TOTALS
        ],
        lines=lines,
    )


def balance_points(
    movements: Sequence[PoolMovement], last: dt.date
) -> list[tuple[dt.date, Decimal]]:
    """(day, balance at its end) on each day a movement changed it, through `last`."""
    points: list[tuple[dt.date, Decimal]] = []
    balance = ZERO
    for movement in sorted(movements, key=lambda m: m.date):
        if movement.date > last:
            break
        balance += movement.amount
        if points and points[-1][0] == movement.date:
            points[-1] = (movement.date, balance)
        else:
            points.append((movement.date, balance))
    return [p for i, p in enumerate(points) if i == 0 or p[1] != points[i - 1][1]]
