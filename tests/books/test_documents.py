"""The books' source documents and the entries that came from each."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

from xtaccounts.books.documents import archived_statements, record_documents, statement_sources
from xtaccounts.reading.ledger import open_ledger


def _bank_accounts(books) -> set[str]:
    return {bank.account for bank in books.registry.bank_accounts.values()}


def test_every_statement_entry_of_the_demo_finds_its_archived_file(demo_books: Path) -> None:
    books = open_ledger(demo_books)
    archived = archived_statements(books.layout, _bank_accounts(books))
    assert len(archived) == 30
    from_statements = [e for e in books.entries if e.meta and e.meta.get("statement")]
    sources = statement_sources(books.entries, archived)
    assert len(from_statements) == len(sources) == 80
    assert {id(e) for e in from_statements} == set(sources)
    assert len(Counter(s.path for s in sources.values())) == 30  # every archive has entries
    # The ICBC CSV exports name a nominal period; the archive is named from the lines' days.
    nominal = next(
        e for e in from_statements if e.meta["statement"] == "8821_20240321_20240620.csv"
    )
    assert sources[id(nominal)].path.name == "2024-05-20.ICBC-8821-20240321-20240520.csv"


def test_a_statement_no_single_archive_covers_is_not_guessed(demo_copy: Path) -> None:
    books = open_ledger(demo_copy)
    folder = demo_copy.parent / "documents/Assets/Bank-银行存款/ICBC-工商银行/Demand-活期8821"
    original = folder / "2024-05-20.ICBC-8821-20240321-20240520.csv"
    # A second archive over the same days: the entries could come from either.
    shutil.copy(original, folder / "2024-05-21.ICBC-8821-20240301-20240521.csv")
    archived = archived_statements(books.layout, _bank_accounts(books))
    sources = statement_sources(books.entries, archived)
    unmatched = [
        e
        for e in books.entries
        if e.meta and e.meta.get("statement") == "8821_20240321_20240620.csv"
    ]
    assert unmatched and all(id(e) not in sources for e in unmatched)
    assert len(sources) == 80 - len(unmatched)


def test_notices_and_vote_tallies_named_by_the_records(demo_books: Path) -> None:
    books = open_ledger(demo_books)
    found = record_documents(books.layout, books.entries)
    names = sorted(d.path.name for d in found)
    assert len(found) == 16  # 7 notices (PDF and page), 2 votes
    assert "APP-2024-002.pdf" in names and "APP-2024-002-2024-11-09.csv" in names
    assert all(d.path.is_file() for d in found)
