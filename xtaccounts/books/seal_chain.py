"""The chain of seals: each seal commits to the one before it, so none can be removed quietly.

A seal (``custom "xt-seal" "<through>"`` in ``seals.beancount``) records the digest of every
entry up to its day and of the registry rows they depend on (`registry_snapshot`). Its *link*
is ``SHA-256(previous link, through, digest, registry digest)``, the first seal's
previous link being empty; a seal written since the chain exists records its own link as
``chain`` and the one before as ``previous``. The last link, the *head*, stands for every seal:
each export's manifest carries it, and `xtaccounts audit --expect-seal HEAD` fails when the
books' chain no longer holds a head the finance bureau was given. docs/audit.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from beancount.core import data

from xtaccounts.core.dates import meta_day
from xtaccounts.core.vocabulary import META_REGISTRY

SEAL_TYPE = "xt-seal"
SEALS_FILE = "seals.beancount"
SEALS_DIR = "seals"
NO_PREVIOUS = "none"


@dataclass(frozen=True)
class SealLink:
    """One seal of the chain, oldest first: the entry, its day, digest and link."""

    entry: data.Custom
    through: dt.date
    digest: str
    previous: str  # the link before (NO_PREVIOUS for the first)
    link: str


def link_of(previous: str, through: dt.date, digest: str, registry: str = "") -> str:
    """The link of a seal after `previous` (NO_PREVIOUS for the first): the entries' digest
    and the digest of the registry rows it keeps (empty for a seal that keeps none)."""
    before = "" if previous == NO_PREVIOUS else previous
    text = f"{before}\n{through.isoformat()}\n{digest}\n{registry}"
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def seal_through(seal: data.Custom) -> dt.date:
    """The last day a seal covers (its value; its date if that is unreadable)."""
    try:
        return meta_day(seal.values[0].value)
    except (IndexError, ValueError):
        return seal.date


def seal_entries(entries: Iterable[data.Directive]) -> list[data.Custom]:
    """The seals of the books, oldest first."""
    seals = [e for e in entries if isinstance(e, data.Custom) and e.type == SEAL_TYPE]
    return sorted(seals, key=seal_through)


def seal_chain(entries: Iterable[data.Directive]) -> list[SealLink]:
    """The chain as the books hold it now, recomputed from each seal's day and digest."""
    links: list[SealLink] = []
    previous = NO_PREVIOUS
    for seal in seal_entries(entries):
        through = seal_through(seal)
        digest = str(seal.meta.get("digest", ""))
        link = link_of(previous, through, digest, str(seal.meta.get(META_REGISTRY, "")))
        links.append(SealLink(seal, through, digest, previous, link))
        previous = link
    return links


def chain_head(entries: Iterable[data.Directive]) -> SealLink | None:
    """The last link of the chain (None: the books are not sealed)."""
    chain = seal_chain(entries)
    return chain[-1] if chain else None
