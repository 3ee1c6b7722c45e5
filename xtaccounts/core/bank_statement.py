"""A bank's statement as read: its account, period and lines (the records the importers make).

`importers` turns what a bank sends into a `Statement`; `xtaccounts.ops` classifies and books it.
The records live here, in the vocabulary both share, so that neither imports the other: an
operation that reads files is handed a `StatementReader` by its caller.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple, Protocol

from xtaccounts.core.errors import XtError
from xtaccounts.core.privacy import mask_free_text

__all__ = [
    "Progress",
    "ReadStatement",
    "Statement",
    "StatementError",
    "StatementLine",
    "StatementReader",
    "statement_period",
]


class StatementError(XtError):
    """A statement that cannot be read: `FILE:ROW: FIELD: what is wrong`.

    `row` is the 1-based row (sheet row or text line) or 0 when no row applies; `field` is the
    column (or preamble label) concerned, or "" when none; both are left out of the text then.
    """

    def __init__(self, file: str, row: int, field: str, message: str) -> None:
        self.file = str(file)
        self.row = row
        self.field = field
        self.message = mask_free_text(message)  # a quoted cell may hold an owner's phone
        message = self.message
        where = f"{self.file}:{row}" if row else self.file
        super().__init__(f"{where}: {field}: {message}" if field else f"{where}: {message}")


class StatementLine(NamedTuple):
    """One line of a statement, signed from the account's view (+ in, − out). Immutable; a
    NamedTuple because a large statement builds 100,000 of them (a frozen dataclass costs four
    times as much to build)."""

    row: int
    date: dt.date
    time: str | None
    amount: Decimal
    balance: Decimal | None
    serial: str | None
    memo: str
    counterparty: str | None
    counterparty_account: str | None
    counterparty_bank: str | None


@dataclass(frozen=True)
class Statement:
    path: Path
    bank: str
    profile: str
    account_no: str
    account_name: str | None
    currency: str | None
    period_start: dt.date | None
    period_end: dt.date | None
    lines: tuple[StatementLine, ...]


Progress = Callable[[int], None]  # lines read so far


class ReadStatement(NamedTuple):
    """A statement file as read: its bytes (to archive exactly what was read) and its lines."""

    content: bytes
    statement: Statement


class StatementReader(Protocol):
    """Reads one statement file (a regular file within the size limits) or raises StatementError."""

    def __call__(self, path: Path, *, progress: Progress | None = None) -> ReadStatement: ...


# An archived statement's name carries its period: …-20240321-20240620.<ext> (the import's
# archive naming), as do the names banks give their exports.
_PERIOD = re.compile(r"(\d{8})[-_](\d{8})")


@functools.lru_cache(maxsize=4096)
def statement_period(name: str) -> tuple[dt.date, dt.date] | None:
    """(start, end) of a statement from its file name (…20240321-20240620…), or None."""
    found = _PERIOD.findall(name)
    if not found:
        return None
    start, end = found[-1]
    try:
        return dt.datetime.strptime(start, "%Y%m%d").date(), dt.datetime.strptime(
            end, "%Y%m%d"
        ).date()
    except ValueError:
        return None
