"""The beangulp importer of every bank statement the reader knows: the adapter between beangulp's
command line (`xtaccounts import identify|extract|archive`) and the books' own classification.

One `StatementImporter` serves all banks: the layout is told by the reader's profiles
(`importers.reader.identify`), the account by the statement's own 账号 matched against the
registry (never by the file name). `extract` classifies the lines against the existing entries
exactly as the one-step ``xtaccounts import`` does, and `deduplicate` matches on the line's serial
key (bank account + ``serial``), never on beangulp's fuzzy comparator, which takes different
owners' deposits of similar amounts for duplicates.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import beangulp
from beancount.core import data
from beangulp import exceptions as bg_exceptions
from beangulp import extract as bg_extract
from beangulp import identify as bg_identify

from importers.layout_files import ledger_layouts
from importers.profiles import BankProfile
from importers.reader import HEADER_SEARCH_ROWS, Statement, diagnose, identify, read_statement
from xtaccounts.books.layout import LedgerLayout, require_ledger
from xtaccounts.books.load import load_books
from xtaccounts.core import chart
from xtaccounts.core.errors import XtError
from xtaccounts.core.vocabulary import META_SERIAL
from xtaccounts.ops.bank_statement_import import archive_name, describe_error
from xtaccounts.ops.classify import ImportPlan, classify, statement_bank_account
from xtaccounts.registry import Registry, load_registry

__all__ = ["LARGE_FILE_THRESHOLD", "StatementImporter", "raise_size_threshold", "reported"]

# beangulp skips files over 8 MiB with no more than "SKIP"; a year of a busy account is larger.
# It skips nothing now: the importer itself refuses a statement over
# `importers.sniff.MAX_FILE_BYTES` (64 MiB), naming the file and the figures (`identify`).
LARGE_FILE_THRESHOLD = sys.maxsize


def raise_size_threshold() -> None:
    """Let every file reach the importer (beangulp skips files over 8 MiB by itself)."""
    bg_identify.FILE_TOO_LARGE_THRESHOLD = max(
        bg_identify.FILE_TOO_LARGE_THRESHOLD, LARGE_FILE_THRESHOLD
    )


raise_size_threshold()


@contextlib.contextmanager
def reported(filepath: str) -> Iterator[None]:
    """Turn the project's errors (a StatementError naming file, row and field; any XtError) and
    OS errors into beangulp's own `Error`, which its commands print as the message alone, on
    one line, and count towards exit status 1 (any other exception gets a traceback)."""
    try:
        yield
    except (XtError, OSError) as exc:
        raise bg_exceptions.Error(describe_error(Path(filepath), exc)) from None


class StatementImporter(beangulp.Importer):
    """Bank statements of the accounts in the registry of one ledger.

    `ledger` is the top-level ledger file (its registry/ gives the accounts; its books are what
    `extract` classifies against when beangulp passes no existing entries); `registry` may name
    another registry directory.
    """

    def __init__(
        self, ledger: str | os.PathLike[str], *, registry: str | os.PathLike[str] | None = None
    ):
        self.layout = LedgerLayout(Path(ledger))
        self.registry_dir = Path(registry) if registry is not None else self.layout.registry
        self._registry: Registry | None = None
        self._statements: dict[str, tuple[tuple[int, int], Statement]] = {}
        self._books: list[data.Directive] | None = None

    @property
    def name(self) -> str:
        return "xtaccounts.statement"

    @functools.cached_property
    def layouts(self) -> tuple[BankProfile, ...]:
        """The layouts this ledger reads statements with (its registry's own first)."""
        return ledger_layouts(self.registry_dir)

    @property
    def registry(self) -> Registry:
        if self._registry is None:
            self._registry = load_registry(self.registry_dir)
        return self._registry

    def statement(self, filepath: str) -> Statement:
        """The statement read from `filepath` (read once per file version)."""
        stat = os.stat(filepath)
        key = (stat.st_mtime_ns, stat.st_size)
        cached = self._statements.get(filepath)
        if cached is not None and cached[0] == key:
            return cached[1]
        statement = read_statement(Path(filepath), self.layouts)
        self._statements[filepath] = (key, statement)
        return statement

    def identify(self, filepath: str) -> bool:
        """A file a profile recognises; its account is checked by `account` and `extract`
        (an unknown account is an error to report, not a file to pass over).

        What a limit refuses is beangulp's one-line error, not a file passed over: a path that
        is no regular file (a FIFO, a device, a directory, a socket: never opened for reading),
        a statement over the size limit, an xlsx bomb (`importers.reader.identify`)."""
        return self.layout_of(filepath) is not None

    def layout_of(self, filepath: str) -> BankProfile | None:
        """The layout the file is in (None: no layout's header is in its first rows)."""
        with reported(filepath):
            return identify(Path(filepath), self.layouts)

    def why_not(self, filepath: str) -> str:
        """Why no layout reads the file, in Chinese: the layout that came closest and what the
        file lacked for it."""
        with reported(filepath):
            miss = diagnose(Path(filepath), self.layouts)
        if miss is None:
            return (
                f"不是对账单：前 {HEADER_SEARCH_ROWS} 行中没有像表头的行"
                "（或不是 xls/xlsx/csv 表格）"
            )
        return f"没有格式能识别此文件：{miss.explain()}"

    def account(self, filepath: str) -> data.Account:
        """The registry account of the statement's 账号 (an unknown one is an error)."""
        with reported(filepath):
            return statement_bank_account(self.registry, self.statement(filepath)).account

    def date(self, filepath: str) -> dt.date | None:
        with reported(filepath):
            statement = self.statement(filepath)
        days = [line.date for line in statement.lines]
        return statement.period_end or (max(days) if days else None)

    def filename(self, filepath: str) -> str | None:
        """``ICBC-8821-20240321-20240620.xls``: bank, account tail, period (beangulp adds the
        date in front)."""
        with reported(filepath):
            statement = self.statement(filepath)
            bank = statement_bank_account(self.registry, statement)
        return archive_name(statement, bank, filepath).split(".", 1)[1]

    def plan(self, filepath: str, existing: data.Entries) -> ImportPlan:
        """The classification of the statement against `existing` (the ledger's books when
        beangulp gives none)."""
        if not existing:
            if self._books is None:
                self._books = load_books(require_ledger(self.layout.main).main).entries
            existing = self._books
        return classify(self.registry, existing, self.statement(filepath))

    def extract(self, filepath: str, existing: data.Entries) -> data.Entries:
        """The statement's new entries; a statement that cannot be read or classified (unknown
        account, a balance that does not run, ...) is beangulp's one-line error."""
        with reported(filepath):
            return list(self.plan(filepath, existing).entries)

    def sort(self, entries: data.Entries, reverse: bool = False) -> None:
        """Keep the statement's order (each day's lines, then its closing balance)."""
        if reverse:
            entries.reverse()

    def deduplicate(self, entries: data.Entries, existing: data.Entries) -> None:
        """Mark an entry whose serial (on the same bank account) or whose balance assertion
        (same account and date) is already in `existing`; nothing fuzzy."""
        serials: dict[tuple[str, str], data.Directive] = {}
        balances: dict[tuple[str, dt.date], data.Directive] = {}
        for entry in existing:
            if isinstance(entry, data.Transaction) and entry.meta.get(META_SERIAL):
                for key in _serial_keys(entry):
                    serials.setdefault(key, entry)
            elif isinstance(entry, data.Balance):
                balances.setdefault((entry.account, entry.date), entry)
        for entry in entries:
            if isinstance(entry, data.Transaction) and entry.meta.get(META_SERIAL):
                found = next((serials[k] for k in _serial_keys(entry) if k in serials), None)
            elif isinstance(entry, data.Balance):
                found = balances.get((entry.account, entry.date))
            else:
                found = None
            if found is not None:
                entry.meta[bg_extract.DUPLICATE] = found


def _serial_keys(entry: data.Transaction) -> list[tuple[str, str]]:
    """(bank account, serial) of a transaction: a serial is the bank's, per account."""
    serial = str(entry.meta[META_SERIAL])
    return [(p.account, serial) for p in entry.postings if p.account.startswith(chart.BANK + ":")]
