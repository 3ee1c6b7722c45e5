"""The books' source documents and the entries that came from each.

Three kinds of document sit under the ledger's ``documents/``:

- bank statements, archived by `import` as
  ``documents/<account as folders>/<YYYY-MM-DD>.<BANK>-<tail4>-<start>-<end>.<ext>``
  (`xtaccounts.ops.bank_statement_import.archive_name`: the period from the statement's own
  figures); the entries booked from one record the original file's name in ``statement:``;
- the 公示 of an application, ``documents/notices/<APP>.html`` and ``.pdf``, named by its
  ``xt-notice`` (``html:``, ``pdf:``);
- the tally of an owners' vote, ``documents/votes/<APP>-<date>.csv``, named by its ``xt-vote``
  (``document:``).

The books do not name the archived copy of a statement, so the entries from one statement file
(one account, one ``statement:`` name) are matched to the archived file of that account whose
period the original name gives, else to the one archived file whose period holds every day they
book (a balance assertion checks the closing balance of the day before its date). A statement
whose entries no single archived file covers is left unmatched rather than guessed.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from beancount.core import data

from xtaccounts.books.layout import LedgerLayout
from xtaccounts.core.bank_statement import statement_period
from xtaccounts.core.calendar import ONE_DAY
from xtaccounts.core.vocabulary import META_STATEMENT

NOTICE_TYPE = "xt-notice"
VOTE_TYPE = "xt-vote"
# The metadata of the insurance records that name a document (relative to the ledger's root).
RECORD_DOCUMENT_KEYS = {NOTICE_TYPE: ("pdf", "html"), VOTE_TYPE: ("document",)}
_DATED = re.compile(r"(\d{4})-(\d{2})-(\d{2})\.")


@dataclass(frozen=True)
class ArchivedStatement:
    """A statement archived under documents/<account as folders>/."""

    account: str
    start: dt.date
    end: dt.date
    path: Path  # absolute

    def holds(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


def archived_statements(layout: LedgerLayout, accounts: Iterable[str]) -> list[ArchivedStatement]:
    """The archived statements of `accounts`: dated files of each account's folder whose name
    gives a period."""
    found = []
    for account in sorted(set(accounts)):
        folder = layout.documents.joinpath(*account.split(":"))
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            period = _archived_period(path.name) if path.is_file() else None
            if period is not None:
                found.append(ArchivedStatement(account, *period, path.resolve()))
    return found


def archived_statement_files(layout: LedgerLayout) -> list[Path]:
    """Every file `archived_statements` could take, whatever its account: the dated files under
    documents/ whose name gives a period (absolute, resolved, sorted; folders that are links
    followed, each folder once; a folder that cannot be read is passed over)."""
    found: set[Path] = set()
    seen: set[tuple[int, int]] = set()
    for folder, folders, names in os.walk(layout.documents, followlinks=True):
        try:
            st = os.stat(folder)
        except OSError:
            continue
        if (st.st_dev, st.st_ino) in seen:
            folders.clear()  # a link back to a folder already walked
            continue
        seen.add((st.st_dev, st.st_ino))
        for name in names:
            path = Path(folder, name)
            if _archived_period(name) is not None and _is_file(path):
                found.add(path.resolve())
    return sorted(found)


def _archived_period(name: str) -> tuple[dt.date, dt.date] | None:
    """The period of an archived statement's file name (dated, and giving a period)."""
    return statement_period(name) if _DATED.match(name) else None


def _is_file(path: Path) -> bool:
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except OSError:
        return False


def _booked_day(entry: data.Directive) -> dt.date:
    """The statement day an entry books: a balance assertion checks the day before its date."""
    return entry.date - ONE_DAY if isinstance(entry, data.Balance) else entry.date


def _statement_account(entry: data.Directive, accounts: set[str]) -> str | None:
    if isinstance(entry, data.Balance):
        return entry.account if entry.account in accounts else None
    if isinstance(entry, data.Transaction):
        return next((p.account for p in entry.postings if p.account in accounts), None)
    return None


def statement_sources(
    entries: Sequence[data.Directive], archived: Sequence[ArchivedStatement]
) -> dict[int, ArchivedStatement]:
    """The archived statement each entry booked from a statement came from, by ``id(entry)``."""
    by_account: dict[str, list[ArchivedStatement]] = defaultdict(list)
    for statement in archived:
        by_account[statement.account].append(statement)
    groups: dict[tuple[str, str], list[data.Directive]] = defaultdict(list)
    statement_accounts = set(by_account)
    for entry in entries:
        name = entry.meta.get(META_STATEMENT) if entry.meta else None
        if not name:
            continue
        account = _statement_account(entry, statement_accounts)
        if account is not None:
            groups[account, str(name)].append(entry)
    sources: dict[int, ArchivedStatement] = {}
    for (account, name), booked in groups.items():
        candidates = by_account[account]
        period = statement_period(name)
        chosen = [s for s in candidates if period == (s.start, s.end)]
        if len(chosen) != 1:
            days = [_booked_day(e) for e in booked]
            chosen = [s for s in candidates if all(s.holds(d) for d in days)]
        if len(chosen) == 1:
            for entry in booked:
                sources[id(entry)] = chosen[0]
    return sources


@dataclass(frozen=True)
class RecordDocument:
    """A document an insurance record names: the record, its metadata key, the file."""

    entry: data.Custom
    key: str
    path: Path  # absolute


def record_documents(
    layout: LedgerLayout, entries: Sequence[data.Directive]
) -> list[RecordDocument]:
    """The notices and vote files the insurance records name, those that exist and lie under
    the ledger's documents/."""
    documents = layout.documents.resolve()
    found = []
    for entry in entries:
        if not isinstance(entry, data.Custom) or entry.type not in RECORD_DOCUMENT_KEYS:
            continue
        for key in RECORD_DOCUMENT_KEYS[entry.type]:
            value = entry.meta.get(key)
            if not isinstance(value, str) or not value:
                continue
            path = Path(os.path.normpath(layout.root.resolve() / value))
            if path.is_relative_to(documents) and path.is_file():
                found.append(RecordDocument(entry, key, path))
    return found
