"""红字冲销: reversing a booked transaction in the open period, and booking it right.

A transaction is named by its voucher number (`voucher:`, 记-YYYY-MM-NNNN). Its reversal
(kind ``reversal``) is dated in the open period and negates every posting (same accounts, same
posting metadata, amounts with the other sign), so that the pair adds up to nothing, in every
balance, unit fund, pool and 分户账. It carries:

- ``reverses_voucher``: the voucher number of the original;
- ``reverses``: a link, and carries it: the original's own link when no other transaction
  carries it (a statement line's ``^<account>-<serial>``), else one made from the original's
  voucher number (``^V-2025-06-0001``: the original, in a closed period, cannot be given one);
- ``reason``: why, required (text from outside, admitted by `core.outside_text`).

The corrected entry, when asked for (`household`, `amount`), is booked in the same commit, dated
as the reversal, with the same link and ``corrects`` naming the original's voucher: the same
entry with the household (and its unit) or the amount changed. A refund is rebooked through
`owner_deposits.refund_entry`, so the new household's balance is checked as a refund's is.

Refused, with the way to do it right (docs/corrections.md): a reversal, a second reversal of
the same entry, the kinds whose reversal would leave other entries wrong (`REFUSED_KINDS`), an
entry other transactions refer to by its link, a date in a closed period or before the
original. Balance assertions after the date that the reversal would break are caught by the
writer's full check (`book_reversal` says so in one line). The audit voids every pair
(`reversal_pairs`).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from beancount.core import data

from xtaccounts.books.closed_periods import closes_in
from xtaccounts.books.layout import LedgerLayout, require_ledger
from xtaccounts.books.links import cited_items
from xtaccounts.books.positions import format_households, parse_households
from xtaccounts.books.voucher_numbers import parse_voucher, voucher_of
from xtaccounts.books.writer import CommitResult, LedgerWriter, WriteRefused, WriteSession
from xtaccounts.core import chart
from xtaccounts.core.entries import number_of, posting
from xtaccounts.core.errors import XtError
from xtaccounts.core.i18n import N_, _
from xtaccounts.core.money import format_money
from xtaccounts.core.outside_text import admit_text
from xtaccounts.core.vocabulary import (
    KIND_ALLOCATION,
    KIND_CARRY,
    KIND_CLOSE,
    KIND_INTEREST,
    KIND_LEGACY,
    KIND_OPENING,
    KIND_PREMIUM,
    KIND_PREMIUM_REFUND,
    KIND_REFUND,
    KIND_REVERSAL,
    KIND_TD_PLACE,
    META_CORRECTS,
    META_HOUSEHOLD,
    META_HOUSEHOLDS,
    META_KIND,
    META_NOTICE,
    META_POOL,
    META_REASON,
    META_REVERSES,
    META_REVERSES_VOUCHER,
    META_SERIAL,
    META_STATEMENT,
    META_UNIT,
    META_VOUCHER,
)
from xtaccounts.ops.owner_deposits import (
    DepositError,
    check_date,
    refund_entry,
    resolve_bank_account,
)
from xtaccounts.ops.voucher_index import VoucherIndex
from xtaccounts.registry import Registry, load_registry

__all__ = [
    "FILE_KIND",
    "REFUSED_KINDS",
    "ReversalBooked",
    "ReversalPairs",
    "ReversalRefused",
    "book_reversal",
    "plan_reversal",
    "reversal_pairs",
]

FILE_KIND = "corrections"  # txns/YYYY/corrections.beancount: reversals and corrected entries
VOUCHER_LINK = "V"  # the link made from a voucher number: ^V-2025-06-0001

# Kinds never reversed, each with the way to do it right.
REFUSED_KINDS: dict[str, str] = {
    KIND_REVERSAL: N_(
        "它本身是一笔红字冲销，冲销不能再冲销：要恢复原分录，请用原来的命令重新记一笔"
    ),
    KIND_ALLOCATION: N_(
        "它是积数分配（allocate），后来的统筹账户余额、分配和保费资格都以它为据，冲销会使它们"
        "失去依据：分配不冲销；若它依据的存款有误，请冲销那笔存款，下次 allocate 按账簿重新计算"
    ),
    KIND_LEGACY: N_(
        "它是利差一次性转入统筹账户（pool transfer-legacy），统筹账户此后的数字以它为据：不冲销"
    ),
    KIND_CLOSE: N_(
        "它是期末结转：结转不冲销；最后结账的期间未封存时可用 xtaccounts reopen 重开，"
        "更正后再 xtaccounts close"
    ),
    KIND_CARRY: N_("它是年度账簿的上年结转，由结账写入：不冲销"),
    KIND_INTEREST: N_(
        "它是利息收入的基准利息/利差拆分，分配按其收据编号分给统筹账户和单元，活期结息还记下了"
        "积数：不冲销；银行更正结息时，按银行的更正流水入账"
    ),
    KIND_PREMIUM: N_(
        "它是已记录保单的保费，保单和申请以它为据：不冲销；退保请用 xtaccounts premium cancel"
    ),
    KIND_PREMIUM_REFUND: N_("它是退保的保费退回，保单记录以它为据：不冲销"),
    KIND_OPENING: N_(
        "它是期初余额转入，各户分户账从它开始：不冲销；某户期初金额有误时，差额在未结账期间"
        "以交存（deposit receive）或返还（deposit refund）更正"
    ),
    KIND_TD_PLACE: N_(
        "它是定期存款开户，存单账户记着本金、期限和利率：不冲销；请用 xtaccounts time-deposit "
        "withdraw 提前支取"
    ),
}

# Transaction metadata the corrected entry does not take over: the original's identity (its
# voucher, the bank line it was booked from) and its payment notice (the corrected entry's
# households are no longer the notice's).
_NOT_COPIED = frozenset({META_VOUCHER, META_SERIAL, META_STATEMENT, "row", META_NOTICE})
# Posting metadata that says whose money a posting is: compared when a reversal is checked.
_OWNER_KEYS = (META_UNIT, META_HOUSEHOLD, META_HOUSEHOLDS, META_POOL)


class ReversalRefused(XtError):
    """A reversal (or its correction) that cannot be booked as asked; nothing is written."""


def _refused(voucher: str, text: str, **values: object) -> ReversalRefused:
    return ReversalRefused(
        _("不能冲销 {voucher}：").format(voucher=voucher) + _(text).format(**values)
    )


# --- reading: the original, the pairs ---------------------------------------------------------


def _own_meta(meta: dict | None) -> dict:
    """Metadata as written (no file, line or Beancount internals)."""
    return {
        k: v
        for k, v in (meta or {}).items()
        if k not in ("filename", "lineno") and not k.startswith("__")
    }


def _signature(entry: data.Transaction, sign: int) -> Counter:
    """The postings of `entry` as a multiset: account, amount (times `sign`), currency and the
    metadata naming whose money it is."""
    return Counter(
        (
            p.account,
            sign * number_of(p),
            p.units.currency if p.units else "",
            tuple(str((p.meta or {}).get(key, "")) for key in _OWNER_KEYS),
        )
        for p in entry.postings
    )


@dataclass(frozen=True)
class ReversalPairs:
    """The reversals of the books: each with its original, and those that are wrong."""

    pairs: list[tuple[data.Transaction, data.Transaction]] = field(default_factory=list)
    missing: list[data.Transaction] = field(default_factory=list)  # original not found
    inexact: list[tuple[data.Transaction, data.Transaction]] = field(default_factory=list)

    @property
    def void(self) -> set[int]:
        """`id()` of every transaction of a good pair: both are void for the rules."""
        return {id(entry) for pair in self.pairs for entry in pair}


def reversal_pairs(transactions: Iterable[data.Transaction]) -> ReversalPairs:
    """Each reversal with the transaction it reverses: by `reverses_voucher`, else by its
    `reverses` link when one transaction (not a reversal) carries it. A pair is good when the
    reversal negates every posting exactly (account, amount, unit/household/pool metadata); a
    second reversal of one original is not a pair (it is inexact against what is left)."""
    transactions = list(transactions)
    by_voucher: dict[str, data.Transaction] = {}
    by_link: dict[str, list[data.Transaction]] = {}
    reversals: list[data.Transaction] = []
    for entry in transactions:
        if entry.meta.get(META_KIND) == KIND_REVERSAL:
            reversals.append(entry)
            continue
        number = voucher_of(entry)
        if number:
            by_voucher.setdefault(number, entry)
        for link in entry.links or ():
            by_link.setdefault(link, []).append(entry)
    found = ReversalPairs()
    taken: set[int] = set()
    for reversal in reversals:
        original = by_voucher.get(str(reversal.meta.get(META_REVERSES_VOUCHER) or ""))
        if original is None:
            carriers = by_link.get(str(reversal.meta.get(META_REVERSES) or "").lstrip("^"), [])
            original = carriers[0] if len(carriers) == 1 else None
        if original is None:
            found.missing.append(reversal)
        elif id(original) in taken or _signature(reversal, 1) != _signature(original, -1):
            found.inexact.append((reversal, original))
        else:
            taken.add(id(original))
            found.pairs.append((original, reversal))
    return found


def find_original(entries: Sequence[data.Directive], voucher: str) -> data.Transaction:
    """The transaction carrying voucher number `voucher`."""
    text = str(voucher or "").strip()
    if parse_voucher(text) is None:
        raise ReversalRefused(
            _("凭证号 {voucher!r} 的格式不对：应为 记-YYYY-MM-NNNN，如 记-2025-06-0001").format(
                voucher=text
            )
        )
    for entry in entries:
        if isinstance(entry, data.Transaction) and entry.meta.get(META_VOUCHER) == text:
            return entry
    raise ReversalRefused(
        _("账簿中没有凭证号为 {voucher} 的分录（xtaccounts vouchers --period 可列出凭证）").format(
            voucher=text
        )
    )


# --- planning -----------------------------------------------------------------------------


def _link_for(original: data.Transaction, voucher: str, entries: Sequence[data.Directive]) -> str:
    """The original's own link when it alone carries it, else one made from its voucher."""
    carried: Counter[str] = Counter()
    for entry in entries:
        if isinstance(entry, data.Transaction) and entry.meta.get(META_KIND) != KIND_REVERSAL:
            carried.update(entry.links or ())
    own = sorted(link for link in original.links or () if carried[link] == 1)
    if own:
        return own[0]
    year, month, number = parse_voucher(voucher) or (0, 0, 0)
    return f"{VOUCHER_LINK}-{year:04d}-{month:02d}-{number:04d}"


def _check_reversible(
    original: data.Transaction, voucher: str, entries: Sequence[data.Directive]
) -> None:
    kind = str(original.meta.get(META_KIND) or "")
    if kind in REFUSED_KINDS:
        raise _refused(voucher, REFUSED_KINDS[kind])
    for p in original.postings:
        if p.cost is not None or p.price is not None or p.units is None:
            raise _refused(
                voucher, N_("它的 {account} 分录带成本或价格，不能自动冲销"), account=p.account
            )
    # A claim carries the ids of the items it cites as links: those name the receipts it
    # refers to, not references to the claim, so they do not stop its reversal.
    links = set(original.links or ()) - cited_items(original)
    for entry in entries:
        if not isinstance(entry, data.Transaction) or entry is original:
            continue
        if entry.meta.get(META_KIND) == KIND_REVERSAL:
            if entry.meta.get(META_REVERSES_VOUCHER) == voucher or (
                not entry.meta.get(META_REVERSES_VOUCHER)
                and str(entry.meta.get(META_REVERSES) or "").lstrip("^") in links
            ):
                raise _refused(
                    voucher,
                    N_("它已于 {date} 被冲销（{other}），同一分录只冲销一次"),
                    date=entry.date,
                    other=voucher_of(entry) or entry.meta.get("filename"),
                )
        elif links & set(entry.links or ()) and entry.meta.get(META_CORRECTS) != voucher:
            raise _refused(
                voucher,
                N_(
                    "{other}（{date}）以链接 ^{link} 引用它，冲销会使那笔分录失去依据：请先冲销"
                    "引用它的分录"
                ),
                other=voucher_of(entry) or entry.meta.get("filename"),
                date=entry.date,
                link=sorted(links & set(entry.links or ()))[0],
            )


def _check_day(
    registry: Registry, original: data.Transaction, voucher: str, day: dt.date, entries: list
) -> None:
    check_date(registry, day, _("冲销日期（--date）"), error=ReversalRefused)
    if day < original.date:
        raise _refused(
            voucher,
            N_("冲销日期 {day} 早于原分录的日期 {date}：冲销记在原分录之后的未结账期间"),
            day=day,
            date=original.date,
        )
    closes = closes_in(entries)
    if closes and day <= closes[-1].date:
        last = closes[-1]
        raise _refused(
            voucher,
            N_(
                "冲销日期 {day} 在已结账的期间内（账簿已结账至 {end}，期间 {period}）：冲销记在"
                "未结账期间，请用 {end} 之后的日期（原分录可以在已结账、已封存的期间）"
            ),
            day=day,
            end=last.date,
            period=last.period,
        )


def _households_named(original: data.Transaction) -> set[str]:
    named: set[str] = set()
    for p in original.postings:
        meta = p.meta or {}
        if META_HOUSEHOLD in meta:
            named.add(str(meta[META_HOUSEHOLD]))
        if META_HOUSEHOLDS in meta:
            named.update(parse_households(meta[META_HOUSEHOLDS]))
    return named


def _moved_posting(
    p: data.Posting, registry: Registry, household: str | None, amount: Decimal | None
) -> data.Posting:
    """One posting of the corrected entry: moved to `household` (its unit too) and/or with
    `amount` (the original's sign)."""
    meta = _own_meta(p.meta)
    number = number_of(p)
    if amount is not None:
        number = amount if number > 0 else -amount
    if META_HOUSEHOLDS in meta:
        ((old, _value),) = parse_households(meta[META_HOUSEHOLDS]).items()
        meta[META_HOUSEHOLDS] = format_households({household or old: abs(number)})
    if household is not None and (META_HOUSEHOLD in meta or META_HOUSEHOLDS in meta):
        if META_HOUSEHOLD in meta:
            meta[META_HOUSEHOLD] = household
        meta[META_UNIT] = registry.households[household].unit
    return posting(p.account, number, **meta)


@dataclass(frozen=True)
class _Correction:
    """What the corrected entry is built from: the books (with the reversal), the original,
    its voucher and link, the day, and what changes."""

    registry: Registry
    entries: list
    original: data.Transaction
    voucher: str
    link: str
    day: dt.date
    household: str | None
    amount: Decimal | None


def _correction(ask: _Correction) -> data.Transaction:
    """The original as it should have been, dated `ask.day`."""
    named = _households_named(ask.original)
    if ask.household is not None:
        if ask.household not in ask.registry.households:
            raise ReversalRefused(
                _(
                    "更正的户（--household）{household} 不在登记簿中（registry/households.csv）"
                ).format(household=ask.household)
            )
        if len(named) != 1:
            raise _refused(
                ask.voucher,
                N_(
                    "--household 只用于只涉及一户的分录，它涉及 {count} 户：请只冲销（不带更正"
                    "选项），再用原来的命令记正确的分录"
                ),
                count=len(named),
            )
        if ask.household in named:
            raise _refused(
                ask.voucher, N_("它记的就是 {household}：无需改户"), household=ask.household
            )
    if ask.amount is not None:
        sizes = {abs(number_of(p)) for p in ask.original.postings}
        if len(sizes) != 1 or len(named) > 1:
            raise _refused(
                ask.voucher,
                N_(
                    "--amount 只用于各分录金额相同的分录（一借一贷、至多一户），它不是：请只冲销"
                    "（不带更正选项），再用原来的命令记正确的分录"
                ),
            )
        if ask.amount <= 0:
            raise ReversalRefused(
                _("更正金额（--amount）{amount} 必须大于 0.00").format(
                    amount=format_money(ask.amount)
                )
            )
        if ask.amount in sizes:
            raise _refused(
                ask.voucher,
                N_("它的金额就是 {amount}：无需改金额"),
                amount=format_money(ask.amount),
            )
    relpath = LedgerLayout.txns_file(ask.day.year, FILE_KIND)
    if ask.original.meta.get(META_KIND) == KIND_REFUND:
        return _refund_correction(ask)
    meta = {k: v for k, v in _own_meta(ask.original.meta).items() if k not in _NOT_COPIED}
    meta.update({"filename": relpath, "lineno": 0, META_CORRECTS: ask.voucher})
    narration = ask.original.narration or ""
    if ask.household is not None:
        (old,) = named
        narration = narration.replace(old, ask.household)
    return data.Transaction(
        meta,
        ask.day,
        ask.original.flag,
        ask.original.payee,
        _("更正 {narration}").format(narration=narration).strip(),
        frozenset(),
        frozenset({ask.link}),
        [_moved_posting(p, ask.registry, ask.household, ask.amount) for p in ask.original.postings],
    )


def _refund_correction(ask: _Correction) -> data.Transaction:
    """A refund rebooked through `refund_entry`: the new household's balance, its unit's fund
    and the bank account are checked as for any refund (with the reversal already in)."""
    refund = next(p for p in ask.original.postings if p.account == chart.REFUND)
    bank = next((p for p in ask.original.postings if p.account != chart.REFUND), None)
    if bank is None:
        raise _refused(ask.voucher, N_("它没有银行存款分录，不能按返还重记"))
    resolve_bank_account(ask.registry, bank.account)
    try:
        entry = refund_entry(
            ask.registry,
            ask.entries,
            household=ask.household or str((refund.meta or {}).get(META_HOUSEHOLD)),
            amount=ask.amount if ask.amount is not None else number_of(refund),
            date=ask.day,
            bank_account=bank.account,
            reason=str(ask.original.meta.get(META_REASON) or ask.original.narration or ""),
        )
    except DepositError as exc:
        raise _refused(ask.voucher, N_("更正后的返还不能记账：{why}"), why=exc) from exc
    meta = dict(entry.meta)
    meta[META_CORRECTS] = ask.voucher
    return entry._replace(
        meta=meta,
        narration=_("更正 {narration}").format(narration=entry.narration),
        links=frozenset({ask.link}),
    )


@dataclass(frozen=True)
class ReversalPlan:
    """What one `reverse` books: the reversal and, when asked for, the corrected entry."""

    original: data.Transaction
    voucher: str
    link: str
    reversal: data.Transaction
    correction: data.Transaction | None

    @property
    def entries(self) -> list[data.Transaction]:
        return [self.reversal] + ([self.correction] if self.correction is not None else [])


def plan_reversal(
    registry: Registry,
    entries: list[data.Directive],
    voucher: str,
    day: dt.date,
    reason: str,
    *,
    household: str | None = None,
    amount: Decimal | None = None,
) -> ReversalPlan:
    """The reversal of the transaction with voucher number `voucher`, dated `day`, and the
    corrected entry when `household` or `amount` is given. Raises ReversalRefused."""
    original = find_original(entries, voucher)
    voucher = str(original.meta[META_VOUCHER])
    reason = admit_text(reason or "", field=_("冲销原因（--reason）"))
    if not reason:
        raise ReversalRefused(_("冲销原因（--reason）不能为空：请写明为什么冲销，如“误记入他户”"))
    _check_reversible(original, voucher, entries)
    _check_day(registry, original, voucher, day, entries)
    link = _link_for(original, voucher, entries)
    relpath = LedgerLayout.txns_file(day.year, FILE_KIND)
    meta = data.new_metadata(relpath, 0)
    meta.update(
        {
            META_KIND: KIND_REVERSAL,
            META_REVERSES: link,
            META_REVERSES_VOUCHER: voucher,
            META_REASON: reason,
        }
    )
    reversal = data.Transaction(
        meta,
        day,
        "*",
        original.payee,
        _("冲销 {narration}（{reason}）").format(narration=original.narration or "", reason=reason),
        frozenset(),
        frozenset({link}),
        [posting(p.account, -number_of(p), **_own_meta(p.meta)) for p in original.postings],
    )
    correction = None
    if household is not None or amount is not None:
        correction = _correction(
            _Correction(
                registry, [*entries, reversal], original, voucher, link, day, household, amount
            )
        )
    return ReversalPlan(original, voucher, link, reversal, correction)


# --- writing ------------------------------------------------------------------------------


def _entries_to_plan_on(session: WriteSession, voucher: str, *, rebooks: object) -> list:
    """What `plan_reversal` reads of the books: the original, the transactions that carry its
    links or reverse it, and the closes and reopenings (their headings), located by the write
    snapshot's index (`ops.voucher_index`) and read alone; the books themselves when the index
    cannot say (no snapshot, something before the last close, an entry the load would change)
    or when a refund is rebooked (the household's balance is the books')."""
    text = str(voucher or "").strip()
    if parse_voucher(text) is None:
        return []  # the form is refused whatever the books hold
    index = session.index(VoucherIndex)
    if index.absent(text):
        return []  # no such voucher: refused whatever else the books hold
    where = index.original(text)
    if where is None:
        return session.books().entries
    first = session.entries_at([where])
    original = first[0] if first else None
    if not isinstance(original, data.Transaction) or original.meta.get(META_VOUCHER) != text:
        return session.books().entries
    around = index.around(text, frozenset(original.links or ()))
    if around is None or (rebooks and original.meta.get(META_KIND) == KIND_REFUND):
        return session.books().entries
    referring, marks = around
    # Of the closes and reopenings only their day, period and links are read (`closes_in`,
    # the links' checks): their headings, not a year close's tens of thousands of postings.
    related = session.entries_at([where, *referring], marks)
    return related if related is not None else session.books().entries


@dataclass(frozen=True)
class ReversalBooked:
    """A reversal booked (or, for a dry run, that would be) and what the commit changed."""

    plan: ReversalPlan
    result: CommitResult | None


def book_reversal(
    main: Path,
    voucher: str,
    day: dt.date,
    reason: str,
    *,
    household: str | None = None,
    amount: Decimal | None = None,
    dry_run: bool = False,
) -> ReversalBooked:
    """Book the reversal (and the corrected entry) in one commit of the writer."""
    layout = require_ledger(main)
    registry = load_registry(layout.registry)
    with LedgerWriter(layout.main) as session:
        entries = _entries_to_plan_on(session, voucher, rebooks=household or amount)
        plan = plan_reversal(
            registry, entries, voucher, day, reason, household=household, amount=amount
        )
        session.append_entries(LedgerLayout.txns_file(day.year, FILE_KIND), plan.entries)
        try:
            result = session.commit(dry_run=dry_run)
        except WriteRefused as exc:
            if exc.headline:
                raise
            shown = "；".join(exc.errors[:3])
            raise ReversalRefused(
                _(
                    "冲销 {voucher} 被拒绝，未写入任何内容：记入后账簿会新增 {count} 个校验错误"
                    "（{shown}）。若是余额核对（balance）不符：{day} 之后已有的余额核对"
                    "（如银行对账单的余额）包含原分录的金额，冲销会打破它们；请把冲销和更正一并记入"
                    "（--household/--amount），或把冲销日期定在这些核对之后"
                ).format(voucher=plan.voucher, count=len(exc.errors), shown=shown, day=day)
            ) from exc
    return ReversalBooked(plan, result)
