"""Interest formulas, the base/spread split and the demand calendar (docs/rules.md §5)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xtaccounts.core.balance_days import Movement, balance_days
from xtaccounts.core.calendar import add_months
from xtaccounts.core.interest import (
    DAYS_IN_YEAR,
    demand_interest,
    demand_payment_date,
    demand_quarter_window,
    demand_settlement_covering,
    demand_settlement_dates,
    early_withdrawal_interest,
    round_half_up,
    split_demand,
    split_interest,
    split_time_deposit,
    time_deposit_interest,
)

D = Decimal
day = datetime.date


def test_days_in_year() -> None:
    assert DAYS_IN_YEAR == 360


# --- time deposit ------------------------------------------------------------------------------


def test_time_deposit_twelve_months() -> None:
    # 10,000,000.00 x 1.95% x 12/12 = 195,000.00 ; at the 1-year base 1.50%: 150,000.00
    # spread = 195,000.00 - 150,000.00 = 45,000.00
    split = split_time_deposit(D("195000.00"), D("10000000.00"), D("1.95"), D("1.50"), 12)
    assert split.expected == D("195000.00")
    assert split.base_expected == split.base == D("150000.00")
    assert split.spread == D("45000.00")
    assert split.difference == D("0.00")
    assert not split.flagged and split.reason == ""


def test_time_deposit_rounds_once() -> None:
    # 12,345.67 x 1.30% x 6/12 = 80.246855 -> 80.25 (one rounding of the exact product)
    assert time_deposit_interest(D("12345.67"), D("1.30"), 6) == D("80.25")
    # 1,000.00 x 1.10% x 3/12 = 2.75 exactly
    assert time_deposit_interest(D("1000.00"), D("1.10"), 3) == D("2.75")


def test_time_deposit_bad_inputs() -> None:
    with pytest.raises(ValueError):
        time_deposit_interest(D("1000.00"), D("1.10"), 0)
    with pytest.raises(ValueError):
        time_deposit_interest(D("1000.001"), D("1.10"), 3)
    with pytest.raises(ValueError):
        time_deposit_interest(D("1000.00"), D("-1"), 3)
    with pytest.raises(TypeError):
        time_deposit_interest(D("1000.00"), 1.1, 3)  # type: ignore[arg-type]


def test_receipt_five_fen_short_is_flagged() -> None:
    split = split_time_deposit(D("194999.95"), D("10000000.00"), D("1.95"), D("1.50"), 12)
    assert split.difference == D("-0.05")
    assert split.flagged
    assert split.reason == "实收与应收相差 -0.05 元 (received 194,999.95, expected 195,000.00)"
    # the shortfall comes out of the spread; the base is still covered
    assert split.base == D("150000.00") and split.spread == D("44999.95")


def test_one_fen_difference_is_tolerated() -> None:
    split = split_interest(D("100.01"), expected=D("100.00"), base_expected=D("20.00"))
    assert split.difference == D("0.01") and not split.flagged and split.reason == ""
    split = split_interest(D("100.02"), expected=D("100.00"), base_expected=D("20.00"))
    assert split.flagged and "+0.02" in split.reason


def test_receipt_below_base_interest() -> None:
    # 100,000.00 received where 150,000.00 was the base interest: all of it is base, no spread.
    split = split_time_deposit(D("100000.00"), D("10000000.00"), D("1.95"), D("1.50"), 12)
    assert split.base == D("100000.00")
    assert split.spread == D("0.00")
    assert split.flagged
    assert split.reason == (
        "实收与应收相差 -95,000.00 元 (received 100,000.00, expected 195,000.00)"
    )


def test_split_refuses_negative_or_sub_fen_receipts() -> None:
    with pytest.raises(ValueError):
        split_interest(D("-0.01"), expected=D("0.00"), base_expected=D("0.00"))
    with pytest.raises(ValueError):
        split_interest(D("0.005"), expected=D("0.00"), base_expected=D("0.00"))


money = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False)


@given(money, money, money)
def test_split_parts_add_up(received: Decimal, expected: Decimal, base_expected: Decimal) -> None:
    split = split_interest(received, expected=expected, base_expected=base_expected)
    assert split.base + split.spread == received
    assert split.base >= 0 and split.spread >= 0
    assert split.base <= base_expected
    assert split.flagged == (abs(received - expected) > D("0.01"))
    assert (split.reason != "") == split.flagged


# --- demand ------------------------------------------------------------------------------------


def test_demand_quarter_three_segments() -> None:
    # Window 2024-03-21..2024-06-20 = 11 (Mar) + 30 (Apr) + 31 (May) + 20 (Jun) = 92 days.
    #   03-21..04-09  20 days x 1,000,000.00 = 20,000,000.00
    #   04-10..05-30  51 days x 1,500,000.00 = 76,500,000.00   (+500,000.00 on 04-10)
    #   05-31..06-20  21 days x 1,300,000.00 = 27,300,000.00   (-200,000.00 on 05-31)
    #   积数 = 123,800,000.00
    # interest at 1.15%: 123,800,000.00 x 0.0115 / 360 = 1,423,700 / 360 = 3,954.7222… -> 3,954.72
    # base at 0.35%:     123,800,000.00 x 0.0035 / 360 =   433,300 / 360 = 1,203.6111… -> 1,203.61
    # spread = 3,954.72 - 1,203.61 = 2,751.11
    start, end = demand_quarter_window(day(2024, 6, 20))
    assert (start, end) == (day(2024, 3, 21), day(2024, 6, 20))
    assert (end - start).days + 1 == 92
    moves = [
        Movement(day(2024, 4, 10), D("500000.00")),
        Movement(day(2024, 5, 31), D("-200000.00")),
    ]
    days_balance = balance_days(moves, start, end, opening=D("1000000.00"))
    assert days_balance == D("123800000.00")
    assert demand_interest(days_balance, D("1.15")) == D("3954.72")
    assert demand_interest(days_balance, D("0.35")) == D("1203.61")

    split = split_demand(D("3954.72"), days_balance, D("1.15"), D("0.35"))
    assert (split.base, split.spread) == (D("1203.61"), D("2751.11"))
    assert not split.flagged


def test_demand_interest_half_up() -> None:
    # 积数 36,000 x 0.05% / 360 = 0.05 ; 积数 9,000 x 0.1% / 360 = 0.025 -> 0.03 (half up)
    assert demand_interest(D("36000"), D("0.05")) == D("0.05")
    assert demand_interest(D("9000"), D("0.1")) == D("0.03")


def test_early_withdrawal() -> None:
    # 1,000,000.00 placed 2024-01-10, withdrawn 2024-04-18. Days held = withdrawal - value date:
    # 01-10 -> 01-31 is 21, then February 29, March 31, 04-01 -> 04-18 is 18: 99 days.
    # 1,000,000.00 x 99 x 0.35% / 360 = 346,500 / 360 = 962.50
    assert early_withdrawal_interest(
        D("1000000.00"), D("0.35"), day(2024, 1, 10), day(2024, 4, 18)
    ) == D("962.50")
    assert early_withdrawal_interest(D("5.00"), D("0.35"), day(2024, 1, 1), day(2024, 1, 1)) == 0
    with pytest.raises(ValueError):
        early_withdrawal_interest(D("5.00"), D("0.35"), day(2024, 1, 2), day(2024, 1, 1))


def test_round_half_up_exact() -> None:
    assert round_half_up(Fraction(5, 1000)) == D("0.01")
    assert round_half_up(Fraction(4999, 1000000)) == D("0.00")
    assert round_half_up(Fraction(-5, 1000)) == D("-0.01")
    assert round_half_up(Fraction(-1, 1000)) == D("0.00")
    assert str(round_half_up(Fraction(123456789012345678901234567890123, 1000))) == (
        "123456789012345678901234567890.12"
    )


# --- calendar ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (day(2023, 1, 31), 1, day(2023, 2, 28)),
        (day(2024, 1, 31), 1, day(2024, 2, 29)),
        (day(2024, 2, 29), 12, day(2025, 2, 28)),
        (day(2024, 3, 31), 6, day(2024, 9, 30)),
        (day(2024, 11, 15), 3, day(2025, 2, 15)),
        (day(2024, 6, 20), -3, day(2024, 3, 20)),
        (day(2024, 3, 31), -1, day(2024, 2, 29)),
        (day(2024, 5, 31), 60, day(2029, 5, 31)),
        (day(2024, 5, 31), 0, day(2024, 5, 31)),
    ],
)
def test_add_months(start: datetime.date, months: int, expected: datetime.date) -> None:
    assert add_months(start, months) == expected


def test_settlement_dates() -> None:
    assert demand_settlement_dates(day(2024, 3, 20), day(2025, 3, 19)) == [
        day(2024, 3, 20),
        day(2024, 6, 20),
        day(2024, 9, 20),
        day(2024, 12, 20),
    ]
    assert demand_settlement_dates(day(2024, 3, 21), day(2024, 6, 19)) == []
    assert demand_settlement_dates(day(2024, 6, 20), day(2024, 6, 20)) == [day(2024, 6, 20)]


def test_quarter_windows_and_payment() -> None:
    assert demand_quarter_window(day(2025, 3, 20)) == (day(2024, 12, 21), day(2025, 3, 20))
    assert demand_quarter_window(day(2024, 9, 20)) == (day(2024, 6, 21), day(2024, 9, 20))
    assert demand_payment_date(day(2024, 6, 20)) == day(2024, 6, 21)
    with pytest.raises(ValueError):
        demand_quarter_window(day(2024, 6, 21))
    with pytest.raises(ValueError):
        demand_payment_date(day(2024, 5, 20))


def test_settlement_covering() -> None:
    assert demand_settlement_covering(day(2024, 3, 21)) == day(2024, 6, 20)
    assert demand_settlement_covering(day(2024, 6, 20)) == day(2024, 6, 20)
    assert demand_settlement_covering(day(2024, 12, 21)) == day(2025, 3, 20)


@given(st.dates(min_value=day(2000, 1, 1), max_value=day(2099, 12, 31)))
def test_quarter_windows_tile_the_calendar(some_day: datetime.date) -> None:
    settlement = demand_settlement_covering(some_day)
    start, end = demand_quarter_window(settlement)
    assert start <= some_day <= end == settlement
    _, previous_end = demand_quarter_window(add_months(settlement, -3))
    assert previous_end + datetime.timedelta(days=1) == start
