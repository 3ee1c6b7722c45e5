"""The CNY amount and rate types: parsing statement text, rounding half-up, refusing floats."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from xtaccounts.core.money import (
    Money,
    MoneyError,
    Rate,
    format_money,
    parse_optional_money,
    to_exact_money,
    to_money,
    to_rate,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,234.50", "1234.50"),
        ('"1,234.50"', "1234.50"),
        ("１２３", "123.00"),
        ("１，２３４．５６", "1234.56"),
        ("¥1,234.5", "1234.50"),
        ("￥88", "88.00"),
        ("+12.00", "12.00"),
        ("-12.00", "-12.00"),
        ("\t 3.00\t", "3.00"),
        ("3.00元", "3.00"),
        ("RMB 7.10", "7.10"),
        ("(5.00)", "-5.00"),
        (".5", "0.50"),
        (12, "12.00"),
        (Decimal("0.125"), "0.13"),
    ],
)
def test_parses_statement_forms(text: object, expected: str) -> None:
    assert to_money(text) == Decimal(expected)
    assert format_money(to_money(text)) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0.005", "0.01"),
        ("0.004", "0.00"),
        ("2.675", "2.68"),
        ("-2.675", "-2.68"),
        ("1.0049", "1.00"),
    ],
)
def test_rounds_half_up_to_the_fen(value: str, expected: str) -> None:
    assert to_money(value) == Decimal(expected)


@pytest.mark.parametrize("bad", ["abc", "1.2E+5", "1,23,4.00", "12..3", "1 2 3x", "--", "", True])
def test_refuses_what_is_not_an_amount(bad: object) -> None:
    with pytest.raises(MoneyError):
        to_money(bad)


def test_refuses_float_with_a_clear_message() -> None:
    with pytest.raises(MoneyError, match=r"拒绝浮点数 0\.1"):
        to_money(0.1)
    with pytest.raises(MoneyError, match="拒绝浮点数"):
        to_rate(1.95)


@pytest.mark.parametrize("placeholder", ["-", "--", " ", "\t", None, "——"])
def test_placeholders_mean_no_amount(placeholder: object) -> None:
    assert parse_optional_money(placeholder) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1.95", "1.95"), ("1.95%", "1.95"), ("１．９５％", "1.95"), (2, "2"), ("0.35", "0.35")],
)
def test_rates_are_percent(text: object, expected: str) -> None:
    assert to_rate(text) == Decimal(expected)


@pytest.mark.parametrize("bad", ["abc", "-0.1", "100", "1.23456789"])
def test_refuses_bad_rates(bad: str) -> None:
    with pytest.raises(MoneyError):
        to_rate(bad)


class Receipt(BaseModel):
    amount: Money
    rate: Rate


def test_pydantic_fields_parse_and_serialise_exactly() -> None:
    receipt = Receipt.model_validate({"amount": "¥1,000.10", "rate": "1.95%"})
    assert receipt.amount == Decimal("1000.10")
    assert receipt.model_dump(mode="json") == {"amount": "1000.10", "rate": "1.95"}


def test_input_amounts_with_a_fraction_of_a_fen_are_refused_not_rounded() -> None:
    with pytest.raises(ValidationError, match="不足一分的零头"):
        Receipt.model_validate({"amount": "1000.005", "rate": "1"})
    assert to_exact_money("1,000.50") == Decimal("1000.50")
    assert to_exact_money("7") == Decimal("7.00")


def test_pydantic_field_refuses_float() -> None:
    with pytest.raises(ValidationError, match="拒绝浮点数"):
        Receipt.model_validate({"amount": 1.5, "rate": "1"})


@given(st.decimals(min_value=-(10**12), max_value=10**12, places=2, allow_nan=False))
def test_grouped_text_round_trips(value: Decimal) -> None:
    grouped = f"{value:,.2f}"
    assert to_money(grouped) == value
    assert to_money(format_money(value)) == value


def test_absurdly_large_input_amounts_are_refused_cleanly() -> None:
    with pytest.raises(MoneyError, match="不是合理的金额"):
        to_exact_money("9" * 30)
