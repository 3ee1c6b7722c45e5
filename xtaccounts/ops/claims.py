"""Claiming 待查明款项 (suspense) items: what is open, and the entries that settle it.

An *item* is an amount the bank received or paid that was booked to 待查明款项
(`xtaccounts.books.links`); a *claim* takes all or part of it to where it belongs, in the open
period, with a posting on 待查明款项 whose ``claim`` metadata cites the item's id. What an item
still holds is its amount less what the claims citing it took (never first in, first out).

A claim's target (docs/claims.md):

- a payment notice (缴款通知书): booked as that notice's deposit (``kind: deposit``, Cr
  交存收入 per unit with its households), exactly what the notice still asks; several items may
  pay one notice together (rows of one claim file, or the import's top-up, `top_up_entry`);
- a household (Cr 交存收入 with the unit and that household) or a unit (Cr 交存收入 of the unit);
- ``退回`` / ``refund``: returned to the payer, money leaves the item's bank account;
- ``手续费`` / ``fee`` (其他支出), ``其他收入``, ``其他支出`` or an open Income/Expenses account.

`plan_claims` builds the entries (pure); `book_claims` stages them through the only writer in
one commit. A request that cannot be booked is a `ClaimRefused` naming every problem.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar, Self

from beancount.core import data

from xtaccounts.books.closed_periods import closed_write, closes_in
from xtaccounts.books.layout import LedgerLayout, require_ledger
from xtaccounts.books.links import (
    claim_links,
    claimed_item,
    is_item_posting,
    item_id,
    suspense_postings,
)
from xtaccounts.books.write_snapshot import Fold, register_fold
from xtaccounts.books.writer import CommitResult, LedgerWriter
from xtaccounts.core import chart
from xtaccounts.core.entries import entry_meta, number_of, posting
from xtaccounts.core.errors import XtError
from xtaccounts.core.i18n import _
from xtaccounts.core.money import format_money
from xtaccounts.core.outside_text import TextRefused, admit_text, shown_inert
from xtaccounts.core.vocabulary import (
    KIND_CLAIM,
    KIND_CLOSE,
    KIND_DEPOSIT,
    META_CLAIM,
    META_KIND,
    META_NOTICE,
    META_REVERSES_VOUCHER,
    META_SERIAL,
    META_STATEMENT,
    META_SUSPENSE_REASON,
    META_VOUCHER,
    ZERO,
)
from xtaccounts.ops import owner_deposits as deposits
from xtaccounts.ops.notice_payments import NoticePayments
from xtaccounts.registry import Registry, load_registry

__all__ = [
    "FILE_KIND",
    "ClaimIndex",
    "ClaimProblem",
    "ClaimRefused",
    "ClaimRequest",
    "ClaimsBooked",
    "Item",
    "Target",
    "book_claims",
    "parse_target",
    "plan_claims",
    "top_up_entry",
]

FILE_KIND = "claims"  # txns/YYYY/claims.beancount
_TARGET_ROOTS = ("Income:", "Expenses:")  # the accounts a claim may name
REFUND_WORDS = ("退回", "refund")
FEE_WORDS = ("手续费", "fee")
NAMED_ACCOUNTS = {
    "其他收入": chart.OTHER_INCOME,
    "其他支出": chart.OTHER_EXPENSE,
    **{word: chart.OTHER_EXPENSE for word in FEE_WORDS},
}


class ClaimError(XtError):
    """A claim that cannot be booked as given."""


class ClaimDateError(ClaimError):
    """A claim whose date is wrong for what it books."""


@dataclass(frozen=True)
class ClaimProblem:
    """One thing wrong with one claim: where (``file:row`` or an option), which field, what."""

    where: str
    column: str
    message: str

    def __str__(self) -> str:
        head = ": ".join(part for part in (self.where, self.column) if part)
        return f"{head}: {self.message}" if head else self.message


class ClaimRefused(ClaimError):
    """Claims refused: every problem found, one per line; nothing is written."""

    def __init__(self, problems: Sequence[ClaimProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


# --- what the books hold ----------------------------------------------------------------------


# What an item's entry is read for (`Item.meta`): kept of it when the entry is not.
_ITEM_META = (
    "payer",
    "counterparty",
    META_NOTICE,
    META_SERIAL,
    META_SUSPENSE_REASON,
    META_STATEMENT,
    "row",
)


@dataclass
class Item:
    """A 待查明款项 item: what the bank moved (+ received, - paid) and what claims took.

    `entry`: the transaction that booked it (None in the write snapshot's `SuspenseItems`,
    which keeps only the metadata `meta` reads)."""

    id: str
    date: dt.date
    bank_account: str
    amount: Decimal
    claimed: Decimal = ZERO
    entry: data.Transaction | None = None
    fields: Mapping[str, object] = field(default_factory=dict)

    @property
    def open(self) -> Decimal:
        """What the item still holds (same sign as `amount`)."""
        return self.amount - self.claimed

    @property
    def is_receipt(self) -> bool:
        return self.amount > 0

    @property
    def payer(self) -> str:
        """Who paid (a receipt) or was paid, as the books keep it (masked on admission)."""
        return self.meta("payer") or self.meta("counterparty")

    def meta(self, key: str) -> str:
        value = self.fields.get(key)
        return "" if value is None else str(value)


@dataclass
class ClaimIndex(Fold):
    """The items of the books, the claims citing them, and what each notice was paid.

    `unknown` holds the claims citing no item of the books, `unlinked` the postings on
    待查明款项 that neither come from the bank nor cite an item (a reclassification by hand);
    the audit reports both. `opened`: the income and expense accounts the books open (what a
    claim may name, `parse_target`); `last_close`: the day of their last close of a period.
    """

    KEEPS_ENTRIES: ClassVar[bool] = True
    VERSION: ClassVar[int] = 2  # 2: the items by notice

    items: dict[str, Item] = field(default_factory=dict)
    claims: dict[str, list[tuple[data.Transaction, Decimal]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    unknown: list[tuple[data.Transaction, str, Decimal]] = field(default_factory=list)
    unlinked: list[tuple[data.Transaction, Decimal]] = field(default_factory=list)
    notices: NoticePayments = field(default_factory=NoticePayments)
    opened: set[str] = field(default_factory=set)
    last_close: dt.date | None = None
    _reversed: dict[str, str] = field(default_factory=dict)  # an item's voucher -> its id
    # The ids an unknown or hand-written claim names (only counted when entries are not kept).
    _cited: set[str] = field(default_factory=set)
    # The ids of the items of each notice, so that a receipt finds those waiting for its
    # notice without going through every item (an import sends thousands to suspense).
    _by_notice: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, entries: Iterable[data.Directive], as_of: dt.date | None = None) -> Self:
        index = cls()
        later: list[data.Transaction] = []
        for entry in entries:
            if isinstance(entry, data.Open) and entry.account.startswith(_TARGET_ROOTS):
                index.opened.add(entry.account)
            if not isinstance(entry, data.Transaction):
                continue
            if as_of is not None and entry.date > as_of:
                continue
            if not index._add_items(entry):
                later.append(entry)
            index._add_other(entry)
        for entry in later:  # claims after every item: a claim may be written before its item
            index._add_claims(entry)
        return index

    def add(self, entry: data.Directive) -> None:
        """One new entry (the import's lines, one after the other; a fast write's entries)."""
        if isinstance(entry, data.Open) and entry.account.startswith(_TARGET_ROOTS):
            self.opened.add(entry.account)
        if not isinstance(entry, data.Transaction):
            return
        if not self._add_items(entry):
            self._add_claims(entry)
        self._add_other(entry)

    def kept(self) -> ClaimIndex:
        """Without the notices paid before the last close (`NoticePayments.kept_after`)."""
        if self.last_close is None:
            return self
        return replace(self, notices=self.notices.kept_after(self.last_close))

    def _add_other(self, entry: data.Transaction) -> None:
        self.notices.add(entry)
        if entry.meta.get(META_KIND) == KIND_CLOSE:
            self.last_close = max(entry.date, self.last_close or entry.date)

    def _add_items(self, entry: data.Transaction) -> bool:
        """Record the item the entry books, if any; False when it has claims to record."""
        postings = suspense_postings(entry)
        if not postings:
            return True
        items = [p for p in postings if is_item_posting(entry, p)]
        if items:
            bank = next(p for p in entry.postings if p.account.startswith(chart.BANK + ":"))
            key = self._reversed.get(str(entry.meta.get(META_REVERSES_VOUCHER) or ""))
            key = key or item_id(entry)  # a 红字冲销 of an item nets against that item
            if entry.meta.get(META_VOUCHER):
                self._reversed[str(entry.meta[META_VOUCHER])] = key
            amount = -sum((number_of(p) for p in items), ZERO)
            known = self.items.get(key)
            if known is None:
                if key in self._cited:  # cited before it was booked: only `of` matches them
                    self.stale = True
                item = self.items[key] = self._item(key, entry, bank.account, amount)
                notice = item.meta(META_NOTICE)
                if notice:
                    self._by_notice.setdefault(notice, []).append(key)
            else:
                known.amount += amount
        return len(items) == len(postings)

    def _add_claims(self, entry: data.Transaction) -> None:
        links = set(entry.links or ())
        for p in suspense_postings(entry):
            if is_item_posting(entry, p):
                continue
            amount = number_of(p)
            key = claimed_item(p)
            if key is None:  # written by hand: a claim when the entry links exactly one item
                self._cite(links)
                cited = [link for link in links if link in self.items]
                if len(cited) != 1:
                    self._keep(self.unlinked, (entry, amount))
                    continue
                key = cited[0]
            item = self.items.get(key)
            if item is None:
                self._cite({key})
                self._keep(self.unknown, (entry, key, amount))
                continue
            item.claimed += amount
            self._keep(self.claims[key], (entry, amount))

    def _item(self, key: str, entry: data.Transaction, bank: str, amount: Decimal) -> Item:
        if self.KEEPS_ENTRIES:
            return Item(key, entry.date, bank, amount, ZERO, entry, entry.meta)
        fields = {k: entry.meta[k] for k in _ITEM_META if entry.meta.get(k) is not None}
        return Item(key, entry.date, bank, amount, fields=fields)

    def _cite(self, ids: Iterable[str]) -> None:
        if not self.KEEPS_ENTRIES:
            self._cited.update(ids)

    def _keep(self, into: list[Any], what: Any) -> None:
        if self.KEEPS_ENTRIES:
            into.append(what)

    def open_items(self) -> list[Item]:
        """The items still holding money, oldest first."""
        return sorted((i for i in self.items.values() if i.open != 0), key=lambda i: (i.date, i.id))

    def waiting_for(self, notice: str) -> list[Item]:
        """The open receipts booked to suspense against `notice` (a short or long payment)."""
        items = (self.items[key] for key in self._by_notice.get(notice, ()))
        return sorted(
            (i for i in items if i.is_receipt and i.open > 0), key=lambda i: (i.date, i.id)
        )

    def find(self, text: str) -> Item:
        """The item `text` names: its id, its serial, or the unique end of its id."""
        text = text.strip()
        if text in self.items:
            return self.items[text]
        found = [i for i in self.items.values() if i.meta(META_SERIAL) == text]
        if not found and len(text) >= 6:
            found = [i for i in self.items.values() if i.id.endswith(text)]
        if len(found) == 1:
            return found[0]
        if not found:
            raise ClaimError(
                _("待查明款项中没有 {text}（用 xtaccounts claim list 查看款项编号）").format(
                    text=shown_inert(text)
                )
            )
        names = "、".join(sorted(i.id for i in found))
        raise ClaimError(
            _("{text} 对应多笔待查明款项（{names}）：请写完整编号").format(text=text, names=names)
        )


@register_fold
class SuspenseItems(ClaimIndex):
    """The `ClaimIndex` the write snapshot keeps for `claim book`: the items with the metadata
    they are read for, what claims took from each and what each notice was paid, without the
    entries (the audit's `claims`, `unknown` and `unlinked` are left empty). A claim citing an
    id the books do not have yet makes it `stale` when an item of that id is added: only `of`
    matches a claim written before its item."""

    KEEPS_ENTRIES = False


def notice_due(registry: Registry, notice: str) -> Decimal:
    """What a registry payment notice asks in all."""
    return sum((line.amount for line in registry.notices.get(notice, ())), ZERO)


# --- targets ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """Where a claim goes: kind ``notice``, ``household``, ``unit``, ``refund`` or ``account``."""

    kind: str
    value: str = ""


def parse_target(registry: Registry, opened: Iterable[str], text: str) -> Target:
    """The target a user wrote (see the module doc); ClaimError naming what is accepted."""
    value = (text or "").strip()
    if value.lower() in REFUND_WORDS:
        return Target("refund")
    if value.lower() in NAMED_ACCOUNTS or value in NAMED_ACCOUNTS:
        return Target("account", NAMED_ACCOUNTS[value.lower() if value.isascii() else value])
    if value in registry.notices:
        return Target("notice", value)
    if value in registry.households:
        return Target("household", value)
    if value in registry.units:
        return Target("unit", value)
    if value.startswith(_TARGET_ROOTS) and value in set(opened):
        return Target("account", value)
    raise ClaimError(
        _(
            "认领对象 “{value}” 无法识别：应为缴款通知书编号、分户编号、单元编号、"
            "退回（退还付款人）、手续费、其他收入、其他支出或已开设的收入/支出科目"
        ).format(value=shown_inert(value))
    )


# --- planning ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimRequest:
    """One claim as asked: the item (id, serial or end of id), date, amount, target, reason."""

    item: str
    date: dt.date
    amount: Decimal
    target: str
    reason: str = ""
    where: str = ""  # ``file:row`` of a claim file; "" for one given by options
    columns: tuple[str, str, str, str, str] = ("ITEM", "--date", "--amount", "--to", "--reason")


@dataclass
class _Checked:
    request: ClaimRequest
    item: Item
    target: Target
    amount: Decimal
    reason: str


def _problem(request: ClaimRequest, column: int, message: str) -> ClaimProblem:
    return ClaimProblem(request.where, request.columns[column], message)


def plan_claims(
    registry: Registry,
    entries: Sequence[data.Directive],
    requests: Sequence[ClaimRequest],
    ledger_dir: Path,
) -> list[data.Transaction]:
    """The transactions booking `requests` against the books' `entries` (pure).

    Every request is checked before any is built, against the items as the earlier requests
    leave them; ClaimRefused lists every problem. Requests paying the same notice are booked as
    one deposit that must make up what the notice still asks.
    """
    return plan_from(registry, ClaimIndex.of(entries), requests, ledger_dir, lambda: entries)


def plan_from(
    registry: Registry,
    index: ClaimIndex,
    requests: Sequence[ClaimRequest],
    ledger_dir: Path,
    books: Callable[[], Sequence[data.Directive]],
) -> list[data.Transaction]:
    """`plan_claims` from the books' `index` (a `SuspenseItems` of the write snapshot will do);
    `books()`, their entries, is called only for what the index does not hold: a refund's bank
    account, and the closes when a claim is dated on or before the last one."""
    opened = index.opened
    problems: list[ClaimProblem] = []
    checked: list[_Checked] = []
    taken: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for request in requests:
        before = len(problems)
        item: Item | None = None
        target: Target | None = None
        try:
            item = index.find(request.item)
        except ClaimError as exc:
            problems.append(_problem(request, 0, str(exc)))
        try:
            deposits.check_date(registry, request.date, _("认领日期"), error=ClaimError)
        except ClaimError as exc:
            problems.append(_problem(request, 1, str(exc)))
        try:
            amount = deposits.parse_amount(request.amount, _("认领金额"))
        except XtError as exc:
            problems.append(_problem(request, 2, str(exc)))
            amount = ZERO
        try:
            target = parse_target(registry, opened, request.target)
        except ClaimError as exc:
            problems.append(_problem(request, 3, str(exc)))
        try:
            reason = admit_text(request.reason or "", field=request.columns[4])
        except TextRefused as exc:
            problems.append(_problem(request, 4, exc.reason))
            reason = ""
        if item is None or target is None or len(problems) > before:
            continue
        holds = max(item.open if item.is_receipt else -item.open, ZERO) - taken[item.id]
        if request.date < item.date:
            problems.append(
                _problem(
                    request,
                    1,
                    _("认领日期 {date} 早于款项 {item} 的入账日期 {booked}").format(
                        date=request.date, item=item.id, booked=item.date
                    ),
                )
            )
        if amount > holds:
            problems.append(
                _problem(
                    request,
                    2,
                    _("款项 {item} 尚余 {holds}，认领 {asked} 超过所余，不予认领").format(
                        item=item.id, holds=format_money(holds), asked=format_money(amount)
                    ),
                )
            )
        if not item.is_receipt and target.kind != "account":
            problems.append(
                _problem(
                    request,
                    3,
                    _(
                        "款项 {item} 是付款（付出 {paid}），只能认领到收入或支出科目（如 手续费）"
                    ).format(item=item.id, paid=format_money(-item.amount)),
                )
            )
        if len(problems) == before:
            taken[item.id] += amount
            checked.append(_Checked(request, item, target, amount, reason))
    txns: list[data.Transaction] = []
    if not problems:
        txns = _build(registry, books, index, checked, problems)
    closed = index.last_close
    for txn in txns:
        if closed is None or txn.date > closed:  # after every close: not in a closed period
            continue
        line = closed_write(closes_in(books()), [txn], ledger_dir)
        if line:
            request = next(c.request for c in checked if c.request.date == txn.date)
            problems.append(_problem(request, 1, line))
            break
    if problems:
        raise ClaimRefused(problems)
    return txns


def _relpath(day: dt.date) -> str:
    return LedgerLayout.txns_file(day.year, FILE_KIND)


def _claim_posting(item: Item, amount: Decimal) -> data.Posting:
    sign = 1 if item.is_receipt else -1
    return posting(chart.SUSPENSE, sign * amount, **{META_CLAIM: item.id})


def _narration(item: Item, what: str) -> str:
    return _("认领 待查明款项 {item} {what}").format(item=item.id, what=what)


def _build(
    registry: Registry,
    books: Callable[[], Sequence[data.Directive]],
    index: ClaimIndex,
    checked: Sequence[_Checked],
    problems: list[ClaimProblem],
) -> list[data.Transaction]:
    txns: list[data.Transaction] = []
    by_notice: dict[str, list[_Checked]] = defaultdict(list)
    for claim in checked:
        if claim.target.kind == "notice":
            by_notice[claim.target.value].append(claim)
        else:
            try:
                txns.append(_single(registry, books, claim))
            except XtError as exc:
                column = 1 if isinstance(exc, ClaimDateError) else 2
                problems.append(_problem(claim.request, column, str(exc)))
    for notice, claims in by_notice.items():
        paid = index.notices.paid(notice)
        owed = notice_due(registry, notice) - paid
        total = sum((c.amount for c in claims), ZERO)
        last = max(claims, key=lambda c: c.request.date)
        if owed <= 0:
            problems.append(
                _problem(
                    last.request,
                    3,
                    _("缴款通知书 {notice} 已于 {date} 缴清，不能再认领到该通知书").format(
                        notice=notice, date=index.notices.last_paid(notice)
                    ),
                )
            )
            continue
        if total != owed:
            problems.append(
                _problem(
                    last.request,
                    2,
                    _(
                        "缴款通知书 {notice} 尚欠 {owed}，认领合计 {total}："
                        "认领到通知书须补足所欠全额"
                        "（几笔款项合缴一张通知书时，写在同一份认领文件中）"
                    ).format(notice=notice, owed=format_money(owed), total=format_money(total)),
                )
            )
            continue
        parts = [(c.item, c.amount) for c in claims]
        try:
            txns.append(
                notice_entry(registry, notice, last.request.date, owed, parts, reason=last.reason)
            )
        except ClaimError as exc:
            problems.append(_problem(last.request, 3, str(exc)))
    return sorted(txns, key=lambda t: t.date)


def notice_entry(
    registry: Registry,
    notice: str,
    day: dt.date,
    owed: Decimal,
    parts: Sequence[tuple[Item, Decimal]],
    *,
    reason: str = "",
    receipt: deposits.Receipt | None = None,
    relpath: str | None = None,
) -> data.Transaction:
    """The deposit paying what `notice` still owes from suspense `parts` (and a new `receipt`):
    the postings an identified receipt of the notice gets, its bank posting replaced by the
    receipt's (if any) and one claim posting per item."""
    relpath = relpath or _relpath(day)
    whole = deposits.Receipt(
        receipt.bank_account if receipt else chart.SUSPENSE,
        day,
        owed,
        notice,
        receipt.serial if receipt else None,
        receipt.payer if receipt else parts[0][0].payer or None,
        receipt.memo if receipt else None,
    )
    built = deposits._deposit_entry(registry, deposits.DepositIndex(), whole, relpath)
    if built.flag != "*":  # a notice paid in part by hand: its households are not all owed
        raise ClaimError(
            _(
                "缴款通知书 {notice} 已有部分入账，尚欠 {owed}：请按分户认领（认领对象写分户编号）"
            ).format(notice=notice, owed=format_money(owed))
        )
    claims = [_claim_posting(item, amount) for item, amount in parts]
    head = [posting(receipt.bank_account, receipt.amount)] if receipt else []
    meta = dict(built.meta)
    if reason:
        meta["reason"] = reason
    ids = [item.id for item, _amount in parts]
    return built._replace(
        meta=meta,
        narration=(built.narration or "")
        + " "
        + _("（认领待查明款项 {ids}）").format(ids="、".join(ids)),
        links=frozenset(built.links or ()) | claim_links(ids),
        postings=[*head, *claims, *built.postings[1:]],
    )


def _single(
    registry: Registry, books: Callable[[], Sequence[data.Directive]], claim: _Checked
) -> data.Transaction:
    item, target, amount = claim.item, claim.target, claim.amount
    day = claim.request.date
    kind = KIND_DEPOSIT
    payer = item.payer or None
    if target.kind == "household":
        household = registry.households[target.value]
        other = posting(
            chart.DEPOSIT_INCOME,
            -amount,
            unit=household.unit,
            households=deposits.format_households({household.id: amount}),
        )
        what = _("交存 维修资金 {household}").format(household=household.id)
    elif target.kind == "unit":
        other = posting(chart.DEPOSIT_INCOME, -amount, unit=target.value)
        what = _("交存 维修资金 单元 {unit}").format(unit=target.value)
    elif target.kind == "refund":
        kind = KIND_CLAIM
        entries = books()
        asserted = max(
            (
                e.date
                for e in entries
                if isinstance(e, data.Balance) and e.account == item.bank_account
            ),
            default=None,
        )
        if asserted is not None and day < asserted:
            raise ClaimDateError(
                _(
                    "退回日期 {date} 在银行账户 {bank} 已导入的对账单期间内（已核对余额至 "
                    "{asserted}）：退回记在银行实际付出之日，即 {asserted} 或之后"
                ).format(date=day, bank=item.bank_account, asserted=asserted)
            )
        available = deposits.lowest_balance_from(entries, item.bank_account, day)
        if amount > available:
            raise ClaimError(
                _("退回 {amount}：银行账户 {bank} 自 {date} 起最多只有 {available}").format(
                    amount=format_money(amount),
                    bank=item.bank_account,
                    date=day,
                    available=format_money(available),
                )
            )
        other = posting(item.bank_account, -amount)
        what = _("退回付款人 {payer}").format(payer=payer or "")
    else:
        kind = KIND_CLAIM
        sign = -1 if item.is_receipt else 1
        other = posting(target.value, sign * amount)
        what = _("转入 {account}").format(account=target.value)
    meta = entry_meta(_relpath(day), kind=kind, payer=payer, reason=claim.reason or None)
    return data.Transaction(
        meta,
        day,
        "*",
        payer,
        _narration(item, what).strip(),
        frozenset(),
        claim_links([item.id]),
        [_claim_posting(item, amount), other],
    )


# --- the import's top-up ----------------------------------------------------------------------


def top_up_entry(
    registry: Registry,
    index: ClaimIndex,
    receipt: deposits.Receipt,
    fallback: data.Transaction,
) -> data.Transaction:
    """A receipt for a notice that the import sent to suspense (`fallback`), read again with
    what already waits in suspense for that notice and what was already booked to it.

    When the receipt and the waiting items make up exactly what the notice still owes, the
    notice is settled: one deposit of the receipt plus a claim of each waiting item. Otherwise
    the receipt stays in suspense, its reason counting the waiting items. A notice already paid
    in full keeps the fallback (its reason says 已缴清).
    """
    notice = receipt.notice_no
    if fallback.flag != "!" or not notice or notice not in registry.notices:
        return fallback
    paid = index.notices.paid(notice)
    owed = notice_due(registry, notice) - paid
    if owed <= 0 or paid:
        return fallback
    waiting = index.waiting_for(notice)
    if not waiting:
        return fallback
    held = sum((i.open for i in waiting), ZERO)
    relpath = str(fallback.meta.get("filename") or _relpath(receipt.date))
    if receipt.amount + held == owed:
        parts = [(i, i.open) for i in waiting]
        return notice_entry(
            registry, notice, receipt.date, owed, parts, receipt=receipt, relpath=relpath
        )
    gap = receipt.amount + held - owed
    word = _("少") if gap < 0 else _("多")
    reason = _(
        "缴款通知书 {notice} 尚欠 {owed}，待查明款项中已有该通知书来款 {held}（{ids}），"
        "本笔实收 {received}，合计{word} {gap}"
    ).format(
        notice=notice,
        owed=format_money(owed),
        held=format_money(held),
        ids="、".join(i.id for i in waiting),
        received=format_money(receipt.amount),
        word=word,
        gap=format_money(abs(gap)),
    )
    meta = dict(fallback.meta)
    meta[META_SUSPENSE_REASON] = reason
    return fallback._replace(meta=meta)


# --- booking ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimsBooked:
    """The claims' transactions and the commit that booked them (None for a dry run's plan)."""

    entries: tuple[data.Transaction, ...]
    result: CommitResult | None


def book_claims(
    main: Path, requests: Sequence[ClaimRequest], *, dry_run: bool = False
) -> ClaimsBooked:
    """Book every request in one commit (one history record), or nothing (ClaimRefused)."""
    layout = require_ledger(main)
    registry = load_registry(layout.registry)
    with LedgerWriter(layout.main) as session:
        index: ClaimIndex = session.index(SuspenseItems)
        if not all(index.notices.answers(request.target.strip()) for request in requests):
            index = ClaimIndex.of(session.books().entries)  # a notice paid before the close
        txns = plan_from(
            registry, index, requests, layout.main.parent, lambda: session.books().entries
        )
        deposits.stage(session, txns, FILE_KIND)
        result = session.commit(dry_run=dry_run)
    return ClaimsBooked(tuple(txns), result)


def statement_of(item: Item) -> str:
    """Where an item came from: statement file, row and serial, as its entry records them."""
    parts = [item.meta(META_STATEMENT), item.meta("row"), item.meta(META_SERIAL)]
    statement, row, serial = parts
    where = f"{statement}:{row}" if statement and row else statement
    return " ".join(p for p in (where, serial) if p)
