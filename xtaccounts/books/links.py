"""Links between entries: which receipt in 待查明款项 a claim settles.

Every amount booked to 待查明款项 from the bank (a suspense *item*) has an identity a claim can
cite, `item_id(entry)`:

- the link the import gave its line (``^<account no>-<serial>``), when it has one (the first
  in order that no claim posting of the same entry cites);
- else a deterministic id made of what the entry itself holds (``sx-<date>-<digest>``: the
  SHA-256 of date, bank account, amount, serial, payer and memo), so items booked before claims
  existed, in closed years, are cited without rewriting them.

A claim is a posting on 待查明款项 with posting metadata ``claim: <item id>``; its transaction
also carries the id as a link when the id is a link (`claim_links`). Nothing else is a claim:
the audit and `claim list` match claims to items by this id, exactly.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from beancount.core import data

from xtaccounts.core import chart
from xtaccounts.core.entries import number_of
from xtaccounts.core.vocabulary import META_CLAIM, META_SERIAL

__all__ = [
    "GENERATED_PREFIX",
    "cited_items",
    "claim_links",
    "claimed_item",
    "is_item_posting",
    "item_id",
    "suspense_postings",
]

GENERATED_PREFIX = "sx-"
_LINK_OK = re.compile(r"^[A-Za-z0-9_/.-]+$")


def suspense_postings(entry: data.Transaction) -> list[data.Posting]:
    """The entry's postings on 待查明款项."""
    return [p for p in entry.postings if p.account == chart.SUSPENSE]


def claimed_item(posting: data.Posting) -> str | None:
    """The item a posting on 待查明款项 claims (its ``claim`` metadata), else None."""
    value = (posting.meta or {}).get(META_CLAIM)
    return str(value) if value else None


def _bank_postings(entry: data.Transaction) -> list[data.Posting]:
    return [p for p in entry.postings if p.account.startswith(chart.BANK + ":")]


def is_item_posting(entry: data.Transaction, posting: data.Posting) -> bool:
    """Whether `posting` books a suspense item: on 待查明款项, no claim, and the entry moves a
    bank account (money the bank received or paid that nobody has identified yet)."""
    return (
        posting.account == chart.SUSPENSE
        and claimed_item(posting) is None
        and bool(_bank_postings(entry))
    )


def item_id(entry: data.Transaction) -> str:
    """The identity of the suspense item `entry` books (see the module doc)."""
    links = sorted(set(entry.links or ()) - cited_items(entry))
    if links:
        return links[0]
    bank = _bank_postings(entry)
    parts = [
        entry.date.isoformat(),
        bank[0].account if bank else "",
        str(number_of(bank[0])) if bank else "",
        str(entry.meta.get(META_SERIAL) or ""),
        str(entry.meta.get("payer") or entry.payee or ""),
        str(entry.meta.get("memo") or entry.narration or ""),
    ]
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:12]
    return f"{GENERATED_PREFIX}{entry.date:%Y%m%d}-{digest}"


def cited_items(entry: data.Transaction) -> frozenset[str]:
    """The item ids the entry's claim postings cite (its links that are claims, not its own)."""
    return frozenset(i for i in (claimed_item(p) for p in suspense_postings(entry)) if i)


def claim_links(items: Iterable[str]) -> frozenset[str]:
    """The links a claim of `items` carries: each id that is a valid Beancount link."""
    return frozenset(i for i in items if _LINK_OK.match(i))
