"""CNY amounts and annual rates as Decimal, with the text forms found in statements.

`Money` is a Decimal quantised to 0.01 CNY (half-up); `Rate` is an annual rate in percent
(``Decimal("1.95")`` means 1.95 %). Both are usable as pydantic field types. Floats are refused
everywhere: a binary float cannot say which fen it meant.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer

from xtaccounts.core.i18n import _
from xtaccounts.core.vocabulary import FEN

# Far beyond any fund, and small enough that 积数 (balance × days) keeps 28 digits exact.
MAX_AMOUNT = Decimal("1000000000000000")

# Text that means "no amount" in bank statements.
PLACEHOLDERS = frozenset({"", "-", "--", "—", "——", "/", "无"})

_CURRENCY_MARKS = re.compile(r"(?:CNY|RMB|人民币|元)$|^(?:CNY|RMB|人民币)|[¥￥]", re.IGNORECASE)
# ASCII digits only: after NFKC a full-width digit is ASCII, and any other digit (Arabic-Indic,
# Devanagari, superscript, circled ...) was refused before (`first_foreign_digit`).
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_GROUPED_NUMBER = re.compile(r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?")
_FULL_WIDTH_DIGITS = frozenset("０１２３４５６７８９")


class MoneyError(ValueError):
    """A value that is not a valid amount or rate; the message says why."""


def exact_decimal(value: object, what: str) -> Decimal:
    """An exact finite Decimal for arithmetic (ints accepted); floats and booleans refused.

    For values already in the program (weights, balances, computed amounts), unlike
    `parse_decimal`, which reads text.
    """
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"{what}: expected Decimal, got {type(value).__name__} {value!r}")
    number = Decimal(value)
    if not number.is_finite():
        raise ValueError(f"{what}: {number} is not a finite number")
    return number


def quantize(value: Decimal) -> Decimal:
    """Round a Decimal to the fen, half-up."""
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


def first_foreign_digit(text: str) -> str | None:
    """The first character of `text` that is a digit but neither ASCII (0-9) nor full-width
    (０-９), or None. `Decimal` and `int` read Arabic-Indic ``١٢٣``, Devanagari ``१२३`` and
    other scripts' digits, and NFKC turns ``²``, ``①`` or ``𝟏`` into ASCII: none of them is how
    an amount or a date is written here."""
    for char in text:
        if ("0" <= char <= "9") or char in _FULL_WIDTH_DIGITS:
            continue
        if unicodedata.digit(char, None) is not None:
            return char
    return None


def _normalise_text(text: str, what: str = "amount") -> str:
    foreign = first_foreign_digit(text)
    if foreign is not None:
        raise MoneyError(
            f"{what}: {text!r} 含数字 {foreign!r}（U+{ord(foreign):04X}）：只接受 ASCII 数字 "
            "0-9 或全角数字 ０-９"
        )
    # NFKC turns full-width digits, commas, dots, signs and the ideographic space into ASCII.
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("\t", "").replace(" ", "").replace("\u00a0", "")
    text = text.strip("\"'")
    return text


def parse_decimal(value: object, *, what: str = "amount") -> Decimal:
    """Parse an exact Decimal from text, int or Decimal; refuse floats and scientific notation."""
    if isinstance(value, bool):
        raise MoneyError(f"{what}: " + _("布尔值不是数字"))
    if isinstance(value, float):
        raise MoneyError(
            f"{what}: " + _("拒绝浮点数 {value!r}；请以文本或 Decimal 给出").format(value=value)
        )
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise MoneyError(f"{what}: " + _("{value} 不是有限的数").format(value=value))
        return value
    if isinstance(value, int):
        return Decimal(value)
    if not isinstance(value, str):
        raise MoneyError(
            f"{what}: "
            + _("应为文本、整数或 Decimal，实为 {kind}").format(kind=type(value).__name__)
        )
    text = _normalise_text(value, what)
    text = _CURRENCY_MARKS.sub("", text)
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1]
    if text in PLACEHOLDERS:
        raise MoneyError(f"{what}: {value!r} is empty")
    if _GROUPED_NUMBER.fullmatch(text):
        text = text.replace(",", "")
    elif not _PLAIN_NUMBER.fullmatch(text):
        raise MoneyError(f"{what}: {value!r} is not a number")
    try:
        number = Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the regexes admit only valid numbers
        raise MoneyError(f"{what}: {value!r} is not a number") from exc
    return -number if negative else number


def to_money(value: object) -> Decimal:
    """An amount in CNY, rounded half-up to the fen."""
    return quantize(parse_decimal(value, what="amount"))


def to_exact_money(value: object) -> Decimal:
    """An amount given as input (a statement, a registry, a command): whole fen or refused.

    Computed amounts are rounded with `to_money`; an input with a fraction of a fen is a typing
    or export error, and rounding it silently would book a figure nobody wrote.
    """
    number = parse_decimal(value, what="amount")
    if abs(number) >= MAX_AMOUNT:
        raise MoneyError(
            "amount: "
            + _("{value!r} 超过 {max} 元，不是合理的金额").format(
                value=value, max=f"{MAX_AMOUNT:,}"
            )
        )
    if number != number.quantize(FEN):
        raise MoneyError(
            "amount: " + _("{value!r} 有不足一分的零头（超过两位小数）").format(value=value)
        )
    return quantize(number)


def parse_optional_money(value: object) -> Decimal | None:
    """An amount, or None for the placeholders banks use for 'nothing' (``-``, ``--``, blank)."""
    if value is None:
        return None
    if isinstance(value, str) and _normalise_text(value) in PLACEHOLDERS:
        return None
    return to_money(value)


def to_rate(value: object) -> Decimal:
    """An annual rate in percent (``"1.95"``, ``"1.95%"``); between 0 and 100, at most 6 places."""
    if isinstance(value, str):
        text = _normalise_text(value, "rate")
        if text.endswith("%"):
            text = text[:-1]
        value = text
    rate = parse_decimal(value, what="rate")
    if rate < 0 or rate >= 100:
        raise MoneyError(
            "rate: " + _("{rate}% 不在 0 至 100 之间（利率以百分数给出）").format(rate=rate)
        )
    if rate != rate.quantize(Decimal("0.000001")):
        raise MoneyError("rate: " + _("{rate}% 超过 6 位小数").format(rate=rate))
    return rate.normalize() if rate == rate.to_integral() else rate


def format_money(amount: Decimal) -> str:
    """Two decimals, no grouping: the form written into Beancount files and JSON."""
    return f"{quantize(amount):.2f}"


Money = Annotated[
    Decimal,
    BeforeValidator(to_exact_money),
    PlainSerializer(format_money, return_type=str, when_used="json"),
]
"""A CNY amount as a pydantic field: parsed from text, whole fen, floats refused."""

Rate = Annotated[
    Decimal,
    BeforeValidator(to_rate),
    PlainSerializer(str, return_type=str, when_used="json"),
]
"""An annual rate in percent as a pydantic field."""


def grouped_money(amount: Decimal) -> str:
    """Two decimals with thousands separators, ``5,333,479.46``: the form people read (pages,
    charts); `format_money` is the form written into files."""
    return f"{quantize(amount) + 0:,.2f}"
