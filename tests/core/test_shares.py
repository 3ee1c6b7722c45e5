"""Largest-remainder allocation in whole fen (docs/rules.md §5)."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xtaccounts.core.balance_days import BalanceHistory
from xtaccounts.core.errors import XtError
from xtaccounts.core.shares import (
    NoReceivers,
    Share,
    allocate_by_balance_days,
    from_fen,
    share_by_weight,
    to_fen,
)

D = Decimal


def amounts(shares: list[Share]) -> dict[str, Decimal]:
    return {share.receiver: share.amount for share in shares}


def test_equal_weights_leftover_goes_to_lowest_id() -> None:
    # 100.00 = 10,000 fen over 1:1:1. Each quota is 3,333 1/3 fen: floor 3,333, remainder 1/3.
    # 3 x 3,333 = 9,999, one fen left. All remainders tie, all weights tie, so the lowest id
    # ("pool-a") gets it: 33.34 / 33.33 / 33.33.
    weights = {"pool-c": D("500.00"), "pool-a": D("500.00"), "pool-b": D("500.00")}
    shares = share_by_weight(D("100.00"), weights)
    assert shares == [
        Share("pool-a", D("500.00"), D("33.34")),
        Share("pool-b", D("500.00"), D("33.33")),
        Share("pool-c", D("500.00"), D("33.33")),
    ]


def test_unequal_weights_largest_remainder_decides() -> None:
    # 100.00 = 10,000 fen over a:b:c = 1:2:4 (total 7).
    #   a: 10,000 x 1/7 = 1,428 4/7  -> 1,428, remainder 4/7
    #   b: 10,000 x 2/7 = 2,857 1/7  -> 2,857, remainder 1/7
    #   c: 10,000 x 4/7 = 5,714 2/7  -> 5,714, remainder 2/7
    # floors sum to 9,999; the leftover fen goes to the largest remainder, a (the smallest pool):
    # 14.29 / 28.57 / 57.14.
    shares = share_by_weight(D("100.00"), {"a": D("1"), "b": D("2"), "c": D("4")})
    assert amounts(shares) == {"a": D("14.29"), "b": D("28.57"), "c": D("57.14")}


def test_equal_remainders_larger_weight_wins() -> None:
    # 0.03 = 3 fen over a:b:c = 1:3:2 (total 6).
    #   a: 3 x 1/6 = 0 1/2 -> 0, remainder 1/2
    #   b: 3 x 3/6 = 1 1/2 -> 1, remainder 1/2
    #   c: 3 x 2/6 = 1     -> 1, remainder 0
    # one fen left; a and b tie on remainder, b has the larger weight: 0.00 / 0.02 / 0.01.
    # a keeps its (zero) share in the result: it has a positive weight.
    shares = share_by_weight(D("0.03"), {"a": D("1"), "b": D("3"), "c": D("2")})
    assert amounts(shares) == {"a": D("0.00"), "b": D("0.02"), "c": D("0.01")}


def test_non_positive_weights_are_left_out() -> None:
    shares = share_by_weight(D("10.00"), {"x": D("0"), "y": D("-5"), "z": D("0.001")})
    assert shares == [Share("z", D("0.001"), D("10.00"))]


def test_mixed_decimal_exponents_are_exact() -> None:
    # weights 1E+30 and 0.000001 (ratio 10^36 : 1): the tiny one's quota is far below a fen.
    shares = share_by_weight(D("1.00"), {"big": D("1E+30"), "tiny": D("0.000001")})
    assert amounts(shares) == {"big": D("1.00"), "tiny": D("0.00")}


def test_no_receivers() -> None:
    with pytest.raises(NoReceivers, match="no receiver has a positive weight"):
        share_by_weight(D("5.00"), {"a": D("0"), "b": D("-1")})
    with pytest.raises(NoReceivers):
        share_by_weight(D("0.00"), {})
    assert issubclass(NoReceivers, ValueError) and issubclass(NoReceivers, XtError)


def test_bad_amounts() -> None:
    with pytest.raises(ValueError, match="whole number of fen"):
        share_by_weight(D("1.005"), {"a": D("1")})
    with pytest.raises(ValueError, match="negative"):
        share_by_weight(D("-1.00"), {"a": D("1")})
    with pytest.raises(TypeError):
        share_by_weight(1.0, {"a": D("1")})  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        share_by_weight(D("1.00"), {"a": 1.0})  # type: ignore[dict-item]


def test_zero_amount() -> None:
    assert amounts(share_by_weight(D("0"), {"a": D("1"), "b": D("2")})) == {
        "a": D("0.00"),
        "b": D("0.00"),
    }


def test_fen_conversions() -> None:
    assert to_fen(D("123.45")) == 12345
    assert to_fen(D("1E+2")) == 10000
    assert from_fen(-5) == D("-0.05") and str(from_fen(12345)) == "123.45"


def test_allocate_by_balance_days() -> None:
    # Window 2024-01-01..2024-01-10 (10 days). p1: 100.00 all along -> 1,000.00;
    # p2: 100.00 from 01-06 -> 5 days -> 500.00; p3: never positive -> left out.
    # 3.00 = 300 fen over 1,000 : 500 -> 200 fen / 100 fen exactly.
    day = datetime.date
    history = BalanceHistory(
        [
            ("p1", day(2023, 12, 1), D("100.00")),
            ("p2", day(2024, 1, 6), D("100.00")),
            ("p3", day(2024, 1, 6), D("-1.00")),
        ]
    )
    shares = allocate_by_balance_days(D("3.00"), history, day(2024, 1, 1), day(2024, 1, 10))
    assert shares == [Share("p1", D("1000.00"), D("2.00")), Share("p2", D("500.00"), D("1.00"))]


# --- properties --------------------------------------------------------------------------------

receiver_ids = st.text(alphabet="abcdef0123", min_size=1, max_size=4)
weight_values = st.one_of(
    st.decimals(min_value=-100, max_value=10**12, places=2, allow_nan=False),
    st.decimals(min_value=0, max_value=10, places=6, allow_nan=False),
    st.integers(min_value=-3, max_value=5).map(Decimal),
)
weight_maps = st.dictionaries(receiver_ids, weight_values, min_size=1, max_size=12)
fen_amounts = st.integers(min_value=0, max_value=10**12)


def reference(total_fen: int, weights: dict[str, Decimal]) -> dict[str, int]:
    """The spec, literally, with Fractions."""
    positive = {r: Fraction(w) for r, w in weights.items() if w > 0}
    total = sum(positive.values())
    quotas = {r: total_fen * w / total for r, w in positive.items()}
    fen = {r: q.numerator // q.denominator for r, q in quotas.items()}
    leftover = total_fen - sum(fen.values())
    order = sorted(positive, key=lambda r: (-(quotas[r] - fen[r]), -positive[r], r))
    for r in order[:leftover]:
        fen[r] += 1
    return fen


@settings(max_examples=200, deadline=None)
@given(fen_amounts, weight_maps, st.randoms(use_true_random=False))
def test_allocation_properties(
    total_fen: int, weights: dict[str, Decimal], rnd: random.Random
) -> None:
    amount = from_fen(total_fen)
    if not any(w > 0 for w in weights.values()):
        with pytest.raises(NoReceivers):
            share_by_weight(amount, weights)
        return
    shares = share_by_weight(amount, weights)

    assert sum((s.amount for s in shares), D(0)) == amount
    assert all(s.amount >= 0 for s in shares)
    assert [s.receiver for s in shares] == sorted(r for r, w in weights.items() if w > 0)
    assert all(s.amount == s.amount.quantize(D("0.01")) for s in shares)
    assert {s.receiver: to_fen(s.amount) for s in shares} == reference(total_fen, weights)

    items = list(weights.items())
    rnd.shuffle(items)
    assert share_by_weight(amount, dict(items)) == shares
    assert share_by_weight(amount, weights) == shares


def test_twelve_thousand_pools_fast() -> None:
    # One receipt over 12,000 pools: history built once, then one window query per pool.
    day = datetime.date
    rnd = random.Random(7)
    triples = [
        (
            f"pool-{i:05d}",
            day(2020, 1, 1) + datetime.timedelta(days=rnd.randrange(1800)),
            D(rnd.randrange(-10_000, 1_000_000)) / 100,
        )
        for i in range(12_000)
        for _ in range(5)
    ]
    history = BalanceHistory(triples)
    shares = allocate_by_balance_days(D("1234567.89"), history, day(2023, 3, 21), day(2023, 6, 20))
    assert sum((s.amount for s in shares), D(0)) == D("1234567.89")
