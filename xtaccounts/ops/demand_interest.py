"""Quarterly demand-account interest settlements (活期结息) with their base/spread split.

A demand account settles on the 20th of Mar/Jun/Sep/Dec and the bank pays the next day. The
interest is 积数 × rate / 360 over the days after the previous settlement day up to and including
this one (docs/rules.md §5); 积数 is read from the books (the account's end-of-day balances), the
rates from the bank's `demand` rate agreement valid on the settlement day. Each receipt is booked
as received, split into base and spread; one that differs from expected by more than 0.01 is
flagged ``!`` with its reason. Receipt ids are ``R-<account number>-<yyyymmdd>`` (the whole
number: two accounts may end in the same digits). A settlement already in the books books
nothing: its receipt id, or a `demand` receipt of the same bank account whose window ends on the
settlement day (books written when ids carried only the last 4 digits of the account).
"""

from __future__ import annotations

import datetime as dt
from bisect import insort
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext
from pathlib import Path

from beancount.core import data

from xtaccounts.books.layout import LedgerLayout, require_ledger
from xtaccounts.books.positions import Positions, read_positions
from xtaccounts.books.writer import CommitResult, LedgerWriter
from xtaccounts.core import chart
from xtaccounts.core.balance_days import EXACT, BalanceHistory
from xtaccounts.core.dates import meta_day
from xtaccounts.core.entries import number_of
from xtaccounts.core.errors import XtError
from xtaccounts.core.interest import (
    InterestSplit,
    demand_interest,
    demand_payment_date,
    demand_quarter_window,
    split_demand,
)
from xtaccounts.core.money import format_money
from xtaccounts.core.vocabulary import (
    KIND_INTEREST,
    META_BANK_ACCOUNT,
    META_KIND,
    META_RECEIPT,
    META_SOURCE,
    META_WINDOW_END,
)
from xtaccounts.ops.owner_deposits import (
    BOOKED,
    SKIPPED,
    check_date,
    entry_meta,
    format_rate,
    parse_amount,
    posting,
    resolve_bank_account,
    stage,
)
from xtaccounts.ops.time_deposits import rate_agreement
from xtaccounts.registry import Registry, load_registry
from xtaccounts.registry.models import AccountKind, BankAccount, Product

__all__ = [
    "FLAGGED",
    "AlreadyBooked",
    "InterestError",
    "Segment",
    "SettlementItem",
    "SettlementLine",
    "SettlementReport",
    "SettlementTerms",
    "book_settlement",
    "book_settlements",
    "expected_settlement",
    "settlement_entry",
    "settlement_receipt_id",
    "settlement_terms",
]

FILE_KIND = "interest"
FLAGGED = "flagged"  # status of a receipt booked with flag "!"


class InterestError(XtError):
    """A settlement that cannot be computed or booked as asked."""


class AlreadyBooked(InterestError):
    """The settlement is already in the books; `receipt` is the id it was booked under."""

    def __init__(self, message: str, receipt: str = "") -> None:
        super().__init__(message)
        self.receipt = receipt


def settlement_receipt_id(account_no: str, settlement: dt.date) -> str:
    """``R-<account number>-<settlement yyyymmdd>``: the whole number, so that two accounts
    ending in the same digits never share a receipt id."""
    return f"R-{account_no}-{settlement:%Y%m%d}"


@dataclass(frozen=True)
class Segment:
    """Days of a window with one end-of-day balance: balance × days is their 积数."""

    start: dt.date
    end: dt.date
    balance: Decimal

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def balance_days(self) -> Decimal:
        return self.balance * self.days


@dataclass(frozen=True)
class SettlementTerms:
    """What the bank owes for one quarter: window, 积数, rates and the expected interest."""

    bank_account: str
    account_no: str
    settlement: dt.date
    receipt: str
    window_start: dt.date
    window_end: dt.date
    balance_days: Decimal
    segments: tuple[Segment, ...]
    agreement: str
    agreed_rate: Decimal
    base_rate: Decimal
    base_source: str

    @property
    def days(self) -> int:
        return (self.window_end - self.window_start).days + 1

    def split(self, received: Decimal) -> InterestSplit:
        """A receipt split against these terms."""
        try:
            return split_demand(received, self.balance_days, self.agreed_rate, self.base_rate)
        except ValueError as exc:
            raise InterestError(str(exc)) from exc

    @property
    def expected(self) -> InterestSplit:
        """The split of the expected interest (what the bank should pay)."""
        try:
            expected = demand_interest(self.balance_days, self.agreed_rate)
        except ValueError as exc:
            raise InterestError(str(exc)) from exc
        return self.split(expected)


class _Books:
    """The books' positions, read once, with entries added as they are staged.

    Each bank account's balance history is built from the books once (on its first settlement)
    and never rebuilt: movements staged afterwards (the interest of earlier settlements of the
    same batch) are kept aside and added to its balances and 积数 when asked.
    """

    def __init__(self, entries: Sequence[data.Directive], registry: Registry) -> None:
        self.registry = registry
        self.positions: Positions = read_positions(entries)
        self.opened = {e.account: e.date for e in entries if isinstance(e, data.Open)}
        self.receipts = {r.id: r.date for r in self.positions.receipts}
        # (bank account, settlement day) -> (receipt id, date) of every demand settlement booked.
        self.settled = {
            (r.bank_account, r.window_end): (r.id, r.date)
            for r in self.positions.receipts
            if r.source == "demand"
        }
        self._histories: dict[str, BalanceHistory] = {}
        self._days: dict[str, list[dt.date]] = {}  # distinct movement days, sorted
        self._staged: dict[str, list[tuple[dt.date, Decimal]]] = defaultdict(list)

    def add(self, entry: data.Transaction) -> None:
        for p in entry.postings:
            self._staged[p.account].append((entry.date, number_of(p)))
            days = self._days.get(p.account)
            if days is not None and entry.date not in days:
                insort(days, entry.date)
        meta = entry.meta
        if meta.get(META_KIND) == KIND_INTEREST:
            self.receipts[str(meta[META_RECEIPT])] = entry.date
            if meta.get(META_SOURCE) == "demand":
                key = (
                    str(meta[META_BANK_ACCOUNT]),
                    meta_day(meta[META_WINDOW_END]),
                )
                self.settled[key] = (str(meta[META_RECEIPT]), entry.date)

    def _history(self, account: str) -> BalanceHistory:
        history = self._histories.get(account)
        if history is None:
            history = self._histories[account] = self.positions.account_history([account])
            moves = self.positions.account_movements.get(account, ())
            staged = self._staged.get(account, ())
            self._days[account] = sorted({day for day, _ in (*moves, *staged)})
        return history

    def balance_at(self, account: str, day: dt.date) -> Decimal:
        """The end-of-day balance of `account` on `day`, staged movements included."""
        balance = self._history(account).balance_at(account, day)
        with localcontext(EXACT):
            return balance + sum(
                (amount for when, amount in self._staged.get(account, ()) if when <= day),
                Decimal(0),
            )

    def balance_days(self, account: str, start: dt.date, end: dt.date) -> Decimal:
        """积数 of `account` over [start, end], staged movements included: a movement on day d
        counts on every day of the window from d on."""
        total = self._history(account).balance_days(account, start, end)
        with localcontext(EXACT):
            for when, amount in self._staged.get(account, ()):
                if when <= end:
                    total += amount * ((end - max(when, start)).days + 1)
        return total

    def change_days(self, account: str, start: dt.date, end: dt.date) -> list[dt.date]:
        """The days in (start, end] on which the balance of `account` moves."""
        self._history(account)
        return [day for day in self._days[account] if start < day <= end]

    def bank(self, account: str) -> BankAccount:
        bank = resolve_bank_account(self.registry, account)
        if bank.kind is not AccountKind.DEMAND:
            raise InterestError(
                f"{bank.account_no} ({bank.account}) is a {bank.kind.value} account; "
                "quarterly settlements are for demand accounts"
            )
        return bank

    def terms(self, account: str, settlement: dt.date) -> SettlementTerms:
        bank = self.bank(account)
        check_date(self.registry, settlement, "settlement", error=InterestError)
        try:
            start, end = demand_quarter_window(settlement)
        except ValueError as exc:
            raise InterestError(f"settlement: {exc}") from exc
        opened = self.opened.get(bank.account)
        if opened is None:
            raise InterestError(f"{bank.account} is not open in the books (run accounts sync)")
        start = max(start, opened, self.registry.pilot.books_start)
        if start > end:
            raise InterestError(
                f"{bank.account_no}: the quarter ending {settlement} is before the account or the "
                f"books begin ({start})"
            )
        balance_days = self.balance_days(bank.account, start, end)
        bounds = [start, *self.change_days(bank.account, start, end)]
        segments = tuple(
            Segment(
                first,
                (bounds[i + 1] - dt.timedelta(days=1)) if i + 1 < len(bounds) else end,
                self.balance_at(bank.account, first),
            )
            for i, first in enumerate(bounds)
        )
        agreement = rate_agreement(self.registry, bank.bank, Product.DEMAND.value, settlement)
        return SettlementTerms(
            bank_account=bank.account,
            account_no=bank.account_no,
            settlement=settlement,
            receipt=settlement_receipt_id(bank.account_no, settlement),
            window_start=start,
            window_end=end,
            balance_days=balance_days,
            segments=segments,
            agreement=agreement.id,
            agreed_rate=agreement.agreed_rate,
            base_rate=agreement.base_rate,
            base_source=agreement.base_source.value,
        )

    def entry(
        self,
        account: str,
        settlement: dt.date,
        received: Decimal,
        paid_on: dt.date | None,
    ) -> data.Transaction:
        amount = parse_amount(received, "received interest", positive=False)
        if amount <= 0:
            raise InterestError(
                f"received interest {format_money(amount)}: a settlement with no interest has "
                "nothing to book"
            )
        if paid_on is not None:
            check_date(self.registry, paid_on, "paid_on", error=InterestError)
        terms = self.terms(account, settlement)
        day = paid_on or demand_payment_date(settlement)
        if day < settlement:
            raise InterestError(f"paid_on {day} is before the settlement day {settlement}")
        earlier = self.settled.get((terms.bank_account, settlement))
        if earlier is None and terms.receipt in self.receipts:
            earlier = (terms.receipt, self.receipts[terms.receipt])
        if earlier is not None:
            rid, booked_on = earlier
            raise AlreadyBooked(
                f"receipt {terms.receipt} is already in the books (booked on {booked_on}"
                + (f" as {rid})" if rid != terms.receipt else ")"),
                rid,
            )
        split = terms.split(amount)
        relpath = LedgerLayout.txns_file(day.year, FILE_KIND)
        meta = entry_meta(
            relpath,
            kind=KIND_INTEREST,
            receipt=terms.receipt,
            source="demand",
            bank_account=terms.bank_account,
            window_start=terms.window_start.isoformat(),
            window_end=terms.window_end.isoformat(),
            balance_days=format_money(terms.balance_days),
            days=str(terms.days),
            agreed_rate=format_rate(terms.agreed_rate),
            base_rate=format_rate(terms.base_rate),
            base_source=terms.base_source,
            agreement=terms.agreement,
            expected=format_money(split.expected),
            base_expected=format_money(split.base_expected),
            difference=format_money(split.difference),
            flag_reason=split.reason if split.flagged else None,
        )
        postings = [posting(terms.bank_account, split.received)]
        if split.base:
            postings.append(posting(chart.INTEREST_BASE, -split.base))
        if split.spread:
            postings.append(posting(chart.INTEREST_SPREAD, -split.spread))
        bank = self.bank(account)
        narration = (
            f"活期结息 {settlement} ({terms.window_start}至{terms.window_end}, {terms.days}天) "
            f"积数 {format_money(terms.balance_days)} 约定 {format_rate(terms.agreed_rate)}%"
        )
        return data.Transaction(
            meta,
            day,
            "!" if split.flagged else "*",
            bank.bank_name,
            narration,
            frozenset(),
            frozenset(),
            postings,
        )


def settlement_terms(
    registry: Registry,
    entries: Sequence[data.Directive],
    bank_account: str,
    settlement: dt.date,
) -> SettlementTerms:
    """The window (clipped to the account's open date and the books' first day), 积数 from the
    books, its balance segments and the `demand` agreement's rates for one settlement."""
    return _Books(entries, registry).terms(bank_account, settlement)


def expected_settlement(
    registry: Registry,
    entries: Sequence[data.Directive],
    bank_account: str,
    settlement: dt.date,
) -> InterestSplit:
    """What the bank should pay for a settlement, split into base and spread."""
    return settlement_terms(registry, entries, bank_account, settlement).expected


def settlement_entry(
    registry: Registry,
    entries: Sequence[data.Directive],
    *,
    bank_account: str,
    settlement: dt.date,
    received: Decimal,
    paid_on: dt.date | None = None,
) -> data.Transaction:
    """The `interest` transaction (source ``demand``) of one settlement (pure).

    Dr bank / Cr base / Cr spread (a zero part is left out; the metadata keeps every figure),
    dated `paid_on` (default: the day after the settlement day). Raises AlreadyBooked when the
    receipt id is in the books already.
    """
    return _Books(entries, registry).entry(bank_account, settlement, received, paid_on)


@dataclass(frozen=True)
class SettlementItem:
    """One settlement to book: the account (number or name), the day, what the bank paid."""

    bank_account: str
    settlement: dt.date
    received: Decimal
    paid_on: dt.date | None = None


@dataclass(frozen=True)
class SettlementLine:
    """What happened to one item: booked, flagged (booked with ``!``) or skipped."""

    item: SettlementItem
    receipt: str
    status: str
    entry: data.Transaction | None


@dataclass(frozen=True)
class SettlementReport:
    lines: tuple[SettlementLine, ...]
    result: CommitResult | None


def book_settlements(
    main: Path,
    items: Sequence[SettlementItem | tuple],
    *,
    dry_run: bool = False,
) -> SettlementReport:
    """Book several settlements in one commit; settlements already in the books are skipped
    (the line names the receipt id they were booked under).

    Items are `SettlementItem`s or tuples of its fields (bank_account, settlement, received
    [, paid_on]).

    Items are taken in settlement-date order, so a quarter's 积数 includes the interest of an
    earlier quarter booked in the same call.
    """
    layout = require_ledger(main)
    registry = load_registry(layout.registry)
    with LedgerWriter(layout.main) as session:
        books = _Books(session.books().entries, registry)
        lines: list[SettlementLine] = []
        coerced = [i if isinstance(i, SettlementItem) else SettlementItem(*i) for i in items]
        ordered = sorted(coerced, key=lambda i: (i.settlement, i.paid_on or i.settlement))
        for item in ordered:
            try:
                entry = books.entry(item.bank_account, item.settlement, item.received, item.paid_on)
            except AlreadyBooked as exc:
                lines.append(SettlementLine(item, exc.receipt, SKIPPED, None))
                continue
            books.add(entry)
            status = FLAGGED if entry.flag == "!" else BOOKED
            lines.append(SettlementLine(item, str(entry.meta[META_RECEIPT]), status, entry))
        new = [line.entry for line in lines if line.entry is not None]
        result = None
        if new:
            stage(session, new, FILE_KIND)
            result = session.commit(dry_run=dry_run)
    return SettlementReport(tuple(lines), result)


def book_settlement(
    main: Path,
    *,
    bank_account: str,
    settlement: dt.date,
    received: Decimal,
    paid_on: dt.date | None = None,
    dry_run: bool = False,
) -> SettlementReport:
    """Book one settlement (see `book_settlements`)."""
    item = SettlementItem(bank_account, settlement, received, paid_on)
    return book_settlements(main, [item], dry_run=dry_run)
