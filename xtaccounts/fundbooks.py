"""The books, the registry and the positions, loaded once for a reading command."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from xtaccounts.books import LoadedBooks, load_books
from xtaccounts.layout import LedgerLayout, require_ledger
from xtaccounts.plugins.insurance_rules import registry_for
from xtaccounts.positions import Positions, read_positions
from xtaccounts.registry import Registry


@dataclass
class FundBooks:
    """What a report needs, each part loaded on first use and only once."""

    layout: LedgerLayout

    @cached_property
    def registry(self) -> Registry:
        # The insurance plugin's copy: loaded once per process while the files are unchanged,
        # so the books' load (which runs the plugin) does not read the registry again.
        return registry_for(self.layout.registry)

    @cached_property
    def books(self) -> LoadedBooks:
        return load_books(self.layout.main)

    @cached_property
    def positions(self) -> Positions:
        return read_positions(self.books.entries)


def open_fund_books(main: Path) -> FundBooks:
    """The fund books of an existing ledger (the registry is checked before the books load)."""
    fund = FundBooks(require_ledger(main))
    _ = fund.registry
    return fund
