"""Check: the archived bank statements against what was booked from them.

Every statement archived under ``documents/`` is read again (with the ledger's layouts, by the
reader the command line hands the audit) and each of its lines found in the books by its serial
key, on the statement's bank account (docs/audit.md):

- a booked line whose date or amount differs from the bank's file is an error naming the
  booked entry and the file's row (a line edited together with the balance assertions after it
  is found here, not only by the seal);
- a day's closing balance in the file that differs from the books' balance assertion of it;
- a line booked from a statement (``serial`` and ``statement`` metadata) that no archived
  statement of its account holds: its archived file is missing;
- an archived file that cannot be read, or whose account is not a registry bank account.

Lines the import matched to entries booked by command (a placement, a refund) carry no serial
and are not looked for. Without a reader (the library called alone) the check only counts.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from beancount.core import data

from xtaccounts.audit.context import AuditContext
from xtaccounts.audit.findings import CheckResult, Where
from xtaccounts.core.bank_statement import Statement, StatementError, statement_period
from xtaccounts.core.calendar import ONE_DAY
from xtaccounts.core.entries import number_of
from xtaccounts.core.errors import XtError
from xtaccounts.core.i18n import N_, _
from xtaccounts.core.vocabulary import META_SERIAL, META_STATEMENT, ZERO
from xtaccounts.ops.classify import serial_keys

NAME = "statements"
TITLE = N_("归档的银行对账单与据其入账的各行")
DOCUMENTS = "documents"


def archived_statements(root: Path) -> list[Path]:
    """The statement files archived under the ledger's documents/ (named with their period)."""
    folder = root / DOCUMENTS
    if not folder.is_dir():
        return []
    return sorted(
        path
        for path in folder.rglob("*")
        if path.is_file() and statement_period(path.name) is not None
    )


def check(ctx: AuditContext) -> CheckResult:
    result = CheckResult(NAME, _(TITLE))
    if ctx.read_statement is None:
        result.count("not_read")
        return result
    banks = {b.account for b in ctx.registry.bank_accounts.values()}
    booked: dict[tuple[str, str], data.Transaction] = {}
    for entry in ctx.booked_transactions:
        serial = entry.meta.get(META_SERIAL)
        if serial:
            for posting in entry.postings:
                if posting.account in banks:
                    booked.setdefault((posting.account, str(serial)), entry)
    assertions = {
        (e.account, e.date): e
        for e in ctx.books.entries
        if isinstance(e, data.Balance) and e.account in banks
    }
    found: set[tuple[str, str]] = set()
    for path in archived_statements(ctx.root):
        result.count("files")
        statement = _read(ctx, result, path)
        if statement is not None:
            _compare(ctx, result, path, statement, booked, assertions, found)
    for (account, serial), entry in booked.items():
        if (account, serial) in found or not entry.meta.get(META_STATEMENT):
            continue
        result.add(
            "statement-missing",
            _(
                "此行入账自对账单 {statement}（第 {row} 行），"
                "但 {documents}/ 中没有含此行的归档对账单"
            ).format(
                statement=entry.meta[META_STATEMENT],
                row=entry.meta.get("row", "?"),
                documents=DOCUMENTS,
            ),
            [ctx.where(entry)],
            expected=f"{account} {serial}",
        )
    return result


def _read(ctx: AuditContext, result: CheckResult, path: Path) -> Statement | None:
    relative = ctx.relative(str(path))
    assert ctx.read_statement is not None
    try:
        return ctx.read_statement(path)
    except (StatementError, XtError, OSError) as exc:
        result.add(
            "statement-unreadable",
            _("归档的对账单无法读取：{error}").format(error=exc),
            [Where(relative, 0, None, _("归档的对账单"))],
        )
        return None


def _compare(
    ctx: AuditContext,
    result: CheckResult,
    path: Path,
    statement: Statement,
    booked: dict[tuple[str, str], data.Transaction],
    assertions: dict[tuple[str, dt.date], data.Balance],
    found: set[tuple[str, str]],
) -> None:
    relative = ctx.relative(str(path))
    bank = ctx.registry.bank_accounts.get(str(statement.account_no))
    if bank is None:
        result.add(
            "statement-account",
            _("归档的对账单的账号 {account} 不是登记册中的银行账户").format(
                account=statement.account_no
            ),
            [Where(relative, 0, None, _("归档的对账单"))],
        )
        return
    account = bank.account
    closing: dict[dt.date, tuple[Decimal, int]] = {}
    for line, key in zip(statement.lines, serial_keys(statement.lines, relative), strict=True):
        if line.date > ctx.as_of:
            continue
        result.count("lines")
        found.add((account, key))
        if line.balance is not None:
            closing[line.date] = (line.balance, line.row)
        entry = booked.get((account, key))
        if entry is None:
            continue
        amount = sum((number_of(p) for p in entry.postings if p.account == account), ZERO)
        if entry.date != line.date or amount != line.amount:
            result.add(
                "statement-differs",
                _(
                    "账簿中此行与银行对账单 {file} 第 {row} 行不符："
                    "银行记 {bank_day} {bank_amount}，账簿记 {day} {amount}"
                ).format(
                    file=relative,
                    row=line.row,
                    bank_day=line.date,
                    bank_amount=f"{line.amount:,.2f}",
                    day=entry.date,
                    amount=f"{amount:,.2f}",
                ),
                [ctx.where(entry), Where(relative, line.row, line.date, _("银行对账单行"))],
                expected=line.amount,
                booked=amount,
            )
    for day, (balance, row) in sorted(closing.items()):
        assertion = assertions.get((account, day + ONE_DAY))
        if assertion is None or assertion.amount.number == balance:
            continue
        result.add(
            "statement-balance-differs",
            _(
                "{day} 日终余额：银行对账单 {file} 第 {row} 行为 {balance}，"
                "账簿的余额断言为 {asserted}"
            ).format(
                day=day,
                file=relative,
                row=row,
                balance=f"{balance:,.2f}",
                asserted=f"{assertion.amount.number:,.2f}",
            ),
            [ctx.where(assertion), Where(relative, row, day, _("银行对账单行"))],
            expected=balance,
            booked=assertion.amount.number,
        )
