"""Allocation by 积数 (spread to the pools, base interest to the units) and the legacy transfer."""

from __future__ import annotations

import datetime as dt
import json
import random
import sys
from collections import defaultdict
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import (
    ICBC,
    append,
    copy_books,
    deposit,
    fund_books,
    interest,
    loaded_demo_registry,
    make_bare_books,
    snapshot,
    xt,
)
from xtaccounts.books.load import load_books
from xtaccounts.books.positions import InterestReceipt, Positions, read_positions
from xtaccounts.core import chart
from xtaccounts.core.balance_days import Movement, balance_days
from xtaccounts.core.errors import XtError
from xtaccounts.ops.allocation import (
    BASE,
    SPREAD,
    allocate,
    interest_year_end_on_or_before,
    plan_allocation,
    plan_legacy_transfer,
    transfer_legacy,
)
from xtaccounts.registry import Registry

D = Decimal
day = dt.date.fromisoformat
XT = [sys.executable, "-m", "xtaccounts"]


@pytest.fixture(scope="module")
def bare_books(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bare books, built once per module, copied by `books`."""
    return make_bare_books(tmp_path_factory.mktemp("bare"))


@pytest.fixture
def books(bare_books: Path, tmp_path: Path) -> Path:
    """A private copy of the bare books: its main.beancount."""
    return copy_books(bare_books, tmp_path / "ledger")


@pytest.fixture(scope="session")
def registry() -> Registry:
    return loaded_demo_registry()


def receipt(
    rid: str, date: str, start: str, end: str, base: str = "0.00", spread: str = "0.00"
) -> InterestReceipt:
    return InterestReceipt(
        rid, day(date), "demand", ICBC, day(start), day(end), D(base), D(spread), None
    )  # type: ignore[arg-type]


def positions_of(
    movements: dict[str, list[tuple[str, str]]], receipts: list[InterestReceipt]
) -> Positions:
    pos = Positions()
    for unit, moves in movements.items():
        pos.unit_movements[unit] = [(day(d), D(a)) for d, a in moves]
    pos.receipts = list(receipts)
    return pos


def amounts(shares) -> dict[str, Decimal]:
    return {share.receiver: share.amount for share in shares}


# -- the worked example -------------------------------------------------------------------------


def test_worked_example_three_pools_with_the_leftover_fen(registry: Registry) -> None:
    # Receipt R-1: spread 100.00 = 10,000 fen earned over 2024-09-21..2024-09-30 (10 days).
    # 积数 sums end-of-day balances, so a movement counts from its own day on.
    #   pool C0001-B01 (a building pool: units U1, U2, U3)
    #     U1   400.00 from before the window:       400.00 × 10 days =  4,000.00
    #     U2 1,200.00 deposited on 09-26:         1,200.00 ×  5 days =  6,000.00  (26..30)
    #     U3 5,000.00 deposited on 10-01, after the window:               0.00
    #                                                        pool     10,000.00
    #   pool C0001-B02-U1 (a unit pool): 1,300.00 × 10 days =          13,000.00
    #   pool C0001-B02-U2 (a unit pool): 1,000.00 × 5 days (21..25) +
    #                                    400.00 × 5 days (26..30, 600.00 left on 09-26) = 7,000.00
    #   every other pool: nothing.                           total     30,000.00
    #   C0001-B01:    10,000 fen × 10/30 = 3,333 1/3 -> 3,333, remainder 1/3
    #   C0001-B02-U1: 10,000 fen × 13/30 = 4,333 1/3 -> 4,333, remainder 1/3
    #   C0001-B02-U2: 10,000 fen ×  7/30 = 2,333 1/3 -> 2,333, remainder 1/3
    # The floors add up to 9,999 fen: one fen is left. The remainders tie, so the larger
    # balance-days win: C0001-B02-U1 gets it. 33.33 + 43.34 + 23.33 = 100.00.
    pos = positions_of(
        {
            "C0001-B01-U1": [("2024-09-01", "400.00")],
            "C0001-B01-U2": [("2024-09-26", "1200.00")],
            "C0001-B01-U3": [("2024-10-01", "5000.00")],
            "C0001-B02-U1": [("2024-01-01", "1300.00")],
            "C0001-B02-U2": [("2024-09-20", "1000.00"), ("2024-09-26", "-600.00")],
        },
        [receipt("R-1", "2024-10-01", "2024-09-21", "2024-09-30", spread="100.00")],
    )
    plan = plan_allocation(registry, pos, through=day("2024-10-31"))
    assert plan is not None
    [shares] = plan.receipts
    assert {s.receiver: s.weight for s in shares.shares} == {
        "C0001-B01": D("10000.00"),
        "C0001-B02-U1": D("13000.00"),
        "C0001-B02-U2": D("7000.00"),
    }
    assert amounts(shares.shares) == {
        "C0001-B01": D("33.33"),
        "C0001-B02-U1": D("43.34"),
        "C0001-B02-U2": D("23.33"),
    }
    # One transaction: Dr 待分配累计收益 100.00 / Cr each pool; the base (0.00) is not listed.
    postings = {p.account: p.units.number for p in plan.entry.postings}
    assert postings == {
        chart.UNDISTRIBUTED: D("100.00"),
        chart.pool_account(registry, "C0001-B01"): D("-33.33"),
        chart.pool_account(registry, "C0001-B02-U1"): D("-43.34"),
        chart.pool_account(registry, "C0001-B02-U2"): D("-23.33"),
    }
    assert plan.entry.meta["kind"] == "allocation"
    assert plan.entry.meta["spread_receipts"] == "R-1"
    assert plan.entry.meta["base_receipts"] == ""
    assert plan.entry.date == day("2024-10-31")


def test_shares_of_several_receipts_are_summed_per_receiver(registry: Registry) -> None:
    # R-a (window 2024-10-01..10) 0.03 over pools 1:2 -> 0.01 / 0.02; R-b (2024-10-11..20)
    # 0.03 over pools 2:1 (U1 grew on 10-11) -> 0.02 / 0.01. Summed: 0.03 / 0.03; the base of
    # both (received in 2024) goes to the units through 2024-12-31 only.
    pos = positions_of(
        {
            "C0001-B02-U1": [("2024-01-01", "100.00"), ("2024-10-11", "300.00")],
            "C0001-B02-U2": [("2024-01-01", "200.00")],
        },
        [
            receipt("R-b", "2024-10-21", "2024-10-11", "2024-10-20", base="1.00", spread="0.03"),
            receipt("R-a", "2024-10-11", "2024-10-01", "2024-10-10", base="0.50", spread="0.03"),
        ],
    )
    early = plan_allocation(registry, pos, through=day("2024-12-30"))
    assert early is not None
    assert early.spread_receipts == ["R-a", "R-b"] and early.base_receipts == []
    assert early.pool_totals == {"C0001-B02-U1": D("0.03"), "C0001-B02-U2": D("0.03")}
    full = plan_allocation(registry, pos, through=day("2024-12-31"))
    assert full is not None and full.base_receipts == ["R-a", "R-b"]
    assert full.entry.meta["base_receipts"] == "R-a,R-b"
    assert sum(full.unit_totals.values()) == D("1.50")
    # R-a base 0.50 over 1:2 -> 0.17/0.33; R-b base 1.00 over 4:2 -> 0.67/0.33.
    assert full.unit_totals == {"C0001-B02-U1": D("0.84"), "C0001-B02-U2": D("0.66")}


def test_interest_year_end() -> None:
    assert interest_year_end_on_or_before(day("2024-12-31"), "12-31") == day("2024-12-31")
    assert interest_year_end_on_or_before(day("2024-12-30"), "12-31") == day("2023-12-31")
    assert interest_year_end_on_or_before(day("2024-07-01"), "06-30") == day("2024-06-30")
    assert interest_year_end_on_or_before(day("2025-03-01"), "02-29") == day("2025-02-28")


def test_no_receiver_with_a_positive_balance_names_the_receipt(registry: Registry) -> None:
    pos = positions_of(
        {"C0001-B02-U1": [("2024-10-05", "100.00")]},
        [receipt("R-empty", "2024-10-01", "2024-09-21", "2024-09-30", spread="5.00")],
    )
    with pytest.raises(XtError, match="R-empty"):
        plan_allocation(registry, pos, through=day("2024-10-31"))


def test_movements_of_units_the_registry_does_not_know_are_refused(registry: Registry) -> None:
    pos = positions_of(
        {"C9999-B01-U1": [("2024-01-01", "100.00")], "C0001-B02-U1": [("2024-01-01", "1.00")]},
        [receipt("R-1", "2024-10-01", "2024-09-21", "2024-09-30", spread="5.00")],
    )
    with pytest.raises(XtError, match="C9999-B01-U1"):
        plan_allocation(registry, pos, through=day("2024-10-31"))


def test_spread_before_the_window_is_left_for_the_legacy_transfer(registry: Registry) -> None:
    pos = positions_of(
        {"C0001-B02-U1": [("2023-01-01", "100.00")]},
        [
            receipt("R-old", "2024-06-21", "2024-03-21", "2024-06-20", spread="2.00"),
            receipt("R-new", "2024-09-21", "2024-06-21", "2024-09-20", spread="3.00"),
        ],
    )
    plan = plan_allocation(registry, pos, through=day("2024-12-31"))
    assert plan is not None and plan.spread_receipts == ["R-new"]
    legacy = plan_legacy_transfer(registry, pos, since=day("2023-01-01"), until=day("2024-09-15"))
    assert legacy is not None and legacy.spread_receipts == ["R-old"]
    assert legacy.entry.date == day("2024-09-15")
    assert legacy.entry.meta["kind"] == "legacy-transfer"
    assert legacy.pool_totals == {"C0001-B02-U1": D("2.00")}
    with pytest.raises(XtError, match="window"):
        plan_legacy_transfer(registry, pos, since=day("2023-01-01"), until=day("2024-10-01"))
    with pytest.raises(XtError, match="spread_since"):
        plan_legacy_transfer(registry, pos, since=day("2022-01-01"), until=day("2024-09-15"))


def test_receipts_a_narrow_legacy_transfer_left_are_taken_by_the_next_allocation(
    registry: Registry,
) -> None:
    receipts = [
        receipt("R-2023", "2023-06-21", "2023-03-21", "2023-06-20", spread="1.00"),
        receipt("R-2024", "2024-06-21", "2024-03-21", "2024-06-20", spread="2.00"),
    ]
    moves = {"C0001-B02-U1": [("2023-01-01", "100.00")]}
    legacy = plan_legacy_transfer(
        registry, positions_of(moves, receipts), since=day("2024-01-01"), until=day("2024-09-15")
    )
    assert legacy is not None and legacy.spread_receipts == ["R-2024"]
    # Once the (narrow) legacy transfer is booked, R-2023 is not stranded: allocate takes it.
    after = positions_of(moves, receipts)
    after.spread_allocated["R-2024"] = "legacy-transfer"
    plan = plan_allocation(registry, after, through=day("2024-12-31"))
    assert plan is not None and plan.spread_receipts == ["R-2023"]


# -- properties ---------------------------------------------------------------------------------

EPOCH = day("2023-01-01")
UNIT_IDS = sorted(loaded_demo_registry().units)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[dict, list[InterestReceipt]]:
    units = draw(st.lists(st.sampled_from(UNIT_IDS), min_size=1, max_size=10, unique=True))
    movements: dict[str, list[tuple[dt.date, Decimal]]] = {}
    for unit in units:
        moves = draw(
            st.lists(
                st.tuples(st.integers(0, 1000), st.integers(-5_000, 5_000_000)),
                max_size=5,
            )
        )
        movements[unit] = [(EPOCH + dt.timedelta(days=d), D(f) / 100) for d, f in moves]
    # One unit always holds money from the first day, so every window has a receiver.
    movements[units[0]].append((EPOCH, D("1000000.00")))
    receipts = []
    for n in range(draw(st.integers(1, 6))):
        start = EPOCH + dt.timedelta(days=draw(st.integers(0, 1000)))
        end = start + dt.timedelta(days=draw(st.integers(0, 120)))
        base, spread = draw(st.integers(0, 10**7)), draw(st.integers(0, 10**6))
        receipts.append(
            InterestReceipt(
                f"R-{n}",
                end + dt.timedelta(days=1),
                "demand",
                ICBC,
                start,
                end,
                D(base) / 100,
                D(spread) / 100,
                None,  # type: ignore[arg-type]
            )
        )
    return movements, receipts


def _positions(movements: dict, receipts: list[InterestReceipt]) -> Positions:
    pos = Positions()
    for unit, moves in movements.items():
        pos.unit_movements[unit] = list(moves)
    pos.receipts = list(receipts)
    return pos


def _plans(registry: Registry, pos: Positions):
    return (
        plan_allocation(registry, pos, through=day("2026-12-31")),
        plan_legacy_transfer(registry, pos, since=day("2023-01-01"), until=day("2024-09-15")),
    )


def _fingerprint(plan) -> object:
    if plan is None:
        return None
    return (
        [(p.account, p.units) for p in plan.entry.postings],
        dict(plan.entry.meta),
        [(r.receipt.id, r.part, r.shares) for r in plan.receipts],
    )


@settings(max_examples=150, deadline=None)
@given(scenarios(), st.randoms(use_true_random=False))
def test_shares_add_up_are_never_negative_and_follow_the_quota(
    scenario: tuple[dict, list[InterestReceipt]], rng: random.Random
) -> None:
    registry = loaded_demo_registry()
    movements, receipts = scenario
    pos = _positions(movements, receipts)
    plans = _plans(registry, pos)
    by_part: dict[str, set[str]] = defaultdict(set)
    for plan in plans:
        if plan is None:
            continue
        assert sum(p.units.number for p in plan.entry.postings) == 0
        assert all(p.units.number != 0 for p in plan.entry.postings)
        # The totals (summed in fen, column by column) are the shares' Decimals summed one by
        # one, to the digit and exponent.
        for part, totals in ((SPREAD, plan.pool_totals), (BASE, plan.unit_totals)):
            summed: dict[str, Decimal] = defaultdict(lambda: D("0.00"))
            for allocation in plan.receipts:
                if allocation.part == part:
                    for s in allocation.shares:
                        summed[s.receiver] += s.amount
            expected = {k: summed[k] for k in sorted(summed) if summed[k]}
            assert list(totals.items()) == list(expected.items())
            assert [str(v) for v in totals.values()] == [str(v) for v in expected.values()]
        for allocation in plan.receipts:
            by_part[allocation.part].add(allocation.receipt.id)
            shares = allocation.shares
            assert sum(s.amount for s in shares) == allocation.amount
            assert all(s.amount >= 0 for s in shares)
            # Each share is within a fen of its exact quota, with balance-days recomputed by
            # the plain reference (day segments, no prefix sums) and summed into pools.
            r = allocation.receipt
            weights: dict[str, Fraction] = defaultdict(Fraction)
            for unit, moves in movements.items():
                days = balance_days(
                    [Movement(d, a) for d, a in moves], r.window_start, r.window_end
                )
                key = registry.pool_of_unit(unit) if allocation.part == SPREAD else unit
                weights[key] += Fraction(days)
            positive = {k: w for k, w in weights.items() if w > 0}
            assert {s.receiver for s in shares} == set(positive)
            total = sum(positive.values())
            for s in shares:
                quota = Fraction(allocation.amount) * positive[s.receiver] / total
                assert abs(Fraction(s.amount) - quota) < Fraction(1, 100)
    window_start = registry.pilot.window_start
    assert by_part[SPREAD] == {r.id for r in receipts if r.spread > 0}
    assert by_part[BASE] == {r.id for r in receipts if r.base > 0}
    allocation_plan = plans[0]
    if allocation_plan is not None:
        assert all(
            a.receipt.date >= window_start for a in allocation_plan.receipts if a.part == SPREAD
        )

    # Shuffling every input order changes nothing.
    shuffled_moves = {}
    for unit in rng.sample(list(movements), len(movements)):
        moves = list(movements[unit])
        rng.shuffle(moves)
        shuffled_moves[unit] = moves
    shuffled = _positions(shuffled_moves, rng.sample(receipts, len(receipts)))
    assert [_fingerprint(p) for p in _plans(registry, shuffled)] == [_fingerprint(p) for p in plans]


# -- on real books ------------------------------------------------------------------------------


def test_allocate_books_once_then_nothing(books: Path) -> None:
    fund_books(books)
    append(
        books,
        "txns/2024/interest.beancount",
        interest("R-2024Q2", "2024-06-21", "2024-03-21", "2024-06-20", "10.00", "25.00")
        + interest("R-2024Q3", "2024-09-21", "2024-06-21", "2024-09-20", "11.00", "26.00")
        + interest("R-2024Q4", "2024-12-21", "2024-09-21", "2024-12-20", "12.00", "27.00"),
    )
    dry = allocate(books, through=day("2024-12-31"), dry_run=True)
    assert dry.plan is not None and not dry.booked
    before = snapshot(books.parent)
    report = allocate(books, through=day("2024-12-31"))
    assert report.booked and report.file == "txns/2024/allocations.beancount"
    plan = report.plan
    assert plan is not None and plan.spread_receipts == ["R-2024Q3", "R-2024Q4"]
    assert plan.base_receipts == ["R-2024Q2", "R-2024Q3", "R-2024Q4"]
    assert plan.spread_total == D("53.00") and plan.base_total == D("33.00")
    assert snapshot(books.parent) != before
    loaded = load_books(books)
    assert loaded.errors == []
    pos = read_positions(loaded.entries)
    assert set(pos.spread_allocated) == {"R-2024Q3", "R-2024Q4"}
    assert set(pos.base_allocated) == {"R-2024Q2", "R-2024Q3", "R-2024Q4"}
    # The pools now hold exactly the spread; the units' funds grew by the base.
    pools = pos.pool_history()
    assert sum(pools.balance_at(p, day("2024-12-31")) for p in pos.pool_movements) == D("53.00")
    after = snapshot(books.parent)
    again = allocate(books, through=day("2024-12-31"))
    assert again.plan is None and not again.booked
    assert snapshot(books.parent) == after


@settings(
    max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(st.sampled_from(UNIT_IDS), st.integers(1, 300), st.integers(100, 10**7)),
        min_size=1,
        max_size=4,
    ),
    st.integers(0, 10**5),
)
def test_allocating_twice_books_nothing_new(
    bare_books: Path, tmp_path_factory: pytest.TempPathFactory, deposits: list, spread: int
) -> None:
    main = copy_books(bare_books, tmp_path_factory.mktemp("twice") / "ledger")
    text = "".join(
        deposit(str(day("2024-01-01") + dt.timedelta(days=d)), unit, f"{D(f) / 100:.2f}")
        for unit, d, f in deposits
    )
    text += interest(
        "R-X", "2024-12-21", "2024-01-01", "2024-12-20", "1.00", f"{D(spread) / 100:.2f}"
    )
    append(main, "txns/2024/test.beancount", text)
    first = allocate(main, through=day("2024-12-31"))
    assert first.booked
    before = snapshot(main.parent)
    second = allocate(main, through=day("2025-06-30"))
    assert second.plan is None
    assert snapshot(main.parent) == before


def test_legacy_transfer_once_then_refused(books: Path) -> None:
    fund_books(books)
    append(
        books,
        "txns/2024/interest.beancount",
        interest("R-2023Q2", "2023-06-21", "2023-03-21", "2023-06-20", "5.00", "9.00")
        + interest("R-2024Q3", "2024-09-21", "2024-06-21", "2024-09-20", "11.00", "26.00"),
    )
    report = transfer_legacy(books)
    assert report.booked and report.plan is not None
    assert report.plan.spread_receipts == ["R-2023Q2"]
    assert report.plan.entry.date == day("2024-09-15")
    assert report.file == "txns/2024/allocations.beancount"
    before = snapshot(books.parent)
    with pytest.raises(XtError, match="once"):
        transfer_legacy(books)
    assert snapshot(books.parent) == before
    # The allocation never takes the legacy receipt's spread.
    plan = allocate(books, through=day("2024-12-31")).plan
    assert plan is not None and plan.spread_receipts == ["R-2024Q3"]
    assert "R-2023Q2" in plan.base_receipts


# -- the command line ---------------------------------------------------------------------------


@pytest.mark.slow
def test_cli_allocate_and_transfer_legacy(books: Path) -> None:
    fund_books(books)
    append(
        books,
        "txns/2024/interest.beancount",
        interest("R-2023Q4", "2023-12-21", "2023-09-21", "2023-12-20", "5.00", "9.00")
        + interest("R-2024Q4", "2024-12-21", "2024-09-21", "2024-12-20", "12.00", "27.00"),
    )
    before = snapshot(books.parent)
    dry = xt(books, "allocate", "--through", "2024-12-31", "--dry-run", "--format", "json")
    assert dry.returncode == 0, dry.stderr
    assert snapshot(books.parent) == before
    out = xt(books, "allocate", "--through", "2024-12-31", "--format", "json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["command"] == "allocate" and doc["booked"] is True
    assert doc["spread_receipts"] == "R-2024Q4"
    assert doc["base_receipts"] == "R-2023Q4,R-2024Q4"
    assert doc["spread_total"] == "27.00" and doc["base_total"] == "17.00"
    assert sum(D(r["amount"]) for r in doc["rows"]) == D("44.00")
    assert {r["kind"] for r in doc["rows"]} == {"pool", "unit"}
    again = xt(books, "allocate", "--through", "2024-12-31")
    assert again.returncode == 0 and "nothing to allocate" in again.stdout

    legacy = xt(books, "pool", "transfer-legacy")
    assert legacy.returncode == 0, legacy.stderr
    assert "spread_receipts: R-2023Q4" in legacy.stdout
    before = snapshot(books.parent)
    refused = xt(books, "pool", "transfer-legacy", "--since", "2023-01-01")
    assert refused.returncode == 1 and "once" in refused.stderr
    assert snapshot(books.parent) == before


def test_cli_allocate_refused_writes_nothing(books: Path) -> None:
    # Interest with no fund in the books: no pool has a positive balance over the window.
    append(
        books,
        "txns/2024/interest.beancount",
        interest("R-lonely", "2024-10-01", "2024-09-21", "2024-09-30", "0.00", "5.00"),
    )
    before = snapshot(books.parent)
    refused = xt(books, "allocate", "--through", "2024-12-31")
    assert refused.returncode == 1
    assert "R-lonely" in refused.stderr and "Traceback" not in refused.stderr
    assert snapshot(books.parent) == before
