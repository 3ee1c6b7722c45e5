"""The books as the audit sees them: the one `Ledger` (loaded once, with the plugins, as
bean-check loads them) as of the audit's day, and where each finding is in the books.

A reversed pair (a transaction and its 红字冲销, docs/corrections.md) is void for the rules:
`transactions`, which the rule checks read (payments, suspense, premiums, pools ...), leaves
both out; `booked_transactions` (every transaction) is what balances are summed from, and
`positions` and the balance histories still hold both, which add up to nothing."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

from beancount.core import data

from xtaccounts.audit.findings import Where
from xtaccounts.books.load import LoadedBooks
from xtaccounts.books.positions import Positions
from xtaccounts.core.balance_days import BalanceHistory
from xtaccounts.core.bank_statement import Statement
from xtaccounts.core.vocabulary import META_KIND
from xtaccounts.insurance.checks import InsuranceState
from xtaccounts.ops.reversal import ReversalPairs, reversal_pairs
from xtaccounts.reading.ledger import Ledger, LedgerOn
from xtaccounts.registry import Registry

StatementFileReader = Callable[[Path], Statement]


class AuditContext:
    """Everything a check reads, from the Ledger as of the audit's day; nothing here is taken
    from the books' own summaries."""

    def __init__(
        self,
        ledger: Ledger,
        as_of: dt.date,
        *,
        expect_seal: str | None = None,
        read_statement: StatementFileReader | None = None,
        history_refs: tuple[tuple[str, str], ...] = (),
    ) -> None:
        self.ledger = ledger
        self.as_of = as_of
        self.root: Path = ledger.books.path.parent
        self.expect_seal = expect_seal  # a seal chain head held outside the centre
        self.read_statement = read_statement  # reads an archived statement (the CLI's reader)
        # (commit, where it was held: "export manifest X") of history heads held elsewhere.
        self.history_refs = history_refs

    @cached_property
    def view(self) -> LedgerOn:
        return self.ledger.as_of(self.as_of)

    @property
    def books(self) -> LoadedBooks:
        return self.ledger.books

    @property
    def registry(self) -> Registry:
        return self.ledger.registry

    @property
    def entries(self) -> list[data.Directive]:
        """The loaded entries dated up to `as_of` (they are sorted by date)."""
        return self.view.entries

    @property
    def booked_transactions(self) -> list[data.Transaction]:
        """Every transaction dated up to `as_of`, reversed pairs included (for balances)."""
        return self.view.transactions

    @cached_property
    def reversals(self) -> ReversalPairs:
        """The reversals up to `as_of` with their originals, and the ones that are wrong."""
        return reversal_pairs(self.view.transactions)

    @cached_property
    def transactions(self) -> list[data.Transaction]:
        """The transactions the rules are checked on: a reversed pair is void, both left out."""
        void = self.reversals.void
        if not void:
            return self.view.transactions
        return [entry for entry in self.view.transactions if id(entry) not in void]

    @property
    def positions(self) -> Positions:
        return self.view.positions

    @property
    def account_history(self) -> BalanceHistory:
        """Balances and 积数 of the bank accounts (the registry's, and those receipts name)."""
        return self.view.account_history

    @property
    def unit_history(self) -> BalanceHistory:
        return self.view.unit_history

    @property
    def insurance(self) -> InsuranceState:
        """The insurance rules over the books up to `as_of`."""
        return self.view.insurance

    def relative(self, filename: str) -> str:
        if not filename or filename.startswith("<"):
            return filename
        try:
            return os.path.relpath(filename, self.root)
        except ValueError:
            return filename

    def where(self, entry: Any, what: str = "", meta: Mapping[str, Any] | None = None) -> Where:
        """File and line of an entry (or of `meta`, a posting's), relative to the ledger."""
        source = meta if meta is not None else getattr(entry, "meta", None) or {}
        filename = str(source.get("filename") or "")
        try:
            line = int(source.get("lineno") or 0)
        except (TypeError, ValueError):
            line = 0
        date = getattr(entry, "date", None)
        return Where(self.relative(filename), line, date, what or describe(entry))


def describe(entry: Any) -> str:
    """A short text naming an entry."""
    if entry is None:
        return ""
    kind = type(entry).__name__.lower()
    if isinstance(entry, data.Transaction):
        label = entry.meta.get(META_KIND) or "transaction"
        return f"{label} {entry.narration or ''}".strip()[:120]
    if isinstance(entry, data.Balance):
        return f"balance {entry.account} {entry.amount}"
    if isinstance(entry, data.Custom):
        return f"custom {entry.type}"
    if isinstance(entry, data.Open | data.Close):
        return f"{kind} {entry.account}"
    return kind
