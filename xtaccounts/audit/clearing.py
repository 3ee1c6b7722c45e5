"""Open items of a clearing account, matched first in, first out.

Suspense (待查明款项) and each insurer's premium clearing account hold items that later postings
of the opposite sign clear, oldest first. `FifoItems` keeps the items still open and says which
ones a posting cleared in full, for the checks that judge how long they stayed open.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from dataclasses import dataclass
from decimal import Decimal

from beancount.core import data


@dataclass
class OpenItem:
    """An amount booked to a clearing account and not yet cleared (what is left of it)."""

    date: dt.date
    amount: Decimal
    entry: data.Transaction


class FifoItems:
    """The open items of one clearing account, oldest first."""

    def __init__(self) -> None:
        self.open: deque[OpenItem] = deque()

    def post(self, entry: data.Transaction, amount: Decimal) -> list[OpenItem]:
        """Book a posting of `amount`: it clears the oldest items of the opposite sign, and what
        is left of it becomes a new item. Returns the items it cleared in full."""
        cleared: list[OpenItem] = []
        while amount and self.open and (self.open[0].amount > 0) != (amount > 0):
            first = self.open[0]
            taken = amount if abs(amount) < abs(first.amount) else -first.amount
            first.amount += taken
            amount -= taken
            if not first.amount:
                cleared.append(self.open.popleft())
        if amount:
            self.open.append(OpenItem(entry.date, amount, entry))
        return cleared
