"""The 账簿 as export tables: 银行存款日记账 (one per bank account), 总账, 明细账, 科目余额表.

Amounts as the books keep them (reports/journals.py): 借方, 贷方, 方向 and the balance's size.
Checked: the 科目余额表's 借 equal its 贷 (期初, 本期, 期末), each 日记账 ends on its account's
balance in the books, and (when the export is handed a statement reader) every month's
银行存款余额调节表 balances.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence

from beancount.core import data

from xtaccounts.core.entries import number_of
from xtaccounts.core.vocabulary import ZERO
from xtaccounts.export.detail import TextCleaner
from xtaccounts.export.period import Period
from xtaccounts.export.statutory_statements import Check
from xtaccounts.export.table import DATE, MONEY, TEXT, Column, StreamedTable, Table
from xtaccounts.export.xlsx import MAX_DATA_ROWS
from xtaccounts.registry import Registry
from xtaccounts.reports.bank_reconciliation import NO_STATEMENT, UNBALANCED, Reconciliation
from xtaccounts.reports.journals import (
    AccountPostings,
    CounterNames,
    Journal,
    TrialLine,
    account_postings,
    bank_journals,
    each_detail_ledger,
    general_ledger,
    period_months,
    trial_balance,
)
from xtaccounts.reports.statutory_accounts import StatutoryNames

JOURNAL_COLUMNS = (
    Column("date", "日期", DATE, 11),
    Column("voucher", "凭证号", TEXT, 16),
    Column("summary", "摘要", TEXT, 40),
    Column("counter", "对方科目", TEXT, 22),
    Column("debit", "借方", MONEY, 16, summed=False),
    Column("credit", "贷方", MONEY, 16, summed=False),
    Column("direction", "借或贷", TEXT, 6, align="center"),
    Column("balance", "余额", MONEY, 16, summed=False),
)


def _slug(account: str) -> str:
    """ICBC-Demand-8821 for Assets:Bank-银行存款:ICBC-工商银行:Demand-活期8821."""
    parts = account.split(":")[2:]
    text = "-".join(
        re.sub(r"[^A-Za-z0-9]", "", part.partition("-")[0])
        + "-"
        + re.sub(r"[^A-Za-z0-9]", "", part.partition("-")[2])
        for part in parts
    )
    return re.sub(r"-+", "-", text).strip("-") or "account"


def _journal_rows(journal: Journal) -> tuple[list[tuple], set[int]]:
    rows: list[tuple] = []
    strong: set[int] = set()
    for line in journal.lines:
        if line.total:
            strong.add(len(rows))
        rows.append(
            (
                line.date,
                line.voucher,
                line.summary,
                line.counter,
                line.debit if not line.total or line.debit or line.credit else None,
                line.credit if not line.total or line.debit or line.credit else None,
                line.direction,
                abs(line.balance),
            )
        )
    return rows, strong


def bank_journal_tables(journals: Sequence[Journal]) -> list[Table]:
    tables = []
    for journal in journals:
        rows, strong = _journal_rows(journal)
        tables.append(
            Table(
                stem=f"20-bank-journal-{_slug(journal.account)}",
                sheet=f"日记账 {journal.detail}"[:31],
                title="银行存款日记账",
                columns=JOURNAL_COLUMNS,
                rows=rows,
                with_totals=False,
                strong=strong,
                notes=[f"科目：{journal.code} {journal.code_name}　账户：{journal.detail}"],
                meta={"account": journal.account, "code": journal.code},
            )
        )
    return tables


DETAIL_COLUMNS = (
    Column("code", "科目编码", TEXT, 8, align="center"),
    Column("code_name", "总账科目", TEXT, 16),
    Column("detail", "明细科目", TEXT, 30),
    *JOURNAL_COLUMNS,
)


def _detail_rows(journals: Iterable[Journal]) -> Iterator[tuple[tuple, bool]]:
    """The 明细账's rows, each with whether it is bold (a 合计 or 期初 line)."""
    for journal in journals:
        head = (journal.code, journal.code_name, journal.detail)
        lines, bold = _journal_rows(journal)
        for i, line in enumerate(lines):
            yield (*head, *line), i in bold


def detail_ledger_table(journals: Iterable[Journal]) -> Table:
    rows: list[tuple] = []
    strong: set[int] = set()
    for row, bold in _detail_rows(journals):
        if bold:
            strong.add(len(rows))
        rows.append(row)
    return Table(
        stem="22-detail-ledger",
        sheet="明细账",
        title="明细账",
        columns=DETAIL_COLUMNS,
        rows=rows,
        with_totals=False,
        strong=strong,
    )


def streamed_detail_ledger(
    registry: Registry,
    postings: AccountPostings,
    period: Period,
    clean: TextCleaner,
    counters: CounterNames,
) -> Table:
    """明细账 made one account at a time as it is written, each account's postings let go once
    its rows are made (a city's 明细账 has half a million rows); made whole when it might not
    fit on one sheet."""
    start, end = period.start, period.end
    months = len(period_months(start, end))
    # At most: each account's 期初, its postings of the period and two 合计 lines a month.
    most = sum(
        1 + 2 * months + sum(1 for entry, _ in found if start <= entry.date)
        for found in postings.values()
    )
    details = each_detail_ledger(registry, postings, start, end, clean, counters)
    if most > MAX_DATA_ROWS:
        return detail_ledger_table(details)
    return StreamedTable(
        stem="22-detail-ledger",
        sheet="明细账",
        title="明细账",
        columns=DETAIL_COLUMNS,
        rows=[],
        with_totals=False,
        made=_detail_rows(details),
    )


def general_ledger_table(
    registry: Registry,
    entries: Sequence[data.Directive],
    period: Period,
    whole: Sequence[TrialLine] | None = None,
) -> Table:
    """总账 (`whole`: the period's 科目余额表, when it is made already)."""
    rows: list[tuple] = []
    strong: set[int] = set()
    for line in general_ledger(registry, entries, period.start, period.end, whole):
        if line.summary not in ("本月合计",):
            strong.add(len(rows))
        rows.append(
            (
                line.code,
                line.name,
                line.date,
                line.summary,
                line.debit,
                line.credit,
                "借" if line.balance > 0 else "贷" if line.balance < 0 else "平",
                abs(line.balance),
            )
        )
    columns = (
        Column("code", "科目编码", TEXT, 8, align="center"),
        Column("name", "科目名称", TEXT, 20),
        Column("date", "日期", DATE, 11),
        Column("summary", "摘要", TEXT, 12),
        Column("debit", "借方", MONEY, 18, summed=False),
        Column("credit", "贷方", MONEY, 18, summed=False),
        Column("direction", "借或贷", TEXT, 6, align="center"),
        Column("balance", "余额", MONEY, 18, summed=False),
    )
    return Table(
        stem="21-general-ledger",
        sheet="总账",
        title="总账",
        columns=columns,
        rows=rows,
        with_totals=False,
        strong=strong,
    )


def trial_balance_table(
    registry: Registry,
    entries: Sequence[data.Directive],
    period: Period,
    lines: Sequence[TrialLine] | None = None,
) -> tuple[Table, list[Check]]:
    """科目余额表 with its totals row, and the check that 借 equal 贷 in each pair of columns
    (`lines`: the `trial_balance` of the period, when it is made already)."""
    if lines is None:
        lines = trial_balance(registry, entries, period.start, period.end)
    rows = [
        (
            t.code,
            t.name,
            t.opening if t.opening > 0 else ZERO,
            -t.opening if t.opening < 0 else ZERO,
            t.debit,
            t.credit,
            t.closing if t.closing > 0 else ZERO,
            -t.closing if t.closing < 0 else ZERO,
            "借" if t.closing > 0 else "贷" if t.closing < 0 else "平",
        )
        for t in lines
    ]
    columns = (
        Column("code", "科目编码", TEXT, 8, align="center"),
        Column("name", "科目名称", TEXT, 22),
        Column("opening_debit", "期初借方余额", MONEY, 18),
        Column("opening_credit", "期初贷方余额", MONEY, 18),
        Column("debit", "本期借方发生额", MONEY, 18),
        Column("credit", "本期贷方发生额", MONEY, 18),
        Column("closing_debit", "期末借方余额", MONEY, 18),
        Column("closing_credit", "期末贷方余额", MONEY, 18),
        Column("direction", "期末方向", TEXT, 8, align="center"),
    )
    table = Table(
        stem="23-trial-balance",
        sheet="科目余额表",
        title="科目余额表",
        columns=columns,
        rows=rows,
    )
    totals = table.totals()
    assert totals is not None
    pairs = [(2, 3, "期初"), (4, 5, "本期发生"), (6, 7, "期末")]
    checks = [
        Check(
            f"科目余额表 {label} 借方合计 = 贷方合计",
            totals[d] == totals[c],
            f"{totals[d]} / {totals[c]}",
        )
        for d, c, label in pairs
    ]
    return table, checks


def journal_checks(
    journals: Sequence[Journal], entries: Sequence[data.Directive], period: Period
) -> list[Check]:
    """Each 日记账's last balance is its account's balance in the books at the period's end."""
    wanted = {j.account for j in journals}
    books = dict.fromkeys(wanted, ZERO)
    for entry in entries:
        if isinstance(entry, data.Transaction) and entry.date <= period.end:
            for posting in entry.postings:
                if posting.account in wanted:
                    books[posting.account] += number_of(posting)
    wrong = [
        f"{j.account} {j.lines[-1].balance} / {books[j.account]}"
        for j in journals
        if j.lines[-1].balance != books[j.account]
    ]
    return [
        Check(
            "银行存款日记账 期末余额 = 账簿余额",
            not wrong,
            "; ".join(wrong) or f"{len(journals)} 个账户",
        )
    ]


def account_book_tables(
    registry: Registry,
    entries: Sequence[data.Directive],
    period: Period,
    clean: TextCleaner,
) -> tuple[list[Table], list[Check]]:
    """The 账簿 tables of the export and their checks."""
    postings = account_postings(entries, period.end)  # one pass for all the journals
    counters = CounterNames(StatutoryNames(registry))
    journals = bank_journals(
        registry, entries, period.start, period.end, clean, postings=postings, counters=counters
    )
    lines = trial_balance(registry, entries, period.start, period.end)  # for both tables
    trial, trial_checks = trial_balance_table(registry, entries, period, lines)
    tables = [
        *bank_journal_tables(journals),
        general_ledger_table(registry, entries, period, lines),
        streamed_detail_ledger(registry, postings, period, clean, counters),
        trial,
    ]
    return tables, [*journal_checks(journals, entries, period), *trial_checks]


def reconciliation_table(results: Sequence[Reconciliation]) -> tuple[Table, list[Check]]:
    """银行存款余额调节表 of every account and month, the two sides one under the other."""
    rows: list[tuple] = []
    strong: set[int] = set()
    for r in results:
        name = r.account.split(":", 2)[-1]
        head = (name, r.month_end)

        def add(
            label: str, amount: object, bold: bool = False, head: tuple = head, **item: object
        ) -> None:
            if bold:
                strong.add(len(rows))
            rows.append((*head, label, item.get("date"), item.get("text", ""), amount))

        add("银行对账单余额", r.bank_balance, True)
        for label, items in (
            ("加：企业已收、银行未收", r.books_in),
            ("减：企业已付、银行未付", r.books_out),
        ):
            for i in items:
                add(label, i.amount, date=i.date, text=f"{i.summary} {i.reference}".strip())
        add("调节后的银行存款余额", r.adjusted_bank, True)
        add("企业银行存款日记账余额", r.book_balance, True)
        for label, items in (
            ("加：银行已收、企业未收", r.bank_in),
            ("减：银行已付、企业未付", r.bank_out),
        ):
            for i in items:
                add(label, i.amount, date=i.date, text=f"{i.summary} {i.reference}".strip())
        add("调节后的企业账面余额", r.adjusted_books, True)
        add("状态", None, True, text=r.status)
    columns = (
        Column("account", "账户", TEXT, 28),
        Column("month_end", "月末", DATE, 11),
        Column("item", "项目", TEXT, 24),
        Column("date", "日期", DATE, 11),
        Column("text", "摘要（凭证号或银行流水号）", TEXT, 44),
        Column("amount", "金额", MONEY, 18, summed=False),
    )
    table = Table(
        stem="24-bank-reconciliation",
        sheet="银行存款余额调节表",
        title="银行存款余额调节表",
        columns=columns,
        rows=rows,
        with_totals=False,
        strong=strong,
    )
    bad = [f"{r.account} {r.month_end}" for r in results if r.status == UNBALANCED]
    missing = sum(1 for r in results if r.status == NO_STATEMENT)
    check = Check(
        "银行存款余额调节表 调节后余额相等",
        not bad,
        "; ".join(bad) or f"{len(results) - missing} 个账户月份平衡，{missing} 个无对账单",
    )
    return table, [check]
