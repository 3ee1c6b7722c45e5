"""Importing bank statements into the books: read, classify, write, archive; file by file.

`import_statements(main, paths, read=...)` takes each file on its own: it is read by the
`StatementReader` its caller hands it (`importers.read_statement_file`), its lines classified
against the books as they are (`xtaccounts.ops.classify`), and the new entries appended through
the only writer (`txns/<year>/bank-<BANK>-<tail4>.beancount` by the year of each entry; a
certificate's `close` to accounts.beancount) in one commit per file, with the original archived
in that same commit as
``documents/<account as folders>/<YYYY-MM-DD>.<BANK>-<tail4>-<period>.<ext>`` (beangulp's archive
naming; the name is chosen under the ledger lock, ``-2``, ``-3`` ... when another file has it; a
file whose content is archived already is not written again). A file that cannot be read, names
an unknown account, or whose balances do not agree with the books writes nothing, neither lines
nor archived copy, and is reported with its location; the other files of the run are imported
all the same.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import accumulate
from pathlib import Path

from beancount.core import data

from xtaccounts.books.layout import ACCOUNTS_FILE, LedgerLayout, require_ledger
from xtaccounts.books.writer import LedgerWriter, WriteSession
from xtaccounts.core.bank_statement import (
    Progress,
    Statement,
    StatementError,
    StatementReader,
)
from xtaccounts.core.entries import number_of
from xtaccounts.core.errors import XtError
from xtaccounts.core.i18n import _
from xtaccounts.core.money import format_money
from xtaccounts.core.progress import Advance, step, track
from xtaccounts.ops.bank_lines import BankLines, NeedsBooks
from xtaccounts.ops.claims import SuspenseItems
from xtaccounts.ops.classify import (
    ImportPlan,
    StatementBooks,
    bank_file,
    classify,
    classify_against,
    gc_paused,
    statement_bank_account,
)
from xtaccounts.ops.owner_deposits import DepositIndex
from xtaccounts.registry import Registry, cached_registry
from xtaccounts.registry.models import BankAccount

__all__ = [
    "ARCHIVE_NAME",
    "FileReport",
    "ImportReport",
    "archive_name",
    "archive_target",
    "check_balances",
    "describe_error",
    "import_statements",
    "period_text",
    "stage_plan",
]

ARCHIVE_NAME = "{date:%Y-%m-%d}.{name}"  # beangulp.archive.FILENAME
# A statement this long is classified with the books let go once their indexes are built
# (`WriteSession.settle`): its plan and text would otherwise sit in memory beside the books.
# A line that needs the books themselves (a settlement's 积数) then has them loaded again.
SETTLE_LINES = 10_000
_EXT = re.compile(r"\.[A-Za-z0-9]{1,8}")


@dataclass(frozen=True)
class FileReport:
    """What importing one file did (or, for a dry run, would do), or why it did nothing."""

    path: Path
    error: str = ""
    account: str = ""
    account_no: str = ""
    period: str = ""
    lines: int = 0
    booked: int = 0
    skipped: int = 0
    suspense: int = 0
    assertions: int = 0
    files: tuple[str, ...] = ()  # ledger files appended to, relative to the ledger dir
    archived: str = ""  # the archived copy, relative to the ledger dir
    dry_run: bool = False
    # The lines' decisions; their entries too in a dry run (once written, they are the books')
    plan: ImportPlan | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return not self.error


@dataclass(frozen=True)
class ImportReport:
    files: tuple[FileReport, ...]

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.files)

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1


def _period(statement: Statement) -> tuple[dt.date | None, dt.date | None]:
    days = [line.date for line in statement.lines]
    start = statement.period_start or (min(days) if days else None)
    end = statement.period_end or (max(days) if days else None)
    return start, end


def period_text(statement: Statement) -> str:
    """``20240321-20240620``: the statement's period (its lines' dates when it gives none)."""
    start, end = _period(statement)
    if start is None or end is None:
        return "undated"
    return f"{start:%Y%m%d}-{end:%Y%m%d}"


def archive_name(statement: Statement, bank: BankAccount, original: str | Path) -> str:
    """``2024-06-20.ICBC-8821-20240321-20240620.xls``: date (the period's end), bank, account
    tail and period; the extension is the original's when it is a plain one. The name is built
    from the statement's figures only, so it never holds a path separator or ``..``."""
    _start, end = _period(statement)
    day = end or dt.date.today()
    suffix = Path(os.path.basename(str(original))).suffix
    ext = suffix.lower() if _EXT.fullmatch(suffix) else ""
    name = f"{bank.bank}-{bank.account_no[-4:]}-{period_text(statement)}{ext}"
    return ARCHIVE_NAME.format(date=day, name=name)


def archive_target(
    layout: LedgerLayout,
    statement: Statement,
    bank: BankAccount,
    original: str | Path,
    content: bytes,
) -> tuple[str, bool]:
    """Where the original goes under documents/<account as folders>/, relative to the ledger
    dir, and whether it is to be written: (the path of a file with the same content already
    in that folder, False), or (its archive name, with ``-2``, ``-3`` ... before the extension
    when a different file has that name, True). Call it holding the ledger lock (the writer's
    session): the name chosen is then still free when the commit writes it.
    """
    root = Path(os.path.normpath(os.path.abspath(layout.root)))
    documents = Path(os.path.normpath(os.path.abspath(layout.documents)))
    folder = Path(os.path.normpath(documents.joinpath(*bank.account.split(":"))))
    if os.path.commonpath([folder, documents]) != str(documents):
        raise XtError(f"{bank.account}: its documents folder would leave {documents}")
    digest = hashlib.sha256(content).digest()
    if folder.is_dir():
        for existing in sorted(folder.iterdir()):
            if (
                existing.is_file()
                and existing.stat().st_size == len(content)
                and hashlib.sha256(existing.read_bytes()).digest() == digest
            ):
                return existing.relative_to(root).as_posix(), False
    name = archive_name(statement, bank, original)
    ext = Path(name).suffix
    stem = name[: len(name) - len(ext)]
    target = folder / name
    number = 1
    while os.path.lexists(target):
        number += 1
        target = folder / f"{stem}-{number}{ext}"
    if os.path.dirname(os.path.normpath(target)) != str(folder):
        raise XtError(f"{target}: an archive name may not leave {folder}")
    return target.relative_to(root).as_posix(), True


def check_balances(plan: ImportPlan, entries: Sequence[data.Directive]) -> None:
    """Refuse (StatementError on the row, field 余额) a statement whose closing balance of a day
    differs from the books' balance of its account with the new entries: earlier lines are
    missing from the books, or were booked otherwise."""
    _check_moves(plan, _moves(plan.bank.account, entries))


def check_balances_against(plan: ImportPlan, lines: BankLines) -> None:
    """`check_balances` against the books' `BankLines`: their balance of the account and its
    last posting; NeedsBooks when a closing is dated before that posting."""
    account = plan.bank.account
    last = lines.last_posting.get(account)
    if last is None:
        _check_moves(plan, [])
        return
    if any(closing.date < last for closing in plan.closings):
        raise NeedsBooks
    _check_moves(plan, [(last, lines.balances[account])])


def _moves(account: str, entries: Iterable[data.Directive]) -> list[tuple[dt.date, Decimal]]:
    """The (day, amount) of each posting to `account`."""
    return [
        (entry.date, number_of(posting))
        for entry in entries
        if isinstance(entry, data.Transaction)
        for posting in entry.postings
        if posting.account == account
    ]


def _check_moves(plan: ImportPlan, before: list[tuple[dt.date, Decimal]]) -> None:
    moves = [*before, *_moves(plan.bank.account, plan.entries)]
    moves.sort(key=lambda move: move[0])
    days = [day for day, _amount in moves]
    totals = list(accumulate((amount for _day, amount in moves), initial=Decimal(0)))
    for closing in plan.closings:
        books = totals[bisect_left(days, closing.date + dt.timedelta(days=1))]
        if books != closing.balance:
            raise StatementError(
                str(plan.statement.path),
                closing.row,
                "余额",
                f"the balance at the end of {closing.date}, {format_money(closing.balance)}, "
                f"does not agree with the books ({format_money(books)}, "
                f"{format_money(closing.balance - books)} apart): earlier lines of this account "
                "are missing from the books, or were booked otherwise (a second export of a "
                "statement already imported, with other serials?)",
            )


def stage_plan(plan: ImportPlan) -> dict[str, list[data.Directive]]:
    """The plan's entries by ledger file: each day's lines followed by its closing assertion;
    a certificate's `close` (or any `open`) to accounts.beancount."""
    keyed: list[tuple[tuple, data.Directive]] = []
    for index, entry in enumerate(plan.entries):
        if isinstance(entry, data.Balance):
            key = (entry.date - dt.timedelta(days=1), 1, index)
        else:
            key = (entry.date, 0, index)
        keyed.append((key, entry))
    by_file: dict[str, list[data.Directive]] = defaultdict(list)
    files: dict[int, str] = {}  # the bank file of each year (named once, not once a line)
    for _key, entry in sorted(keyed, key=lambda pair: pair[0]):
        if isinstance(entry, data.Open | data.Close):
            by_file[ACCOUNTS_FILE].append(entry)
        else:
            year = entry.date.year
            relpath = files.get(year)
            if relpath is None:
                relpath = files[year] = bank_file(plan.bank, year)
            by_file[relpath].append(entry)
    return dict(by_file)


def _import_one(
    layout: LedgerLayout,
    registry: Registry,
    path: Path,
    *,
    read: StatementReader,
    dry_run: bool,
    archive: bool,
    progress: Progress | None,
) -> FileReport:
    # Read once: the bytes read are the bytes archived.
    with step(_("读取对账单 {name}").format(name=path.name)) as advance:
        data, statement = read(path, progress=lines_read(advance, progress))
    bank = statement_bank_account(registry, statement)
    content = data if archive and not dry_run else b""
    del data
    archived = ""
    with LedgerWriter(layout.main) as session:
        plan = _classified(session, registry, statement)
        files = _stage(session, plan)
        if not dry_run:  # the entries are the writer's now: the report keeps the decisions
            plan = plan.decided()
        if archive and not dry_run:
            # The original goes in the same commit as its lines: both or neither.
            archived, new = archive_target(layout, statement, bank, path, content)
            if new:
                session.put_standalone(archived, content)
        session.commit(dry_run=dry_run)
    return FileReport(
        path=path,
        account=bank.account,
        account_no=bank.account_no,
        period=period_text(statement),
        lines=len(plan.lines),
        booked=len(plan.booked),
        skipped=len(plan.skipped),
        suspense=len(plan.suspense),
        assertions=len(plan.assertions),
        files=files,
        archived=archived,
        dry_run=dry_run,
        plan=plan,
    )


def _stage(session: WriteSession, plan: ImportPlan) -> tuple[str, ...]:
    """Stage the plan's entries (`stage_plan`); the ledger files appended to."""
    staged = stage_plan(plan)
    for relpath, directives in staged.items():
        session.append_entries(relpath, directives)
    return tuple(sorted(staged))


def _classified(session: WriteSession, registry: Registry, statement: Statement) -> ImportPlan:
    """The statement classified and its balances checked against the books' indexes (the write
    snapshot's when it describes the books: the books are not loaded), or against the books
    when a line needs what the indexes do not hold."""
    try:
        indexes = StatementBooks(
            session.index(BankLines),
            session.index(DepositIndex),
            session.index(SuspenseItems),
            _not_at_hand,
        )
        if len(statement.lines) >= SETTLE_LINES:
            session.settle()
        plan = classify_against(registry, indexes, statement)
        check_balances_against(plan, indexes.lines)
        return plan
    except NeedsBooks:
        entries = session.books().entries
        plan = classify(registry, entries, statement)
        check_balances(plan, entries)
        return plan


def _not_at_hand() -> Sequence[data.Directive]:
    raise NeedsBooks


def lines_read(advance: Advance, then: Progress | None) -> Progress:
    """The reader's callback (lines read so far) advancing a progress step, then `then`'s."""
    done = 0

    def report(lines: int) -> None:
        nonlocal done
        if lines > done:
            advance(lines - done)
            done = lines
        if then is not None:
            then(lines)

    return report


def describe_error(path: Path, exc: BaseException) -> str:
    """One line naming the file (and, for a statement error, row and field)."""
    if isinstance(exc, StatementError):
        return str(exc)
    if isinstance(exc, OSError):
        return f"{path}: {exc.strerror or exc}"
    text = " ".join(str(exc).split())
    return f"{path}: {text}"


def import_statements(
    main: Path,
    paths: Sequence[str | os.PathLike[str]],
    *,
    read: StatementReader,
    dry_run: bool = False,
    archive: bool = True,
    progress: Progress | None = None,
) -> ImportReport:
    """Import each statement file on its own (one commit per file); see the module doc.

    A file that fails is reported with its error and changes nothing (no entry, no archived
    copy); the files after it are still imported. With `dry_run` nothing is written or copied,
    and each file is classified against the books as they are (not with the files before it).
    """
    layout = require_ledger(Path(main))
    registry = cached_registry(layout.registry)  # shared with the books' insurance plugin
    reports: list[FileReport] = []
    for raw in track(paths, _("导入对账单")):
        path = Path(raw)
        try:
            with gc_paused(keep=True):
                report = _import_one(
                    layout,
                    registry,
                    path,
                    read=read,
                    dry_run=dry_run,
                    archive=archive,
                    progress=progress,
                )
        except (XtError, OSError) as exc:
            report = FileReport(path=path, error=describe_error(path, exc), dry_run=dry_run)
        reports.append(report)
    return ImportReport(tuple(reports))
