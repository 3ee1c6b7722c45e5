"""Beancount's `pad` step (`beancount.ops.pad`), run only on books that have a `pad` directive.

Without one, Beancount's step inserts nothing and reports nothing, but first sorts every posting
of the books by account (a twentieth of a city-scale load). `load_books` runs this in its place:
the same entries and errors either way (`tests/books/test_load.py`).
"""

from __future__ import annotations

from typing import Any

from beancount.core import data
from beancount.ops import pad as beancount_pad

__plugins__ = ("pad",)


def pad(entries: list[Any], options_map: dict[str, Any]) -> tuple[list[Any], list[Any]]:
    """`beancount.ops.pad.pad`, which books without a `pad` directive pass through unchanged."""
    if not any(isinstance(entry, data.Pad) for entry in entries):
        return list(entries), []
    return beancount_pad.pad(entries, options_map)
