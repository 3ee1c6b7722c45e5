"""The books loaded once: the one `Ledger` every reader takes what it needs from.

A `Ledger` holds one load of the books (entries, errors, options), the registry, and what is
read from them on first use and only once: the positions, their balance histories and the
insurance records (`InsuranceHistory`). A reading command opens one (`open_ledger`), Fava's
extension builds one per load of the books (`Ledger.of`), and the audit and the pages ask it
about a day (`Ledger.as_of`): the books as they stood at the end of that day, sharing whatever
the whole books' reading already holds.
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property
from pathlib import Path
from typing import Any

from beancount.core import data

from xtaccounts.books.layout import LedgerLayout, require_ledger
from xtaccounts.books.load import BeancountError, LoadedBooks, load_books
from xtaccounts.books.positions import Positions, read_positions
from xtaccounts.core.balance_days import BalanceHistory
from xtaccounts.insurance.checks import InsuranceHistory, InsuranceState
from xtaccounts.registry import Registry, cached_registry


class Ledger:
    """One load of the books and the registry, each part read on first use and only once."""

    def __init__(
        self,
        layout: LedgerLayout,
        *,
        books: LoadedBooks | None = None,
        registry: Registry | None = None,
    ) -> None:
        self.layout = layout
        self._given_books = books
        self._given_registry = registry

    @classmethod
    def of(cls, books: LoadedBooks, registry: Registry) -> Ledger:
        """The Ledger of books and a registry loaded already (Fava's load, a writer's staged
        load, a test)."""
        return cls(LedgerLayout(books.path), books=books, registry=registry)

    # -- what is loaded ----------------------------------------------------------------------

    @cached_property
    def registry(self) -> Registry:
        if self._given_registry is not None:
            return self._given_registry
        # The process's one registry cache: the books' insurance plugin reads the same copy.
        return cached_registry(self.layout.registry)

    @cached_property
    def books(self) -> LoadedBooks:
        if self._given_books is not None:
            return self._given_books
        return load_books(self.layout.main)

    @property
    def entries(self) -> list[data.Directive]:
        """The entries after the plugins, sorted by date."""
        return self.books.entries

    @property
    def errors(self) -> list[BeancountError]:
        return self.books.errors

    @property
    def options(self) -> dict[str, Any]:
        return self.books.options

    # -- what is read from it, once --------------------------------------------------------

    @cached_property
    def transactions(self) -> list[data.Transaction]:
        return [e for e in self.entries if isinstance(e, data.Transaction)]

    @cached_property
    def positions(self) -> Positions:
        return read_positions(self.entries)

    @property
    def unit_history(self) -> BalanceHistory:
        """Balances and 积数 of every unit fund (built once, by the positions)."""
        return self.positions.unit_history()

    @property
    def pool_history(self) -> BalanceHistory:
        """Balances and 积数 of every pool (built once, by the positions)."""
        return self.positions.pool_history()

    @cached_property
    def account_history(self) -> BalanceHistory:
        """Balances and 积数 of the bank accounts (the registry's, and those receipts name)."""
        return bank_history(self.registry, self.positions)

    @cached_property
    def insurance(self) -> InsuranceHistory:
        """The insurance records, read once and answering for any day (`state(day)`)."""
        return InsuranceHistory(self.registry, self.entries, self.positions)

    def as_of(self, day: dt.date) -> LedgerOn:
        """The books as they stood at the end of `day` (nothing dated later)."""
        return LedgerOn(self, day)


class LedgerOn:
    """A `Ledger` seen at the end of a day: the entries dated up to it and what is read from
    them. When nothing is dated later (the usual case), everything is the Ledger's own."""

    def __init__(self, ledger: Ledger, day: dt.date) -> None:
        self.ledger = ledger
        self.day = day

    @property
    def registry(self) -> Registry:
        return self.ledger.registry

    @property
    def books(self) -> LoadedBooks:
        return self.ledger.books

    @cached_property
    def whole(self) -> bool:
        """True when no entry is dated after the day: the view is the whole books."""
        entries = self.ledger.entries
        return not entries or entries[-1].date <= self.day

    @cached_property
    def entries(self) -> list[data.Directive]:
        """The loaded entries dated up to the day (they are sorted by date)."""
        if self.whole:
            return self.ledger.entries
        return [e for e in self.ledger.entries if e.date <= self.day]

    @cached_property
    def transactions(self) -> list[data.Transaction]:
        if self.whole:
            return self.ledger.transactions
        return [e for e in self.entries if isinstance(e, data.Transaction)]

    @cached_property
    def positions(self) -> Positions:
        if self.whole:
            return self.ledger.positions
        return read_positions(self.entries)

    @property
    def unit_history(self) -> BalanceHistory:
        return self.positions.unit_history()

    @property
    def pool_history(self) -> BalanceHistory:
        return self.positions.pool_history()

    @cached_property
    def account_history(self) -> BalanceHistory:
        if self.whole:
            return self.ledger.account_history
        return bank_history(self.registry, self.positions)

    @cached_property
    def insurance(self) -> InsuranceState:
        """The insurance rules over the books up to the day: the Ledger's insurance records
        (filtered by date when entries are dated later). Unlike `Ledger.insurance.state(day)`,
        which refuses a day after 9998-12-31 as the insurance commands do, any day is taken."""
        if self.whole:
            return self.ledger.insurance.whole
        return self.ledger.insurance.state(self.day)


def bank_history(registry: Registry, positions: Positions) -> BalanceHistory:
    """Balances and 积数 of the registry's bank accounts and of those the receipts name."""
    accounts = {b.account for b in registry.bank_accounts.values()}
    accounts.update(r.bank_account for r in positions.receipts)
    return positions.account_history(accounts)


def open_ledger(main: Path) -> Ledger:
    """The Ledger of an existing ledger (the registry is checked before the books load)."""
    ledger = Ledger(require_ledger(main))
    _ = ledger.registry
    return ledger
