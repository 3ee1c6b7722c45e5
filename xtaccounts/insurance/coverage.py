"""The pilot's coverage KPI (docs/rules.md §3.8) and the lists behind it.

§3.8: "among elevators that are eligible and for which an application was filed, the share with
an insurance policy in force". On a day D, every elevator named by an application filed on or
before D is one of:

- ``insured``: a policy covering it is in force on D (it counts above and below the line);
- ``uninsured``: no policy covers it on D and it is eligible on D: the five conditions of §3.4
  (unit fund, the pool holding a year's premium of what its latest application buys while
  uninsured, management, maintenance and inspection, warranty, the tender and its limits) hold
  on D, whatever became of the application (voted down, a policy cancelled or lapsed, not yet
  noticed): it counts below the line only;
- ``ineligible``: no policy covers it and one of those conditions fails on D (not counted).

An insured elevator counts as eligible: its conditions were checked when the premium was paid,
and the pool's condition is about a premium it has paid already.

Coverage = insured / (insured + uninsured), compared with each target of pilot.toml
(at least 40 % on 2024-12-31 and 100 % on 2025-12-31), each computed on its own date.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from beancount.core import data

from xtaccounts.core.i18n import _
from xtaccounts.core.privacy import mask_free_text
from xtaccounts.insurance.checks import InsuranceState
from xtaccounts.insurance.directives import Application
from xtaccounts.insurance.rules import Eligibility
from xtaccounts.insurance.status import application_status, stage_name, state_as_of
from xtaccounts.registry import Registry
from xtaccounts.registry.navigation import community_of, place_name

COUNTED = ("insured", "uninsured")


@dataclass(frozen=True)
class ElevatorCoverage:
    elevator: str
    place: str
    community: str
    community_name: str
    district: str
    pool: str
    application: str
    status: str
    policy: str
    detail: str


@dataclass(frozen=True)
class TargetResult:
    date: dt.date
    target: Decimal
    eligible: int
    insured: int
    percent: Decimal | None
    met: bool | None


@dataclass(frozen=True)
class Coverage:
    as_of: dt.date
    elevators: list[ElevatorCoverage]
    targets: list[TargetResult]

    @property
    def eligible(self) -> int:
        return sum(1 for e in self.elevators if e.status in COUNTED)

    @property
    def insured(self) -> int:
        return sum(1 for e in self.elevators if e.status == "insured")

    @property
    def percent(self) -> Decimal | None:
        return percent(self.insured, self.eligible)

    def groups(self, by: str) -> list[dict]:
        """Counts per district or community."""
        counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
        for e in self.elevators:
            key = (e.district, "") if by == "district" else (e.community, e.community_name)
            counts[key][0] += e.status in COUNTED
            counts[key][1] += e.status == "insured"
            counts[key][2] += 1
        return [
            {
                by: key[0],
                **({"name": key[1]} if by == "community" else {}),
                "applied": applied,
                "eligible": eligible,
                "insured": insured,
                "percent": percent(insured, eligible),
            }
            for key, (eligible, insured, applied) in sorted(counts.items())
        ]


def percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.01"))


def _application_checks(
    state: InsuranceState, app: Application, insured_by: dict[str, str], day: dt.date
) -> Eligibility:
    """§3.4 on `day` for the uninsured elevators of an application: each one's conditions, and
    the pool's for a year's premium of all of them."""
    uninsured = [c for c in app.elevators if c not in insured_by]
    start = max(app.cover_start, day)
    return state.eligibility(uninsured, app.pool, app.insurer, day, start, stated=app.premiums)


def elevators_on(
    registry: Registry, entries: Sequence[data.Directive], day: dt.date
) -> list[ElevatorCoverage]:
    return elevators_of(state_as_of(registry, entries, day), day)


def elevators_of(state: InsuranceState, day: dt.date) -> list[ElevatorCoverage]:
    """`elevators_on` from a state of the books up to `day`."""
    registry = state.registry
    book = state.book
    latest: dict[str, str] = {}
    for app in sorted(book.applications.values(), key=lambda a: (a.filed, a.id)):
        for code in app.elevators:
            latest[code] = app.id
    insured_by: dict[str, str] = {}
    for s in book.policy_states():
        if s.in_force(day):
            for code in s.policy.elevators:
                insured_by[code] = s.policy.id
    statuses = {app_id: application_status(state, app_id, day) for app_id in set(latest.values())}
    checks: dict[str, Eligibility] = {}
    rows = []
    for code in sorted(
        latest,
        key=lambda c: (registry.elevators[c].unit, c) if c in registry.elevators else ("", c),
    ):
        app_id = latest[code]
        app = book.applications[app_id]
        status = statuses[app_id]
        elevator = registry.elevators.get(code)
        unit = elevator.unit if elevator else ""
        community_id = community_of(registry, unit) if unit in registry.units else ""
        community = registry.communities.get(community_id)
        policy = insured_by.get(code, "")
        if policy:
            kind, detail = "insured", _("保单 {policy}").format(policy=policy)
        else:
            if app_id not in checks:
                checks[app_id] = _application_checks(state, app, insured_by, day)
            checked = checks[app_id]
            reasons = [
                *checked.by_elevator.get(code, []),
                *([checked.pool] if checked.pool else []),
            ]
            if reasons:
                kind = "ineligible"
                detail = _("申请 {app} {stage}：{reasons}").format(
                    app=app_id,
                    stage=stage_name(status.stage),
                    reasons=_("；").join(r.message for r in reasons),
                )
            else:
                kind = "uninsured"
                said = mask_free_text(status.detail)
                detail = _("{day} 符合条件；申请 {app} {stage}：{said}").format(
                    day=day, app=app_id, stage=stage_name(status.stage), said=said
                )
        rows.append(
            ElevatorCoverage(
                elevator=code,
                place=place_name(registry, unit) if unit else "",
                community=community_id,
                community_name=community.name if community else "",
                district=community.district if community else "",
                pool=app.pool,
                application=app_id,
                status=kind,
                policy=policy,
                detail=detail,
            )
        )
    return rows


def coverage(registry: Registry, entries: Sequence[data.Directive], as_of: dt.date) -> Coverage:
    """The KPI on `as_of`, and on each target date of pilot.toml."""
    return coverage_of(registry, lambda day: state_as_of(registry, entries, day), as_of)


def coverage_of(
    registry: Registry, state_on: Callable[[dt.date], InsuranceState], as_of: dt.date
) -> Coverage:
    """`coverage` with `state_on(day)` giving the state of the books up to a day."""
    targets = []
    for target in registry.pilot.coverage_targets:
        rows = elevators_of(state_on(target.date), target.date)
        eligible = sum(1 for r in rows if r.status in COUNTED)
        insured = sum(1 for r in rows if r.status == "insured")
        targets.append(
            TargetResult(
                date=target.date,
                target=target.percent,
                eligible=eligible,
                insured=insured,
                percent=percent(insured, eligible),
                met=None if not eligible else insured * 100 >= target.percent * eligible,
            )
        )
    return Coverage(as_of, elevators_of(state_on(as_of), as_of), targets)
