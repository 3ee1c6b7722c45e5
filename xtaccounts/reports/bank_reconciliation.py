"""银行存款余额调节表: per bank account and month, the books against the archived statements.

The statement side is what the importer read: every statement archived under documents/ for the
account, read again by the reader the caller hands in (only cli/ may import the importers). A
statement line and a booked posting are the same when the entry carries the line's serial key
(`ops.classify.serial_keys`), else when their date and amount agree, else their amount (lines
matched to entries booked by command carry no serial). Only days an archived statement covers
are compared, so a gap between statements is not read as 未达账项.

For the month's last day: the bank's balance (the statement covering that day: its balance after
its last line in time up to then, or before its first line after), the books' balance, and the
未达账项:

- 银行已收、企业未收 and 银行已付、企业未付: statement lines not booked;
- 企业已收、银行未收 and 企业已付、银行未付: postings the statements do not hold.

调节后余额: bank + 企业已收未达 − 企业已付未达; books + 银行已收未达 − 银行已付未达. The month is
平衡 when the two are equal, 不平 when not, 无对账单 when no archived statement covers its last
day (rule R1 in docs/rules.md).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from beancount.core import data

from xtaccounts.books.documents import ArchivedStatement, archived_statements
from xtaccounts.books.layout import LedgerLayout
from xtaccounts.core.bank_statement import Statement, StatementLine
from xtaccounts.core.calendar import ONE_DAY
from xtaccounts.core.entries import number_of
from xtaccounts.core.vocabulary import META_SERIAL, META_VOUCHER, ZERO
from xtaccounts.ops.classify import serial_keys

StatementReader = Callable[[Path], Statement]
TextCleaner = Callable[[object], str]

BALANCED = "平衡"
UNBALANCED = "不平"
NO_STATEMENT = "无对账单"


@dataclass(frozen=True)
class Item:
    """One 未达账项: its day, amount (positive), what it is, and its voucher or bank serial."""

    date: dt.date
    amount: Decimal
    summary: str
    reference: str


@dataclass
class Reconciliation:
    account: str
    month_end: dt.date
    book_balance: Decimal
    bank_balance: Decimal | None
    bank_in: list[Item] = field(default_factory=list)  # 银行已收、企业未收
    bank_out: list[Item] = field(default_factory=list)  # 银行已付、企业未付
    books_in: list[Item] = field(default_factory=list)  # 企业已收、银行未收
    books_out: list[Item] = field(default_factory=list)  # 企业已付、银行未付

    @property
    def adjusted_bank(self) -> Decimal | None:
        if self.bank_balance is None:
            return None
        return (
            self.bank_balance
            + sum((i.amount for i in self.books_in), ZERO)
            - sum((i.amount for i in self.books_out), ZERO)
        )

    @property
    def adjusted_books(self) -> Decimal:
        return (
            self.book_balance
            + sum((i.amount for i in self.bank_in), ZERO)
            - sum((i.amount for i in self.bank_out), ZERO)
        )

    @property
    def status(self) -> str:
        if self.bank_balance is None:
            return NO_STATEMENT
        return BALANCED if self.adjusted_bank == self.adjusted_books else UNBALANCED

    @property
    def items(self) -> int:
        return len(self.bank_in) + len(self.bank_out) + len(self.books_in) + len(self.books_out)


@dataclass(frozen=True)
class _BankLine:
    key: str
    line: StatementLine
    statement: ArchivedStatement


def _bank_lines(
    statements: Sequence[ArchivedStatement], read: StatementReader, root: Path
) -> list[_BankLine]:
    """Every line of the account's archived statements, once (overlapping files share lines),
    oldest first."""
    seen: set[str] = set()
    lines: list[_BankLine] = []
    for archived in statements:
        statement = read(archived.path)
        relative = archived.path.relative_to(root.resolve()).as_posix()
        for line, key in zip(statement.lines, serial_keys(statement.lines, relative), strict=True):
            if key not in seen:
                seen.add(key)
                lines.append(_BankLine(key, line, archived))
    # By day, each statement's lines kept in the reader's order, oldest first (a bank listing
    # newest first numbers a day's later lines lower: its rows say nothing of their order).
    lines.sort(key=lambda b: b.line.date)
    return lines


def _bank_balance(
    lines: Sequence[_BankLine], covering: ArchivedStatement, day: dt.date
) -> Decimal | None:
    """The bank's balance at the end of `day`, from the statement covering it."""
    own = [b.line for b in lines if b.statement == covering and b.line.balance is not None]
    before = [line for line in own if line.date <= day]
    if before:
        return before[-1].balance
    after = [line for line in own if line.date > day]
    if after and after[0].balance is not None:
        return after[0].balance - after[0].amount
    return None


def _month_ends(start: dt.date, end: dt.date) -> list[dt.date]:
    ends = []
    first = start.replace(day=1)
    while first <= end:
        following = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        ends.append(min(end, following - ONE_DAY))
        first = following
    return ends


def reconcile_account(
    account: str,
    postings: Sequence[tuple[data.Transaction, Decimal]],
    statements: Sequence[ArchivedStatement],
    read: StatementReader,
    root: Path,
    start: dt.date,
    end: dt.date,
    clean: TextCleaner = str,
) -> list[Reconciliation]:
    """The 调节表 of `account` for every month of `start`..`end` (`postings`: the account's,
    through `end`, as (transaction, amount) in the books' order)."""
    lines = _bank_lines(statements, read, root)
    held: dict[dt.date, bool] = {}

    def covered(day: dt.date) -> bool:
        found = held.get(day)
        if found is None:
            found = held[day] = any(s.holds(day) for s in statements)
        return found

    results = []
    for month_end in _month_ends(start, end):
        book_balance = sum((a for e, a in postings if e.date <= month_end), ZERO)
        covering = next((s for s in statements if s.holds(month_end)), None)
        bank_balance = _bank_balance(lines, covering, month_end) if covering else None
        result = Reconciliation(account, month_end, book_balance, bank_balance)
        bank = [b for b in lines if b.line.date <= month_end]
        books = [(e, a) for e, a in postings if e.date <= month_end and covered(e.date)]
        unmatched_bank = {b.key: b for b in bank}
        unmatched_books: list[tuple[data.Transaction, Decimal]] = []
        for entry, amount in books:
            serial = str(entry.meta.get(META_SERIAL) or "")
            if serial and serial in unmatched_bank:
                del unmatched_bank[serial]
            else:
                unmatched_books.append((entry, amount))
        by_figures: dict[tuple[dt.date, Decimal], list[str]] = defaultdict(list)
        by_amount: dict[Decimal, list[str]] = defaultdict(list)
        for key, b in unmatched_bank.items():
            by_figures[b.line.date, b.line.amount].append(key)
            by_amount[b.line.amount].append(key)
        left: list[tuple[data.Transaction, Decimal]] = []
        for entry, amount in unmatched_books:
            keys = [k for k in by_figures[entry.date, amount] if k in unmatched_bank]
            keys = keys or [k for k in by_amount[amount] if k in unmatched_bank]
            if keys:
                del unmatched_bank[keys[0]]
            else:
                left.append((entry, amount))
        for b in unmatched_bank.values():
            line = b.line
            item = Item(line.date, abs(line.amount), clean(line.memo), b.key)
            (result.bank_in if line.amount > 0 else result.bank_out).append(item)
        for entry, amount in left:
            voucher = str(entry.meta.get(META_VOUCHER) or "")
            item = Item(entry.date, abs(amount), clean(entry.narration), voucher)
            (result.books_in if amount > 0 else result.books_out).append(item)
        results.append(result)
    return results


def reconcile(
    main: Path,
    entries: Sequence[data.Directive],
    bank_accounts: Sequence[str],
    read: StatementReader,
    start: dt.date,
    end: dt.date,
    clean: TextCleaner = str,
) -> list[Reconciliation]:
    """The 调节表 of every bank account with archived statements, month by month."""
    layout = LedgerLayout(Path(main))
    found = archived_statements(layout, bank_accounts)
    by_account: dict[str, list[ArchivedStatement]] = defaultdict(list)
    for statement in found:
        by_account[statement.account].append(statement)
    # Each account's postings through `end`, from one pass over the books.
    postings: dict[str, list[tuple[data.Transaction, Decimal]]] = {a: [] for a in by_account}
    for entry in entries:
        if isinstance(entry, data.Transaction) and entry.date <= end:
            for posting in entry.postings:
                own = postings.get(posting.account)
                if own is not None:
                    own.append((entry, number_of(posting)))
    results: list[Reconciliation] = []
    for account in sorted(by_account):
        results.extend(
            reconcile_account(
                account,
                postings[account],
                by_account[account],
                read,
                layout.root,
                start,
                end,
                clean,
            )
        )
    return results
