"""Premiums booked through the writer: buying, renewing and cancelling a policy.

A purchase books, dated the purchase day, Dr ``Expenses:Repair-维修支出:Premium-电梯保险费``
(one posting per elevator, tagged ``pool:``, ``application:``, ``elevator:``, ``policy:``) /
Cr the insurer's clearing account (``Liabilities:Clearing-应付清算:Premium-保险费:<INS>``),
which the bank payment line clears later; the transaction is linked to its application and an
``xt-policy`` records the policy. A cancellation books the unearned premium back: the expense
credited per elevator (so the pool grows by it) against the clearing account, with an
``xt-cancellation``.

Refund: for each elevator, premium × unexpired days / policy days, rounded half-up to the fen
once; the unexpired days run from the day after the cancellation day (or the cover start, if
later) to the cover end, both included, and the policy days are its whole cover period.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

from beancount.core import data

from xtaccounts.books.layout import require_ledger
from xtaccounts.books.writer import CommitResult, LedgerWriter, WriteSession
from xtaccounts.core import chart
from xtaccounts.core.calendar import ONE_DAY, days_between, refuse_after_last_day
from xtaccounts.core.i18n import _
from xtaccounts.core.money import quantize
from xtaccounts.core.outside_text import admit_text
from xtaccounts.core.vocabulary import KIND_PREMIUM, KIND_PREMIUM_REFUND, ZERO
from xtaccounts.insurance.applications import stage_records
from xtaccounts.insurance.checks import (
    BooksNeeded,
    IndexedInsuranceState,
    InsuranceState,
    Plan,
)
from xtaccounts.insurance.directives import (
    CANCELLATION,
    POLICY,
    Policy,
    custom,
    format_amounts,
    join_ids,
    premium_transaction,
)
from xtaccounts.insurance.rules import InsuranceRefused, Reason, stated_reason
from xtaccounts.ops.premium_index import PremiumIndex
from xtaccounts.registry import Registry, load_registry

_T = TypeVar("_T")


@dataclass(frozen=True)
class PremiumBooked:
    """A premium or refund booked (or, for a dry run, that would be)."""

    policy_id: str
    application: str
    day: dt.date
    amounts: dict[str, Decimal]  # elevator -> premium (refund: the amount given back)
    pool: str
    pool_before: Decimal
    pool_after: Decimal
    cover_start: dt.date | None
    cover_end: dt.date | None
    entries: tuple[data.Directive, ...]
    result: CommitResult | None

    @property
    def total(self) -> Decimal:
        return sum(self.amounts.values(), ZERO)


def _policy_entries(registry: Registry, plan: Plan, policy_no: str | None) -> list[data.Directive]:
    app = plan.application
    insurer = registry.insurers[app.insurer]
    tender = plan.quote.tender
    policy = custom(
        POLICY,
        plan.day,
        plan.policy_id,
        application=app.id,
        pool=app.pool,
        elevators=join_ids(plan.premiums),
        insurer=app.insurer,
        tender=tender.id if tender else "",
        premium=plan.total,
        premiums=format_amounts(plan.premiums),
        cover_start=plan.start,
        cover_end=plan.end,
        renews=plan.renews,
        policy_no=admit_text(policy_no or "", field=_("保单号（--policy-no）"), mask=False),
    )
    what = "续保" if plan.renews else "购买"
    txn = premium_transaction(
        day=plan.day,
        kind=KIND_PREMIUM,
        narration=(
            f"电梯维修保险费（{what}） {app.id} 保单 {plan.policy_id} {plan.start}至{plan.end}"
        ),
        payee=insurer.name,
        application=app.id,
        policy=plan.policy_id,
        pool=app.pool,
        amounts=plan.premiums,
        clearing=chart.premium_clearing_account(registry, app.insurer),
        extra_meta={"tender": tender.id if tender else "", "renews": plan.renews},
    )
    return [policy, txn]


def planned(
    session: WriteSession, registry: Registry, plan_on: Callable[[InsuranceState], _T]
) -> _T:
    """`plan_on` the write snapshot's premium index (the books are not loaded), or on the books
    when the index cannot answer (`BooksNeeded`: a balance on a day before its last movement):
    the same plan either way."""
    try:
        index = session.index(PremiumIndex, read_only=True)  # (the plugins read the same)
        return plan_on(IndexedInsuranceState(registry, index))
    except BooksNeeded:
        return plan_on(InsuranceState(registry, session.books().entries))


def _book_plan(
    main: Path,
    what: str,
    make_plan,
    *,
    policy_no: str | None,
    dry_run: bool,
) -> PremiumBooked:
    layout = require_ledger(main)
    registry = load_registry(layout.registry)
    with LedgerWriter(layout.main) as session:
        plan: Plan = planned(session, registry, make_plan)
        if plan.reasons:
            raise InsuranceRefused(f"{what} on {plan.day}", plan.reasons)
        entries = _policy_entries(registry, plan, policy_no)
        stage_records(session, entries)
        result = session.commit(dry_run=dry_run)
    return PremiumBooked(
        policy_id=plan.policy_id,
        application=plan.application.id,
        day=plan.day,
        amounts=dict(plan.premiums),
        pool=plan.application.pool,
        pool_before=plan.pool_available,
        pool_after=plan.pool_available - plan.total,
        cover_start=plan.start,
        cover_end=plan.end,
        entries=tuple(entries),
        result=result,
    )


def buy_premium(
    main: Path,
    app_id: str,
    day: dt.date,
    *,
    policy_no: str | None = None,
    dry_run: bool = False,
) -> PremiumBooked:
    """`premium buy APP --date D`: every condition checked on D (see `purchase_plan`); on
    refusal `InsuranceRefused` lists them all and nothing is written."""
    refuse_after_last_day(day, _("购买日"))
    return _book_plan(
        main,
        f"premium buy {app_id}",
        lambda state: state.purchase_plan(app_id, day),
        policy_no=policy_no,
        dry_run=dry_run,
    )


def renew_policy(
    main: Path,
    policy_id: str,
    day: dt.date,
    *,
    policy_no: str | None = None,
    dry_run: bool = False,
) -> PremiumBooked:
    """`premium renew POLICY --date D`: the next year of the cover applied for."""
    refuse_after_last_day(day, _("续保日"))
    return _book_plan(
        main,
        f"premium renew {policy_id}",
        lambda state: state.renewal_plan(policy_id, day),
        policy_no=policy_no,
        dry_run=dry_run,
    )


def refund_for(policy: Policy, day: dt.date) -> tuple[dict[str, Decimal], int, int]:
    """(refund per elevator, unexpired days, policy days) of cancelling `policy` on `day`."""
    policy_days = days_between(policy.cover_start, policy.cover_end)
    unexpired = days_between(max(day + ONE_DAY, policy.cover_start), policy.cover_end)
    refunds = {
        code: quantize(premium * unexpired / policy_days)
        for code, premium in policy.premiums.items()
    }
    return refunds, unexpired, policy_days


def _cancellation(
    registry: Registry, state: InsuranceState, policy_id: str, day: dt.date, reason: str
) -> tuple[Policy, Decimal, dict[str, Decimal], list[data.Directive]]:
    """What cancelling `policy_id` on `day` books: (policy, pool before, refunds, entries);
    `InsuranceRefused` with every reason against it."""
    policy = state.policy(policy_id)
    reasons: list[Reason] = []
    earlier = state.book.cancellations.get(policy_id)
    if earlier is not None:
        reasons.append(
            Reason(
                "cancelled",
                _("保单 {policy} 已于 {date} 退保").format(policy=policy_id, date=earlier.date),
            )
        )
    if day < policy.bought:
        reasons.append(
            Reason("date", _("{day} 早于保单购买日 {bought}").format(day=day, bought=policy.bought))
        )
    if day >= policy.cover_end:
        reasons.append(
            Reason(
                "date",
                _("保单 {policy} 保障期 {start} 至 {end}：{day} 已无可退保的期间").format(
                    policy=policy_id, start=policy.cover_start, end=policy.cover_end, day=day
                ),
            )
        )
    text = stated_reason(
        reason,
        field=_("退保原因（--reason）"),
        missing=_("退保须写明原因"),
        reasons=reasons,
    )
    refunds, unexpired, policy_days = refund_for(policy, day)
    total = sum(refunds.values(), ZERO)
    if total:
        found = state.closed_reason(day)
        if found:
            reasons.append(found)
    if reasons:
        raise InsuranceRefused(f"premium cancel {policy_id} on {day}", reasons)
    pool_before = state.pool_available(policy.pool, day)
    entries: list[data.Directive] = [
        custom(
            CANCELLATION,
            day,
            policy_id,
            application=policy.application,
            reason=text,
            refund=total,
            refunds=format_amounts(refunds),
            unexpired_days=str(unexpired),
            policy_days=str(policy_days),
            cover_end=policy.cover_end,
        )
    ]
    if total:
        insurer = registry.insurers[policy.insurer]
        entries.append(
            premium_transaction(
                day=day,
                kind=KIND_PREMIUM_REFUND,
                narration=(
                    f"电梯维修保险退保退费 {policy.application} 保单 {policy_id} "
                    f"未到期 {unexpired}/{policy_days} 天"
                ),
                payee=insurer.name,
                application=policy.application,
                policy=policy_id,
                pool=policy.pool,
                amounts={code: -amount for code, amount in refunds.items()},
                clearing=chart.premium_clearing_account(registry, policy.insurer),
                extra_meta={
                    "unexpired_days": str(unexpired),
                    "policy_days": str(policy_days),
                    "reason": text,
                },
            )
        )
    return policy, pool_before, refunds, entries


def cancel_policy(
    main: Path,
    policy_id: str,
    day: dt.date,
    reason: str,
    *,
    dry_run: bool = False,
) -> PremiumBooked:
    """`premium cancel POLICY --date D --reason R`: the cover ends on D and the unearned premium
    goes back into the pool (see the module doc for the refund)."""
    refuse_after_last_day(day, _("退保日"))
    layout = require_ledger(main)
    registry = load_registry(layout.registry)
    with LedgerWriter(layout.main) as session:
        policy, pool_before, refunds, entries = planned(
            session,
            registry,
            lambda state: _cancellation(registry, state, policy_id, day, reason),
        )
        total = sum(refunds.values(), ZERO)
        stage_records(session, entries)
        result = session.commit(dry_run=dry_run)
    return PremiumBooked(
        policy_id=policy_id,
        application=policy.application,
        day=day,
        amounts=refunds,
        pool=policy.pool,
        pool_before=pool_before,
        pool_after=pool_before + total,
        cover_start=policy.cover_start,
        cover_end=min(policy.cover_end, day),
        entries=tuple(entries),
        result=result,
    )
