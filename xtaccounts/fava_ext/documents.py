"""The books' source documents in Fava: listed on its Documents page, linked from the entries.

Fava knows a document only as a Beancount ``document`` entry, and links an entry to one only
through metadata whose key begins with ``document`` (its journal renders such a value as a link
that opens the file). The books name neither (`xtaccounts.books.documents`): so, on each load,
the extension adds to Fava's view of the books (not to the books' files, nor to what any command
reads):

- a ``document`` entry for every dated file in an account's folder under ``documents/``
  (Beancount's own `find_documents`, as ``option "documents"`` would; the archived bank
  statements), unless the books already produce it;
- a ``document`` entry, on the pool's account, for every notice (PDF and page) and vote tally an
  insurance record names;
- on every entry booked from a statement, ``document: "<archived file name>"`` (Fava finds the
  file by its name among the documents of the entry's bank account);
- on every notice, ``document-pdf`` and ``document-html``; on every vote, its ``document``
  rewritten relative to the entry's own file, the way Fava resolves it (the books write it
  relative to the ledger's root, which Fava cannot open).

`LinkedBooks.documents` keeps, by ``id(entry)`` of the entries handed to Fava, each entry's
documents as (what it is, absolute path), for the pilot's pages to link.

The links are written into the entries' own metadata (the entries are Fava's, read again from
the files on each load): copying every linked entry with a new metadata dict would hold a second
copy of a quarter of the books while Fava's view is rebuilt. An entry whose metadata dict is
shared with another entry (a plugin may build several from one) is copied instead, so nothing
but the linked entry gets the link. The entries of the same statement share one tuple of their
documents.
"""

from __future__ import annotations

import bisect
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from beancount.core import data
from beancount.ops.documents import find_documents

from xtaccounts.books.documents import (
    NOTICE_TYPE,
    VOTE_TYPE,
    archived_statements,
    record_documents,
    statement_sources,
)
from xtaccounts.books.layout import LedgerLayout
from xtaccounts.core import chart
from xtaccounts.core.vocabulary import META_POOL

APPLICATION_TYPE = "xt-application"
# What each document is, as the pages say it; and the metadata key Fava links it by.
LABELS = {
    (NOTICE_TYPE, "pdf"): ("公示（PDF）", "document-pdf"),
    (NOTICE_TYPE, "html"): ("公示（网页）", "document-html"),
    (VOTE_TYPE, "document"): ("表决计票表", "document"),
}
STATEMENT_LABEL = "银行对账单"


Documents = dict[int, tuple[tuple[str, str], ...]]


@dataclass
class LinkedBooks:
    """Fava's entries with the documents added, and each entry's documents."""

    entries: list[data.Directive]
    documents: Documents = field(default_factory=dict)


def _relative(path: Path, entry: data.Directive) -> str | None:
    """`path` relative to the file the entry is written in (how Fava resolves a document)."""
    filename = entry.meta.get("filename") if entry.meta else None
    if not isinstance(filename, str) or not os.path.isfile(filename):
        return None
    return os.path.relpath(path, os.path.dirname(os.path.abspath(filename)))


def _pool_accounts(entries: Sequence[data.Directive]) -> dict[str, str]:
    """Application id -> the account of the pool that pays for it."""
    account_of_pool = {
        str(e.meta[META_POOL]): e.account
        for e in entries
        if isinstance(e, data.Open)
        and e.account.startswith(chart.POOL + ":")
        and META_POOL in e.meta
    }
    accounts = {}
    for entry in entries:
        if isinstance(entry, data.Custom) and entry.type == APPLICATION_TYPE and entry.values:
            pool = entry.meta.get(META_POOL)
            if pool is not None and str(pool) in account_of_pool:
                accounts[str(entry.values[0].value)] = account_of_pool[str(pool)]
    return accounts


def _shared_metadata(entries: Sequence[data.Directive], linked: dict[int, int]) -> set[int]:
    """The ids of the entries to link (`linked`: id of an entry's metadata -> id of the entry)
    whose metadata dict another entry holds too."""
    shared = set()
    for entry in entries:
        owner = linked.get(id(entry.meta))
        if owner is not None and owner != id(entry):
            shared.add(owner)
    return shared


def link_documents(layout: LedgerLayout, entries: Sequence[data.Directive]) -> LinkedBooks:
    """Fava's entries with the documents added and linked (see the module's docstring): the
    linked entries' metadata is changed in place, and the list returned holds the same entries
    (except those whose metadata dict was shared, copied) and the documents added."""
    accounts = {e.account for e in entries if isinstance(e, data.Open)}
    known = {e.filename for e in entries if isinstance(e, data.Document)}
    added: list[data.Directive] = []
    if layout.documents.is_dir():
        found, _ = find_documents(str(layout.documents.resolve()), str(layout.main), accounts)
        added += [d for d in found if d.filename not in known]

    # What each entry gets: (metadata key, value, label, path), in order.
    links: dict[int, list[tuple[str, str, str, str]]] = {}
    by_id: dict[int, data.Directive] = {}
    # One path string and one link per statement (thousands of entries share a statement).
    statement_link: dict[Path, tuple[str, str, str]] = {}
    sources = statement_sources(entries, archived_statements(layout, accounts))
    if sources:
        for entry in entries:
            statement = sources.get(id(entry))
            if statement is None:
                continue
            key = "document" if "document" not in entry.meta else "document-statement"
            name, label, path = statement_link.setdefault(
                statement.path, (statement.path.name, STATEMENT_LABEL, str(statement.path))
            )
            by_id[id(entry)] = entry
            links[id(entry)] = [(key, name, label, path)]

    pools = _pool_accounts(entries)
    for record in record_documents(layout, entries):
        label, key = LABELS[record.entry.type, record.key]
        value = _relative(record.path, record.entry)
        if value is not None:
            by_id[id(record.entry)] = record.entry
            links.setdefault(id(record.entry), []).append((key, value, label, str(record.path)))
        pool_account = pools.get(str(record.entry.values[0].value)) if record.entry.values else None
        if str(record.path) not in known and pool_account is not None:
            known.add(str(record.path))
            added.append(
                data.Document(
                    data.new_metadata(str(layout.main), 0),
                    record.entry.date,
                    pool_account,
                    str(record.path),
                    data.EMPTY_SET,
                    data.EMPTY_SET,
                )
            )

    if not added and not links:
        return LinkedBooks(list(entries))
    shared = _shared_metadata(entries, {id(e.meta): i for i, e in by_id.items()})
    replaced: dict[int, data.Directive] = {}
    documents: Documents = {}
    # Entries of one statement get the same tuple of documents.
    interned: dict[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]] = {}
    for entry_id, entry_links in links.items():
        entry = by_id[entry_id]
        meta = {key: value for key, value, _, _ in entry_links}
        if entry_id in shared:
            entry = entry._replace(meta={**entry.meta, **meta})
            replaced[entry_id] = entry
        else:
            entry.meta.update(meta)
        found_documents = tuple((label, path) for _, _, label, path in entry_links)
        documents[id(entry)] = interned.setdefault(found_documents, found_documents)
    linked = [replaced.get(id(e), e) for e in entries] if replaced else list(entries)
    for document in added:  # a few: each put in its place by a binary search
        bisect.insort(linked, document, key=data.entry_sortkey)
    return LinkedBooks(linked, documents)
