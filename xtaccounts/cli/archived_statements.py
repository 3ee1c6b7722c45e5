"""The reader of the books' archived statements for the export and `reconcile`: the importers'
reader with the ledger's layouts, each statement's reading kept once made
(`reports.statement_cache`). The audit reads the files themselves (audit_cmd)."""

from __future__ import annotations

from pathlib import Path

from xtaccounts.books.layout import LedgerLayout
from xtaccounts.reports.statement_cache import CachedStatementReader


def archived_statement_reader(main: Path) -> CachedStatementReader:
    """The reader of the statements archived in the books of `main` (LayoutError if one of the
    registry's own layouts is not valid)."""
    from importers import ledger_layouts, read_statement
    from importers.reader import statement_bytes
    from importers.reading_key import reading_key

    layouts = ledger_layouts(LedgerLayout(main).registry)
    return CachedStatementReader(
        statement_bytes,
        lambda path, content: read_statement(path, layouts, data=content),
        reading_key(layouts),
    )
