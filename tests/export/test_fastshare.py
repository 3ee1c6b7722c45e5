"""The integer sharing the exports use (`xtaccounts.core.shares.share_fen`, the core of
`allocate`) and the 分户账's household balance history."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xtaccounts.core.balance_days import Movement, balance_days
from xtaccounts.core.household_history import HouseholdHistory
from xtaccounts.core.shares import NoReceivers, share_by_weight, share_fen


def reference(total_fen: int, receivers: list[str], weights: list[int]) -> list[int]:
    """docs/rules.md §5 literally, with Fractions: floor, then the leftover fen to the largest
    remainders (ties: larger weight, then smaller id)."""
    total = sum(w for w in weights if w > 0)
    quotas = [Fraction(total_fen * w, total) if w > 0 else Fraction(0) for w in weights]
    fen = [q.numerator // q.denominator for q in quotas]
    leftover = total_fen - sum(fen)
    order = sorted(
        (i for i, w in enumerate(weights) if w > 0),
        key=lambda i: (-(quotas[i] - fen[i]), -weights[i], receivers[i]),
    )
    for i in order[:leftover]:
        fen[i] += 1
    return fen


# Small weights and amounts: remainders tie often, also across the cut.
receivers_and_weights = st.dictionaries(
    st.text(alphabet="ABC123-", min_size=1, max_size=4),
    st.integers(min_value=-3, max_value=6),
    min_size=1,
    max_size=12,
).filter(lambda w: any(v > 0 for v in w.values()))


@settings(max_examples=400, deadline=None)
@given(total_fen=st.integers(min_value=0, max_value=50), weights=receivers_and_weights)
def test_share_fen_is_the_largest_remainder_rule(total_fen: int, weights: dict[str, int]) -> None:
    receivers = list(weights)
    values = [weights[r] for r in receivers]
    fen = share_fen(total_fen, receivers, values)
    assert fen == reference(total_fen, receivers, values)
    assert sum(fen) == total_fen
    total = sum(w for w in values if w > 0)
    assert share_fen(total_fen, receivers, values, total) == fen


def test_ties_go_to_the_larger_weight_then_the_smaller_id() -> None:
    w = {"b": Decimal("1"), "a": Decimal("1"), "c": Decimal("2")}
    assert [s.amount for s in share_by_weight(Decimal("0.01"), w)] == [0, 0, Decimal("0.01")]
    # 0.02 over a:b:c = 1:1:2: c gets 0.01, a and b tie at half a fen: the smaller id wins.
    assert [s.amount for s in share_by_weight(Decimal("0.02"), w)] == [
        Decimal("0.01"),
        0,
        Decimal("0.01"),
    ]
    assert share_fen(2, ["b", "a", "c"], [1, 1, 2]) == [0, 1, 1]


def test_share_fen_without_a_positive_weight_refuses() -> None:
    with pytest.raises(NoReceivers):
        share_fen(5, ["a", "b"], [0, -1])
    with pytest.raises(ValueError, match="negative"):
        share_fen(-5, ["a", "b"], [1, 1])


moves = st.lists(
    st.tuples(st.integers(min_value=0, max_value=60), st.integers(-5000, 5000)), max_size=8
)


@settings(max_examples=200, deadline=None)
@given(moves=moves, first=st.integers(0, 70), length=st.integers(0, 40))
def test_history_balance_days_equals_balances(moves, first: int, length: int) -> None:
    base = dt.date(2024, 1, 1)
    history = HouseholdHistory()
    for day, fen in sorted(moves, key=lambda m: m[0]):
        history.add((base + dt.timedelta(days=day)).toordinal(), fen)
    start, end = base + dt.timedelta(days=first), base + dt.timedelta(days=first + length)
    expected = balance_days(
        [Movement(base + dt.timedelta(days=d), Decimal(f).scaleb(-2)) for d, f in moves],
        start,
        end,
    )
    got = history.balance_days(start.toordinal(), end.toordinal())
    assert Decimal(got).scaleb(-2) == expected
