"""Owner deposits (交存), opening balances (期初) and refunds (返还支出).

A deposit receipt is booked to the units it pays for only when it matches a payment notice
(缴款通知书) exactly: the notice exists, the amount is the notice's total, and the notice was not
paid before. Anything else goes to `Liabilities:Suspense-待查明款项` with flag ``!`` and a
`suspense_reason` that says what is wrong, with figures; it is never booked to a unit on a guess.

Every function here builds Beancount entries from the registry and the books; the `book_*`
functions stage them through the only writer (`xtaccounts.books.writer`) in one commit. Metadata
follows docs/metadata.md: amounts as two-decimal strings, dates as ISO strings.
"""

from __future__ import annotations

import datetime as dt
import functools
from array import array
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from beancount.core import data

from xtaccounts.books.layout import ACCOUNTS_FILE, LedgerLayout, require_ledger
from xtaccounts.books.positions import (
    credited_households,
    format_households,
    parse_households,
    read_positions,
)
from xtaccounts.books.write_snapshot import (
    DigestSet,
    Fold,
    join_texts,
    register_fold,
    shared,
    shared_days,
    split_texts,
)
from xtaccounts.books.writer import CommitResult, LedgerWriter, WriteSession
from xtaccounts.core import chart
from xtaccounts.core.calendar import LAST_DAY
from xtaccounts.core.entries import entry_meta, number_of, posting
from xtaccounts.core.errors import XtError
from xtaccounts.core.i18n import _
from xtaccounts.core.money import MoneyError, format_money, to_exact_money, to_rate
from xtaccounts.core.outside_text import TextRefused, admit_text
from xtaccounts.core.privacy import mask_name
from xtaccounts.core.vocabulary import (
    CURRENCY,
    KIND_CLOSE,
    KIND_DEPOSIT,
    KIND_OPENING,
    KIND_REFUND,
    KIND_REVERSAL,
    META_HOUSEHOLD,
    META_HOUSEHOLDS,
    META_KIND,
    META_NOTICE,
    META_SERIAL,
    META_SUSPENSE_REASON,
    ZERO,
)
from xtaccounts.ops.notice_payments import NoticePayments
from xtaccounts.registry import Registry, load_registry
from xtaccounts.registry.lazy_table import values_of
from xtaccounts.registry.models import BankAccount

__all__ = [
    "BOOKED",
    "CURRENCY",
    "SKIPPED",
    "SUSPENSE",
    "Booked",
    "DepositError",
    "DepositIndex",
    "DepositLine",
    "DepositReport",
    "OpeningExists",
    "Receipt",
    "RefundRefused",
    "book_deposits",
    "book_opening",
    "book_refund",
    "check_date",
    "deposit_entry",
    "entry_meta",
    "format_households",
    "format_rate",
    "household_balance",
    "lowest_balance_from",
    "opening_entry",
    "parse_amount",
    "parse_households",
    "parse_rate",
    "posting",
    "refund_entry",
    "resolve_bank_account",
    "stage",
]

FILE_KIND = "deposits"  # txns/YYYY/deposits.beancount: deposits, openings and refunds

BOOKED = "booked"
SUSPENSE = "suspense"
SKIPPED = "skipped"

# The largest amount accepted (15 integer digits): 积数 of such an amount over decades still fits
# the 28 significant digits of Decimal's default context, so no later sum is rounded.
# The last day a money movement may be dated: the close of its year writes the next year's books.


class DepositError(XtError):
    """A deposit, opening or refund that cannot be booked as given."""


class OpeningExists(DepositError):
    """The bank account already has its opening entry."""


class RefundRefused(DepositError):
    """A refund larger than what the household, its unit or the bank account holds."""


# --- small shared helpers (also used by time_deposits and demand_interest) ----------------------


def parse_amount(value: object, what: str, *, positive: bool = True) -> Decimal:
    """A CNY amount (Decimal, int or text; never float) in whole fen, as two decimals.

    An amount with a part of a fen (``100.005``) is refused, never rounded: what the bank paid or
    the user typed is booked exactly or not at all. So is one above `MAX_AMOUNT`, and (when
    `positive`) one that is not more than zero.
    """
    try:
        amount = to_exact_money(value)
    except MoneyError as exc:
        raise DepositError(f"{what}: {str(exc).removeprefix('amount: ')}") from exc
    if positive and amount <= 0:
        raise DepositError(
            _("{what}：{amount} 须大于 0.00").format(what=what, amount=format_money(amount))
        )
    return amount


def check_date(
    registry: Registry, day: object, what: str, *, error: type[XtError] = DepositError
) -> dt.date:
    """`day` when it is a date from the books' first day (`books_start`) to `LAST_DAY`."""
    if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
        raise error(_("{what}：{day!r} 不是日期").format(what=what, day=day))
    first = registry.pilot.books_start
    if day < first:
        raise error(
            _(
                "{what}：{day} 早于建账日 {first}（试点设置 registry/pilot.toml 的 books_start）"
            ).format(what=what, day=day, first=first)
        )
    if day > LAST_DAY:
        raise error(
            _(
                "{what}：{day} 晚于 {last}，即其年度还能结转的最后一天（结转会写下一年的账簿）"
            ).format(what=what, day=day, last=LAST_DAY)
        )
    return day


def parse_rate(value: object, what: str) -> Decimal:
    """An annual rate in percent (Decimal or text; never float)."""
    try:
        return to_rate(value)
    except MoneyError as exc:
        raise DepositError(f"{what}: {str(exc).removeprefix('rate: ')}") from exc


def format_rate(rate: Decimal) -> str:
    """A rate as metadata text: percent, at least two decimals (``"1.95"``, ``"0.35"``)."""
    text = format(rate.normalize(), "f")
    places = len(text.partition(".")[2])
    return f"{rate:.2f}" if places < 2 else text


def resolve_bank_account(registry: Registry, account: str) -> BankAccount:
    """A registry bank account given by its account number or its Beancount account name."""
    text = str(account).strip().replace(" ", "")
    if text in registry.bank_accounts:
        return registry.bank_accounts[text]
    for bank in registry.bank_accounts.values():
        if bank.account == text:
            return bank
    known = ", ".join(f"{b.account_no} ({b.account})" for b in registry.bank_accounts.values())
    raise DepositError(
        _(
            "银行账户登记（registry/bank_accounts.csv）中没有银行账户 {account!r}："
            "已登记的有 {known}"
        ).format(account=account, known=known or _("无"))
    )


def lowest_balance_from(entries: Sequence[data.Directive], account: str, day: dt.date) -> Decimal:
    """The lowest end-of-day balance of `account` on `day` and every later day in the books.

    A withdrawal dated `day` must leave no later day overdrawn either (books are not always
    written in date order).
    """
    return _lowest_balance(read_positions(entries).account_movements.get(account, []), day)


def _lowest_balance(moves: Sequence[tuple[dt.date, Decimal]], day: dt.date) -> Decimal:
    """The lowest end-of-day balance from `day` on, from an account's movements."""
    balance = sum((amount for when, amount in moves if when <= day), ZERO)
    lowest = balance
    later: dict[dt.date, Decimal] = defaultdict(lambda: ZERO)
    for when, amount in moves:
        if when > day:
            later[when] += amount
    for when in sorted(later):
        balance += later[when]
        lowest = min(lowest, balance)
    return lowest


@dataclass(frozen=True)
class Booked:
    """Entries booked (or, for a dry run, that would be) and what the commit changed."""

    entries: tuple[data.Directive, ...]
    result: CommitResult | None


def stage(session: WriteSession, entries: Iterable[data.Directive], kind: str) -> None:
    """Stage entries: `open`/`close` to accounts.beancount, transactions by year and `kind`."""
    by_file: dict[str, list[data.Directive]] = defaultdict(list)
    for entry in entries:
        if isinstance(entry, data.Open | data.Close):
            by_file[ACCOUNTS_FILE].append(entry)
        else:
            by_file[LedgerLayout.txns_file(entry.date.year, kind)].append(entry)
    for relpath, staged in by_file.items():
        session.append_entries(relpath, staged)


def _txn_kind(entry: data.Directive) -> str | None:
    return entry.meta.get(META_KIND) if isinstance(entry, data.Transaction) else None


# --- deposits -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Receipt:
    """One deposit line of a bank statement (or entered by hand)."""

    bank_account: str
    date: dt.date
    amount: Decimal
    notice_no: str | None = None
    serial: str | None = None
    payer: str | None = None
    memo: str | None = None


@dataclass(frozen=True)
class DepositLine:
    """What happened to one receipt: booked, suspense or skipped, and why."""

    receipt: Receipt
    status: str
    entry: data.Transaction | None
    reason: str = ""


@dataclass(frozen=True)
class DepositReport:
    """The receipts of one `book_deposits` call and the commit that booked them."""

    lines: tuple[DepositLine, ...]
    result: CommitResult | None

    def _with(self, status: str) -> list[DepositLine]:
        return [line for line in self.lines if line.status == status]

    @property
    def booked(self) -> list[DepositLine]:
        return self._with(BOOKED)

    @property
    def suspense(self) -> list[DepositLine]:
        return self._with(SUSPENSE)

    @property
    def skipped(self) -> list[DepositLine]:
        return self._with(SKIPPED)


def _admitted(
    text: object, field: str, *, names: Iterable[str | None] = (), mask: bool = True
) -> str | None:
    """`admit_text` of an optional text: None when it is absent or blank."""
    if text is None:
        return None
    return admit_text(str(text), field=field, names=names, mask=mask) or None


def _normalise(registry: Registry, receipt: Receipt) -> Receipt:
    """The receipt with its account resolved, amount and date checked, and its texts admitted
    (`xtaccounts.core.outside_text`): control characters refused, HTML neutralised, the payer and
    memo masked (a person's name keeps its surname, wherever the memo repeats it; ID, phone and
    card numbers masked). Raises DepositError, or TextRefused."""
    check_date(registry, receipt.date, _("收款日期"))
    bank = resolve_bank_account(registry, receipt.bank_account)
    payer = receipt.payer
    return replace(
        receipt,
        bank_account=bank.account,
        amount=parse_amount(receipt.amount, _("收款金额")),
        notice_no=_admitted(receipt.notice_no, _("缴款通知书编号（--notice）"), mask=False),
        serial=_admitted(receipt.serial, _("流水号（--serial）"), mask=False),
        payer=_admitted(payer, _("付款人（--payer）"), names=[payer]),
        memo=_admitted(receipt.memo, _("摘要（--memo）"), names=[payer]),
    )


_DepositKey = tuple[str, dt.date, Decimal, str, str]


def _deposit_key(
    bank_account: str, day: dt.date, amount: Decimal, notice: object, payer: object
) -> _DepositKey:
    """What identifies a receipt without a serial: account, date, amount, notice and payer
    (admitted on both sides, so books written before masking compare too)."""
    return (
        shared(bank_account),
        shared(day),
        amount,
        str(notice or ""),
        shared(_payer_key(str(payer or ""))),
    )


@functools.lru_cache(maxsize=65536)
def _payer_key(payer: str) -> str:
    """A payer as `_normalise` stores it (a stored payer is unchanged by this)."""
    try:
        return admit_text(payer, field="payer", names=[payer])
    except TextRefused:  # written by hand, before such characters were refused
        return mask_name(payer)


def _bank_postings(entry: data.Transaction) -> list[data.Posting]:
    return [p for p in entry.postings if p.account.startswith(chart.BANK + ":")]


@register_fold
@dataclass
class DepositIndex(Fold):
    """What earlier deposits tell about a new receipt: paid notices, serials, receipt keys.

    - `notices`: what each notice was paid, and by which deposit (`NoticePayments`);
    - `serials`: (bank account, serial) of every transaction with a serial, with the day of the
      first; a serial is the bank's, so the same serial on another account is another line;
    - `keys`: every deposit by (account, date, amount, notice, payer);
    - `typed`: how many deposits without a serial have each key (lines typed in by hand), each
      still free to be recognised in a statement imported later; one statement line (with a
      serial) takes one of them.

    The write snapshot keeps it bounded by the books' last close (`kept`): the keys and serials
    of the days after it, the older serials as digests, and the notices paid after it (those
    paid before, as digests). Such an index `answers` a receipt dated after the close whose
    serial and notice are not among the older ones; for any other, the caller builds the whole
    index from the books (a receipt in a closed period is refused or skipped as before, with
    the same words; a second payment of a notice paid years ago is found as before).
    """

    notices: NoticePayments = field(default_factory=NoticePayments)
    serials: dict[tuple[str, str], dt.date] = field(default_factory=dict)
    keys: set[_DepositKey] = field(default_factory=set)
    typed: dict[_DepositKey, int] = field(default_factory=dict)
    closed_through: dt.date | None = None  # the last close's day: what is kept is after it
    old_serials: DigestSet = field(default_factory=DigestSet)  # "account serial" of before
    _last_close: dt.date | None = None

    def add(self, entry: data.Directive) -> None:
        if not isinstance(entry, data.Transaction):
            return
        self.notices.add(entry)
        kind = entry.meta.get(META_KIND)
        if kind == KIND_CLOSE:
            self._last_close = max(entry.date, self._last_close or entry.date)
        serial = entry.meta.get(META_SERIAL)
        if not serial and kind != KIND_DEPOSIT:
            return  # (a close or an allocation: its thousands of postings are not gone through)
        banks = _bank_postings(entry)
        if serial:
            for bank in banks:
                line = (shared(bank.account), str(serial))
                if self.old_serials and serial_key(*line) in self.old_serials:
                    continue  # booked before the close: asked of the books, see `answers`
                earlier = self.serials.get(line)
                if earlier is None or entry.date < earlier:
                    self.serials[line] = shared(entry.date)
        if kind != KIND_DEPOSIT or not banks:
            return
        key = _deposit_key(
            banks[0].account,
            entry.date,
            number_of(banks[0]),
            entry.meta.get(META_NOTICE),
            entry.meta.get("payer"),
        )
        self.keys.add(key)
        if not serial:
            self.typed[key] = self.typed.get(key, 0) + 1

    def __getstate__(self) -> dict[str, Any]:
        """The serials and the receipt keys in columns (texts joined, days as ordinals): a
        city's open year holds a hundred thousand of each, and pickling them as objects took
        several times the memory of the pickle each time a write kept its snapshot."""
        state = dict(self.__dict__)
        serials: dict[tuple[str, str], dt.date] = state.pop("serials")
        keys: set[_DepositKey] = state.pop("keys")
        accounts = {a: n for n, a in enumerate(dict.fromkeys(
            [*(a for a, _serial in serials), *(k[0] for k in keys)]))}  # fmt: skip
        order = list(keys)
        texts = (
            join_texts(serial for _account, serial in serials),
            join_texts(k[3] for k in order),
            join_texts(k[4] for k in order),
        )
        if any(text is None for text in texts):  # (a text holding the separator: as objects)
            return {**state, "serials": serials, "keys": keys}
        state["columns"] = (
            list(accounts),
            array("I", (accounts[a] for a, _serial in serials)),
            array("i", (day.toordinal() for day in serials.values())),
            array("I", (accounts[k[0]] for k in order)),
            array("i", (k[1].toordinal() for k in order)),
            join_texts(map(str, (k[2] for k in order))),
            *texts,
        )
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        columns = state.pop("columns", None)
        if columns is not None:
            names, serial_accounts, serial_days, key_accounts, key_days, amounts = columns[:6]
            serials, notices, payers = columns[6:]
            accounts = [shared(name) for name in names]
            days = shared_days([*serial_days, *key_days])
            state["serials"] = dict(
                zip(
                    zip(map(accounts.__getitem__, serial_accounts),
                        split_texts(serials, len(serial_days)), strict=True),
                    map(days.__getitem__, serial_days),
                    strict=True,
                )
            )  # fmt: skip
            count = len(key_days)
            state["keys"] = set(
                zip(
                    map(accounts.__getitem__, key_accounts),
                    map(days.__getitem__, key_days),
                    map(Decimal, split_texts(amounts, count)),
                    split_texts(notices, count),
                    map(shared, split_texts(payers, count)),
                    strict=True,
                )
            )
        for name, value in state.items():
            setattr(self, name, value)

    def kept(self) -> DepositIndex:
        """The index without what only a receipt in a closed period can need (see the class)."""
        day = self._last_close
        if day is None or day == self.closed_through:
            return self
        old = [serial_key(*k) for k, when in self.serials.items() if when <= day]
        return replace(
            self,
            notices=self.notices.kept_after(day),
            serials={k: when for k, when in self.serials.items() if when > day},
            keys={k for k in self.keys if k[1] > day},
            typed={k: n for k, n in self.typed.items() if k[1] > day},
            closed_through=day,
            old_serials=self.old_serials.with_keys(old),
        )

    def answers(self, receipt: Receipt) -> bool:
        """Whether the index holds all the books say about the receipt (see the class)."""
        day = self.closed_through
        if day is None:
            return True
        if receipt.date <= day or not self.notices.answers(receipt.notice_no or ""):
            return False
        return not receipt.serial or (
            serial_key(receipt.bank_account, receipt.serial) not in self.old_serials
        )

    def duplicate(self, receipt: Receipt) -> str:
        """Why the receipt is already in the books, or "" when it is not.

        With a serial: that serial on the same bank account, or else a deposit without a serial
        with the same account, date, amount, notice and payer (typed in by hand before the
        statement was imported; it is taken, so it matches one statement line only). Without a
        serial: any deposit with the same account, date, amount, notice and payer.
        """
        key = _deposit_key(
            receipt.bank_account, receipt.date, receipt.amount, receipt.notice_no, receipt.payer
        )
        if receipt.serial:
            earlier = self.serials.get((receipt.bank_account, receipt.serial))
            if earlier is not None:
                return (
                    f"流水号 {receipt.serial} 已于 {earlier} 在本账户入账，不重复记账 "
                    f"(serial already booked on this account on {earlier})"
                )
            typed = self.typed.get(key, 0)
            if typed:
                self.typed[key] = typed - 1
                return (
                    f"同账户、同日、同金额 {format_money(receipt.amount)}、同通知书、同付款人的来款"
                    f"已于 {receipt.date} 手工入账（无流水号），流水号 {receipt.serial} 即该笔，"
                    "不重复记账 (already booked without a serial: same account, date, amount, "
                    "notice and payer)"
                )
            return ""
        if key in self.keys:
            return (
                f"同账户、同日、同金额 {format_money(receipt.amount)}、同通知书、同付款人的来款"
                "已入账 (already booked: same account, date, amount, notice and payer; no serial)"
            )
        return ""


_DepositIndex = DepositIndex  # the import's name for it


def serial_key(bank_account: str, serial: str) -> str:
    """How a (bank account, serial) booked before the last close is kept (`old_serials`)."""
    return f"{bank_account} {serial}"


_NOTICE_FIELDS = ("household", "amount")
_UNIT = ("unit",)


def _notice_problem(
    registry: Registry, index: DepositIndex, receipt: Receipt
) -> tuple[list[tuple[str, Decimal]], str]:
    """The notice's lines (household, amount) when the receipt matches it exactly, else the
    suspense reason. The notice's rows are read, not restored (`values_of`): an import reads
    thousands of notices once each."""
    received = format_money(receipt.amount)
    notice_no = receipt.notice_no
    if not notice_no:
        return [], f"来款未注明缴款通知书编号，实收 {received} (no payment notice number)"
    lines = (
        values_of(registry.notices, notice_no, _NOTICE_FIELDS)
        if notice_no in registry.notices
        else None
    )
    if not lines:
        return [], (
            f"缴款通知书 {notice_no} 不存在，实收 {received} (unknown payment notice {notice_no})"
        )
    earlier = index.notices.paid_by(notice_no)
    if earlier is not None:
        serial = earlier.serial
        via = f"，流水号 {serial}" if serial else ""
        return [], (
            f"缴款通知书 {notice_no} 已于 {earlier.date} 缴清{via}，本笔实收 {received} 为重复缴款 "
            f"(notice already paid on {earlier.date})"
        )
    due = sum((amount for _household, amount in lines), ZERO)
    if receipt.amount != due:
        gap = receipt.amount - due
        word, english = ("少", "short") if gap < 0 else ("多", "over")
        return [], (
            f"缴款通知书 {notice_no} 应缴 {format_money(due)}，实收 {received}，"
            f"{word} {format_money(abs(gap))} ({english} by {format_money(abs(gap))})"
        )
    return lines, ""


def _deposit_entry(
    registry: Registry, index: DepositIndex, receipt: Receipt, relpath: str
) -> data.Transaction:
    lines, reason = _notice_problem(registry, index, receipt)
    bank_posting = posting(receipt.bank_account, receipt.amount)
    if reason:
        notice = receipt.notice_no
        narration = f"待查明来款 缴款通知书 {notice}" if notice else "待查明来款 未注明缴款通知书"
        meta = entry_meta(
            relpath,
            kind=KIND_DEPOSIT,
            notice=notice,
            serial=receipt.serial,
            payer=receipt.payer,
            memo=receipt.memo,
            suspense_reason=reason,
        )
        postings = [bank_posting, posting(chart.SUSPENSE, -receipt.amount)]
        return data.Transaction(
            meta, receipt.date, "!", receipt.payer, narration, frozenset(), frozenset(), postings
        )
    by_unit: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for household, amount in lines:
        (unit,) = values_of(registry.households, household, _UNIT)
        households = by_unit[unit]
        households[household] = households.get(household, ZERO) + amount
    postings = [bank_posting]
    for unit in sorted(by_unit):
        households = by_unit[unit]
        total = sum(households.values(), ZERO)
        postings.append(
            posting(
                chart.DEPOSIT_INCOME,
                -total,
                unit=unit,
                households=format_households(households),
            )
        )
    count = len({household for household, _amount in lines})
    meta = entry_meta(
        relpath,
        kind=KIND_DEPOSIT,
        notice=receipt.notice_no,
        serial=receipt.serial,
        payer=receipt.payer,
        memo=receipt.memo,
    )
    narration = f"交存 维修资金 缴款通知书 {receipt.notice_no} ({count}户)"
    return data.Transaction(
        meta, receipt.date, "*", receipt.payer, narration, frozenset(), frozenset(), postings
    )


def deposit_entry(
    registry: Registry, entries: Sequence[data.Directive], receipt: Receipt
) -> data.Transaction:
    """The transaction for one receipt (pure: nothing is written).

    Booked to the units (Dr bank / Cr 交存收入, one posting per unit with `unit` and
    `households` metadata, flag ``*``) when the receipt names a payment notice, the amount is
    that notice's total and no earlier matched deposit paid it; otherwise Dr bank / Cr
    待查明款项 with flag ``!`` and a `suspense_reason` saying what is wrong. Raises DepositError
    for a receipt that cannot be booked at all (unknown bank account, amount not positive).
    """
    receipt = _normalise(registry, receipt)
    relpath = LedgerLayout.txns_file(receipt.date.year, FILE_KIND)
    return _deposit_entry(registry, DepositIndex.of(entries), receipt, relpath)


def book_deposits(
    main: Path, receipts: Sequence[Receipt], *, dry_run: bool = False
) -> DepositReport:
    """Book receipts in one commit; a receipt already in the books is skipped and reported.

    A receipt is already in the books when its `serial` is on a transaction of the same bank
    account, or (typed in by hand first, imported from the statement later) when a deposit
    without a serial has its bank account, date, amount, notice and payer; a receipt without a
    serial when any deposit with the same bank account, date, amount, notice and payer exists.
    Payer and memo are stored masked (`xtaccounts.core.privacy`). Receipts are taken in the order
    given, so a second payment of one notice in the same batch goes to suspense as already paid.
    """
    layout = require_ledger(main)
    registry = load_registry(layout.registry)
    normalised = [_normalise(registry, receipt) for receipt in receipts]
    with LedgerWriter(layout.main) as session:
        index = session.index(DepositIndex)
        if not all(index.answers(receipt) for receipt in normalised):
            index = DepositIndex.of(session.books().entries)
        lines: list[DepositLine] = []
        for receipt in normalised:
            duplicate = index.duplicate(receipt)
            if duplicate:
                lines.append(DepositLine(receipt, SKIPPED, None, duplicate))
                continue
            relpath = LedgerLayout.txns_file(receipt.date.year, FILE_KIND)
            entry = _deposit_entry(registry, index, receipt, relpath)
            index.add(entry)
            status = SUSPENSE if entry.flag == "!" else BOOKED
            lines.append(
                DepositLine(receipt, status, entry, str(entry.meta.get(META_SUSPENSE_REASON, "")))
            )
        new = [line.entry for line in lines if line.entry is not None]
        result = None
        if new:
            stage(session, new, FILE_KIND)
            result = session.commit(dry_run=dry_run)
    return DepositReport(tuple(lines), result)


# --- opening balances -----------------------------------------------------------------------


def _household_amounts(
    registry: Registry, amounts: Mapping[str, Decimal]
) -> dict[str, dict[str, Decimal]]:
    """{unit: {household: amount}} from {household: amount}, every household checked."""
    if not amounts:
        raise DepositError(_("期初余额：没有给出住户金额"))
    by_unit: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for household, value in amounts.items():
        hh = registry.households.get(str(household).strip())
        if hh is None:
            raise DepositError(
                _("期初余额：住户登记中没有住户 {household!r}").format(household=household)
            )
        by_unit[hh.unit][hh.id] = parse_amount(
            value, _("{household} 的期初金额").format(household=hh.id)
        )
    return by_unit


def opening_entry(
    registry: Registry,
    date: dt.date,
    bank_account: str,
    amounts: Mapping[str, Decimal],
) -> data.Transaction:
    """Fund balances brought in from before the books: Dr bank total / Cr each unit's 维修资金.

    Each unit's posting carries `households` metadata (id=amount, sorted by id).
    """
    check_date(registry, date, _("期初日期"))
    bank = resolve_bank_account(registry, bank_account)
    by_unit = _household_amounts(registry, amounts)
    relpath = LedgerLayout.txns_file(date.year, FILE_KIND)
    total = sum((sum(hh.values(), ZERO) for hh in by_unit.values()), ZERO)
    postings = [posting(bank.account, total)]
    for unit in sorted(by_unit):
        households = by_unit[unit]
        postings.append(
            posting(
                chart.unit_fund_account(registry, unit),
                -sum(households.values(), ZERO),
                households=format_households(households),
            )
        )
    count = sum(len(hh) for hh in by_unit.values())
    narration = f"期初 维修资金余额转入 {bank.bank_name} ({count}户, {len(by_unit)}个单元)"
    return data.Transaction(
        entry_meta(relpath, kind=KIND_OPENING),
        date,
        "*",
        None,
        narration,
        frozenset(),
        frozenset(),
        postings,
    )


def _opening_of(entries: Iterable[data.Directive], bank_account: str) -> data.Transaction | None:
    for entry in entries:
        if not isinstance(entry, data.Transaction):
            continue
        if _txn_kind(entry) == KIND_OPENING and any(
            p.account == bank_account for p in entry.postings
        ):
            return entry
    return None


def book_opening(
    main: Path,
    date: dt.date,
    bank_account: str,
    amounts: Mapping[str, Decimal],
    *,
    dry_run: bool = False,
) -> Booked:
    """Book the opening entry of one bank account; refused if it already has one."""
    layout = require_ledger(main)
    registry = load_registry(layout.registry)
    bank = resolve_bank_account(registry, bank_account)
    with LedgerWriter(layout.main) as session:
        earlier = _opening_of(session.books().entries, bank.account)
        if earlier is not None:
            raise OpeningExists(
                _("银行账户 {account_no}（{account}）已有 {date} 的期初分录；不再记第二笔").format(
                    account_no=bank.account_no, account=bank.account, date=earlier.date
                )
            )
        entry = opening_entry(registry, date, bank.account, amounts)
        stage(session, [entry], FILE_KIND)
        result = session.commit(dry_run=dry_run)
    return Booked((entry,), result)


# --- refunds --------------------------------------------------------------------------------


def household_balance(
    entries: Iterable[data.Directive], household: str, as_of: dt.date | None = None
) -> Decimal:
    """A household's own balance in the 分户账 sense, from the books' metadata.

    Its matched deposits (the `households` metadata of 交存收入 postings on `deposit`
    transactions) and its opening balance (the `households` metadata of `opening` transactions)
    up to `as_of`, minus every refund booked for it (`household` metadata of 返还支出 postings),
    whatever its date; a reversal (红字冲销) of any of them takes it back. Interest is ignored:
    base interest is distributed to units, not to households, so this is the principal the
    household paid in, net of refunds.
    """
    balance = ZERO
    for entry in entries:
        if not isinstance(entry, data.Transaction):
            continue
        kind = _txn_kind(entry)
        if kind in (KIND_DEPOSIT, KIND_OPENING):
            if as_of is not None and entry.date > as_of:
                continue
            for p in entry.postings:
                if kind == KIND_DEPOSIT and p.account != chart.DEPOSIT_INCOME:
                    continue
                if kind == KIND_OPENING and not p.account.startswith(chart.FUND + ":"):
                    continue
                amount = parse_households((p.meta or {}).get(META_HOUSEHOLDS)).get(household)
                if amount is not None:
                    balance += amount
        elif kind == KIND_REFUND:
            for p in entry.postings:
                if p.account == chart.REFUND and (p.meta or {}).get(META_HOUSEHOLD) == household:
                    balance -= number_of(p)
        elif kind == KIND_REVERSAL:  # 红字冲销: what it takes away counts whatever its date
            for p in entry.postings:
                if p.account == chart.DEPOSIT_INCOME:
                    balance += credited_households(p).get(household, ZERO)
                elif (
                    p.account == chart.REFUND
                    and (p.meta or {}).get(META_HOUSEHOLD) == household
                    and (as_of is None or entry.date <= as_of)
                ):
                    balance -= number_of(p)
    return balance


def refund_entry(
    registry: Registry,
    entries: Sequence[data.Directive],
    *,
    household: str,
    amount: Decimal,
    date: dt.date,
    bank_account: str,
    reason: str,
) -> data.Transaction:
    """A refund (返还支出): Dr 返还支出 (posting metadata `unit`, `household`) / Cr bank.

    Refused (RefundRefused) when the amount exceeds the household's own balance
    (`household_balance`: deposits and opening less earlier refunds; interest is not counted),
    its unit's fund on `date`, or what the bank account holds on `date` and every later day.
    """
    hh = registry.households.get(str(household).strip())
    if hh is None:
        raise DepositError(_("返还：住户登记中没有住户 {household!r}").format(household=household))
    amount = parse_amount(amount, _("返还金额"))
    check_date(registry, date, _("返还日期"))
    reason = admit_text(reason or "", field=_("返还原因（--reason）"))
    if not reason:
        raise DepositError(_("返还：须写明原因（如 房屋灭失）"))
    bank = resolve_bank_account(registry, bank_account)
    own = household_balance(entries, hh.id, as_of=date)
    if amount > own:
        raise RefundRefused(
            _(
                "{household} 返还 {amount} 被拒绝：该住户 {date} 的自有余额为 {own}"
                "（交存和期初减去返还；不计利息）"
            ).format(household=hh.id, amount=format_money(amount), date=date, own=format_money(own))
        )
    positions = read_positions(entries)  # once: the unit's fund and the bank account's movements
    fund = sum((amt for day, amt in positions.unit_movements.get(hh.unit, ()) if day <= date), ZERO)
    if amount > fund:
        raise RefundRefused(
            _("{household} 返还 {amount} 被拒绝：单元 {unit} {date} 的维修资金为 {fund}").format(
                household=hh.id,
                amount=format_money(amount),
                unit=hh.unit,
                date=date,
                fund=format_money(fund),
            )
        )
    available = _lowest_balance(positions.account_movements.get(bank.account, []), date)
    if amount > available:
        raise RefundRefused(
            _(
                "{household} 返还 {amount} 被拒绝：银行账户 {account_no} 自 {date} 起最多只有 {"
                "available}"
            ).format(
                household=hh.id,
                amount=format_money(amount),
                account_no=bank.account_no,
                date=date,
                available=format_money(available),
            )
        )
    relpath = LedgerLayout.txns_file(date.year, FILE_KIND)
    postings = [
        posting(chart.REFUND, amount, unit=hh.unit, household=hh.id),
        posting(bank.account, -amount),
    ]
    return data.Transaction(
        entry_meta(relpath, kind=KIND_REFUND, reason=reason),
        date,
        "*",
        None,
        f"返还 维修资金 {hh.id} {reason}",
        frozenset(),
        frozenset(),
        postings,
    )


def book_refund(
    main: Path,
    *,
    household: str,
    amount: Decimal,
    date: dt.date,
    bank_account: str,
    reason: str,
    dry_run: bool = False,
) -> Booked:
    """Book one refund through the writer (see `refund_entry` for when it is refused)."""
    layout = require_ledger(main)
    registry = load_registry(layout.registry)
    with LedgerWriter(layout.main) as session:
        entry = refund_entry(
            registry,
            session.books().entries,
            household=household,
            amount=amount,
            date=date,
            bank_account=bank_account,
            reason=reason,
        )
        stage(session, [entry], FILE_KIND)
        result = session.commit(dry_run=dry_run)
    return Booked((entry,), result)
