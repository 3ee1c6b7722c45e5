"""The insurance plugin's load-time rules: bean-check, Fava and the writer see records that break
them. Each test writes its records inline (`inline_ledger`: the project's header, the small
books' registry and chart) below the money of pool C0001-B02 that the premiums draw on."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import EA, EC, ED, InlineLoader, snapshot
from xtaccounts.books.writer import LedgerWriter, WriteRefused
from xtaccounts.core import chart
from xtaccounts.insurance import application_statuses
from xtaccounts.registry import load_registry

CLEARING = f"{chart.PREMIUM_CLEARING}:INS01-某财产保险股份有限公司"
APPLICANTS = "C0001-B02-U1-101,C0001-B02-U1-102,C0001-B02-U2-101"


def application(
    app: str = "APP-2025-001",
    *,
    pool: str = "C0001-B02",
    elevators: str = f"{EC},{ED}",
    applicants: str = APPLICANTS,
    cover: tuple[str, str] = ("2025-03-08", "2026-03-07"),
) -> str:
    return f"""
2025-02-20 custom "xt-application" "{app}"
  pool: "{pool}"
  elevators: "{elevators}"
  applicant_kind: "households"
  applicants: "{applicants}"
  insurer: "INS01"
  tender: "T1"
  premium: "6400.00"
  premiums: "{EC}=3200.00 {ED}=3200.00"
  cover_start: "{cover[0]}"
  cover_end: "{cover[1]}"
"""


def notice(app: str = "APP-2025-001", start: str = "2025-03-01") -> str:
    end, buy = {"2025-03-01": ("2025-03-07", "2025-03-08")}[start]
    return f"""
{start} custom "xt-notice" "{app}"
  notice_end: "{end}"
  purchase_from: "{buy}"
"""


def policy(
    day: str,
    app: str = "APP-2025-001",
    *,
    policy_id: str | None = None,
    elevators: tuple[str, ...] = (EC, ED),
    cover: tuple[str, str] = ("2025-03-08", "2026-03-07"),
    booked: str = "3200.00",
) -> str:
    policy_id = policy_id or f"{app}-P1"
    premium = f"{3200 * len(elevators)}.00"
    postings = "".join(
        f"""  {chart.PREMIUM_EXPENSE}  {booked} CNY
    pool: "C0001-B02"
    application: "{app}"
    elevator: "{code}"
    policy: "{policy_id}"
"""
        for code in elevators
    )
    total = f"{float(booked) * len(elevators):.2f}"
    return f"""
{day} custom "xt-policy" "{policy_id}"
  application: "{app}"
  pool: "C0001-B02"
  elevators: "{",".join(elevators)}"
  insurer: "INS01"
  premium: "{premium}"
  premiums: "{" ".join(f"{c}=3200.00" for c in elevators)}"
  cover_start: "{cover[0]}"
  cover_end: "{cover[1]}"

{day} * "保险费" ^{app}
  kind: "premium"
  application: "{app}"
  policy: "{policy_id}"
{postings}  {CLEARING}  -{total} CNY
"""


def objection(day: str, household: str = "C0001-B02-U1-201") -> str:
    return f"""
{day} custom "xt-objection" "APP-2025-001"
  household: "{household}"
  reason: "反对"
"""


def vote(day: str, passed: bool, *, outcome: str | None = None, **counts: str) -> str:
    """A vote of all 6 households of C0001-B02 (100 m² each): 6 for, or 2 for and 4 against;
    `outcome` and `counts` override what is recorded."""
    fields = {
        "outcome": outcome or ("passed" if passed else "failed"),
        "quorum": "met",
        "households_total": "6",
        "area_total": "600.00",
        "households_voted": "6",
        "area_voted": "600.00",
        "households_for": "6" if passed else "2",
        "area_for": "600.00" if passed else "200.00",
        "households_against": "0" if passed else "4",
        "area_against": "0.00" if passed else "400.00",
        "households_abstain": "0",
        "area_abstain": "0.00",
    } | counts
    lines = "".join(f'  {key}: "{value}"\n' for key, value in fields.items())
    return f"""
{day} custom "xt-vote" "APP-2025-001"
{lines}"""


# Pool C0001-B02 gets its money as the small books' seed gives it (`seed_pools`): 10,000.00.
POOL_MONEY = """
2024-09-15 * "测试：统筹账户注资"
  kind: "test-seed"
  Equity:Undistributed-待分配累计收益  10000.00 CNY
  Equity:Undistributed-待分配累计收益:Pool-统筹账户:C0001-金泉小区:B02-2栋  -10000.00 CNY
"""


def plugin_errors(inline_ledger, text: str) -> list[str]:
    """The messages of the errors the inline books with `text` load with."""
    return inline_ledger(POOL_MONEY + text).messages


def test_clean_records_pass(inline_ledger: InlineLoader) -> None:
    text = application() + notice() + objection("2025-03-03") + vote("2025-03-05", True)
    assert plugin_errors(inline_ledger, text + policy("2025-03-08")) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            application(elevators=f"{EC},99999999999999999999"),
            "unknown elevator 99999999999999999999",
        ),
        (
            application(elevators=f"{EC},{EA}"),
            f"elevator {EA} is of pool C0001-B01-U1, not C0001-B02",
        ),
        (application(pool="C0009-B01"), "unknown pool C0009-B01"),
        (
            application(applicants="C0001-B01-U1-101,C0001-B01-U1-102,C0001-B01-U1-201"),
            "住户 C0001-B01-U1-101 属于 金泉小区 1栋 1单元，不属于付费统筹账户的幢 C0001-B02",
        ),
        (application(applicants="C0001-B02-U1-101,C0001-B02-U1-102"), "只有 2 户申请"),
        (application(cover=("2025-03-08", "2026-03-08")), "is not whole years"),
        (application() + notice() + vote("2025-03-05", True), "before any objection"),
        (application() + notice() + objection("2025-03-08"), "outside its notice"),
        (application() + notice() + objection("2025-03-03", "C0001-B01-U1-101"), "not a household"),
        (
            application() + notice() + policy("2025-03-07"),
            "bought on 2025-03-07, before the notice of APP-2025-001 ended",
        ),
        (application() + policy("2025-03-08"), "without a notice"),
        (
            application() + notice() + objection("2025-03-07") + policy("2025-03-08"),
            "after a written objection (2025-03-07) without a passed owners' vote",
        ),
        (
            application()
            + notice()
            + objection("2025-03-03")
            + vote("2025-03-05", False)
            + policy("2025-03-08"),
            "without a passed owners' vote",
        ),
        (
            application() + notice() + policy("2025-03-08", booked="3000.00"),
            "premium 6400.00, its premium transaction books 6000.00",
        ),
        (policy("2025-03-08"), "refers to unknown application APP-2025-001"),
    ],
)
def test_broken_rules_are_reported(inline_ledger: InlineLoader, text: str, message: str) -> None:
    errors = plugin_errors(inline_ledger, text)
    assert any(message in e for e in errors), errors


def test_an_elevator_insured_twice_for_overlapping_days(inline_ledger: InlineLoader) -> None:
    second = application("APP-2025-002", elevators=EC).replace(
        f'"{EC}=3200.00 {ED}=3200.00"', f'"{EC}=3200.00"'
    )
    second_notice = notice("APP-2025-002")
    text = (
        application()
        + notice()
        + policy("2025-03-08")
        + second
        + second_notice
        + policy(
            "2025-03-09",
            "APP-2025-002",
            elevators=(EC,),
            cover=("2026-03-07", "2027-03-06"),
        )
    )
    errors = plugin_errors(inline_ledger, text)
    assert any(f"elevator {EC} insured twice" in e for e in errors), errors
    # The day after the first policy ends, the second may start.
    text = text.replace(
        '"2026-03-07"\n  cover_end: "2027-03-06"', '"2026-03-08"\n  cover_end: "2027-03-07"'
    )
    assert plugin_errors(inline_ledger, text) == []


def test_the_writer_refuses_records_that_break_the_rules(inline_ledger: InlineLoader) -> None:
    books = inline_ledger(POOL_MONEY).main
    before = snapshot(books.parent)
    text = application() + notice() + policy("2025-03-07")
    with (
        pytest.raises(WriteRefused, match="before the notice of APP-2025-001 ended"),
        LedgerWriter(books) as session,
    ):
        session.append("txns/2025/insurance.beancount", text)
        session.commit()
    assert snapshot(books.parent) == before


# -- the vote is counted again at load time -----------------------------------------------


def _voted(text: str) -> str:
    return application() + notice() + objection("2025-03-03") + text


def test_a_recorded_outcome_the_counts_do_not_give_is_reported(inline_ledger: InlineLoader) -> None:
    errors = plugin_errors(inline_ledger, _voted(vote("2025-03-05", False, outcome="passed")))
    assert any(
        "vote on APP-2025-001 of 2025-03-05: recorded outcome passed, the counts give failed" in e
        for e in errors
    ), errors
    # ... and the purchase it would allow is reported too: the counts decide, not the record.
    errors = plugin_errors(
        inline_ledger, _voted(vote("2025-03-05", False, outcome="passed")) + policy("2025-03-08")
    )
    assert any("without a passed owners' vote" in e for e in errors), errors
    errors = plugin_errors(inline_ledger, _voted(vote("2025-03-05", True, quorum="not met")))
    assert any("recorded quorum not met, the counts give met" in e for e in errors), errors


@pytest.mark.parametrize(
    ("counts", "message"),
    [
        ({"households_total": "5"}, "counts 5 households of 600.00 m² in all; pool C0001-B02 has"),
        ({"area_total": "900.00"}, "of 900.00 m² in all; pool C0001-B02 has 6 households of 600"),
        ({"households_against": "3"}, "for, against and abstain (2 + 3 + 0 households"),
        ({"households_voted": "7", "households_total": "6"}, "more households took part"),
    ],
)
def test_vote_counts_that_do_not_add_up_are_reported(
    inline_ledger: InlineLoader, counts: dict[str, str], message: str
) -> None:
    errors = plugin_errors(inline_ledger, _voted(vote("2025-03-05", False, **counts)))
    assert any(message in e for e in errors), errors


# The vote's document: one row a household of pool C0001-B02 (100.00 m² each), 2 for, 4 against.
VOTE_DOCUMENT = "documents/votes/APP-2025-001-2025-03-05.csv"
VOTE_ROWS = "household,unit,door_no,area_m2,choice\n" + "".join(
    f"{unit}-{door},{unit},{door},100.00,{choice}\n"
    for (unit, door), choice in zip(
        [(u, d) for u in ("C0001-B02-U1", "C0001-B02-U2") for d in ("101", "102", "201")],
        ["for", "for", "against", "against", "against", "against"],
        strict=True,
    )
)


def test_a_failed_vote_recorded_as_passed_is_an_error_and_approves_nothing(
    inline_ledger: InlineLoader,
) -> None:
    documented = vote("2025-03-05", False, document=VOTE_DOCUMENT)
    assert 'outcome: "failed"' in documented

    def errors_with(block: str, files: dict[str, str] | None) -> tuple[list[str], str]:
        books = inline_ledger(POOL_MONEY + _voted(block), files=files)
        registry = load_registry(books.main.parent / "registry")
        stage = next(
            s.stage
            for s in application_statuses(registry, books.entries, dt.date(2025, 3, 31))
            if s.application.id == "APP-2025-001"
        )
        return books.messages, stage

    document = {VOTE_DOCUMENT: VOTE_ROWS}
    assert errors_with(documented, document) == ([], "rejected")
    # The outcome alone changed: the counts (2 of 6 for) still say failed.
    errors, stage = errors_with(
        documented.replace('outcome: "failed"', 'outcome: "passed"'), document
    )
    assert any(
        "vote on APP-2025-001 of 2025-03-05: recorded outcome passed, the counts give failed" in e
        for e in errors
    ), errors
    assert stage == "rejected"
    # The counts changed to pass (4 for, 2 against): the vote document, recounted, disagrees.
    forged = vote(
        "2025-03-05",
        True,
        document=VOTE_DOCUMENT,
        households_for="4",
        area_for="400.00",
        households_against="2",
        area_against="200.00",
    )
    errors, _ = errors_with(forged, document)
    assert any(
        "vote on APP-2025-001 of 2025-03-05: the record differs from its document "
        f"{VOTE_DOCUMENT} recounted with the registry's areas: "
        "households_for 4 (document: 2), area_for 400.00 (document: 200.00), "
        "households_against 2 (document: 4), area_against 200.00 (document: 400.00)" in e
        for e in errors
    ), errors
    # ... and without its document, the record is reported too.
    errors, _ = errors_with(forged, None)
    assert any(f"its document {VOTE_DOCUMENT} is missing" in e for e in errors), errors


def test_an_objection_reason_carrying_a_phone_number_is_reported(
    inline_ledger: InlineLoader,
) -> None:
    text = (
        application()
        + notice()
        + objection("2025-03-03").replace('"反对"', '"反对，联系 13812345678"')
    )
    errors = plugin_errors(inline_ledger, text)
    assert any("objection to APP-2025-001 of 2025-03-03: its reason carries a phone" in e
               for e in errors), errors  # fmt: skip
    masked = text.replace("13812345678", "138****5678")
    assert plugin_errors(inline_ledger, masked) == []


def test_a_purchase_the_registry_alone_refuses_is_a_load_error(demo_copy: Path) -> None:
    """The warranty (and with it the tender and the pilot window) checked on load, so that
    bean-check and Fava show it: an insured elevator's commissioning date moved to 2023."""
    elevators = demo_copy.parent / "registry" / "elevators.csv"
    elevators.write_text(
        elevators.read_text(encoding="utf-8").replace(
            "31104303200800000002,C0001-B01-U2,2008-01-11",
            "31104303200800000002,C0001-B01-U2,2023-01-11",
        ),
        encoding="utf-8",
    )
    check = Path(sys.executable).parent / "bean-check"
    done = subprocess.run([str(check), str(demo_copy)], capture_output=True, text=True)
    assert done.returncode == 1
    assert "policy APP-2024-005-P1 bought on 2025-01-06" in done.stderr + done.stdout
    assert "质保期至 2028-01-11" in done.stderr + done.stdout
