"""The demo's elevator insurance: applications in every state, booked through the library.

- APP-2024-001, building pool C0002-B02, elevator 13 (2014), the owners' committee: quiet
  notice, paid 2024-10-21, renewed 2025-10-20.
- APP-2024-002, building pool C0001-B01, elevator 1 (2008), 3 households of the building: a
  written objection, the owners' vote passes, paid 2024-11-12, renewed 2025-11-20.
- APP-2024-003, unit pool C0001-B02-U2, elevator 4 (2012), 3 households of the unit: a written
  objection, the vote fails (consent of exactly half the participants), refused 2024-12-09.
- APP-2024-004, building pool C0001-B04, elevators 8 and 9 (2019), 3 households of the
  building: refused for a thin pool on 2024-12-16 and 2025-02-10 (4684.30 < 4800.00), paid for
  both elevators on 2025-07-07 after the June allocation.
- APP-2024-005, building pool C0001-B01, elevator 2 (2008), the committee: notice over the year
  end, paid 2025-01-06 (eligible but not yet insured on 2024-12-31).
- APP-2025-001, unit pool C0002-B03-U1, elevator 14 (2021), the entrusted property company:
  refused 2025-07-14, within the 5-year warranty (to 2026-08-16).
- APP-2025-002, unit pool C0002-B01-U2, elevator 11 (2010), the committee: quiet notice, paid
  2025-07-15, cancelled 2025-10-31 (the elevator is replaced), 2393.42 refunded to the pool.

Coverage (docs/rules.md §3.8): 2024-12-31: 2 insured of 3 eligible with an application (66.67 %,
target 40 %: met); 2025-12-31: 5 of 7 (71.43 %, target 100 %: not met), elevators 4 (voted
down) and 11 (cancelled) being eligible and uninsured after the year-end allocation.

A premium can only be booked while its period is open, so the demo books this in phases:
`book_demo_insurance(main, through=D)` books every step dated up to D that is not in the books
yet, and must run before each close that covers a premium: before ``close --period 2024``
(through 2024-12-31), before ``close --period 2025-06`` (through 2025-06-30) and before
``close --period 2025`` (through 2025-12-31, the default). Steps that are refusals write
nothing; they are run only while their day is in an open period, and the demo fails loudly if
one is not refused for the expected reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from xtaccounts.books.change_note import recording_as
from xtaccounts.books.layout import require_ledger
from xtaccounts.books.load import load_books
from xtaccounts.core.errors import XtError
from xtaccounts.insurance.applications import (
    InspectionReport,
    file_application,
    post_notice,
    record_objection,
    record_vote,
)
from xtaccounts.insurance.checks import InsuranceState
from xtaccounts.insurance.premiums import buy_premium, cancel_policy, renew_policy
from xtaccounts.insurance.rules import Choice, InsuranceRefused, tally_votes
from xtaccounts.registry import Registry, load_registry
from xtaccounts.registry.navigation import pool_households

D = dt.date.fromisoformat
END = D("2025-12-31")
INSURER = "INS01"


def E(serial: int) -> str:
    codes = {
        1: "31104303200800000001",
        2: "31104303200800000002",
        4: "31104303201200000004",
        8: "31104303201900000008",
        9: "31104303201900000009",
        11: "31104303201000000011",
        13: "31104303201400000013",
        14: "31104303202100000014",
    }
    return codes[serial]


@dataclass(frozen=True)
class Step:
    day: dt.date
    what: str
    act: Callable[[Path, Registry], object]
    done: Callable[[InsuranceState], bool]
    refusal: bool = False
    books_premium: bool = False


def _file(
    app_id: str,
    day: str,
    elevators: list[int],
    kind: str,
    applicants: list[str],
    cover_start: str,
    cover_end: str,
    inspections: list[tuple[int, str]],
) -> Step:
    def act(main: Path, registry: Registry) -> None:
        file_application(
            main,
            filed=D(day),
            elevators=[E(n) for n in elevators],
            applicant_kind=kind,
            applicants=applicants,
            insurer=INSURER,
            cover_start=D(cover_start),
            cover_end=D(cover_end),
            inspections=[InspectionReport(E(n), D(when)) for n, when in inspections],
            app_id=app_id,
        )

    return Step(D(day), f"file {app_id}", act, lambda s: app_id in s.book.applications)


def _notice(app_id: str, day: str) -> Step:
    return Step(
        D(day),
        f"notice {app_id}",
        lambda main, _: post_notice(main, app_id, D(day)),
        lambda s: s.book.notice(app_id) is not None,
    )


def _object(app_id: str, day: str, household: str, reason: str) -> Step:
    return Step(
        D(day),
        f"objection to {app_id}",
        lambda main, _: record_objection(main, app_id, D(day), household, reason),
        lambda s: any(o.date == D(day) for o in s.book.objections.get(app_id, [])),
    )


def _vote(
    app_id: str, day: str, votes: Callable[[Registry], dict[str, Choice]], passes: bool
) -> Step:
    def act(main: Path, registry: Registry) -> None:
        chosen = votes(registry)
        pool = InsuranceState(registry, load_books(main).entries).application(app_id).pool
        tally = tally_votes(pool_households(registry, pool), chosen, registry.pilot)
        if tally.passed is not passes or not tally.quorum:
            raise XtError(
                f"demo: the vote on {app_id} does not come out as intended: {tally.explain()}"
            )
        record_vote(main, app_id, D(day), chosen)

    return Step(
        D(day),
        f"vote on {app_id}",
        act,
        lambda s: any(v.date == D(day) for v in s.book.votes.get(app_id, [])),
    )


def _buy(app_id: str, day: str, policy_no: str) -> Step:
    policy = f"{app_id}-P1"
    return Step(
        D(day),
        f"buy {app_id}",
        lambda main, _: buy_premium(main, app_id, D(day), policy_no=policy_no),
        lambda s: policy in s.book.policies,
        books_premium=True,
    )


def _renew(policy: str, new: str, day: str, policy_no: str) -> Step:
    return Step(
        D(day),
        f"renew {policy}",
        lambda main, _: renew_policy(main, policy, D(day), policy_no=policy_no),
        lambda s: new in s.book.policies,
        books_premium=True,
    )


def _cancel(policy: str, day: str, reason: str) -> Step:
    return Step(
        D(day),
        f"cancel {policy}",
        lambda main, _: cancel_policy(main, policy, D(day), reason),
        lambda s: policy in s.book.cancellations,
        books_premium=True,
    )


def _refused(app_id: str, day: str, rules: set[str]) -> Step:
    """A purchase that must be refused for exactly `rules` (nothing is written)."""

    def act(main: Path, registry: Registry) -> None:
        try:
            buy_premium(main, app_id, D(day))
        except InsuranceRefused as exc:
            got = {r.rule for r in exc.reasons}
            if got != rules:
                raise XtError(
                    f"demo: {app_id} on {day} was refused for {sorted(got)}, not {sorted(rules)}: "
                    f"{exc}"
                ) from exc
            return
        raise XtError(f"demo: the purchase of {app_id} on {day} was expected to be refused")

    return Step(D(day), f"refused {app_id}", act, lambda s: False, refusal=True)


def _votes_passing(registry: Registry) -> dict[str, Choice]:
    """C0001-B01 (50 households): 40 take part, 28 for, 9 against, 3 abstain."""
    members = sorted(pool_households(registry, "C0001-B01"))
    voters = [h for i, h in enumerate(members) if i % 5 != 4]
    votes: dict[str, Choice] = {}
    for i, household in enumerate(voters):
        votes[household] = Choice.FOR if i < 28 else Choice.AGAINST if i < 37 else Choice.ABSTAIN
    objector = "C0001-B01-U2-301"
    if objector in votes and votes[objector] is Choice.FOR:
        swap = next(h for h in voters[28:37] if votes[h] is Choice.AGAINST)
        votes[objector], votes[swap] = Choice.AGAINST, Choice.FOR
    return votes


def _votes_half(registry: Registry) -> dict[str, Choice]:
    """C0001-B02-U2 (16 households): the 12 largest take part, 6 for, 5 against, 1 abstains:
    consent of exactly half the participants, which is not more than half."""
    households = pool_households(registry, "C0001-B02-U2")
    voters = sorted(sorted(households, key=lambda h: (-households[h], h))[:12])
    choices = [Choice.FOR] * 6 + [Choice.AGAINST] * 5 + [Choice.ABSTAIN]
    votes = dict(zip(voters, choices, strict=True))
    objector = "C0001-B02-U2-502"
    if votes.get(objector) is Choice.FOR:
        swap = next(h for h in voters if votes[h] is Choice.AGAINST)
        votes[objector], votes[swap] = Choice.AGAINST, Choice.FOR
    return votes


def demo_steps() -> list[Step]:
    """Every step of the demo's insurance, in date order."""
    steps = [
        _file(
            "APP-2024-001",
            "2024-10-08",
            [13],
            "committee",
            [],
            "2024-11-01",
            "2026-10-31",
            [(13, "2024-05-24")],
        ),
        _file(
            "APP-2024-002",
            "2024-10-10",
            [1],
            "households",
            ["C0001-B01-U1-101", "C0001-B01-U2-201", "C0001-B01-U3-302"],
            "2024-12-01",
            "2026-11-30",
            [(1, "2024-01-08")],
        ),
        _notice("APP-2024-001", "2024-10-14"),
        _notice("APP-2024-002", "2024-10-16"),
        _object(
            "APP-2024-002",
            "2024-10-18",
            "C0001-B01-U2-301",
            "保险费偏高，统筹账户余额有限，要求全体业主表决",
        ),
        _buy("APP-2024-001", "2024-10-21", "XTBX-2024-0131"),
        _file(
            "APP-2024-003",
            "2024-11-04",
            [4],
            "households",
            ["C0001-B02-U2-101", "C0001-B02-U2-102", "C0001-B02-U2-201"],
            "2025-01-01",
            "2025-12-31",
            [(4, "2024-02-20")],
        ),
        _vote("APP-2024-002", "2024-11-09", _votes_passing, True),
        _notice("APP-2024-003", "2024-11-11"),
        _buy("APP-2024-002", "2024-11-12", "XTBX-2024-0158"),
        _object(
            "APP-2024-003",
            "2024-11-13",
            "C0001-B02-U2-502",
            "本单元统筹账户余额不足一年保险费，反对动用",
        ),
        _file(
            "APP-2024-004",
            "2024-12-02",
            [8, 9],
            "households",
            ["C0001-B04-U1-101", "C0001-B04-U1-202", "C0001-B04-U2-301"],
            "2025-01-01",
            "2025-12-31",
            [(8, "2024-09-03"), (9, "2024-01-22")],
        ),
        _vote("APP-2024-003", "2024-12-07", _votes_half, False),
        _refused("APP-2024-003", "2024-12-09", {"vote", "pool_balance"}),
        _notice("APP-2024-004", "2024-12-09"),
        _refused("APP-2024-004", "2024-12-16", {"pool_balance"}),
        _file(
            "APP-2024-005",
            "2024-12-20",
            [2],
            "committee",
            [],
            "2025-01-06",
            "2026-01-05",
            [(2, "2024-09-05")],
        ),
        _notice("APP-2024-005", "2024-12-23"),
        _buy("APP-2024-005", "2025-01-06", "XTBX-2025-0004"),
        _refused("APP-2024-004", "2025-02-10", {"pool_balance"}),
        _file(
            "APP-2025-001",
            "2025-07-01",
            [14],
            "property_company",
            ["湖南湖湘物业管理有限公司"],
            "2025-08-01",
            "2026-07-31",
            [],
        ),
        _file("APP-2025-002", "2025-07-01", [11], "committee", [], "2025-08-01", "2026-07-31", []),
        _buy("APP-2024-004", "2025-07-07", "XTBX-2025-0102"),
        _notice("APP-2025-001", "2025-07-07"),
        _notice("APP-2025-002", "2025-07-07"),
        _refused("APP-2025-001", "2025-07-14", {"warranty"}),
        _buy("APP-2025-002", "2025-07-15", "XTBX-2025-0117"),
        _renew("APP-2024-001-P1", "APP-2024-001-P2", "2025-10-20", "XTBX-2025-0233"),
        _cancel(
            "APP-2025-002-P1", "2025-10-31", "电梯纳入既有住宅电梯更新改造，整机更换，原保单退保"
        ),
        _renew("APP-2024-002-P1", "APP-2024-002-P2", "2025-11-20", "XTBX-2025-0260"),
    ]
    return sorted(steps, key=lambda s: s.day)


def book_demo_insurance(main: Path, *, through: dt.date | None = None) -> None:
    """Book every demo insurance step dated up to `through` (default 2025-12-31) that the books
    do not hold yet. Call it before each period close that covers a premium (see the module
    doc): a premium dated in a closed period cannot be booked any more."""
    layout = require_ledger(main)
    registry = load_registry(layout.registry)
    through = through or END
    state = InsuranceState(registry, load_books(layout.main).entries)
    closed = state.closed_through
    pending = [s for s in demo_steps() if s.day <= through and not s.done(state)]
    late = [s for s in pending if s.books_premium and closed is not None and s.day <= closed]
    if late:
        raise XtError(
            f"demo insurance: {', '.join(s.what + ' ' + str(s.day) for s in late)} fall in periods "
            f"closed through {closed}: call book_demo_insurance(main, through=...) before each "
            "close (2024-12-31, 2025-06-30, 2025-12-31)"
        )
    for step in pending:
        if step.refusal and closed is not None and step.day <= closed:
            continue
        with recording_as(f"demo build：{step.what}"):
            step.act(layout.main, registry)
