"""Check 7: suspense items and deposits against their payment notices.

- every amount booked to 待查明款项 (``Liabilities:Suspense-待查明款项``) is cleared first in,
  first out by later postings to it; an item still open more than 30 days after it was booked,
  on the as-of day, is a warning (it stays a liability until identified);
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

from xtaccounts.audit.clearing import FifoItems
from xtaccounts.audit.context import AuditContext
from xtaccounts.audit.findings import WARNING, CheckResult
from xtaccounts.books.positions import parse_households
from xtaccounts.core import chart
from xtaccounts.core.entries import number_of
from xtaccounts.core.errors import XtError
from xtaccounts.core.vocabulary import (
    KIND_DEPOSIT,
    META_HOUSEHOLDS,
    META_KIND,
    META_NOTICE,
    META_SUSPENSE_REASON,
    META_UNIT,
    ZERO,
)

NAME = "suspense"
TITLE = "Suspense items over 30 days; deposits against their payment notices"
SUSPENSE_DAYS = 30


def check(ctx: AuditContext) -> CheckResult:
    result = CheckResult(NAME, TITLE)
    _suspense(ctx, result)
    _deposits(ctx, result)
    return result


def _suspense(ctx: AuditContext, result: CheckResult) -> None:
    items = FifoItems()
    for entry in ctx.transactions:
        for posting in entry.postings:
            if posting.account != chart.SUSPENSE:
                continue
            before = len(items.open)
            cleared = items.post(entry, number_of(posting))
            if cleared:
                result.count("suspense_cleared", len(cleared))
            if len(items.open) + len(cleared) > before:
                result.count("suspense_items")
    limit = dt.timedelta(days=SUSPENSE_DAYS)
    for item in items.open:
        age = (ctx.as_of - item.date).days
        if age > SUSPENSE_DAYS:
            reason = item.entry.meta.get(META_SUSPENSE_REASON) or ""
            result.add(
                "suspense-old",
                f"待查明款项 {-item.amount} booked {item.date} is still unidentified {age} days "
                f"later ({reason})",
                [ctx.where(item.entry)],
                severity=WARNING,
                expected=f"identified by {item.date + limit}",
                booked=-item.amount,
            )


def _deposits(ctx: AuditContext, result: CheckResult) -> None:
    registry = ctx.registry
    paid: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    last: dict[str, data.Transaction] = {}
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
                f"deposit of {entry.date} names payment notice {notice_no}, which the registry "
                "does not hold",
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
            for household, amount in households.items():
                paid[notice_no][household] += amount
                known = registry.households.get(household)
                if known is not None and known.unit != unit:
                    result.add(
                        "household-unit",
                        f"deposit for {notice_no}: household {household} is of unit "
                        f"{known.unit}, the posting credits unit {unit}",
                        [ctx.where(entry, meta=meta)],
                    )
            posted = -number_of(posting)
            if sum(households.values(), ZERO) != posted:
                result.add(
                    "households",
                    f"deposit for {notice_no}: households add up to "
                    f"{sum(households.values(), ZERO)}, the posting is {posted}",
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
                    f"payment notice {notice_no}: household {household} is credited {got}, "
                    f"the notice asks {want}"
                    + ("" if household in lines else " (not on the notice)"),
                    [ctx.where(entry)],
                    expected=want,
                    booked=got,
                )
