"""Tests of the writer's fast path (xtaccounts.books.fast_check, write_snapshot): when the
snapshot is kept, used, and not trusted."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.helpers import snapshot, write_files
from xtaccounts.books import writer
from xtaccounts.books.load import load_books
from xtaccounts.books.write_snapshot import load_snapshot
from xtaccounts.books.writer import LedgerWriter, WriteRefused

BOOKS = {
    "main.beancount": """\
option "operating_currency" "CNY"
plugin "xtaccounts.plugins.fund_rules"
include "accounts.beancount"
include "txns.beancount"
""",
    "accounts.beancount": """\
2026-01-01 open Assets:Bank CNY
2026-01-01 open Liabilities:Suspense CNY
2026-01-01 open Income:Deposits CNY
""",
    "txns.beancount": """\
2026-01-02 * "first"
  Assets:Bank  10.00 CNY
  Liabilities:Suspense  -10.00 CNY
""",
}


def receipt(day: str, number: str = "5.00") -> str:
    postings = f"  Assets:Bank  {number} CNY\n  Liabilities:Suspense  -{number} CNY\n"
    return f'{day} * "receipt"\n' + postings


@pytest.fixture
def books(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XT_CACHE_DIR", str(tmp_path / "cache"))
    return write_files(tmp_path / "books", BOOKS) / "main.beancount"


@pytest.fixture
def full_loads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The writer's full loads of the books after a change, counted."""
    loads: list[Path] = []
    real = writer.load_books

    def counted(main: Path, *args: object, **kwargs: object) -> object:
        loads.append(main)
        return real(main, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(writer, "load_books", counted)
    return loads


def commit(main: Path, text: str, relpath: str = "txns.beancount", **kw: bool) -> None:
    with LedgerWriter(main) as session:
        session.append(relpath, text)
        session.commit(**kw)


def test_the_first_write_loads_once_and_keeps_a_snapshot_the_next_write_uses(
    books: Path, full_loads: list[Path]
) -> None:
    commit(books, receipt("2026-01-03"))
    # the books as they are, loaded once: the snapshot built from that load vouches for the
    # change, so they are not loaded again with it
    assert len(full_loads) == 1
    assert load_snapshot(books) is not None
    commit(books, receipt("2026-01-04") + "\n2026-01-05 balance Assets:Bank  20.00 CNY\n")
    assert len(full_loads) == 1  # the fast path loaded nothing
    loaded = load_books(books)
    assert not loaded.errors
    assert sum(1 for e in loaded.entries if type(e).__name__ == "Transaction") == 3
    text = (books.parent / "txns.beancount").read_text()
    assert text.count("voucher:") == 2 and 'voucher: "记-2026-01-0002"' in text


def test_what_the_snapshot_cannot_vouch_for_goes_to_the_full_load(
    books: Path, full_loads: list[Path]
) -> None:
    commit(books, receipt("2026-01-03"))
    with pytest.raises(WriteRefused, match="Balance failed"):
        commit(books, "2026-01-05 balance Assets:Bank  99.00 CNY\n")
    with pytest.raises(WriteRefused, match="not whole fen"):
        commit(books, receipt("2026-01-05", "1.005"))
    assert len(full_loads) == 1 + 2 * 2  # each refused change: before and after it
    # a file changed outside the writer: its digest no longer matches, the snapshot is built
    # again from the books as they are (one load)
    with (books.parent / "txns.beancount").open("a", encoding="utf-8") as handle:
        handle.write(receipt("2026-01-06"))
    commit(books, receipt("2026-01-07"))
    assert len(full_loads) == 6


def test_a_copy_of_the_books_finds_the_snapshot_by_content(
    books: Path, full_loads: list[Path], tmp_path: Path
) -> None:
    commit(books, receipt("2026-01-03"))
    copy = tmp_path / "copy"
    shutil.copytree(books.parent, copy)
    commit(copy / "main.beancount", receipt("2026-01-04"))
    assert len(full_loads) == 1
    assert not load_books(copy / "main.beancount").errors


def test_a_damaged_snapshot_is_no_snapshot(books: Path, full_loads: list[Path]) -> None:
    commit(books, receipt("2026-01-03"))
    for kept in (books.parent.parent / "cache").glob("write-snapshot-*"):
        kept.write_bytes(kept.read_bytes()[:100])
    assert load_snapshot(books) is None
    commit(books, receipt("2026-01-04"))
    assert len(full_loads) == 2  # the books loaded again, not a second time with the change
    assert load_snapshot(books) is not None


def test_books_with_errors_keep_no_snapshot(books: Path, full_loads: list[Path]) -> None:
    (books.parent / "accounts.beancount").write_text(
        BOOKS["accounts.beancount"] + "2026-01-01 balance Assets:Bank  1.00 CNY\n", "utf-8"
    )
    commit(books, receipt("2026-01-03"))
    assert load_snapshot(books) is None


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ('pushtag #audit\n2026-01-02 * "tagged"\n  Assets:Bank  1.00 CNY\n'
         "  Liabilities:Suspense  -1.00 CNY\npoptag #audit\n", False),
        ('pushmeta source: "x"\n2026-01-02 * "with metadata"\n  Assets:Bank  1.00 CNY\n'
         '  Liabilities:Suspense  -1.00 CNY\npopmeta source:\n', False),
        ('2026-01-02 * "a stage of the metadata: tags, include"\n  Assets:Bank  1.00 CNY\n'
         "  Liabilities:Suspense  -1.00 CNY\n", True),
    ],
)  # fmt: skip
def test_pushed_tags_and_metadata_keep_no_snapshot(books: Path, text: str, kept: bool) -> None:
    """A file whose parse depends on more than its own lines is not plain; its words alone, in
    text, do not make it so."""
    path = books.parent / "txns.beancount"
    path.write_text(BOOKS["txns.beancount"] + text, "utf-8")
    commit(books, receipt("2026-01-03"))
    assert (load_snapshot(books) is not None) is kept


def test_a_dry_run_on_the_fast_path_writes_nothing(books: Path, full_loads: list[Path]) -> None:
    commit(books, receipt("2026-01-03"))
    before = (books.parent / "txns.beancount").read_bytes()
    commit(books, receipt("2026-01-04"), dry_run=True)
    assert len(full_loads) == 1
    assert (books.parent / "txns.beancount").read_bytes() == before


def test_the_cache_keeps_the_latest_snapshots_only(
    books: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("xtaccounts.books.write_snapshot.KEEP", 2)
    for n in range(4):  # four books of different content: four snapshots, two kept
        copy = write_files(tmp_path / f"books{n}", {**BOOKS, "main.beancount": BOOKS[
            "main.beancount"] + f"; copy {n}\n"}) / "main.beancount"  # fmt: skip
        commit(copy, receipt("2026-01-03"))
    assert len(list((tmp_path / "cache").glob("write-snapshot-*"))) == 2
    assert load_snapshot(copy) is not None


def test_a_new_file_is_included_on_the_fast_path(books: Path, full_loads: list[Path]) -> None:
    commit(books, receipt("2026-01-03"))
    commit(books, receipt("2026-02-01"), relpath="txns/2026/other.beancount")
    commit(books, receipt("2026-02-02"), relpath="txns/2026/other.beancount")
    assert len(full_loads) == 1  # the new file and the next write to it: no load
    main_text = books.read_text(encoding="utf-8")
    assert main_text.endswith('include "txns.beancount"\ninclude "txns/2026/other.beancount"\n')
    assert load_snapshot(books) is not None  # kept under the top-level file's new content
    loaded = load_books(books)
    assert not loaded.errors
    assert sum(1 for e in loaded.entries if type(e).__name__ == "Transaction") == 4


def test_the_snapshot_keeps_its_state_through_the_disk(books: Path) -> None:
    """The per-account state is kept in columns on disk: it comes back as it was, order too."""
    import pickle

    from xtaccounts.books.write_snapshot import save_snapshot

    commit(books, receipt("2026-01-03") + "\n2026-01-05 balance Assets:Bank  15.00 CNY\n")
    kept = load_snapshot(books)
    assert kept is not None
    kept.closed["Income:Deposits"] = kept.opens["Income:Deposits"][0]
    kept.settled["1904021109200088821"] = kept.last_balance["Assets:Bank"]
    again = pickle.loads(pickle.dumps(kept))
    assert again == kept
    for name in ("opens", "balances", "last_posting", "last_balance", "closed", "settled"):
        assert list(getattr(again, name).items()) == list(getattr(kept, name).items()), name
    assert {a: str(n) for a, n in again.balances.items()} == {
        "Assets:Bank": "15.00",
        "Liabilities:Suspense": "-15.00",
    }
    save_snapshot(again)
    assert load_snapshot(books) == again


def test_a_settled_session_lets_the_books_go_and_writes_what_it_would_have(
    books: Path, full_loads: list[Path], tmp_path: Path
) -> None:
    """`settle`: with no snapshot on disk, the one built from the books the session loaded is
    kept and the books and their parses let go; the change is then decided on it, and written
    as without settling. A change it does not vouch for loads the books again and is refused
    with the full load's errors."""
    other = tmp_path / "other"
    shutil.copytree(books.parent, other)
    for main, settle in ((books, True), (other / "main.beancount", False)):
        with LedgerWriter(main) as session:
            session.books()
            if settle:
                session.settle()
                assert session._books is None and session._snapshot is not None
                assert session._parsed.signature_of(str(main)) is None  # the parses let go
            session.append("txns.beancount", receipt("2026-01-03"))
            session.commit()
    assert len(full_loads) == 2  # one load each: neither loaded the books with the change
    assert snapshot(books.parent) == snapshot(other)
    with LedgerWriter(books) as session:
        session.books()
        session.settle()  # a snapshot on disk matches: nothing to do, the books are kept
        assert session._books is not None
    for path in Path(tmp_path / "cache").glob("write-snapshot-*"):
        path.unlink()
    full_loads.clear()
    with pytest.raises(WriteRefused, match="Balance failed"), LedgerWriter(books) as session:
        session.books()
        session.settle()
        session.append("txns.beancount", "2026-01-05 balance Assets:Bank  99.00 CNY\n")
        session.commit()
    assert len(full_loads) == 3  # the first load; after settling, before and after the change


def test_entries_staged_in_chunks_write_what_one_chunk_would(
    books: Path, full_loads: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`append_entries` formats a large change `ENTRIES_A_CHUNK` entries at a time, and the
    fast path reads it back and writes it in pieces (`NewContent`): the same bytes as one
    chunk, and the commit's text, read back from the file, is the text appended."""
    from beancount.parser import parser

    text = "\n".join(receipt(f"2026-01-{day:02d}", f"{day}.00") for day in range(3, 10))
    entries, errors, _ = parser.parse_string(text)
    assert not errors and len(entries) == 7
    other = tmp_path / "other"
    shutil.copytree(books.parent, other)
    texts = []
    for main, size in ((books, 2), (other / "main.beancount", 1000)):
        monkeypatch.setenv("XT_CACHE_DIR", str(tmp_path / f"cache-{size}"))
        commit(main, receipt("2026-01-02"))  # a snapshot on disk: the next commit is fast
        monkeypatch.setattr(writer, "ENTRIES_A_CHUNK", size)
        loads = len(full_loads)
        with LedgerWriter(main) as session:
            session.append_entries("txns.beancount", entries)
            assert len(session._staged[main.parent / "txns.beancount"]) == (4 if size == 2 else 1)
            result = session.commit()
        assert len(full_loads) == loads  # the fast path took it
        texts.append(result.text[main.parent / "txns.beancount"])
        assert (main.parent / "txns.beancount").read_text().endswith(texts[-1])
    assert texts[0] == texts[1] and texts[0].count('voucher: "记-2026-01-') == 7
    assert snapshot(books.parent) == snapshot(other)
    assert not load_books(books).errors
