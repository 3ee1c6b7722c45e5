"""记账凭证 of a period: each numbered transaction as a voucher, its lines by statutory account.

A voucher's lines are the transaction's postings added up per ledger account and side (借 or
贷), each named by its statutory code and name (pilot.toml's [[mof_accounts]]) and its 明细 (the
Chinese part of the ledger account below the statutory one). 摘要 is the narration with owners'
names masked; a reversal's (kind "reversal") reads "冲销 记-…" naming the voucher it reverses
(`reverses_voucher`, else that of the transaction carrying the link it reverses), its amounts
in red (negative) on the sides the reversed voucher has them. 附件 counts the documents the
transaction came with: its archived bank statement and the `document` directives sharing one of
its links.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from beancount.core import data

from xtaccounts.books.voucher_numbers import parse_voucher, voucher_of
from xtaccounts.core.entries import number_of
from xtaccounts.core.vocabulary import (
    KIND_REVERSAL,
    META_KIND,
    META_REVERSES,
    META_REVERSES_VOUCHER,
    ZERO,
)
from xtaccounts.registry import Registry
from xtaccounts.reports.statutory_accounts import StatutoryNames

TextCleaner = Callable[[object], str]


@dataclass(frozen=True)
class VoucherLine:
    summary: str
    code: str  # statutory code, "" when the account maps to none
    code_name: str
    detail: str  # 明细科目
    account: str
    debit: Decimal
    credit: Decimal


@dataclass(frozen=True)
class Voucher:
    number: str
    date: dt.date
    summary: str
    kind: str
    lines: tuple[VoucherLine, ...]
    attachments: int
    reverses: str | None = None  # the voucher number a reversal reverses

    @property
    def debit(self) -> Decimal:
        return sum((line.debit for line in self.lines), ZERO)

    @property
    def credit(self) -> Decimal:
        return sum((line.credit for line in self.lines), ZERO)


def voucher_links(entries: Sequence[data.Directive]) -> dict[str, str]:
    """Link -> the voucher number of the (not reversing) transaction that carries it."""
    found: dict[str, str] = {}
    for entry in entries:
        if isinstance(entry, data.Transaction) and entry.meta.get(META_KIND) != KIND_REVERSAL:
            number = voucher_of(entry)
            if number:
                for link in entry.links or ():
                    found.setdefault(link, number)
    return found


def _attachment_counts(
    entries: Sequence[data.Directive], statement_of: Callable[[data.Transaction], bool]
) -> Callable[[data.Transaction], int]:
    documents: dict[str, int] = defaultdict(int)
    for entry in entries:
        if isinstance(entry, data.Document):
            for link in entry.links or ():
                documents[link] += 1

    def count(entry: data.Transaction) -> int:
        linked = sum(documents.get(link, 0) for link in entry.links or ())
        return linked + (1 if statement_of(entry) else 0)

    return count


def build_vouchers(
    registry: Registry,
    entries: Sequence[data.Directive],
    start: dt.date,
    end: dt.date,
    clean: TextCleaner,
    statement_of: Callable[[data.Transaction], bool] = lambda _: False,
) -> list[Voucher]:
    """The vouchers dated `start`..`end`, in number order (month, then number)."""
    names = StatutoryNames(registry)
    links = voucher_links(entries)
    attachments = _attachment_counts(entries, statement_of)
    vouchers: list[Voucher] = []
    for entry in entries:
        if not isinstance(entry, data.Transaction) or not start <= entry.date <= end:
            continue
        number = voucher_of(entry)
        if number is None:
            continue
        kind = str(entry.meta.get(META_KIND) or "")
        summary = clean(entry.narration)
        reverses = None
        if kind == KIND_REVERSAL:
            link = str(entry.meta.get(META_REVERSES) or "").lstrip("^")
            reverses = str(entry.meta.get(META_REVERSES_VOUCHER) or "") or links.get(link)
            rest = summary.removeprefix("冲销").lstrip()
            summary = f"冲销 {reverses or '^' + link} {rest}".strip()
        # A reversal is written in red: each amount on the side the reversed voucher had it,
        # negative (红字), so the two vouchers add up to nothing line by line.
        red = kind == KIND_REVERSAL
        sums: dict[tuple[str, bool], Decimal] = defaultdict(lambda: ZERO)
        for posting in entry.postings:
            amount = number_of(posting)
            sums[posting.account, (amount > 0) if red else (amount < 0)] += amount
        lines = []
        for (account, credit), amount in sums.items():
            code = names.code(account)
            lines.append(
                VoucherLine(
                    summary,
                    code,
                    names.name(code),
                    names.detail(account),
                    account,
                    ZERO if credit else amount,
                    -amount if credit else ZERO,
                )
            )
        # 借 before 贷, each by statutory code, as vouchers are written.
        lines.sort(key=lambda line: (line.debit == 0, line.code, line.account))
        vouchers.append(
            Voucher(number, entry.date, summary, kind, tuple(lines), attachments(entry), reverses)
        )
    vouchers.sort(key=lambda v: parse_voucher(v.number) or (0, 0, 0))
    return vouchers


def ledger_vouchers(
    main: Path, start: dt.date, end: dt.date
) -> tuple[list[Voucher], str, list[data.Directive]]:
    """The vouchers of `start`..`end` of the books at `main`, the organisation, the entries."""
    from xtaccounts.books.documents import archived_statements, statement_sources
    from xtaccounts.books.layout import LedgerLayout
    from xtaccounts.core import chart
    from xtaccounts.export.detail import person_names, text_cleaner
    from xtaccounts.reading.ledger import open_ledger

    books = open_ledger(main)
    entries = books.entries
    banks = {
        p.account
        for e in entries
        if isinstance(e, data.Transaction)
        for p in e.postings
        if p.account.startswith(chart.BANK + ":")
    }
    sources = statement_sources(entries, archived_statements(LedgerLayout(Path(main)), banks))
    vouchers = build_vouchers(
        books.registry,
        entries,
        start,
        end,
        text_cleaner(person_names(entries)),
        lambda entry: id(entry) in sources,
    )
    return vouchers, books.registry.pilot.organisation, entries
