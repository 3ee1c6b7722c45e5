"""An archived statement's reading kept once made: the same `Statement` back without reading the
file again, read again when the bytes, the layouts or the cached file change."""

from __future__ import annotations

import datetime as dt
import hashlib
import pickle
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from importers import ledger_layouts, read_statement
from importers.layout_files import shipped_layouts
from importers.profiles import BankProfile
from importers.reading_key import reading_key
from xtaccounts.books.layout import LedgerLayout
from xtaccounts.core.bank_statement import Statement
from xtaccounts.core.cache_dir import CACHE_DIR_ENV
from xtaccounts.reading.ledger import open_ledger
from xtaccounts.reports import statement_cache
from xtaccounts.reports.bank_reconciliation import Reconciliation, reconcile
from xtaccounts.reports.statement_cache import CachedStatementReader

SAMPLE = Path(__file__).parents[1] / "importers" / "samples" / "boc-corporate.csv"


class CountingReader:
    """The importers' reader, counting the files it reads."""

    def __init__(self, profiles: Sequence[BankProfile] | None = None) -> None:
        self.profiles = profiles
        self.read: list[Path] = []

    def __call__(self, path: Path) -> Statement:
        self.read.append(path)
        return read_statement(path, self.profiles)


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(statement_cache, "KEEP_SECONDS", 0.0)  # keep even a small reading
    return tmp_path / "cache" / statement_cache.SUBDIR


def test_a_reading_is_kept_and_given_back_without_reading_the_file(
    tmp_path: Path, cache: Path
) -> None:
    path = Path(shutil.copy(SAMPLE, tmp_path / "statement.csv"))
    reader = CountingReader()
    cached = CachedStatementReader(reader, reading_key(shipped_layouts()))
    first = cached(path)
    assert first == read_statement(path) and len(first.lines) > 0
    assert [p.name for p in cache.iterdir()] and reader.read == [path]
    assert cached(path) == first and reader.read == [path]
    # The same bytes elsewhere (another copy of the books): the reading names where it was read.
    elsewhere = Path(shutil.copy(path, tmp_path / "copy.csv"))
    moved = cached(elsewhere)
    assert moved.path == elsewhere and moved.lines == first.lines and reader.read == [path]


def test_changed_bytes_or_layouts_are_read_again(tmp_path: Path, cache: Path) -> None:
    path = Path(shutil.copy(SAMPLE, tmp_path / "statement.csv"))
    reader = CountingReader()
    CachedStatementReader(reader, "layouts A")(path)
    CachedStatementReader(reader, "layouts B")(path)
    assert reader.read == [path, path]
    path.write_bytes(path.read_bytes() + b"\r\n")
    CachedStatementReader(reader, "layouts A")(path)
    assert len(reader.read) == 3 and len(list(cache.iterdir())) == 3


@pytest.mark.parametrize("damage", ["truncated", "flipped", "not a statement"])
def test_a_damaged_reading_is_read_again_and_kept_anew(
    tmp_path: Path, cache: Path, damage: str
) -> None:
    path = Path(shutil.copy(SAMPLE, tmp_path / "statement.csv"))
    reader = CountingReader()
    cached = CachedStatementReader(reader, "key")
    first = cached(path)
    (kept,) = cache.iterdir()
    raw = kept.read_bytes()
    if damage == "truncated":
        kept.write_bytes(raw[:-10])
    elif damage == "flipped":
        kept.write_bytes(raw[:-1] + bytes([raw[-1] ^ 1]))
    else:  # whole and with its digest, but not a statement
        body = pickle.dumps(["lines"])
        head = raw[: len(b"xtaccounts statement reading 1\n")]
        kept.write_bytes(head + hashlib.sha256(body).digest() + body)
    assert cached(path) == first and reader.read == [path, path]
    assert kept.read_bytes() == raw  # kept again, whole


def test_a_quick_reading_is_not_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(statement_cache, "KEEP_SECONDS", 3600.0)
    path = Path(shutil.copy(SAMPLE, tmp_path / "statement.csv"))
    assert CachedStatementReader(read_statement, "key")(path) == read_statement(path)
    assert not (tmp_path / "cache").exists()


def test_a_file_that_cannot_be_read_is_the_readers_to_report(tmp_path: Path, cache: Path) -> None:
    reader = CountingReader()
    with pytest.raises(Exception, match=r"missing\.csv"):
        CachedStatementReader(reader, "key")(tmp_path / "missing.csv")
    assert reader.read == [tmp_path / "missing.csv"]


def test_the_demos_reconciliation_is_the_same_from_kept_readings(
    demo_books: Path, cache: Path
) -> None:
    books = open_ledger(demo_books)
    banks = sorted({b.account for b in books.registry.bank_accounts.values()})
    layouts = ledger_layouts(LedgerLayout(demo_books).registry)

    def reconciled(reader: Callable[[Path], Statement]) -> list[Reconciliation]:
        return reconcile(
            demo_books, books.entries, banks, reader, dt.date(2025, 1, 1), dt.date(2025, 12, 31)
        )

    plain = reconciled(CountingReader(layouts))
    reader = CountingReader(layouts)
    cached = CachedStatementReader(reader, reading_key(layouts))
    assert reconciled(cached) == plain and reader.read
    read_first = len(reader.read)
    assert reconciled(cached) == plain and len(reader.read) == read_first  # none read again
