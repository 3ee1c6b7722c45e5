"""Building the directives the project writes: CNY postings and their metadata."""

from __future__ import annotations

from decimal import Decimal

from beancount.core import data

CURRENCY = "CNY"


def entry_meta(relpath: str, **values: object) -> dict:
    """Metadata of a new directive of file `relpath`; values that are None are left out."""
    meta = data.new_metadata(relpath, 0)
    meta.update({k: v for k, v in values.items() if v is not None})
    return meta


def posting(account: str, amount: Decimal, **meta: object) -> data.Posting:
    """A CNY posting; metadata with None values left out."""
    values = {k: v for k, v in meta.items() if v is not None}
    return data.Posting(account, data.Amount(amount, CURRENCY), None, None, None, values or None)
