"""Check: every payment out of the fund's bank accounts is one the fund allows.

Money leaves a registry bank account only as (docs/audit.md):

- a premium paid to an insurer's clearing account (``kind: premium-payment``; whether the
  insurer was tendered is the premiums check's), and never more than the clearing account owes
  at the end of the day it is paid;
- a refund to an owner (``kind: refund``);
- a time-deposit placement (``kind: td-place``) or any move between the fund's own bank
  accounts;
- money held in or returned from 待查明款项 (a payment not yet identified, booked ``!`` by the
  import; a suspense item returned or claimed).

Any other payment (for example one booked by hand as 其他支出) is an error at its entry.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from beancount.core import data

from xtaccounts.audit.context import AuditContext
from xtaccounts.audit.findings import CheckResult
from xtaccounts.core import chart
from xtaccounts.core.entries import number_of
from xtaccounts.core.i18n import N_, _
from xtaccounts.core.vocabulary import (
    KIND_PREMIUM_PAYMENT,
    KIND_REFUND,
    KIND_TD_PLACE,
    META_KIND,
    ZERO,
)

NAME = "payments"
TITLE = N_("付款：只有基金允许的种类，保险公司从不多付")

ALLOWED_KINDS = frozenset({KIND_PREMIUM_PAYMENT, KIND_REFUND, KIND_TD_PLACE})


def check(ctx: AuditContext) -> CheckResult:
    result = CheckResult(NAME, TITLE)
    banks = {b.account for b in ctx.registry.bank_accounts.values()}
    owed: dict[str, Decimal] = defaultdict(lambda: ZERO)  # premiums owed, per insurer
    day_postings: list[tuple[str, Decimal, data.Transaction]] = []
    for entry in ctx.transactions:
        if day_postings and entry.date != day_postings[0][2].date:
            _settle_day(ctx, result, owed, day_postings)
            day_postings = []
        for posting in entry.postings:
            if posting.account.startswith(chart.PREMIUM_CLEARING + ":"):
                day_postings.append((posting.account, number_of(posting), entry))
        out = sum(
            (number_of(p) for p in entry.postings if p.account in banks and number_of(p) < 0),
            ZERO,
        )
        if out:
            result.count("payments")
            _allowed(ctx, result, entry, banks, -out)
    if day_postings:
        _settle_day(ctx, result, owed, day_postings)
    return result


def _allowed(
    ctx: AuditContext,
    result: CheckResult,
    entry: data.Transaction,
    banks: set[str],
    amount: Decimal,
) -> None:
    kind = entry.meta.get(META_KIND)
    if kind in ALLOWED_KINDS:
        return
    others = {p.account for p in entry.postings if p.account not in banks}
    if all(a.startswith(chart.BANK + ":") for a in others):
        return  # between the fund's own accounts
    if others == {chart.SUSPENSE}:
        return  # held in 待查明款项, or returned from it
    result.add(
        "payment-kind",
        _(
            "从银行账户付出 {amount:,.2f} 元，但不是基金允许的付款"
            "（保险费、返还、定期存放、待查明款项）：kind {kind}，对方科目 {others}"
        ).format(
            amount=amount,
            kind=kind or _("（无）"),
            others=", ".join(sorted(others)) or _("（无）"),
        ),
        [ctx.where(entry)],
        booked=str(kind or ""),
    )


def _settle_day(
    ctx: AuditContext,
    result: CheckResult,
    owed: dict[str, Decimal],
    postings: list[tuple[str, Decimal, data.Transaction]],
) -> None:
    """One day's postings on the insurers' clearing accounts, premiums before payments: a
    payment beyond the premiums still owed is an overpayment, named once (the excess is not
    carried into later payments, which are judged against their own premiums)."""
    for account, amount, entry in sorted(postings, key=lambda item: item[1] > 0):
        due = owed[account]
        if amount > 0 and entry.meta.get(META_KIND) == KIND_PREMIUM_PAYMENT:
            excess = amount - max(due, ZERO)
            if excess > 0:
                insurer = account.rsplit(":", 1)[-1]
                result.add(
                    "insurer-overpaid",
                    _(
                        "{date} 付给保险公司 {insurer} {amount:,.2f} 元，"
                        "而应付保费只有 {due:,.2f} 元：多付 {excess:,.2f} 元"
                    ).format(
                        date=entry.date,
                        insurer=insurer,
                        amount=amount,
                        due=max(due, ZERO),
                        excess=excess,
                    ),
                    [ctx.where(entry)],
                    expected=max(due, ZERO),
                    booked=amount,
                )
                amount = max(due, ZERO)
        owed[account] = due - amount
