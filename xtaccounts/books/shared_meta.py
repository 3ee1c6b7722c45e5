"""One copy of what Beancount's booking writes alike into every transaction's metadata.

Booking gives each transaction's metadata its own ``__tolerances__`` (the inferred tolerance of
each currency, an immutable dict), although nearly all of them are the same: in a city's books
one currency at two decimals. Beancount sets it and never reads it again after booking; Fava
leaves it out of what it shows. A process that keeps the books loaded (Fava) holds one such dict,
with its own Decimal, per transaction: about 40 MiB at ×1. `share_tolerances` makes the equal
ones one object; every entry's metadata keeps the same keys, in the same order, with equal values
(the same text, so the same hash of the entry).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any

from beancount.core import data
from beancount.core.interpolate import AUTOMATIC_TOLERANCES
from beancount.utils.defdict import ImmutableDictWithDefault


def _key(tolerances: ImmutableDictWithDefault) -> Hashable:
    """What makes two tolerance dicts the same: their items in order and their default, each
    value with its exact text (0.005 and 0.0050 are equal numbers, not the same metadata)."""
    items = tuple((key, type(value), str(value)) for key, value in dict.items(tolerances))
    default = tolerances.default
    return items, type(default), str(default)


def share_tolerances(entries: Iterable[data.Directive]) -> int:
    """Make the transactions' equal ``__tolerances__`` one shared object (in place); returns
    how many were replaced by an earlier equal one."""
    seen: dict[Hashable, Any] = {}
    shared = 0
    for entry in entries:
        if not isinstance(entry, data.Transaction):
            continue
        meta = entry.meta
        tolerances = meta.get(AUTOMATIC_TOLERANCES) if meta else None
        if type(tolerances) is not ImmutableDictWithDefault:
            continue
        kept = seen.setdefault(_key(tolerances), tolerances)
        if kept is not tolerances:
            meta[AUTOMATIC_TOLERANCES] = kept
            shared += 1
    return shared
