"""The demo's insurance: applications in every state, clean books, and the coverage KPI at
both target dates checked against a count by hand."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from tests.helpers import snapshot
from xtaccounts.books.load import load_books
from xtaccounts.core.errors import XtError
from xtaccounts.demo.insurance import book_demo_insurance
from xtaccounts.insurance import application_statuses, coverage, policy_rows
from xtaccounts.insurance.checks import InsuranceState
from xtaccounts.registry import load_registry

D = dt.date.fromisoformat
A = Decimal

E1, E2, E4 = "31104303200800000001", "31104303200800000002", "31104303201200000004"
E8, E9 = "31104303201900000008", "31104303201900000009"
E11, E13, E14 = "31104303201000000011", "31104303201400000013", "31104303202100000014"


@pytest.fixture(scope="module")
def demo(insured_demo: Path):
    registry = load_registry(insured_demo.parent / "registry")
    books = load_books(insured_demo)
    return insured_demo, registry, books


def test_the_books_and_each_years_books_are_clean(demo) -> None:
    main, _, books = demo
    assert books.errors == []
    for year in (2025, 2026):
        assert load_books(main.parent / "years" / f"{year}.beancount").errors == []


def test_applications_in_every_state(demo) -> None:
    _, registry, books = demo
    stages = {
        s.application.id: s.stage
        for s in application_statuses(registry, books.entries, D("2025-12-31"))
    }
    assert stages == {
        "APP-2024-001": "insured",  # quiet notice, renewed
        "APP-2024-002": "insured",  # objection, vote passed, renewed
        "APP-2024-003": "rejected",  # objection, vote failed
        "APP-2024-004": "insured",  # thin pool twice, then two elevators of a building pool
        "APP-2024-005": "insured",
        "APP-2025-001": "approved",  # ... but within the warranty
        "APP-2025-002": "cancelled",
    }
    young = next(
        s
        for s in application_statuses(registry, books.entries, D("2025-12-31"))
        if s.application.id == "APP-2025-001"
    )
    assert [r.rule for r in young.reasons] == ["warranty"]
    thin = next(
        s
        for s in application_statuses(registry, books.entries, D("2025-02-10"))
        if s.application.id == "APP-2024-004"
    )
    assert [r.rule for r in thin.reasons] == ["pool_balance"]
    assert "可用余额 4,684.30 元" in thin.reasons[0].message
    state = InsuranceState(registry, books.entries)
    book = state.book
    assert [v.passed for v in book.votes["APP-2024-002"]] == [True]
    assert [v.passed for v in book.votes["APP-2024-003"]] == [False]
    assert book.policies["APP-2024-004-P1"].elevators == (E8, E9)
    assert book.policies["APP-2024-001-P2"].renews == "APP-2024-001-P1"
    assert book.policies["APP-2024-002-P2"].renews == "APP-2024-002-P1"
    cancellation = book.cancellations["APP-2025-002-P1"]
    assert cancellation.refund == A("2393.42")  # 3200.00 x 273 / 365
    assert state.pool_available("C0002-B01-U2", D("2025-10-31")) == A("2435.37")
    rows = policy_rows(registry, books.entries, D("2025-12-31"), expiring_within=60)
    assert [r.policy for r in rows] == ["APP-2024-005-P1"]
    notices = demo[0].parent / "documents" / "notices"
    assert sorted(p.name for p in notices.glob("*.pdf")) == [
        f"{a}.pdf" for a in sorted(book.applications)
    ]


def test_coverage_at_both_target_dates_against_a_count_by_hand(demo) -> None:
    _, registry, books = demo
    # §3.8 read literally: below the line, every elevator named by an application filed by D
    # that is eligible on D (§3.4), whatever became of the application; above it, those a
    # policy covers on D. Premiums: 2400.00 up to 10 years of age, 3200.00 up to 20.
    # 2024-12-31, by hand: applications filed by then name elevators 13, 1, 4, 8, 9 and 2.
    #   insured: 13 (APP-2024-001-P1 from 2024-11-01), 1 (APP-2024-002-P1 from 2024-12-01);
    #   eligible, not insured: 2 (APP-2024-005: pool C0001-B01 holds 1660.34 + the year-end
    #   allocation 2245.12 = 3905.46 >= 3200.00; inspection report 2024-09-05);
    #   ineligible: 4 (voted down on 2024-12-07; and pool C0001-B02-U2 holds 2094.14 < 3200.00,
    #   12 years old), 8 and 9 (pool C0001-B04 holds 4684.30 < 2 x 2400.00 = 4800.00).
    #   -> 2 / (2 + 1) = 66.67 % >= 40 %: met.
    # 2025-12-31, by hand: 14 and 11 are added.
    #   insured: 13 (renewed, P2 from 2025-11-01), 1 (renewed, P2 from 2025-12-01),
    #   2 (to 2026-01-05), 8 and 9 (to 2026-07-06);
    #   eligible, not insured: 4 (voted down in 2024, but pool C0001-B02-U2 holds 2903.02 + the
    #   year-end allocation 781.64 = 3684.66 >= 3200.00 at 13 years; registry inspection
    #   2025-02-19 passed, valid through 2026-02-18), 11 (policy cancelled 2025-10-31; pool
    #   C0002-B01-U2 holds 2435.37 after the refund + the year-end allocation 872.89 = 3308.26
    #   >= 3200.00 at 15 years; registry inspection 2025-01-24, valid through 2026-01-23);
    #   ineligible: 14 (warranty to 2026-08-16).
    #   -> 5 / (5 + 2) = 71.43 % < 100 %: not met.
    hand = {
        D("2024-12-31"): ({E13, E1}, {E2}, {E4, E8, E9}),
        D("2025-12-31"): ({E13, E1, E2, E8, E9}, {E4, E11}, {E14}),
    }
    for day, (insured, uninsured, ineligible) in hand.items():
        result = coverage(registry, books.entries, day)
        by_status: dict[str, set[str]] = {}
        for e in result.elevators:
            by_status.setdefault(e.status, set()).add(e.elevator)
        assert set(by_status) <= {"insured", "uninsured", "ineligible"}
        assert by_status.get("insured", set()) == insured
        assert by_status.get("uninsured", set()) == uninsured
        assert by_status.get("ineligible", set()) == ineligible
        assert (result.insured, result.eligible) == (len(insured), len(insured) + len(uninsured))
    result = coverage(registry, books.entries, D("2025-12-31"))
    assert [(t.date, t.insured, t.eligible, t.percent, t.met) for t in result.targets] == [
        (D("2024-12-31"), 2, 3, A("66.67"), True),
        (D("2025-12-31"), 5, 7, A("71.43"), False),
    ]
    detail = {e.elevator: e.detail for e in result.elevators}
    assert (
        "申请 APP-2024-003 表决未通过" in detail[E4] and "申请 APP-2025-002 已退保" in detail[E11]
    )
    # 岳塘区 (C0002): 11, 13, 14; 雨湖区 (C0001): 1, 2, 4, 8, 9.
    assert result.groups("district") == [
        {"district": "岳塘区", "applied": 3, "eligible": 2, "insured": 1, "percent": A("50.00")},
        {"district": "雨湖区", "applied": 5, "eligible": 5, "insured": 4, "percent": A("80.00")},
    ]
    # The day before the year-end allocation, 4 and 11 fail the pool's condition: 5 / 5.
    before = coverage(registry, books.entries, D("2025-12-30"))
    assert (before.insured, before.eligible) == (5, 5)


def test_booking_again_changes_nothing(insured_demo: Path, tmp_path: Path) -> None:
    target = tmp_path / "ledger"
    shutil.copytree(insured_demo.parent, target)
    before = snapshot(target)
    book_demo_insurance(target / "main.beancount")
    assert snapshot(target) == before


def test_called_only_after_the_closes_it_says_where_to_call_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import xtaccounts.demo.events as demo_events
    from xtaccounts.demo.books import build_demo

    # The demo without its insurance events, then the insurance booked too late.
    monkeypatch.setattr(demo_events, "book_demo_insurance", lambda *a, **k: None)
    main = build_demo(tmp_path / "ledger")
    before = snapshot(main.parent)
    with pytest.raises(XtError, match="before each close"):
        book_demo_insurance(main)
    assert snapshot(main.parent) == before


def test_fava_shows_the_records_without_errors(insured_demo: Path) -> None:
    from fava.application import create_app

    app = create_app([insured_demo], load=True, read_only=True)
    app.config["TESTING"] = True
    client = app.test_client()
    slug = client.get("/").headers["Location"].strip("/").split("/")[0]
    response = client.get(f"/{slug}/api/journal")
    assert response.status_code == 200
    text = json.dumps(response.get_json(), ensure_ascii=False)
    assert "xt-application" in text and "xt-vote" in text and "APP-2024-004-P1" in text
    response = client.get(f"/{slug}/api/errors")
    assert response.status_code == 200 and response.get_json()["data"] == []
