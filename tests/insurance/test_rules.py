"""The rules as pure functions, each at its edges (docs/rules.md §3)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.helpers import EA, EE, EF, small_registry, write_files
from xtaccounts.core.calendar import add_months, add_years, age_years, cover_years
from xtaccounts.insurance.directives import Inspection, Notice, Objection, Vote, VoteTally
from xtaccounts.insurance.rules import (
    Choice,
    applicant_reasons,
    eligibility,
    inspection_on,
    inspection_reason,
    notice_days,
    pool_reason,
    procedure_reasons,
    quote,
    tally_votes,
    warranty_reason,
    window_reason,
)
from xtaccounts.registry import Registry, load_registry

D = dt.date.fromisoformat
A = Decimal


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    return load_registry(write_files(tmp_path_factory.mktemp("reg"), small_registry()))


# -- dates -------------------------------------------------------------------------------------


def test_calendar_arithmetic() -> None:
    assert add_years(D("2020-02-29"), 5) == D("2025-02-28")
    assert add_months(D("2024-01-31"), 1) == D("2024-02-29")
    assert age_years(D("2014-04-25"), D("2024-04-24")) == 9
    assert age_years(D("2014-04-25"), D("2024-04-25")) == 10
    assert cover_years(D("2024-11-01"), D("2026-10-31")) == 2
    assert cover_years(D("2024-11-01"), D("2025-11-01")) is None


# -- §3.4.4 warranty: strictly more than five years ---------------------------------------


def test_warranty_edge(registry: Registry) -> None:
    elevator = registry.elevators[EA]
    assert elevator.commissioned == D("2020-01-10")
    refused = warranty_reason(elevator, D("2025-01-10"), 5)
    assert refused is not None and refused.rule == "warranty"
    assert "2020-01-10" in refused.message and "2025-01-10" in refused.message
    assert warranty_reason(elevator, D("2025-01-11"), 5) is None


# -- §3.4.3 inspection: passed and less than 12 months old ---------------------------------


def test_inspection_366_days_old_is_refused_365_accepted(registry: Registry) -> None:
    elevator = registry.elevators[EF]  # inspected 2024-01-01 (a leap year follows)
    on = D("2025-01-01")
    found = inspection_reason(elevator, inspection_on(elevator, [], on), on, 12)
    assert found is not None and "已 366 天" in found.message
    day = D("2024-12-31")
    assert inspection_reason(elevator, inspection_on(elevator, [], day), day, 12) is None


def test_inspection_after_the_day_does_not_count_and_a_failed_one_refuses(
    registry: Registry,
) -> None:
    elevator = registry.elevators[EA]  # registry: inspected 2024-12-01
    day = D("2024-11-30")
    found = inspection_reason(elevator, inspection_on(elevator, [], day), day, 12)
    assert found is not None and "没有定期检验记录" in found.message
    report = Inspection(EA, D("2024-02-01"), True, "APP-X")
    assert inspection_reason(elevator, inspection_on(elevator, [report], day), day, 12) is None
    failed = Inspection(EA, D("2024-12-20"), False, "APP-Y")
    later = D("2024-12-21")
    found = inspection_reason(elevator, inspection_on(elevator, [failed], later), later, 12)
    assert found is not None and "不合格" in found.message


# -- §3.4.2 the pool holds a year's premium --------------------------------------------------


def test_pool_one_fen_short_is_refused() -> None:
    found = pool_reason("P", A("2399.99"), A("2400.00"), D("2025-03-01"))
    assert found is not None
    assert "2,399.99" in found.message and "2,400.00" in found.message and "0.01" in found.message
    assert pool_reason("P", A("2400.00"), A("2400.00"), D("2025-03-01")) is None


# -- §3.3 applicants -----------------------------------------------------------------------


def test_applicants(registry: Registry) -> None:
    day = D("2025-02-01")
    unit = "C0001-B01-U1"
    two = applicant_reasons(registry, unit, "households", [f"{unit}-101", f"{unit}-102"], day)
    assert [r.rule for r in two] == ["applicants"] and "只有 2 户申请" in two[0].message
    three = [f"{unit}-101", f"{unit}-102", f"{unit}-201"]
    assert applicant_reasons(registry, unit, "households", three, day) == []
    repeated = [f"{unit}-101", f"{unit}-101", f"{unit}-102"]
    assert applicant_reasons(registry, unit, "households", repeated, day)
    other = ["C0001-B01-U2-101", "C0001-B01-U2-102", "C0001-B01-U2-201"]
    found = applicant_reasons(registry, unit, "households", other, day)
    assert len([r for r in found if "不属于付费统筹账户的单元" in r.message]) == 3
    # A building pool: households of any unit of the building.
    mixed = ["C0001-B02-U1-101", "C0001-B02-U2-101", "C0001-B02-U2-102"]
    assert applicant_reasons(registry, "C0001-B02", "households", mixed, day) == []


def test_committee_and_property_company(registry: Registry) -> None:
    assert applicant_reasons(registry, "C0001-B02", "committee", ["C0001"], D("2025-01-01")) == []
    found = applicant_reasons(registry, "C0002-B01-U1", "committee", ["C0002"], D("2025-01-01"))
    assert found and "没有业主委员会" in found[0].message
    pool = "C0001-B02"
    assert (
        applicant_reasons(registry, pool, "property_company", ["甲物业公司"], D("2025-01-01")) == []
    )
    found = applicant_reasons(registry, pool, "property_company", ["甲物业公司"], D("2024-12-31"))
    assert found and "业主委员会的有效委托" in found[0].message
    found = applicant_reasons(registry, pool, "property_company", ["乙物业公司"], D("2025-06-01"))
    assert found


# -- §3.5 notice, §3.6 objection ----------------------------------------------------------


def _notice(start: str) -> Notice:
    s, e, f = notice_days(D(start), 7)
    return Notice("APP", s, e, f, None, "", "")


def test_notice_days() -> None:
    assert notice_days(D("2025-03-01"), 7) == (D("2025-03-01"), D("2025-03-07"), D("2025-03-08"))
    notice = _notice("2025-03-01")
    assert procedure_reasons(notice, [], [], D("2025-03-08")) == []
    found = procedure_reasons(notice, [], [], D("2025-03-07"))
    assert [r.rule for r in found] == ["notice"] and "2025-03-08" in found[0].message
    assert [r.rule for r in procedure_reasons(None, [], [], D("2025-03-08"))] == ["notice"]


def _vote(day: str, passed: bool) -> Vote:
    """3 of 3 households (100 m² each) take part, 2 for (passed) or 1 for (failed)."""
    n_for = 2 if passed else 1
    tally = VoteTally(
        households_total=3,
        area_total=A(300),
        households_voted=3,
        area_voted=A(300),
        households_for=n_for,
        area_for=A(100 * n_for),
        households_against=3 - n_for,
        area_against=A(300 - 100 * n_for),
        households_abstain=0,
        area_abstain=A(0),
    )
    return Vote("APP", D(day), tally, tally.outcome, tally.quorum_text)


def test_objection_on_day_seven_blocks_until_a_passed_vote() -> None:
    notice = _notice("2025-03-01")
    objection = [Objection("APP", D("2025-03-07"), "H", "r")]
    found = procedure_reasons(notice, objection, [], D("2025-03-08"))
    assert [r.rule for r in found] == ["vote"]
    assert procedure_reasons(notice, objection, [_vote("2025-03-10", True)], D("2025-03-09"))
    assert procedure_reasons(notice, objection, [_vote("2025-03-10", True)], D("2025-03-10")) == []
    failed = procedure_reasons(notice, objection, [_vote("2025-03-10", False)], D("2025-03-11"))
    assert [r.rule for r in failed] == ["vote"] and "业主表决未通过" in failed[0].message


# -- §3.6 the vote (Civil Code art. 278) ------------------------------------------------------


def test_quorum_two_thirds_headcount_but_066_area_fails() -> None:
    households = {"h1": A("34.00"), "h2": A("33.00"), "h3": A("33.00")}
    # h2 and h3 take part: 2/3 of the headcount, 66/100 of the area.
    tally = tally_votes(households, {"h2": Choice.FOR, "h3": Choice.FOR})
    assert tally.quorum_headcount and not tally.quorum_area and not tally.passed
    assert "< 2/3" in tally.explain()
    # h1 and h2: 2/3 of the headcount and 67/100 of the area: quorum, and all for.
    tally = tally_votes(households, {"h1": Choice.FOR, "h2": Choice.FOR})
    assert tally.quorum and tally.passed


def test_quorum_exactly_two_thirds_is_enough() -> None:
    households = {"h1": A("50.00"), "h2": A("50.00"), "h3": A("50.00")}
    tally = tally_votes(households, {"h1": Choice.FOR, "h2": Choice.FOR})
    assert tally.quorum and tally.passed


def test_consent_of_exactly_half_fails() -> None:
    households = {f"h{i}": A("100.00") for i in range(4)}
    votes = {"h0": Choice.FOR, "h1": Choice.FOR, "h2": Choice.AGAINST, "h3": Choice.ABSTAIN}
    tally = tally_votes(households, votes)
    assert tally.quorum and not tally.majority_headcount and not tally.majority_area
    assert not tally.passed
    # Half the area but more than half the headcount: still fails (both are needed).
    households = {"h0": A("50.00"), "h1": A("50.00"), "h2": A("100.00")}
    tally = tally_votes(households, {"h0": Choice.FOR, "h1": Choice.FOR, "h2": Choice.AGAINST})
    assert tally.majority_headcount and not tally.majority_area and not tally.passed
    votes = {"h0": Choice.FOR, "h1": Choice.FOR, "h2": Choice.AGAINST}
    households["h0"] = A("50.01")
    assert tally_votes(households, votes).passed


def test_votes_from_outside_the_pool_are_refused() -> None:
    with pytest.raises(ValueError, match="不是本统筹账户的住户"):
        tally_votes({"h1": A("1.00")}, {"x": Choice.FOR})


# -- §3.7 window and tender ------------------------------------------------------------------


def test_window(registry: Registry) -> None:
    assert window_reason(registry, D("2024-09-15")) is None
    assert window_reason(registry, D("2025-12-31")) is None
    assert window_reason(registry, D("2024-09-14")).rule == "window"
    assert window_reason(registry, D("2026-01-01")).rule == "window"


def test_tender_and_its_limits(registry: Registry) -> None:
    offer = quote(registry, "INS01", [EA, EE], D("2025-02-01"), D("2025-02-01"))
    assert offer.premiums == {EA: A("2400.00"), EE: A("3800.00")} and not offer.reasons
    offer = quote(registry, "INS01", [EE], D("2025-03-05"), D("2025-03-05"))
    assert [r.rule for r in offer.reasons] == ["insurer_limits"]
    assert (
        "已使用 26 年" in offer.reasons[0].message
        and "只承保 25 年以内" in offer.reasons[0].message
    )
    offer = quote(registry, "INS01", [EA], D("2026-01-02"), D("2026-01-02"))
    assert [r.rule for r in offer.reasons] == ["tender"] and offer.tender is None
    assert [
        r.rule for r in quote(registry, "NOPE", [EA], D("2025-01-02"), D("2025-01-02")).reasons
    ] == ["tender"]
    # After the tender: priced by the insurer's latest one, the missing tender still a reason.
    offer = quote(registry, "INS01", [EA], D("2026-01-02"), D("2026-01-02"), or_latest=True)
    assert offer.premiums == {EA: A("2400.00")} and [r.rule for r in offer.reasons] == ["tender"]


# -- §3.4 all five conditions at once ---------------------------------------------------------


def test_eligibility_lists_every_condition_in_order(registry: Registry) -> None:
    day = D("2025-03-05")
    pool = registry.elevators[EA].unit  # EA's unit is its pool; EE is of another pool
    funds = {registry.elevators[EA].unit: A("10.00"), registry.elevators[EE].unit: A("0.00")}
    stated = {EA: A("2400.00"), EE: A("3800.00")}
    checked = eligibility(
        registry, [EA, EE], pool, "INS01", day, day,
        unit_funds=funds, inspections={}, pool_available=A("3000.00"), stated=stated,
    )  # fmt: skip
    assert [r.rule for r in checked.reasons] == [
        "elevator", "unit_fund", "insurer_limits", "pool_balance",
    ]  # fmt: skip
    assert checked.by_elevator == {EA: [], EE: checked.reasons[:3]}
    # EA at the tender's band, EE (the tender refuses it) at the premium stated for it.
    assert checked.needed == A("6200.00") and checked.pool == checked.reasons[-1]
    assert "不足一年保费 6,200.00 元（差 3,200.00 元）" in str(checked.pool)
    after = eligibility(
        registry, [EA], pool, "INS01", D("2026-01-02"), D("2026-01-02"),
        unit_funds=funds, inspections={}, pool_available=A("2400.00"), stated=stated,
    )  # fmt: skip
    assert [r.rule for r in after.by_elevator[EA]] == ["inspection", "tender"]
    assert after.needed == A("2400.00") and after.pool is None
