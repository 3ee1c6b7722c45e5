"""账簿: 银行存款日记账 per bank account, 总账 and 明细账 per statutory account, 科目余额表.

Each posting is a 借 (positive) or a 贷 (negative) of its account; a reversal's (红字冲销) is
written in red on the other side (negative), so its balance moves as Beancount's does. A
balance's 方向 is 借 when positive, 贷 when negative, 平 at zero; amounts are shown as the
balance's size. Every book starts from the balance at the end of the day before the period
(期初余额, or 上年结转 on 1 January) and counts 本年累计 from 1 January, whatever the period.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from beancount.core import data

from xtaccounts.core import chart
from xtaccounts.core.calendar import ONE_DAY
from xtaccounts.core.entries import number_of
from xtaccounts.core.vocabulary import KIND_REVERSAL, META_KIND, META_VOUCHER, ZERO
from xtaccounts.registry import Registry
from xtaccounts.reports.statutory_accounts import StatutoryNames

TextCleaner = Callable[[object], str]

DAY_TOTAL = "本日合计"
MONTH_TOTAL = "本月合计"
YEAR_TOTAL = "本年累计"


def direction(balance: Decimal) -> str:
    return "借" if balance > 0 else "贷" if balance < 0 else "平"


def sides(entry: data.Transaction, amount: Decimal) -> tuple[Decimal, Decimal]:
    """(借, 贷) of a posting's amount; a reversal's in red on the side it reverses."""
    if entry.meta.get(META_KIND) == KIND_REVERSAL:
        return (amount, ZERO) if amount < 0 else (ZERO, -amount)
    return (amount, ZERO) if amount > 0 else (ZERO, -amount)


@dataclass(frozen=True, slots=True)
class Line:
    """One line of a journal: a posting, or a 合计 / 期初 line (no voucher)."""

    date: dt.date
    voucher: str
    summary: str
    counter: str  # 对方科目
    debit: Decimal
    credit: Decimal
    balance: Decimal
    total: str = ""  # "", 期初余额/上年结转, 本日合计, 本月合计, 本年累计

    @property
    def direction(self) -> str:
        return direction(self.balance)


@dataclass
class Journal:
    """A 日记账 or 明细账 of one ledger account."""

    account: str
    code: str
    code_name: str
    detail: str
    lines: list[Line] = field(default_factory=list)

    def day_balances(self) -> dict[dt.date, Decimal]:
        """The balance at the end of each day the journal has lines for."""
        return {line.date: line.balance for line in self.lines}

    def shows_anything(self) -> bool:
        """Whether any line has a balance or a movement (an account untouched and empty is
        left out of the books' journals)."""
        return any(line.balance or line.debit or line.credit for line in self.lines)


def period_months(start: dt.date, end: dt.date) -> list[tuple[dt.date, dt.date]]:
    """(first day, last day) of each month of `start`..`end`, cut to the period."""
    months: list[tuple[dt.date, dt.date]] = []
    first = start
    while first <= end:
        following = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        months.append((first, min(end, following - ONE_DAY)))
        first = following
    return months


def _opening_label(start: dt.date) -> str:
    return "上年结转" if (start.month, start.day) == (1, 1) else "期初余额"


def _transactions(entries: Sequence[data.Directive]) -> Iterator[data.Transaction]:
    for entry in entries:
        if isinstance(entry, data.Transaction):
            yield entry


class CounterNames:
    """The 对方科目 of a transaction's line in one account's journal: the statutory names of
    its other postings, each once, in the order of the postings. Worked out once per
    transaction (an allocation has thousands of postings, each a line of its own journal)."""

    def __init__(self, names: StatutoryNames) -> None:
        self._names = names
        # id(entry) -> (entry, {name: (first index, its account, first index of another
        # account)}); the entry is kept so that its id is not reused while cached.
        self._tables: dict[int, tuple[data.Transaction, dict[str, list[Any]]]] = {}

    def __call__(self, entry: data.Transaction, account: str) -> str:
        table = self._table(entry)
        placed = []
        for name, (first, first_account, other) in table.items():
            at = first if first_account != account else other
            if at is not None:
                placed.append((at, name))
        return "、".join(name for _at, name in sorted(placed))

    def _table(self, entry: data.Transaction) -> dict[str, list[Any]]:
        kept = self._tables.get(id(entry))
        if kept is not None and kept[0] is entry:
            return kept[1]
        table: dict[str, list[Any]] = {}
        for index, posting in enumerate(entry.postings):
            code = self._names.code(posting.account)
            name = f"{code} {self._names.name(code)}".strip() if code else posting.account
            found = table.get(name)
            if found is None:
                table[name] = [index, posting.account, None]
            elif found[2] is None and posting.account != found[1]:
                found[2] = index
        if len(entry.postings) > 8:  # small transactions cost less to read again than to keep
            self._tables[id(entry)] = (entry, table)
        return table


AccountPostings = dict[str, list[tuple[data.Transaction, Decimal]]]


def account_postings(entries: Sequence[data.Directive], end: dt.date) -> AccountPostings:
    """Every account's postings up to `end` as (transaction, amount), in the books' order: one
    pass over the books for all the journals (a pass per account costs accounts × entries)."""
    by_account: AccountPostings = defaultdict(list)
    for entry in _transactions(entries):
        if entry.date > end:
            break
        for posting in entry.postings:
            by_account[posting.account].append((entry, number_of(posting)))
    return by_account


def account_journal(
    account: str,
    postings_to_end: Sequence[tuple[data.Transaction, Decimal]],
    start: dt.date,
    end: dt.date,
    names: StatutoryNames,
    clean: TextCleaner,
    *,
    daily: bool,
    counters: CounterNames | None = None,
) -> Journal:
    """The journal of one ledger account over `start`..`end` from its postings up to `end`
    (`account_postings`): 期初, each posting with its running balance, 本日合计 after each day
    with postings (`daily`), 本月合计 and 本年累计 at each month's end within the period.
    `counters`: the 对方科目 names shared by the journals of one report."""
    counters = counters if counters is not None else CounterNames(names)
    code = names.code(account)
    journal = Journal(account, code, names.name(code), names.detail(account))
    balance = ZERO
    year_debit = year_credit = ZERO
    postings: list[tuple[data.Transaction, Decimal]] = []
    for entry, amount in postings_to_end:
        if entry.date < start:
            balance += amount
            if entry.date.year == start.year:
                debit, credit = sides(entry, amount)
                year_debit += debit
                year_credit += credit
        else:
            postings.append((entry, amount))
    journal.lines.append(
        Line(start, "", _opening_label(start), "", ZERO, ZERO, balance, _opening_label(start))
    )
    by_day: dict[dt.date, list[tuple[data.Transaction, Decimal]]] = defaultdict(list)
    for entry, amount in postings:
        by_day[entry.date].append((entry, amount))
    # Only the days with postings and the months' ends are visited (a pass over every day of
    # the period cost more than the rest for the thousands of accounts with a few postings).
    days = iter(by_day)  # in date order, as the books are
    day: dt.date | None = next(days, None)
    month_debit = month_credit = ZERO
    for _, month_end in period_months(start, end):
        while day is not None and day <= month_end:
            debit_total = credit_total = ZERO
            for entry, amount in by_day[day]:
                debit, credit = sides(entry, amount)
                debit_total += debit
                credit_total += credit
                balance += amount
                journal.lines.append(
                    Line(
                        day,
                        str(entry.meta.get(META_VOUCHER) or ""),
                        clean(entry.narration),
                        counters(entry, account),
                        debit,
                        credit,
                        balance,
                    )
                )
            month_debit += debit_total
            month_credit += credit_total
            year_debit += debit_total
            year_credit += credit_total
            if daily:
                journal.lines.append(
                    Line(day, "", DAY_TOTAL, "", debit_total, credit_total, balance, DAY_TOTAL)
                )
            day = next(days, None)
        journal.lines.append(
            Line(month_end, "", MONTH_TOTAL, "", month_debit, month_credit, balance, MONTH_TOTAL)
        )
        journal.lines.append(
            Line(month_end, "", YEAR_TOTAL, "", year_debit, year_credit, balance, YEAR_TOTAL)
        )
        month_debit = month_credit = ZERO
        if (month_end.month, month_end.day) == (12, 31):
            year_debit = year_credit = ZERO
    return journal


def bank_journals(
    registry: Registry,
    entries: Sequence[data.Directive],
    start: dt.date,
    end: dt.date,
    clean: TextCleaner,
    *,
    postings: AccountPostings | None = None,
    counters: CounterNames | None = None,
) -> list[Journal]:
    """银行存款日记账 of every bank account with a balance or a posting in the period
    (`postings`, `counters`: the `account_postings` and 对方科目 shared with the 明细账)."""
    names = StatutoryNames(registry)
    journals = []
    postings = postings if postings is not None else account_postings(entries, end)
    counters = counters if counters is not None else CounterNames(names)
    for account in sorted(a for a in postings if a.startswith(chart.BANK + ":")):
        journal = account_journal(
            account, postings[account], start, end, names, clean, daily=True, counters=counters
        )
        if len(journal.lines) > 1 and journal.shows_anything():
            journals.append(journal)
    return journals


def each_detail_ledger(
    registry: Registry,
    postings: AccountPostings,
    start: dt.date,
    end: dt.date,
    clean: TextCleaner,
    counters: CounterNames | None = None,
) -> Iterator[Journal]:
    """明细账 one account at a time, by code: every ledger account of `postings`
    (`account_postings`) with a balance or a posting in the period. A city's thousands of
    journals need not all be held at once."""
    names = StatutoryNames(registry)
    counters = counters if counters is not None else CounterNames(names)
    for account in sorted(postings, key=lambda a: (names.code(a) or "9999", a)):
        journal = account_journal(
            account, postings[account], start, end, names, clean, daily=False, counters=counters
        )
        if journal.shows_anything():
            yield journal


def detail_ledgers(
    registry: Registry,
    entries: Sequence[data.Directive],
    start: dt.date,
    end: dt.date,
    clean: TextCleaner,
) -> list[Journal]:
    """明细账: every ledger account with a balance or a posting in the period, by code."""
    postings = account_postings(entries, end)
    return list(each_detail_ledger(registry, postings, start, end, clean))


@dataclass(frozen=True)
class TrialLine:
    """One statutory account of the 科目余额表."""

    code: str
    name: str
    opening: Decimal
    debit: Decimal
    credit: Decimal
    closing: Decimal


def trial_balance(
    registry: Registry, entries: Sequence[data.Directive], start: dt.date, end: dt.date
) -> list[TrialLine]:
    """科目余额表: per statutory code, the balance before `start`, the period's 借 and 贷, the
    balance at `end` (Beancount signs: 借 positive)."""
    names = StatutoryNames(registry)
    opening: dict[str, Decimal] = defaultdict(lambda: ZERO)
    debit: dict[str, Decimal] = defaultdict(lambda: ZERO)
    credit: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for entry in _transactions(entries):
        if entry.date > end:
            break
        for posting in entry.postings:
            code = names.code(posting.account) or posting.account
            amount = number_of(posting)
            if entry.date < start:
                opening[code] += amount
            else:
                d, c = sides(entry, amount)
                debit[code] += d
                credit[code] += c
    codes = sorted(set(opening) | set(debit) | set(credit))
    return [
        TrialLine(
            code,
            names.name(code),
            opening[code],
            debit[code],
            credit[code],
            opening[code] + debit[code] - credit[code],
        )
        for code in codes
    ]


def _monthly_trial_balances(
    names: StatutoryNames,
    entries: Sequence[data.Directive],
    months: Sequence[tuple[dt.date, dt.date]],
) -> list[dict[str, TrialLine]]:
    """`trial_balance` of each of consecutive `months`, in one pass over the books: each
    month's opening is the balance before the first month plus the months before it."""
    if not months:
        return []
    starts = [m_start for m_start, _ in months]
    last = months[-1][1]
    before: dict[str, Decimal] = defaultdict(lambda: ZERO)
    debit: list[dict[str, Decimal]] = [defaultdict(lambda: ZERO) for _ in months]
    credit: list[dict[str, Decimal]] = [defaultdict(lambda: ZERO) for _ in months]
    first_seen: dict[str, int] = {}  # code -> the first month whose trial balance lists it
    for entry in _transactions(entries):
        if entry.date > last:
            break
        index = bisect_right(starts, entry.date) - 1
        for posting in entry.postings:
            code = names.code(posting.account) or posting.account
            amount = number_of(posting)
            first_seen.setdefault(code, max(index, 0))
            if index < 0:
                before[code] += amount
            else:
                d, c = sides(entry, amount)
                debit[index][code] += d
                credit[index][code] += c
    result: list[dict[str, TrialLine]] = []
    opening = dict(before)
    for index, _ in enumerate(months):
        lines = {}
        for code in sorted(c for c, seen in first_seen.items() if seen <= index):
            o = opening.get(code, ZERO)
            d, c = debit[index][code], credit[index][code]
            lines[code] = TrialLine(code, names.name(code), o, d, c, o + d - c)
            opening[code] = o + d - c
        result.append(lines)
    return result


@dataclass(frozen=True)
class GeneralLine:
    code: str
    name: str
    date: dt.date
    summary: str
    debit: Decimal
    credit: Decimal
    balance: Decimal


def general_ledger(
    registry: Registry,
    entries: Sequence[data.Directive],
    start: dt.date,
    end: dt.date,
    whole: Sequence[TrialLine] | None = None,
) -> list[GeneralLine]:
    """总账: per statutory code, 期初 then each month's 本月合计 and 本年累计 with the balance
    (`whole`: the `trial_balance` of `start`..`end`, when it is made already)."""
    names = StatutoryNames(registry)
    months = period_months(start, end)
    lines: list[GeneralLine] = []
    year_start = dt.date(start.year, 1, 1)
    ytd = (
        {
            t.code: (t.debit, t.credit)
            for t in trial_balance(registry, entries, year_start, start - ONE_DAY)
        }
        if start > year_start
        else {}  # a year's books count 本年累计 from their own start: no pass for it
    )
    if whole is None:
        whole = trial_balance(registry, entries, start, end)
    rows = {t.code: t for t in whole}
    monthly = _monthly_trial_balances(names, entries, months)
    for code, period_line in rows.items():
        name = names.name(code)
        lines.append(
            GeneralLine(code, name, start, _opening_label(start), ZERO, ZERO, period_line.opening)
        )
        year_debit, year_credit = ytd.get(code, (ZERO, ZERO))
        for (_, m_end), figures in zip(months, monthly, strict=True):
            month = figures.get(code)
            d = month.debit if month else ZERO
            c = month.credit if month else ZERO
            closing = month.closing if month else lines[-1].balance
            year_debit += d
            year_credit += c
            lines.append(GeneralLine(code, name, m_end, MONTH_TOTAL, d, c, closing))
            lines.append(
                GeneralLine(code, name, m_end, YEAR_TOTAL, year_debit, year_credit, closing)
            )
    return lines
