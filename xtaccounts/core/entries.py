"""Building the directives the project writes: CNY postings, fen-exact balance assertions and
their metadata."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from beancount.core import data
from beancount.core.amount import Amount

from xtaccounts.core.money import MoneyError, exact_decimal
from xtaccounts.core.vocabulary import CURRENCY, FEN, ZERO

# The tolerance of every balance assertion the project writes: none, the balance is exact to the
# fen (written ``balance <account> 1234.56 ~ 0.00 CNY``; without it Beancount would infer half
# of the last digit).
FEN_EXACT = ZERO


def entry_meta(relpath: str, **values: object) -> dict:
    """Metadata of a new directive of file `relpath`; values that are None are left out."""
    meta = data.new_metadata(relpath, 0)
    meta.update({k: v for k, v in values.items() if v is not None})
    return meta


def posting(account: str, amount: Decimal, **meta: object) -> data.Posting:
    """A CNY posting; metadata with None values left out."""
    values = {k: v for k, v in meta.items() if v is not None}
    return data.Posting(account, data.Amount(amount, CURRENCY), None, None, None, values or None)


def fen_exact_balance(
    day: dt.date, account: str, amount: Decimal, meta: dict | None = None
) -> data.Balance:
    """A ``balance`` assertion that `account` holds exactly `amount` CNY at the start of `day`:
    tolerance 0.00, the amount quantised to the fen; an amount with a part of a fen is refused
    (MoneyError), as a float is (TypeError). `meta` defaults to an empty directive's."""
    number = exact_decimal(amount, f"balance of {account} on {day}")
    if number != number.quantize(FEN):
        raise MoneyError(
            f"balance of {account} on {day}: {amount} has a fraction of a fen (more than two "
            "decimals)"
        )
    if meta is None:
        meta = data.new_metadata("<xtaccounts>", 0)
    units = data.Amount(number.quantize(FEN), CURRENCY)
    return data.Balance(meta, day, account, units, FEN_EXACT, None)


def units_of(p: data.Posting) -> data.Amount:
    """The units of a posting of the loaded books (booking has filled every one in)."""
    assert p.units is not None, p
    return p.units


def number_of(p: data.Posting) -> Decimal:
    """The number of a posting's units in the loaded books (always there after booking)."""
    number = units_of(p).number
    assert number is not None, p
    return number


def plain_units(posting: data.Posting) -> Amount | None:
    """A posting's units if they are a plain amount: a number, no cost, no price."""
    units = posting.units
    if (
        posting.cost is not None
        or posting.price is not None
        or not isinstance(units, Amount)
        or not isinstance(units.number, Decimal)
    ):
        return None
    return units
