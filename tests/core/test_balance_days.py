"""Balance-days (积数): worked examples and a day-by-day cross-check."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xtaccounts.core.balance_days import (
    BalanceHistory,
    Movement,
    balance_days,
    balances_days_by_key,
)

D = Decimal
day = datetime.date

# The demand quarter ending 2024-06-20 (window 2024-03-21..2024-06-20, 92 days):
#   opening 1,000,000.00; +500,000.00 on 04-10; -200,000.00 on 05-31.
#   03-21..04-09  20 days (11 in March + 9 in April) x 1,000,000.00 = 20,000,000.00
#   04-10..05-30  51 days (21 in April + 30 in May)  x 1,500,000.00 = 76,500,000.00
#   05-31..06-20  21 days (1 in May + 20 in June)    x 1,300,000.00 = 27,300,000.00
#   20 + 51 + 21 = 92 days; 积数 = 123,800,000.00
QUARTER_START, QUARTER_END = day(2024, 3, 21), day(2024, 6, 20)
QUARTER_MOVES = [
    Movement(day(2024, 5, 31), D("-200000.00")),  # unsorted on purpose
    Movement(day(2024, 4, 10), D("500000.00")),
]
QUARTER_BALANCE_DAYS = D("123800000.00")


def test_quarter_with_three_segments() -> None:
    result = balance_days(QUARTER_MOVES, QUARTER_START, QUARTER_END, opening=D("1000000.00"))
    assert result == QUARTER_BALANCE_DAYS


def test_movements_before_start_fold_into_opening_and_after_end_are_ignored() -> None:
    moves = [
        Movement(day(2024, 1, 5), D("1000000.00")),  # before the window: the opening balance
        *QUARTER_MOVES,
        Movement(day(2024, 6, 21), D("9999999.99")),  # after the window: ignored
    ]
    assert balance_days(moves, QUARTER_START, QUARTER_END) == QUARTER_BALANCE_DAYS


def test_movement_on_the_first_and_last_day_counts_that_day() -> None:
    # End-of-day balances: a deposit on the first day counts for the whole window (3 days x 10),
    # one on the last day counts for that day only (1 day x 5).
    moves = [Movement(day(2024, 1, 1), D("10")), Movement(day(2024, 1, 3), D("5"))]
    assert balance_days(moves, day(2024, 1, 1), day(2024, 1, 3)) == D("35")


def test_single_day_window_and_bad_window() -> None:
    assert balance_days([], day(2024, 2, 29), day(2024, 2, 29), opening=D("7.50")) == D("7.50")
    with pytest.raises(ValueError, match="before it starts"):
        balance_days([], day(2024, 3, 2), day(2024, 3, 1))


def test_float_amount_refused() -> None:
    with pytest.raises(TypeError):
        Movement(day(2024, 1, 1), 1.5)  # type: ignore[arg-type]


def test_history_checks_amounts_that_are_not_finite_decimals() -> None:
    """Decimals are taken as they are; anything else is checked (ints taken, floats, booleans
    and infinities refused, naming the key and day)."""
    first = day(2024, 1, 1)
    history = BalanceHistory([("a", first, D("1.50")), ("a", first, 2)])  # type: ignore[list-item]
    assert history.balance_at("a", first) == D("3.50")
    for bad, error in ((1.5, TypeError), (True, TypeError), (D("Infinity"), ValueError)):
        with pytest.raises(error, match="movement amount of 'a' on 2024-01-01"):
            BalanceHistory([("a", first, bad)])  # type: ignore[list-item]


def test_by_key_and_history_agree_on_the_quarter() -> None:
    opening = Movement(day(2024, 3, 20), D("1000000.00"))
    moves = {"pool-a": [opening, *QUARTER_MOVES], "pool-b": []}
    expected = {"pool-a": QUARTER_BALANCE_DAYS, "pool-b": D(0)}
    assert balances_days_by_key(moves, QUARTER_START, QUARTER_END) == expected

    history = BalanceHistory.from_movements(moves)
    assert history.balance_days("pool-a", QUARTER_START, QUARTER_END) == QUARTER_BALANCE_DAYS
    assert history.balance_days("pool-b", QUARTER_START, QUARTER_END) == 0
    assert history.balances_days(QUARTER_START, QUARTER_END) == {"pool-a": QUARTER_BALANCE_DAYS}
    assert history.balances_days(QUARTER_START, QUARTER_END, ["pool-b"]) == {"pool-b": 0}
    assert history.balance_at("pool-a", day(2024, 3, 19)) == 0
    assert history.balance_at("pool-a", day(2024, 4, 9)) == D("1000000.00")
    assert history.balance_at("pool-a", day(2024, 4, 10)) == D("1500000.00")
    assert history.balance_at("pool-a", day(2030, 1, 1)) == D("1300000.00")
    assert history.keys() == ["pool-a"]


def test_history_sums_same_day_movements() -> None:
    history = BalanceHistory(
        [("u", day(2024, 1, 2), D("3.00")), ("u", day(2024, 1, 2), D("-1.00"))]
    )
    assert history.balance_at("u", day(2024, 1, 2)) == D("2.00")
    assert history.balance_days("u", day(2024, 1, 1), day(2024, 1, 4)) == D("6.00")


# --- property: prefix sums equal the naive day-by-day sum --------------------------------------

ORIGIN = day(2024, 1, 1)
offsets = st.integers(min_value=0, max_value=60)
amounts = st.decimals(min_value=-1000, max_value=1000, places=2, allow_nan=False)
entries = st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), offsets, amounts), max_size=25)


def naive_balance_days(
    triples: list[tuple[str, int, Decimal]], key: str, first: int, last: int
) -> Decimal:
    total = D(0)
    for offset in range(first, last + 1):
        total += sum((a for k, o, a in triples if k == key and o <= offset), D(0))
    return total


@settings(max_examples=150, deadline=None)
@given(entries, offsets, offsets, st.sampled_from(["a", "b", "c", "zz"]))
def test_history_matches_day_by_day_sum(
    triples: list[tuple[str, int, Decimal]], x: int, y: int, key: str
) -> None:
    first, last = min(x, y), max(x, y)
    dated = [(k, ORIGIN + datetime.timedelta(days=o), a) for k, o, a in triples]
    history = BalanceHistory(dated)
    start, end = ORIGIN + datetime.timedelta(days=first), ORIGIN + datetime.timedelta(days=last)
    expected = naive_balance_days(triples, key, first, last)

    assert history.balance_days(key, start, end) == expected
    moves = [Movement(d, a) for k, d, a in dated if k == key]
    assert balance_days(moves, start, end) == expected
    assert history.balance_at(key, end) == sum(
        (a for k, o, a in triples if k == key and o <= last), D(0)
    )


def test_the_accumulated_balance_days_are_worked_out_when_first_asked() -> None:
    """A history read for balances only holds no 积数; once asked, they are those of the
    running sum over the movement days, in every key, to the exact digit."""
    import random

    rng = random.Random(7)
    start = datetime.date(2021, 1, 1)
    moves = [
        (
            f"K{rng.randrange(20)}",
            start + datetime.timedelta(days=rng.randrange(1500)),
            Decimal(rng.randrange(-500_000, 900_000)) / 100,
        )
        for _ in range(3000)
    ]
    history = BalanceHistory(moves)
    keys = history.keys()
    for key in keys:
        history.balance_at(key, datetime.date(2023, 6, 30))
    assert all(series._accumulated is None for series in history._series.values())
    for key in keys:
        series = history._series[key]
        running, balance, previous = [], Decimal(0), series.days[0]
        total = Decimal(0)
        for day, after in zip(series.days, series.balances, strict=True):
            total += balance * (day - previous)
            running.append(total)
            balance, previous = after, day
        assert series.accumulated == tuple(running)
        assert [str(a) for a in series.accumulated] == [str(r) for r in running]
        end = datetime.date(2024, 12, 31)
        expected = sum(
            (history.balance_at(key, start + datetime.timedelta(days=n)) for n in range(1461)),
            Decimal(0),
        )
        assert history.balance_days(key, start, end) == expected
