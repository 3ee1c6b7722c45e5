"""Check 6: every premium against the pilot's rules, on its purchase date.

For each premium transaction (``kind: premium``), recomputed from the registry and the records
(not from the policy's own words):

- it belongs to a recorded policy of a recorded application (a premium without approval is an
  error);
- the application is in order (§3.3 applicants) and was filed by then;
- the notice ran its 7 days before the purchase, and after a written objection a passed vote
  was held by then (§3.5, §3.6);
- all five conditions (§3.4) hold on the purchase date: unit fund deposited, the pool held one
  year's premium before this one was taken from it, management and maintenance in order with a
  passed inspection less than 12 months old, past the five-year warranty, and the insurer's
  tender covers the date with the elevator inside its limits (§3.7: only a tendered insurer);
- the date is inside the pilot window;
- no elevator is insured twice for the same days;
- the insurer's clearing account is settled by a payment within 30 days (pilot.toml
  premium_settle_days; first in, first out):
  a premium still unpaid more than 30 days after it was booked is an error, one paid late a
  warning.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from itertools import pairwise

from beancount.core import data

from xtaccounts.audit.clearing import FifoItems
from xtaccounts.audit.context import AuditContext
from xtaccounts.audit.findings import WARNING, CheckResult
from xtaccounts.core import chart
from xtaccounts.core.entries import number_of, units_of
from xtaccounts.core.i18n import N_, _
from xtaccounts.core.vocabulary import KIND_PREMIUM, META_ELEVATOR, META_KIND, META_POLICY, ZERO
from xtaccounts.insurance.checks import InsuranceState
from xtaccounts.insurance.directives import InsuranceBook
from xtaccounts.insurance.rules import applicant_reasons, procedure_reasons, window_reason

NAME = "premiums"
TITLE = N_("保费：申请、公示或表决、五项条件、中标、试点期、结算")


def check(ctx: AuditContext) -> CheckResult:
    result = CheckResult(NAME, _(TITLE))
    state = ctx.insurance  # the Ledger's insurance records and balances, as of the audit's day
    book = state.book
    for entry in ctx.transactions:
        if entry.meta.get(META_KIND) == KIND_PREMIUM:
            result.count("premiums")
            _premium(ctx, result, state, book, entry)
    _overlaps(ctx, result, book)
    _settlement(ctx, result)
    return result


def _premium(
    ctx: AuditContext,
    result: CheckResult,
    state: InsuranceState,
    book: InsuranceBook,
    entry: data.Transaction,
) -> None:
    registry = ctx.registry
    where = [ctx.where(entry)]
    day = entry.date
    policy = book.policies.get(str(entry.meta.get(META_POLICY, "")))
    if policy is None:
        result.add(
            "no-approval",
            _("{day} 的保费所指的保单（{policy!r}）没有记录：保费没有经批准的申请").format(
                day=day, policy=entry.meta.get("policy")
            ),
            where,
        )
        return
    app = book.applications.get(policy.application)
    if app is None:
        result.add(
            "no-approval",
            _("保单 {policy} 的保费所指的申请 {app} 不存在").format(
                policy=policy.id, app=policy.application
            ),
            where,
        )
        return
    total = sum((number_of(p) for p in entry.postings if p.account == chart.PREMIUM_EXPENSE), ZERO)
    reasons = []
    if day < app.filed:
        result.add(
            "application",
            _("{policy}：{day} 购买，早于申请 {app} 的申请日").format(
                policy=policy.id, day=day, app=app.id
            ),
            where,
        )
    reasons += applicant_reasons(registry, app.pool, app.applicant_kind, app.applicants, app.filed)
    reasons += procedure_reasons(
        book.notice(app.id), book.objections.get(app.id, []), book.votes.get(app.id, []), day
    )
    found = window_reason(registry, day)
    if found:
        reasons.append(found)
    # The pool held the year's premium before this one was taken from it.
    reasons += state.eligibility(
        policy.elevators,
        policy.pool,
        policy.insurer,
        day,
        policy.cover_start,
        stated=_booked(entry),
        available=state.pool_available(policy.pool, day) + total,
    ).reasons
    for reason in reasons:
        result.add(
            reason.rule.replace("_", "-"),
            _("保单 {policy}（{app}）{day} 的保费：{reason}").format(
                policy=policy.id, app=app.id, day=day, reason=reason.message
            ),
            where,
        )


def _booked(entry: data.Transaction) -> dict[str, Decimal]:
    """The premium transaction's amount for each elevator (its postings' ``elevator:``)."""
    booked: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for posting in entry.postings:
        if posting.account != chart.PREMIUM_EXPENSE:
            continue
        number = units_of(posting).number
        if number is not None:
            booked[str((posting.meta or {}).get(META_ELEVATOR, ""))] += number
    return dict(booked)


def _overlaps(ctx: AuditContext, result: CheckResult, book: InsuranceBook) -> None:
    by_elevator = defaultdict(list)
    for state in book.policy_states():
        if state.last_day < state.policy.cover_start:
            continue
        for code in state.policy.elevators:
            by_elevator[code].append(state)
    for code, states in sorted(by_elevator.items()):
        result.count("insured_elevators")
        states.sort(key=lambda s: (s.policy.cover_start, s.policy.id))
        for earlier, later in pairwise(states):
            if later.policy.cover_start <= earlier.last_day:
                result.add(
                    "insured-twice",
                    _(
                        "电梯 {code} 重复投保：保单 {later} 自 {start} 起，"
                        "与 {earlier}（{first} 至 {last}）重叠"
                    ).format(
                        code=code,
                        later=later.policy.id,
                        start=later.policy.cover_start,
                        earlier=earlier.policy.id,
                        first=earlier.policy.cover_start,
                        last=earlier.last_day,
                    ),
                    [ctx.where(later.policy.entry), ctx.where(earlier.policy.entry)],
                )


def _settlement(ctx: AuditContext, result: CheckResult) -> None:
    """First in, first out on each insurer's clearing account."""
    accounts: dict[str, FifoItems] = defaultdict(FifoItems)
    limit = dt.timedelta(days=ctx.registry.pilot.premium_settle_days)
    for entry in ctx.transactions:
        for posting in entry.postings:
            account = posting.account
            if not account.startswith(chart.PREMIUM_CLEARING + ":"):
                continue
            for item in accounts[account].post(entry, number_of(posting)):
                _settled(ctx, result, item.entry, entry, limit)
    for account, items in sorted(accounts.items()):
        for item in items.open:
            result.count("unsettled")
            day = item.date
            if item.entry.meta.get(META_KIND) == KIND_PREMIUM and ctx.as_of - day > limit:
                result.add(
                    "unsettled",
                    _(
                        "{account}：{day} 的保费（尚欠 {owed}）到 {as_of} 已 {days} 天仍未支付"
                    ).format(
                        account=account,
                        day=day,
                        owed=-item.amount,
                        days=(ctx.as_of - day).days,
                        as_of=ctx.as_of,
                    ),
                    [ctx.where(item.entry)],
                    expected=_("{day} 前支付").format(day=day + limit),
                    booked=-item.amount,
                )


def _settled(
    ctx: AuditContext,
    result: CheckResult,
    item: data.Transaction,
    payment: data.Transaction,
    limit: dt.timedelta,
) -> None:
    if item.meta.get(META_KIND) != KIND_PREMIUM:
        return
    result.count("settled")
    by_bank = any(p.account.startswith(chart.BANK + ":") for p in payment.postings)
    late = payment.date - item.date > limit
    if late or not by_bank:
        result.add(
            "settlement",
            _("{day} 的保费于 {paid}（{days} 天后）结算").format(
                day=item.date, paid=payment.date, days=(payment.date - item.date).days
            )
            + ("" if by_bank else _("，结算分录没有动用银行账户"))
            + (_("，入账后超过 {limit} 天").format(limit=limit.days) if late else ""),
            [ctx.where(item), ctx.where(payment)],
            severity=WARNING,
            expected=_("{day} 前支付").format(day=item.date + limit),
            booked=payment.date.isoformat(),
        )
