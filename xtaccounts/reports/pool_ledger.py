"""One pool's ledger: every movement behind its balance on a day, with the running balance.

A pool's balance (`xtaccounts.books.positions`) is its account in 待分配累计收益 plus the
premiums booked for it on 维修支出 (postings tagged ``pool:``) that no close has moved yet. Fava's
account page shows the account alone, so between a premium and the next close it shows more than
the pool can pay. The ledger takes the same postings the positions take, entry by entry, so its
last running balance is the `pools --as-of` figure: allocations and the legacy transfer credit
the pool, premiums debit it, a cancelled policy's refund credits it back, and a close moves a
premium from 维修支出 into the pool's account without changing the balance (shown, at 0.00, so
that the two figures can be told apart).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from beancount.core import data

from xtaccounts.books.positions import POOL_FLOW_ACCOUNTS, Positions
from xtaccounts.core.entries import number_of
from xtaccounts.core.errors import XtError
from xtaccounts.core.vocabulary import (
    KIND_ALLOCATION,
    KIND_CARRY,
    KIND_CLOSE,
    KIND_LEGACY,
    KIND_PREMIUM,
    KIND_PREMIUM_REFUND,
    META_APPLICATION,
    META_KIND,
    META_POLICY,
    META_POOL,
    ZERO,
)

# What a movement is, as an accountant names it.
MOVEMENT_LABELS = {
    KIND_ALLOCATION: "增值收益分配（按积数）",
    KIND_LEGACY: "历史利差一次性转入",
    KIND_PREMIUM: "支付电梯保险费",
    KIND_PREMIUM_REFUND: "退保退回保费",
    KIND_CLOSE: "结转：保费从维修支出转入本账户（余额不变）",
    KIND_CARRY: "上年结转",
}


@dataclass(frozen=True)
class PoolMovement:
    """One entry's net effect on one pool (positive: the pool can pay more)."""

    date: dt.date
    kind: str
    amount: Decimal
    # The part on the pool's own account (what Fava's account page adds up).
    on_account: Decimal
    entry: data.Transaction = field(compare=False, repr=False)

    @property
    def label(self) -> str:
        return MOVEMENT_LABELS.get(self.kind, "其他")

    @property
    def application(self) -> str:
        return str(self.entry.meta.get(META_APPLICATION, ""))

    @property
    def policy(self) -> str:
        return str(self.entry.meta.get(META_POLICY, ""))


@dataclass(frozen=True)
class PoolLedgerLine:
    movement: PoolMovement
    balance: Decimal
    account_balance: Decimal


@dataclass(frozen=True)
class PoolLedger:
    """A pool's movements through a day, each with the balance after it."""

    pool: str
    as_of: dt.date
    lines: list[PoolLedgerLine]

    @property
    def balance(self) -> Decimal:
        """What the pool can pay at the end of the day (`pools --as-of`)."""
        return self.lines[-1].balance if self.lines else ZERO

    @property
    def account_balance(self) -> Decimal:
        """The pool's account alone (Fava's account page, sign turned)."""
        return self.lines[-1].account_balance if self.lines else ZERO

    @property
    def not_closed(self) -> Decimal:
        """Premiums (less refunds) booked on 维修支出 and not yet moved by a close."""
        return self.account_balance - self.balance

    def total(self, kind: str) -> Decimal:
        return sum(
            (line.movement.amount for line in self.lines if line.movement.kind == kind), ZERO
        )


def pool_movements(
    entries: Sequence[data.Directive], positions: Positions
) -> dict[str, list[PoolMovement]]:
    """Every pool's movements, by entry, in the books' order: the postings the positions count
    for the pool (its account; 维修支出 tagged ``pool:``), netted per entry."""
    movements: dict[str, list[PoolMovement]] = defaultdict(list)
    for entry in entries:
        if not isinstance(entry, data.Transaction):
            continue
        amounts: dict[str, list[Decimal]] = {}
        for posting in entry.postings:
            pool = positions.pool_of_account.get(posting.account)
            own_account = pool is not None
            if pool is None and posting.account in POOL_FLOW_ACCOUNTS:
                tagged = (posting.meta or {}).get(META_POOL)
                pool = str(tagged) if tagged is not None else None
            if pool is None:
                continue
            sums = amounts.setdefault(pool, [ZERO, ZERO])
            sums[0] -= number_of(posting)
            if own_account:
                sums[1] -= number_of(posting)
        kind = str(entry.meta.get(META_KIND, ""))
        for pool, (amount, on_account) in amounts.items():
            movements[pool].append(PoolMovement(entry.date, kind, amount, on_account, entry))
    return dict(movements)


def pool_ledger(
    pool: str, movements: Sequence[PoolMovement], positions: Positions, as_of: dt.date
) -> PoolLedger:
    """The pool's ledger through `as_of`, checked against its balance in the positions."""
    lines = []
    balance = account_balance = ZERO
    for movement in movements:
        if movement.date > as_of:
            break
        balance += movement.amount
        account_balance += movement.on_account
        lines.append(PoolLedgerLine(movement, balance, account_balance))
    expected = positions.pool_history().balance_at(pool, as_of)
    if balance != expected:  # the same postings as the positions: a difference is a bug
        raise XtError(f"统筹账户 {pool} 明细合计 {balance} 与余额 {expected} 不一致（{as_of}）")
    return PoolLedger(pool, as_of, lines)
