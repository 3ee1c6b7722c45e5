"""What the server keeps leaner gives the same answers as before: the documents linked into
Fava's own entries (not copies of them), the transactions' shared tolerances, the pools page
reading a row's details only when it is shown."""

from __future__ import annotations

import bisect
import datetime as dt
from decimal import Decimal
from pathlib import Path

from beancount.core import data
from beancount.core.compare import hash_entry
from beancount.core.interpolate import AUTOMATIC_TOLERANCES
from beancount.ops.documents import find_documents
from beancount.utils.defdict import ImmutableDictWithDefault

from xtaccounts.books.documents import archived_statements, record_documents, statement_sources
from xtaccounts.books.layout import LedgerLayout
from xtaccounts.books.load import load_books
from xtaccounts.books.shared_meta import share_tolerances
from xtaccounts.fava_ext.documents import (
    LABELS,
    STATEMENT_LABEL,
    _pool_accounts,
    _relative,
    link_documents,
)
from xtaccounts.fava_ext.views import PilotViews, pools_view
from xtaccounts.insurance.rules import quote
from xtaccounts.reading.ledger import open_ledger
from xtaccounts.registry.navigation import pool_elevators
from xtaccounts.reports.balances import pool_balances


def _copying_link(layout: LedgerLayout, entries: list[data.Directive]):
    """The linking as it was: every linked entry copied with a new metadata dict."""
    accounts = {e.account for e in entries if isinstance(e, data.Open)}
    known = {e.filename for e in entries if isinstance(e, data.Document)}
    found, _ = find_documents(str(layout.documents.resolve()), str(layout.main), accounts)
    added: list[data.Directive] = [d for d in found if d.filename not in known]
    replaced: dict[int, data.Directive] = {}
    documents: dict[int, list[tuple[str, str]]] = {}

    def link(entry, key, value, label, path) -> None:
        current = replaced.get(id(entry), entry)
        replaced[id(entry)] = current._replace(meta={**current.meta, key: value})
        documents.setdefault(id(entry), []).append((label, str(path)))

    sources = statement_sources(entries, archived_statements(layout, accounts))
    by_id = {id(e): e for e in entries}
    for entry_id, statement in sources.items():
        entry = by_id[entry_id]
        key = "document" if "document" not in entry.meta else "document-statement"
        link(entry, key, statement.path.name, STATEMENT_LABEL, statement.path)
    pools = _pool_accounts(entries)
    for record in record_documents(layout, entries):
        label, key = LABELS[record.entry.type, record.key]
        value = _relative(record.path, record.entry)
        if value is not None:
            link(record.entry, key, value, label, record.path)
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
    linked = [replaced.get(id(e), e) for e in entries]
    for document in added:
        bisect.insort(linked, document, key=data.entry_sortkey)
    return linked, {id(replaced[k]): v for k, v in documents.items()}


def test_linking_in_place_gives_what_copying_gave(demo_books: Path) -> None:
    layout = LedgerLayout(demo_books)
    before = load_books(demo_books).entries
    old_entries, old_documents = _copying_link(layout, before)
    old_hashes = [hash_entry(e) for e in old_entries]
    old_metas = [dict(e.meta) for e in old_entries]
    old_links = [old_documents.get(id(e)) for e in old_entries]

    entries = load_books(demo_books).entries
    linked = link_documents(layout, entries)
    assert [hash_entry(e) for e in linked.entries] == old_hashes
    assert [dict(e.meta) for e in linked.entries] == old_metas
    assert [
        list(linked.documents[id(e)]) if id(e) in linked.documents else None for e in linked.entries
    ] == old_links
    assert sum(1 for link in old_links if link) == len(linked.documents) > 30
    # The entries are the loaded ones, linked in place (no entry of the books was copied).
    assert sum(1 for e in linked.entries if not isinstance(e, data.Document)) == len(entries)
    assert all(any(e is x for x in entries) for e in linked.entries[:50] if e.meta["lineno"])
    # Entries of one statement share one tuple of documents.
    assert len({id(v) for v in linked.documents.values()}) < len(linked.documents)


def test_an_entry_whose_metadata_another_entry_holds_is_copied(demo_books: Path) -> None:
    layout = LedgerLayout(demo_books)
    entries = load_books(demo_books).entries
    statement = next(e for e in entries if e.meta.get("statement") and "document" not in e.meta)
    at = next(i for i, e in enumerate(entries) if e is statement)
    note = data.Note(statement.meta, statement.date, "Assets:Cash", "shares it", None, None)
    entries.insert(at + 1, note)
    keys = set(statement.meta)
    linked = link_documents(layout, entries)
    assert set(note.meta) == keys == set(statement.meta)  # neither dict was changed
    copy = next(
        e
        for e in linked.entries
        if type(e) is type(statement)
        and (e.meta.get("filename"), e.meta.get("lineno"))
        == (statement.meta["filename"], statement.meta["lineno"])
    )
    assert copy is not statement and copy.meta["document"]
    assert linked.documents[id(copy)][0][0] == "银行对账单"
    assert note in linked.entries


def test_equal_tolerances_are_shared_and_nothing_else_changes(demo_books: Path) -> None:
    entries = load_books(demo_books).entries
    transactions = [e for e in entries if isinstance(e, data.Transaction)]
    hashes = [hash_entry(e) for e in entries]
    metas = [dict(e.meta) for e in entries]
    # One with the same number written otherwise: equal, not the same metadata.
    odd = transactions[0].meta[AUTOMATIC_TOLERANCES]
    other = ImmutableDictWithDefault(
        {k: Decimal(str(v)) * Decimal("1.0") for k, v in odd.items()}, default=odd.default
    )
    transactions[0].meta[AUTOMATIC_TOLERANCES] = other
    metas[entries.index(transactions[0])][AUTOMATIC_TOLERANCES] = other
    hashes[entries.index(transactions[0])] = hash_entry(transactions[0])
    distinct = {id(e.meta[AUTOMATIC_TOLERANCES]) for e in transactions}
    shared = share_tolerances(entries)
    assert shared > 0 and shared == len(distinct) - len(
        {id(e.meta[AUTOMATIC_TOLERANCES]) for e in transactions}
    )
    assert [hash_entry(e) for e in entries] == hashes
    assert [dict(e.meta) for e in entries] == metas
    assert [list(e.meta) for e in entries] == [list(m) for m in metas]
    assert transactions[0].meta[AUTOMATIC_TOLERANCES] is other
    assert len({id(e.meta[AUTOMATIC_TOLERANCES]) for e in transactions}) <= 3


def test_the_pools_rows_read_when_shown_are_those_of_pool_balances(demo_books: Path) -> None:
    ledger = open_ledger(demo_books)
    views = PilotViews(ledger)
    for day in (dt.date(2024, 6, 30), dt.date(2025, 9, 30), dt.date(2025, 12, 31)):
        view = pools_view(ledger.registry, views.state(day), ledger.positions, day)
        balances = pool_balances(ledger.registry, ledger.positions, day)
        assert [r.pool for r in view.rows] == [b.pool for b in balances]
        for row, balance in zip(view.rows, balances, strict=True):
            assert "details" not in row.__dict__  # nothing read beyond the balance yet
            assert (row.balance, row.district) == (balance.available, balance.district)
            assert (row.name, row.account) == (balance.name, balance.account)
            assert row.level == ("楼栋" if balance.level == "building" else "单元")
            codes = pool_elevators(ledger.registry, row.pool)
            insurer = next(
                (a.insurer for a in sorted(
                    views.state(day).book.applications.values(), key=lambda a: (a.filed, a.id)
                ) if a.pool == row.pool),
                view.insurer,
            )  # fmt: skip
            priced = quote(ledger.registry, insurer, codes, day, day, or_latest=True).premiums
            premiums = [priced[c] for c in codes if priced.get(c) is not None]
            assert row.premium == (sum(premiums, Decimal(0)) if premiums else None)
            assert [e.code for e in row.elevators] == codes


class _Node:
    """An object in a reference cycle (only the cycle collector frees it)."""

    def __init__(self) -> None:
        self.me = self


def test_the_loaded_books_are_left_to_the_collector_until_the_next_load(demo_copy: Path) -> None:
    import gc
    import weakref

    from tests.fava_ext.test_extension import EXT, _client

    try:
        cycle = _Node()
        gone = weakref.ref(cycle)
        client = _client(demo_copy)
        fava = client.app_.config["LEDGERS"].ledgers[0]
        assert fava.extensions.get_extension(EXT) is not None
        frozen = gc.get_freeze_count()
        assert frozen > 0  # the load's objects (and the cycle) are out of the collector's way
        del cycle
        gc.collect()
        assert gone() is not None  # frozen: not collected
        fava.load_file()  # a reload hands the previous load back to the collector first
        assert gone() is None
        assert gc.get_freeze_count() < frozen * 1.5
    finally:
        gc.unfreeze()
