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
from xtaccounts.core.money import grouped_money
from xtaccounts.insurance.checks import InsuranceState
from xtaccounts.insurance.directives import Application, PolicyState
from xtaccounts.insurance.rules import Reason, describe_vote
from xtaccounts.registry import Registry

# Stages after which an application takes no further step (a new application is needed); its
# elevators still count for coverage whenever they are eligible (coverage.py).
CLOSED_STAGES = ("rejected", "cancelled")
# Each stage as the pages and details name it.
STAGE_NAMES = {
    "filed": "已申请",
    "notice": "公示中",
    "awaiting-vote": "待业主表决",
    "rejected": "表决未通过",
    "approved": "已通过",
    "bought": "已购买",
    "insured": "保障中",
    "lapsed": "已到期",
    "cancelled": "已退保",
}
# Conditions of a purchase that say nothing about whether the elevator could be insured.
PROCEDURAL = ("bought", "closed_period", "date")


def state_as_of(
    registry: Registry, entries: Sequence[data.Directive], day: dt.date
) -> InsuranceState:
    """The books as they stood at the end of `day` (nothing dated later)."""
    refuse_after_last_day(day, "day")
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
                _both(
                    f"保单 {c.policy.id} 已于 {cancellation.date} 退保：{cancellation.reason}"
                    f"（退费 {grouped_money(cancellation.refund)} 元）",
                    f"policy {c.policy.id} cancelled on {cancellation.date} "
                    f"(refund {cancellation.refund})",
                ),
                c,
            )
        if in_force:
            s = in_force[-1]
            return ApplicationStatus(
                app,
                day,
                "insured",
                _both(
                    f"保单 {s.policy.id} 保障期 {s.policy.cover_start} 至 {s.last_day}",
                    f"policy {s.policy.id} in force {s.policy.cover_start}..{s.last_day}",
                ),
                s,
            )
        if latest.policy.cover_start > day:
            return ApplicationStatus(
                app,
                day,
                "bought",
                _both(
                    f"保单 {latest.policy.id} 自 {latest.policy.cover_start} 起保",
                    f"policy {latest.policy.id} covers from {latest.policy.cover_start}",
                ),
                latest,
            )
        return ApplicationStatus(
            app,
            day,
            "lapsed",
            _both(
                f"保单 {latest.policy.id} 已于 {latest.last_day} 到期，未续保",
                f"policy {latest.policy.id} ended on {latest.last_day} and was not renewed",
            ),
            latest,
        )
    notice = book.notice(app_id)
    if notice is None:
        detail = _both(f"{app.filed} 申请，尚未公示", f"filed {app.filed}; no notice yet")
        return ApplicationStatus(app, day, "filed", detail)
    objections = [
        o for o in book.objections.get(app_id, []) if notice.start <= o.date <= notice.end
    ]
    votes = book.votes.get(app_id, [])
    if votes and objections and not votes[-1].passed:
        vote = votes[-1]
        detail = _both(
            f"{vote.date} 业主表决未通过：{describe_vote(vote)}",
            f"the owners' vote of {vote.date} failed",
        )
        return ApplicationStatus(app, day, "rejected", detail)
    if day <= notice.end and not votes:
        extra = f"; {len(objections)} written objection(s)" if objections else ""
        extra_zh = f"，书面异议 {len(objections)} 份" if objections else ""
        detail = _both(
            f"公示期 {notice.start} 至 {notice.end}{extra_zh}",
            f"notice {notice.start}..{notice.end}{extra}",
        )
        return ApplicationStatus(app, day, "notice", detail)
    if objections and not votes:
        return ApplicationStatus(
            app,
            day,
            "awaiting-vote",
            _both(
                f"书面异议 {len(objections)} 份（首份 {objections[0].date}），尚未表决",
                f"{len(objections)} written objection(s) (first {objections[0].date}); no vote yet",
            ),
        )
    plan = state.purchase_plan(app_id, day)
    reasons = [r for r in plan.reasons if r.rule not in PROCEDURAL]
    how = f"passed the owners' vote of {votes[-1].date}" if votes else "quiet notice"
    how_zh = f"{votes[-1].date} 业主表决通过" if votes else "公示期内无书面异议"
    if day < notice.purchase_from:
        how += f"; may be bought from {notice.purchase_from}"
        how_zh += f"，{notice.purchase_from} 起可购买"
    if reasons:
        detail = _both(
            f"{how_zh}；{day} 购买将被拒绝：" + "；".join(r.message for r in reasons),
            f"{how}; a purchase on {day} would be refused: " + ", ".join(r.rule for r in reasons),
        )
    else:
        detail = _both(
            f"{how_zh}；{day} 符合条件：{grouped_money(plan.total)} 元，"
            f"保障期 {plan.start} 至 {plan.end}",
            f"{how}; eligible on {day}: {plan.total} for {plan.start}..{plan.end}",
        )
    return ApplicationStatus(app, day, "approved", detail, None, reasons)


def _both(chinese: str, english: str) -> str:
    """A detail as the pages and commands say it: Chinese, then English in parentheses."""
    return f"{chinese}（{english}）"


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
