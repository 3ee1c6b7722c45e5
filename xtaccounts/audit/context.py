"""The books as the audit sees them: loaded once (with the plugins, as bean-check loads them),
the registry, and the positions read in one pass."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from beancount.core import data

from xtaccounts.audit.findings import Where
from xtaccounts.balances import BalanceHistory
from xtaccounts.books import LoadedBooks
from xtaccounts.positions import Positions, read_positions
from xtaccounts.registry import Registry


@dataclass
class AuditContext:
    """Everything a check reads; nothing here is taken from the books' own summaries."""

    books: LoadedBooks
    registry: Registry
    as_of: dt.date
    root: Path = field(init=False)

    def __post_init__(self) -> None:
        self.root = self.books.path.parent

    @cached_property
    def entries(self) -> list[data.Directive]:
        """The loaded entries dated up to `as_of` (they are sorted by date)."""
        entries = self.books.entries
        if entries and entries[-1].date <= self.as_of:
            return entries
        return [e for e in entries if e.date <= self.as_of]

    @cached_property
    def transactions(self) -> list[data.Transaction]:
        return [e for e in self.entries if isinstance(e, data.Transaction)]

    @cached_property
    def positions(self) -> Positions:
        return read_positions(self.entries)

    @cached_property
    def account_history(self) -> BalanceHistory:
        """Balances and 积数 of the bank accounts (the registry's, and those receipts name)."""
        accounts = {b.account for b in self.registry.bank_accounts.values()}
        accounts.update(r.bank_account for r in self.positions.receipts)
        return self.positions.account_history(accounts)

    @cached_property
    def unit_history(self) -> BalanceHistory:
        return self.positions.unit_history()

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
        label = entry.meta.get("kind") or "transaction"
        return f"{label} {entry.narration or ''}".strip()[:120]
    if isinstance(entry, data.Balance):
        return f"balance {entry.account} {entry.amount}"
    if isinstance(entry, data.Custom):
        return f"custom {entry.type}"
    if isinstance(entry, data.Open | data.Close):
        return f"{kind} {entry.account}"
    return kind
