"""An archived statement's reading kept once made: what the reconciliation takes of it (owners'
names and numbers masked or left out, in the cache as in what it gives), back without parsing
the file again, parsed again when the bytes, the layouts or the kept file change, or today's
range of dates no longer holds it."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import pickle
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from importers import ledger_layouts, read_statement
from importers.layout_files import shipped_layouts
from importers.profiles import BankProfile
from importers.reader import statement_bytes
from importers.reading_key import reading_key
from xtaccounts.books.layout import LedgerLayout
from xtaccounts.core.bank_statement import Statement, StatementError
from xtaccounts.core.cache_dir import CACHE_DIR_ENV
from xtaccounts.core.dates import TODAY_ENV
from xtaccounts.reading.ledger import open_ledger
from xtaccounts.reports import statement_cache
from xtaccounts.reports.bank_reconciliation import Reconciliation, reconcile
from xtaccounts.reports.statement_cache import CachedStatementReader, reconciliation_reading

SAMPLE = Path(__file__).parents[1] / "importers" / "samples" / "boc-corporate.csv"
PAYER, CARD = "张䶮", "6222021904001234567"  # a line's counterparty in SAMPLE, and its account
PHONE = "13800138000"


class CountingReader:
    """The importers' reader of a file's bytes, counting the files it parses."""

    def __init__(self, profiles: Sequence[BankProfile] | None = None) -> None:
        self.profiles = profiles
        self.read: list[Path] = []

    def __call__(self, path: Path, content: bytes) -> Statement:
        self.read.append(path)
        return read_statement(path, self.profiles, data=content)


def cached(reader: CountingReader, key: str = "key") -> CachedStatementReader:
    return CachedStatementReader(statement_bytes, reader, key)


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(statement_cache, "KEEP_SECONDS", 0.0)  # keep even a small reading
    return tmp_path / "cache" / statement_cache.SUBDIR


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    return Path(shutil.copy(SAMPLE, tmp_path / "statement.csv"))


def test_a_reading_is_kept_and_given_back_without_parsing_the_file(
    sample: Path, cache: Path
) -> None:
    reader = CountingReader()
    reading = cached(reader, reading_key(shipped_layouts()))
    first = reading(sample)
    assert first == reconciliation_reading(read_statement(sample)) and len(first.lines) > 0
    assert [p.name for p in cache.iterdir()] and reader.read == [sample]
    assert reading(sample) == first and reader.read == [sample]
    # The same bytes elsewhere (another copy of the books): the reading names where it was read.
    elsewhere = Path(shutil.copy(sample, sample.with_name("copy.csv")))
    moved = reading(elsewhere)
    assert moved.path == elsewhere and moved.lines == first.lines and reader.read == [sample]
    assert oct(cache.stat().st_mode & 0o777) == oct(0o700)


def test_no_owners_name_or_number_is_kept_or_given(sample: Path, cache: Path) -> None:
    # The memo repeats the payer's name and gives a phone number, as memos do.
    text = sample.read_bytes().decode("utf-8")
    assert text.count("缴款通知书编号N2025-0301") == 1
    sample.write_bytes(
        text.replace("缴款通知书编号N2025-0301", f"{PAYER}{PHONE}缴款通知书编号N2025-0301").encode()
    )
    plain = read_statement(sample)
    assert any(line.counterparty == PAYER for line in plain.lines)
    assert any(PAYER in line.memo and PHONE in line.memo for line in plain.lines)
    reading = cached(CountingReader())(sample)
    (kept,) = cache.iterdir()
    raw = kept.read_bytes()
    for secret in (PAYER, CARD, CARD[-8:], PHONE, PHONE[3:]):
        assert secret.encode() not in raw and secret not in repr(reading)
    assert {(line.counterparty, line.counterparty_account) for line in reading.lines} == {
        (None, None)
    }
    # What the reconciliation matches on is all there.
    for got, line in zip(reading.lines, plain.lines, strict=True):
        assert (got.row, got.date, got.time, got.amount, got.balance, got.serial) == (
            line.row,
            line.date,
            line.time,
            line.amount,
            line.balance,
            line.serial,
        )


def test_changed_bytes_or_layouts_are_parsed_again(sample: Path, cache: Path) -> None:
    reader = CountingReader()
    cached(reader, "layouts A")(sample)
    cached(reader, "layouts B")(sample)
    assert reader.read == [sample, sample]
    sample.write_bytes(sample.read_bytes() + b"\r\n")
    cached(reader, "layouts A")(sample)
    assert len(reader.read) == 3 and len(list(cache.iterdir())) == 3


def test_a_reading_out_of_todays_range_is_left_to_the_reader_to_refuse(
    sample: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reader = CountingReader()
    cached(reader)(sample)
    monkeypatch.setenv(TODAY_ENV, "2023-06-01")  # the statement's 2025 lies past the horizon
    with pytest.raises(StatementError, match="不在"):
        cached(reader)(sample)
    assert reader.read == [sample, sample]


@pytest.mark.parametrize("damage", ["truncated", "flipped", "not a statement"])
def test_a_damaged_reading_is_parsed_again_and_kept_anew(
    sample: Path, cache: Path, damage: str
) -> None:
    reader = CountingReader()
    first = cached(reader)(sample)
    (kept,) = cache.iterdir()
    raw = kept.read_bytes()
    if damage == "truncated":
        kept.write_bytes(raw[:-10])
    elif damage == "flipped":
        kept.write_bytes(raw[:-1] + bytes([raw[-1] ^ 1]))
    else:  # whole and with its digest, but not a statement
        body = pickle.dumps(["lines"])
        head = raw[: len(statement_cache._MAGIC)]
        kept.write_bytes(head + hashlib.sha256(body).digest() + body)
    assert cached(reader)(sample) == first and reader.read == [sample, sample]
    assert kept.read_bytes() == raw  # kept again, whole


def test_a_quick_reading_is_not_kept(
    sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(statement_cache, "KEEP_SECONDS", 3600.0)
    reading = cached(CountingReader())(sample)
    assert reading == reconciliation_reading(read_statement(sample))
    assert not (tmp_path / "cache").exists()


@pytest.mark.parametrize("kind", ["missing", "fifo", "directory"])
def test_a_file_that_cannot_be_read_is_refused_as_the_reader_refuses_it(
    tmp_path: Path, cache: Path, kind: str
) -> None:
    path = tmp_path / "statement.csv"
    if kind == "fifo":
        os.mkfifo(path)  # never opened for a blocking read
    elif kind == "directory":
        path.mkdir()
    reader = CountingReader()
    with pytest.raises(StatementError, match=r"statement\.csv"):
        cached(reader)(path)
    assert reader.read == [] and not cache.exists()


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

    plain = reconciled(lambda path: reconciliation_reading(read_statement(path, layouts)))
    reader = CountingReader(layouts)
    reading = cached(reader, reading_key(layouts))
    assert reconciled(reading) == plain and reader.read
    read_first = len(reader.read)
    assert reconciled(reading) == plain and len(reader.read) == read_first  # none parsed again
