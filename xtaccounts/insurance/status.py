"""Where each application and policy stands on a day, from the records dated up to it.

An application is, on a day: ``filed`` (no notice yet), ``notice`` (its notice days are
running), ``awaiting-vote`` (a written objection, no vote yet), ``rejected`` (the owners' vote
failed: closed), ``approved`` (quiet notice or a passed vote; `reasons` then says what a
purchase that day would still miss), ``insured`` (a policy in force), ``bought`` (a policy whose
cover starts later), ``lapsed`` (its policies have ended without renewal) or ``cancelled`` (a
policy cancelled: closed).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from beancount.core import data

from xtaccounts.core.calendar import refuse_after_last_day
from xtaccounts.core.i18n import N_, _
from xtaccounts.insurance.checks import InsuranceState
from xtaccounts.insurance.directives import Application, PolicyState
from xtaccounts.insurance.rules import Reason, describe_vote, yuan
from xtaccounts.registry import Registry

# Stages after which an application takes no further step (a new application is needed); its
# elevators still count for coverage whenever they are eligible (coverage.py).
CLOSED_STAGES = ("rejected", "cancelled")
# Each stage as the pages and details name it.
STAGE_NAMES = {
    "filed": N_("已申请"),
    "notice": N_("公示中"),
    "awaiting-vote": N_("待业主表决"),
    "rejected": N_("表决未通过"),
    "approved": N_("已通过"),
    "bought": N_("已购买"),
    "insured": N_("保障中"),
    "lapsed": N_("已到期"),
    "cancelled": N_("已退保"),
}
# Conditions of a purchase that say nothing about whether the elevator could be insured.
PROCEDURAL = ("bought", "closed_period", "date")


def state_as_of(
    registry: Registry, entries: Sequence[data.Directive], day: dt.date
) -> InsuranceState:
    """The books as they stood at the end of `day` (nothing dated later)."""
    refuse_after_last_day(day, _("日期"))
    return InsuranceState(registry, [e for e in entries if e.date <= day])


@dataclass(frozen=True)
class ApplicationStatus:
    application: Application
    as_of: dt.date
    stage: str
    detail: str
    policy: PolicyState | None = None
    reasons: list[Reason] = field(default_factory=list)

    @property
    def closed(self) -> bool:
        return self.stage in CLOSED_STAGES


def application_status(state: InsuranceState, app_id: str, day: dt.date) -> ApplicationStatus:
    """The stage of one application on `day`; `state` must hold only records up to `day`."""
    app = state.application(app_id)
    book = state.book
    states = book.states_by_application.get(app_id, [])
    if states:
        latest = states[-1]
        cancelled = [s for s in states if s.cancellation is not None]
        in_force = [s for s in states if s.in_force(day)]
        if cancelled:
            c = cancelled[-1]
            cancellation = c.cancellation
            assert cancellation is not None  # as every state in `cancelled`
            return ApplicationStatus(
                app,
                day,
                "cancelled",
                _("保单 {policy} 已于 {date} 退保：{reason}（退费 {refund}）").format(
                    policy=c.policy.id,
                    date=cancellation.date,
                    reason=cancellation.reason,
                    refund=yuan(cancellation.refund),
                ),
                c,
            )
        if in_force:
            s = in_force[-1]
            return ApplicationStatus(
                app,
                day,
                "insured",
                _("保单 {policy} 保障期 {start} 至 {end}").format(
                    policy=s.policy.id, start=s.policy.cover_start, end=s.last_day
                ),
                s,
            )
        if latest.policy.cover_start > day:
            return ApplicationStatus(
                app,
                day,
                "bought",
                _("保单 {policy} 自 {start} 起保").format(
                    policy=latest.policy.id, start=latest.policy.cover_start
                ),
                latest,
            )
        return ApplicationStatus(
            app,
            day,
            "lapsed",
            _("保单 {policy} 已于 {end} 到期，未续保").format(
                policy=latest.policy.id, end=latest.last_day
            ),
            latest,
        )
    notice = book.notice(app_id)
    if notice is None:
        detail = _("{filed} 申请，尚未公示").format(filed=app.filed)
        return ApplicationStatus(app, day, "filed", detail)
    objections = [
        o for o in book.objections.get(app_id, []) if notice.start <= o.date <= notice.end
    ]
    votes = book.votes.get(app_id, [])
    if votes and objections and not votes[-1].passed:
        vote = votes[-1]
        detail = _("{date} 业主表决未通过：{tally}").format(
            date=vote.date, tally=describe_vote(vote)
        )
        return ApplicationStatus(app, day, "rejected", detail)
    if day <= notice.end and not votes:
        extra = _("，书面异议 {count} 份").format(count=len(objections)) if objections else ""
        detail = _("公示期 {start} 至 {end}{extra}").format(
            start=notice.start, end=notice.end, extra=extra
        )
        return ApplicationStatus(app, day, "notice", detail)
    if objections and not votes:
        return ApplicationStatus(
            app,
            day,
            "awaiting-vote",
            _("书面异议 {count} 份（首份 {first}），尚未表决").format(
                count=len(objections), first=objections[0].date
            ),
        )
    plan = state.purchase_plan(app_id, day)
    reasons = [r for r in plan.reasons if r.rule not in PROCEDURAL]
    how = _("{date} 业主表决通过").format(date=votes[-1].date) if votes else _("公示期内无书面异议")
    if day < notice.purchase_from:
        how += _("，{day} 起可购买").format(day=notice.purchase_from)
    if reasons:
        detail = _("{how}；{day} 购买将被拒绝：{reasons}").format(
            how=how, day=day, reasons=_("；").join(r.message for r in reasons)
        )
    else:
        detail = _("{how}；{day} 符合条件：{total}，保障期 {start} 至 {end}").format(
            how=how, day=day, total=yuan(plan.total), start=plan.start, end=plan.end
        )
    return ApplicationStatus(app, day, "approved", detail, None, reasons)


def stage_name(stage: str) -> str:
    """A stage as users read it (已申请, 公示中, ...)."""
    name = STAGE_NAMES.get(stage)
    return stage if name is None else _(name)


def application_statuses(
    registry: Registry, entries: Sequence[data.Directive], day: dt.date
) -> list[ApplicationStatus]:
    return statuses_of(state_as_of(registry, entries, day), day)


def statuses_of(state: InsuranceState, day: dt.date) -> list[ApplicationStatus]:
    """`application_statuses` from a state of the books up to `day`."""
    return [
        application_status(state, app_id, day)
        for app_id in sorted(
            state.book.applications, key=lambda a: (state.book.applications[a].filed, a)
        )
    ]


@dataclass(frozen=True)
class PolicyRow:
    policy: str
    application: str
    pool: str
    elevators: str
    insurer: str
    bought: dt.date
    cover_start: dt.date
    cover_end: dt.date
    premium: object
    status: str
    days_left: int | None
    renewed_by: str
    cancelled: str


def policy_rows(
    registry: Registry,
    entries: Sequence[data.Directive],
    day: dt.date,
    expiring_within: int | None = None,
) -> list[PolicyRow]:
    """Every policy bought by `day`, with its standing on `day`; with `expiring_within`, only
    those in force whose cover ends within that many days and that are not renewed."""
    return policy_rows_of(state_as_of(registry, entries, day), day, expiring_within)


def policy_rows_of(
    state: InsuranceState, day: dt.date, expiring_within: int | None = None
) -> list[PolicyRow]:
    """`policy_rows` from a state of the books up to `day`."""
    renewed = {p.renews: p.id for p in state.book.policies.values() if p.renews}
    rows = []
    for s in state.book.policy_states():
        p = s.policy
        if s.cancellation is not None:
            status = "cancelled"
        elif s.in_force(day):
            status = "in force"
        elif p.cover_start > day:
            status = "future"
        else:
            status = "expired"
        days_left = (s.last_day - day).days if status in ("in force", "future") else None
        if expiring_within is not None and not (
            status == "in force"
            and p.id not in renewed
            and days_left is not None
            and days_left <= expiring_within
        ):
            continue
        rows.append(
            PolicyRow(
                policy=p.id,
                application=p.application,
                pool=p.pool,
                elevators=",".join(p.elevators),
                insurer=p.insurer,
                bought=p.bought,
                cover_start=p.cover_start,
                cover_end=s.last_day,
                premium=p.premium,
                status=status,
                days_left=days_left,
                renewed_by=renewed.get(p.id, ""),
                cancelled=str(s.cancellation.date) if s.cancellation else "",
            )
        )
    return rows
