"""Archived statements read once (`CachedStatementReader`): the same reading from the cache as
from the file, and a changed file, layout or damaged cache read afresh."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from importers import PROFILES, StatementError, read_statement
from importers.statement_cache import CachedStatementReader
from tests.helpers import reader_samples

SAMPLE_FILES = reader_samples()


@pytest.mark.parametrize("sample", SAMPLE_FILES, ids=lambda p: p.name)
def test_a_kept_reading_equals_the_files(sample: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = CachedStatementReader(PROFILES, cache)
    assert first(sample) == read_statement(sample, PROFILES)
    assert first.read == 1
    # Another copy of the books (a backup, a benchmark's copy): the same bytes elsewhere.
    copy = tmp_path / "copy" / sample.name
    copy.parent.mkdir()
    shutil.copyfile(sample, copy)
    again = CachedStatementReader(PROFILES, cache)
    kept = again(copy)
    assert again.read == 0
    assert kept == read_statement(copy, PROFILES)
    assert kept.path == copy


def test_a_changed_file_or_layout_is_read_afresh(tmp_path: Path) -> None:
    sample = next(p for p in SAMPLE_FILES if p.suffix.lower() == ".csv")
    path = tmp_path / sample.name
    shutil.copyfile(sample, path)
    cache = tmp_path / "cache"
    CachedStatementReader(PROFILES, cache)(path)
    text = path.read_bytes()
    path.write_bytes(text + (b"\r\n" if text.endswith(b"\r\n") else b"\n"))
    reader = CachedStatementReader(PROFILES, cache)
    assert reader(path) == read_statement(path, PROFILES)
    assert reader.read == 1
    changed = [dataclasses.replace(p, bank=p.bank + "（改）") for p in PROFILES]
    other = CachedStatementReader(changed, cache)
    assert other(path) == read_statement(path, changed)
    assert other.read == 1


def test_a_damaged_reading_is_read_again_and_rewritten(tmp_path: Path) -> None:
    sample = SAMPLE_FILES[0]
    cache = tmp_path / "cache"
    CachedStatementReader(PROFILES, cache)(sample)
    (kept,) = cache.glob("*.pickle")
    kept.write_bytes(b"not a pickle")
    reader = CachedStatementReader(PROFILES, cache)
    assert reader(sample) == read_statement(sample, PROFILES)
    assert reader.read == 1
    assert CachedStatementReader(PROFILES, cache)(sample) == read_statement(sample, PROFILES)


def test_an_unreadable_statement_is_not_kept(tmp_path: Path) -> None:
    path = tmp_path / "not-a-statement.csv"
    path.write_text("日期,摘要\n2025-01-01,无金额\n", encoding="utf-8")
    cache = tmp_path / "cache"
    reader = CachedStatementReader(PROFILES, cache)
    for _attempt in range(2):
        with pytest.raises(StatementError):
            reader(path)
    assert reader.read == 0
    assert not cache.exists() or not list(cache.iterdir())


def test_only_the_newest_readings_are_kept(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    reader = CachedStatementReader(PROFILES, cache)
    reader._prune = lambda keep=2: CachedStatementReader._prune(reader, keep)  # type: ignore[method-assign]
    for sample in SAMPLE_FILES[:4]:
        reader(sample)
    assert len(list(cache.glob("*.pickle"))) == 2
    assert not [p for p in cache.iterdir() if not p.name.endswith(".pickle")]
