"""Applications, notices, objections, votes and purchases through the library, on the small
books: each rule at its edges, and every refusal leaves the books byte-identical."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from tests.helpers import (
    EA,
    EC,
    ED,
    EE,
    EF,
    file_app,
    households,
    refused,
    rules,
    seed_pools,
    state,
)
from xtaccounts.books.load import load_books
from xtaccounts.insurance import (
    Choice,
    InspectionReport,
    application_statuses,
    buy_premium,
    cancel_policy,
    coverage,
    file_application,
    post_notice,
    record_objection,
    record_vote,
)
from xtaccounts.ops.close import close_period
from xtaccounts.registry import load_registry

D = dt.date.fromisoformat
A = Decimal
U1 = "C0001-B01-U1"
U2 = "C0001-B01-U2"


# -- filing: who may apply (§3.3) ---------------------------------------------------------


def test_two_applicants_are_not_enough_three_are_three_from_another_unit_are_not(
    books: Path,
) -> None:
    exc = refused(
        books, file_application, filed=D("2025-01-02"), elevators=[EA],
        applicant_kind="households", applicants=households(U1, "101", "102"), insurer="INS01",
        cover_start=D("2025-02-01"),
    )  # fmt: skip
    assert rules(exc) == {"applicants"} and "只有 2 户申请" in str(exc)
    exc = refused(
        books, file_application, filed=D("2025-01-02"), elevators=[EA],
        applicant_kind="households", applicants=households(U2, "101", "102", "201"),
        insurer="INS01", cover_start=D("2025-02-01"),
    )  # fmt: skip
    assert (
        "住户 C0001-B01-U2-101 属于 金泉小区 1栋 2单元，不属于付费统筹账户的单元 C0001-B01-U1"
        in str(exc)
    )
    assert "只有 0 户申请" in str(exc)
    file_app(books, "APP-2025-001", [EA], households(U1, "101", "102", "201"), "2025-01-02",
             "2025-02-01")  # fmt: skip
    assert "APP-2025-001" in state(books).book.applications


def test_committee_needs_one_and_the_company_a_current_entrustment(books: Path) -> None:
    exc = refused(
        books, file_application, filed=D("2025-01-02"), elevators=[EE],
        applicant_kind="committee", applicants=[], insurer="INS01", cover_start=D("2025-02-01"),
    )  # fmt: skip
    assert "C0002 莲城新村 没有业主委员会" in str(exc)
    exc = refused(
        books, file_application, filed=D("2024-12-31"), elevators=[EC],
        applicant_kind="property_company", applicants=["甲物业公司"], insurer="INS01",
        cover_start=D("2025-02-01"),
    )  # fmt: skip
    assert "没有 C0001 金泉小区 业主委员会的有效委托" in str(
        exc
    ) and "2025-01-01..2025-12-31" in str(exc)
    file_app(books, "APP-2025-001", [EC, ED], ["甲物业公司"], "2025-01-02", "2025-02-01",
             kind="property_company")  # fmt: skip
    file_app(books, "APP-2025-002", [EA], [], "2025-01-02", "2025-02-01", kind="committee")


def test_filing_refusals_list_every_problem(books: Path) -> None:
    exc = refused(
        books, file_application, filed=D("2025-01-02"), elevators=[EA, EC, "99999999999999999999"],
        applicant_kind="households", applicants=households(U1, "101"), insurer="INS01",
        cover_start=D("2025-01-01"), cover_end=D("2025-12-30"), premium=A("1.00"),
    )  # fmt: skip
    assert {"elevator", "applicants", "cover", "premium"} <= rules(exc)
    assert "没有电梯 99999999999999999999" in str(exc)
    assert f"电梯 {EC} 由统筹账户 C0001-B02 付费，不是 C0001-B01-U1" in str(exc)


# -- the warranty (§3.4.4) through the books ------------------------------------------------


def test_commissioned_2020_01_10_refused_on_2025_01_10_accepted_on_2025_01_11(books: Path) -> None:
    file_app(books, "APP-2024-001", [EA], households(U1, "101", "102", "201"), "2024-12-20",
             "2025-01-10")  # fmt: skip
    post_notice(books, "APP-2024-001", D("2024-12-23"))
    exc = refused(books, buy_premium, "APP-2024-001", D("2025-01-10"))
    assert rules(exc) == {"warranty"}
    assert "质保期至 2025-01-10；2025-01-10 尚在质保期内" in str(exc)
    booked = buy_premium(books, "APP-2024-001", D("2025-01-11"))
    assert booked.amounts == {EA: A("2400.00")}
    assert (booked.cover_start, booked.cover_end) == (D("2025-01-11"), D("2026-01-10"))
    assert booked.pool_before == A("2400.00") and booked.pool_after == A("0.00")
    assert state(books).pool_available(U1, D("2025-01-11")) == A("0.00")


# -- the notice (§3.5) and an objection (§3.6) ----------------------------------------------


def _building_app(books: Path, cover_end: str | None = None) -> None:
    file_app(books, "APP-2025-001", [EC, ED], households("C0001-B02-U1", "101", "102", "201"),
             "2025-02-20", "2025-03-08", cover_end)  # fmt: skip
    post_notice(books, "APP-2025-001", D("2025-03-01"))


def test_notice_from_2025_03_01_allows_the_purchase_on_03_08_not_03_07(books: Path) -> None:
    _building_app(books)
    exc = refused(books, buy_premium, "APP-2025-001", D("2025-03-07"))
    assert rules(exc) == {"notice"} and "2025-03-08 起方可支付保费，2025-03-07 不可" in str(exc)
    booked = buy_premium(books, "APP-2025-001", D("2025-03-08"))
    assert booked.amounts == {EC: A("3200.00"), ED: A("3200.00")}
    assert booked.pool_after == A("3600.00")
    entry = next(e for e in booked.entries if hasattr(e, "postings"))
    assert entry.links == frozenset({"APP-2025-001"})
    assert [p.meta["elevator"] for p in entry.postings[:2]] == [EC, ED]
    assert {p.meta["pool"] for p in entry.postings[:2]} == {"C0001-B02"}


def test_objection_on_day_seven_blocks_the_purchase_until_a_vote(books: Path) -> None:
    _building_app(books)
    exc = refused(
        books, record_objection, "APP-2025-001", D("2025-03-08"), "C0001-B02-U1-101", "太贵"
    )
    assert "2025-03-08 不受理" in str(exc)
    exc = refused(books, record_objection, "APP-2025-001", D("2025-03-07"), "C0001-B01-U1-101", "x")
    assert "不是统筹账户 C0001-B02（金泉小区 2栋）的住户" in str(exc)
    exc = refused(
        books, record_vote, "APP-2025-001", D("2025-03-06"), {"C0001-B02-U1-101": Choice.FOR}
    )
    assert "没有对 APP-2025-001 的书面异议记录" in str(exc)
    record_objection(
        books, "APP-2025-001", D("2025-03-07"), "C0001-B02-U1-101", "保险费太贵 13812345678"
    )
    assert state(books).book.objections["APP-2025-001"][0].reason == "保险费太贵 138****5678"
    exc = refused(books, buy_premium, "APP-2025-001", D("2025-03-08"))
    assert rules(exc) == {"vote"} and "2025-03-07" in str(exc)
    votes = {
        "C0001-B02-U1-101": Choice.AGAINST,
        "C0001-B02-U1-102": Choice.FOR,
        "C0001-B02-U1-201": Choice.FOR,
        "C0001-B02-U2-101": Choice.FOR,
        "C0001-B02-U2-102": Choice.ABSTAIN,
    }
    recorded = record_vote(books, "APP-2025-001", D("2025-03-10"), votes)
    tally = recorded.detail["tally"]
    assert (tally.households_voted, tally.households_total, tally.passed) == (5, 6, True)
    csv_text = (books.parent / recorded.documents[0]).read_text("utf-8")
    assert csv_text.splitlines()[0] == "household,unit,door_no,area_m2,choice"
    assert "C0001-B02-U1-101,C0001-B02-U1,101,100.00,against" in csv_text
    refused(books, buy_premium, "APP-2025-001", D("2025-03-09"))
    buy_premium(books, "APP-2025-001", D("2025-03-10"))


def test_a_failed_vote_refuses_and_closes_the_application(books: Path) -> None:
    _building_app(books)
    record_objection(books, "APP-2025-001", D("2025-03-02"), "C0001-B02-U1-101", "反对")
    votes = dict.fromkeys(["C0001-B02-U1-101", "C0001-B02-U1-102"], Choice.AGAINST)
    votes |= dict.fromkeys(["C0001-B02-U1-201", "C0001-B02-U2-101"], Choice.FOR)
    assert not record_vote(books, "APP-2025-001", D("2025-03-05"), votes).detail["tally"].passed
    exc = refused(books, buy_premium, "APP-2025-001", D("2025-03-09"))
    assert rules(exc) == {"vote"} and "同意：2/4 户（50.00%，未超过 1/2）" in str(exc)
    registry = load_registry(books.parent / "registry")
    [status] = application_statuses(registry, load_books(books).entries, D("2025-03-09"))
    assert status.stage == "rejected"


# -- the pool (§3.4.2) and the inspection (§3.4.3) -----------------------------------------


def _ef_app(books: Path) -> None:
    file_app(books, "APP-2024-001", [EF], households(U2, "101", "102", "201"), "2024-12-02",
             "2024-12-20")  # fmt: skip
    post_notice(books, "APP-2024-001", D("2024-12-05"))


def test_a_pool_one_fen_short_of_a_years_premium_is_refused(books: Path) -> None:
    _ef_app(books)
    seed_pools(books, {U2: "-0.01"}, "2024-12-01")
    exc = refused(books, buy_premium, "APP-2024-001", D("2024-12-20"))
    assert rules(exc) == {"pool_balance"}
    assert "2024-12-20 可用余额 2,399.99 元，不足一年保费 2,400.00 元" in str(exc)
    assert "（差 0.01 元）" in str(exc)
    seed_pools(books, {U2: "0.01"}, "2024-12-20")
    assert buy_premium(books, "APP-2024-001", D("2024-12-20")).pool_after == A("0.00")


def test_an_inspection_366_days_old_is_refused(books: Path) -> None:
    _ef_app(books)
    exc = refused(books, buy_premium, "APP-2024-001", D("2025-01-01"))
    assert rules(exc) == {"inspection"}
    assert "（2024-01-01，登记册）到 2025-01-01 已 366 天" in str(exc)
    buy_premium(books, "APP-2024-001", D("2024-12-31"))
    # The premium is in 2024: once 2024 is closed, nothing dated in it can be booked.
    close_period(books, "2024")
    exc = refused(books, cancel_policy, "APP-2024-001-P1", D("2024-12-31"), "test")
    assert rules(exc) == {"closed_period"}


def test_an_inspection_report_filed_with_the_application_counts(books: Path) -> None:
    report = InspectionReport(EF, D("2024-12-28"))
    file_app(books, "APP-2025-001", [EF], households(U2, "101", "102", "201"), "2025-01-02",
             "2025-01-20", inspections=(report,))  # fmt: skip
    post_notice(books, "APP-2025-001", D("2025-01-05"))
    buy_premium(books, "APP-2025-001", D("2025-01-20"))


def test_a_registry_update_does_not_change_a_past_coverage_figure(books: Path) -> None:
    """The inspection on a day D is the latest one on or before D among the books' records
    (reports filed with applications) and the registry's last inspection, which counts only from
    its own date on: the registry learning of a later (failed) inspection changes nothing
    before that date."""
    report = InspectionReport(EF, D("2024-03-01"))
    file_app(books, "APP-2024-001", [EF], households(U2, "101", "102", "201"), "2024-12-02",
             "2024-12-20", inspections=(report,))  # fmt: skip
    entries = load_books(books).entries
    registry_dir = books.parent / "registry"

    def statuses(day: str) -> list[tuple[str, str, str]]:
        result = coverage(load_registry(registry_dir), entries, D(day))
        return [(e.elevator, e.status, e.detail) for e in result.elevators]

    # On 2025-01-31 the registry's inspection (2024-01-01) is too old, the report's
    # (2024-03-01) is valid through 2025-02-28: EF is eligible, not insured.
    past = statuses("2025-01-31")
    assert [s[:2] for s in past] == [(EF, "uninsured")]
    csv_path = registry_dir / "elevators.csv"
    old_row = f"{EF},C0001-B01-U2,2015-03-01,甲电梯公司,是,2024-01-01,是"
    text = csv_path.read_text("utf-8")
    assert old_row in text
    csv_path.write_text(text.replace(old_row, old_row.replace("2024-01-01,是", "2025-02-10,否")))
    assert statuses("2025-01-31") == past
    [(_, status, detail)] = statuses("2025-02-10")
    assert status == "ineligible"
    assert "最近一次定期检验（2025-02-10，登记册）不合格" in detail


# -- the window and the tender (§3.7) ------------------------------------------------------


def test_outside_the_window_and_without_a_current_tender_refused_with_that_reason(
    books: Path,
) -> None:
    file_app(books, "APP-2025-001", [EA], households(U1, "101", "102", "201"), "2025-06-01",
             "2025-07-01", "2027-06-30")  # fmt: skip
    post_notice(books, "APP-2025-001", D("2025-06-02"))
    exc = refused(books, buy_premium, "APP-2025-001", D("2026-01-05"))
    assert {"window", "tender"} <= rules(exc)
    text = str(exc)
    assert "2026-01-05 不在试点期 2024-09-15 至 2025-12-31 之内" in text
    assert "没有覆盖 2026-01-05 的中标（其招标：T1 2024-09-01..2025-12-31）" in text


def test_an_elevator_beyond_the_insurers_age_limit_is_refused(books: Path) -> None:
    file_app(books, "APP-2025-001", [EE], households("C0002-B01-U1", "101", "102", "201"),
             "2025-01-10", "2025-02-01")  # fmt: skip
    post_notice(books, "APP-2025-001", D("2025-01-13"))
    exc = refused(books, buy_premium, "APP-2025-001", D("2025-03-05"))
    assert rules(exc) == {"insurer_limits"}
    assert "到 2025-03-05 已使用 26 年" in str(exc) and "只承保 25 年以内" in str(exc)
    assert buy_premium(books, "APP-2025-001", D("2025-02-27")).amounts == {EE: A("3800.00")}
