"""Check 7: suspense items and deposits against their payment notices.

- every amount the bank moved into 待查明款项 (``Liabilities:Suspense-待查明款项``) is an item
  with an id (`xtaccounts.books.links`); only claims citing that id clear it, exactly (never
  first in, first out). A claim of more than its item holds (`claim-over`), one citing no item
  of the books (`claim-unknown`), and a posting to 待查明款项 that neither comes from the bank
  nor cites an item (`claim-unlinked`, a reclassification by hand) are errors; an item still
  open more than 90 days after it was booked, on the as-of day, is a warning (`suspense-old`);
- every deposit (``kind: deposit``) booked to 交存收入 for a payment notice credits exactly the
  notice's households (registry ``payment_notices.csv``) with their amounts, each household of
  the unit the posting names; a household credited outside its notice, or an amount other than
  the notice's, is an error.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from beancount.core import data

from xtaccounts.audit.context import AuditContext
from xtaccounts.audit.findings import WARNING, CheckResult
from xtaccounts.books.positions import parse_households
from xtaccounts.core import chart
from xtaccounts.core.entries import number_of
from xtaccounts.core.errors import XtError
from xtaccounts.core.i18n import N_, _
from xtaccounts.core.money import format_money
from xtaccounts.core.vocabulary import (
    KIND_DEPOSIT,
    META_HOUSEHOLDS,
    META_KIND,
    META_NOTICE,
    META_SUSPENSE_REASON,
    META_UNIT,
    ZERO,
)
from xtaccounts.ops.claims import ClaimIndex

NAME = "suspense"
TITLE = N_("待查明款项及其认领、超过 90 天未查明的款项；交存与缴款通知书相符")
SUSPENSE_DAYS = 90  # an item open longer than this on the as-of day is a warning


def check(ctx: AuditContext) -> CheckResult:
    result = CheckResult(NAME, TITLE)
    _suspense(ctx, result)
    _deposits(ctx, result)
    return result


def _suspense(ctx: AuditContext, result: CheckResult) -> None:
    """Items and claims matched by the item's id (`xtaccounts.books.links`), never first in,
    first out: only a claim citing an item clears it, so a bank fee booked to 待查明款项 is an
    item of its own and clears no receipt."""
    index = ClaimIndex.of(ctx.transactions)
    result.count("suspense_items", len(index.items))
    result.count("suspense_claims", sum(len(c) for c in index.claims.values()))
    for item in index.items.values():
        claims = index.claims.get(item.id)
        if not claims or item.open == 0 or (item.open > 0) == (item.amount > 0):
            continue  # unclaimed, or claimed within what it holds
        last = claims[-1][0]
        result.add(
            "claim-over",
            _("待查明款项 {item}（{date} 入账 {amount}）被认领 {claimed}，超过款项本身").format(
                item=item.id,
                date=item.date,
                amount=format_money(abs(item.amount)),
                claimed=format_money(abs(item.claimed)),
            ),
            [ctx.where(item.entry), ctx.where(last)],
            expected=abs(item.amount),
            booked=abs(item.claimed),
        )
    for entry, cited, amount in index.unknown:
        result.add(
            "claim-unknown",
            _("{date} 的认领 {amount} 引用的待查明款项 {item} 在账簿中不存在").format(
                date=entry.date, amount=format_money(abs(amount)), item=cited
            ),
            [ctx.where(entry)],
            booked=abs(amount),
        )
    for entry, amount in index.unlinked:
        result.add(
            "claim-unlinked",
            _(
                "{date} 记入待查明款项 {amount}，既不是银行收付，也没有引用款项编号："
                "请用 xtaccounts claim book 认领（或在分录上链接所认领款项的编号）"
            ).format(date=entry.date, amount=format_money(amount)),
            [ctx.where(entry)],
            booked=amount,
        )
    limit = dt.timedelta(days=SUSPENSE_DAYS)
    for item in index.open_items():
        age = (ctx.as_of - item.date).days
        if age > SUSPENSE_DAYS and (item.open > 0) == (item.amount > 0):
            reason = item.meta(META_SUSPENSE_REASON)
            result.add(
                "suspense-old",
                _(
                    "待查明款项 {item} 尚余 {open}（{date} 入账）{age} 天仍未查明（{reason}）"
                ).format(
                    item=item.id,
                    open=format_money(abs(item.open)),
                    date=item.date,
                    age=age,
                    reason=reason,
                ),
                [ctx.where(item.entry)],
                severity=WARNING,
                expected=_("{day} 前查明").format(day=item.date + limit),
                booked=abs(item.open),
            )


def _deposits(ctx: AuditContext, result: CheckResult) -> None:
    registry = ctx.registry
    paid: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    last: dict[str, data.Transaction] = {}
    by_unit = registry.households_of_unit
    unit_members: dict[str, frozenset[str]] = {}
    for entry in ctx.transactions:
        if entry.meta.get(META_KIND) != KIND_DEPOSIT or META_NOTICE not in entry.meta:
            continue
        notice_no = str(entry.meta[META_NOTICE])
        postings = [p for p in entry.postings if p.account == chart.DEPOSIT_INCOME]
        if not postings:
            continue
        result.count("deposits")
        if notice_no not in registry.notices:
            result.add(
                "notice-unknown",
                _("{date} 的交存注明缴款通知书 {notice}，登记册中没有这份通知书").format(
                    date=entry.date, notice=notice_no
                ),
                [ctx.where(entry)],
            )
            continue
        last[notice_no] = entry
        for posting in postings:
            meta = posting.meta or {}
            try:
                households = parse_households(meta.get(META_HOUSEHOLDS))
            except XtError as exc:
                result.add("households", str(exc), [ctx.where(entry, meta=meta)])
                continue
            unit = str(meta.get(META_UNIT, ""))
            members = unit_members.get(unit)
            if members is None:
                members = unit_members[unit] = frozenset(by_unit.get(unit, ()))
            for household, amount in households.items():
                paid[notice_no][household] += amount
                # A known household of another unit (its row read only then: a city's
                # households are not all decoded to find none).
                if household not in members and household in registry.households:
                    known = registry.households[household]
                    result.add(
                        "household-unit",
                        _(
                            "缴款通知书 {notice} 的交存：房屋 {household} 属于单元 {known}，"
                            "分录却记入单元 {unit}"
                        ).format(
                            notice=notice_no, household=household, known=known.unit, unit=unit
                        ),
                        [ctx.where(entry, meta=meta)],
                    )
            posted = -number_of(posting)
            if sum(households.values(), ZERO) != posted:
                result.add(
                    "households",
                    _("缴款通知书 {notice} 的交存：各户合计 {total}，分录金额为 {posted}").format(
                        notice=notice_no, total=sum(households.values(), ZERO), posted=posted
                    ),
                    [ctx.where(entry, meta=meta)],
                    expected=posted,
                    booked=sum(households.values(), ZERO),
                )
    for notice_no, households in sorted(paid.items()):
        result.count("notices")
        lines: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for line in registry.notices[notice_no]:
            lines[line.household] += line.amount
        entry = last[notice_no]
        for household in sorted(set(lines) | set(households)):
            want, got = lines.get(household, ZERO), households.get(household, ZERO)
            if want != got:
                result.add(
                    "notice-mismatch",
                    (
                        _("缴款通知书 {notice}：房屋 {household} 入账 {got}，通知书应缴 {want}")
                        if household in lines
                        else _(
                            "缴款通知书 {notice}：房屋 {household} 入账 {got}，"
                            "通知书应缴 {want}（该房屋不在通知书上）"
                        )
                    ).format(notice=notice_no, household=household, got=got, want=want),
                    [ctx.where(entry)],
                    expected=want,
                    booked=got,
                )
