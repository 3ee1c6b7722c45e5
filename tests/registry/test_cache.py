"""The registry cache: used only for the very bytes it was validated from, never hiding errors."""

from __future__ import annotations

import copy
import dataclasses
import os
import pickle
import shutil
from array import array
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from xtaccounts.core.cache_dir import CACHE_DIR_ENV
from xtaccounts.registry import RegistryInvalid, load_registry
from xtaccounts.registry import load as registry_load
from xtaccounts.registry.lazy_table import EncodedRows, LazyTable, encode_rows, values_of
from xtaccounts.registry.load import (
    LAZY_TABLES,
    REGISTRY_FILES,
    Registry,
    cache_file,
    cached_registry,
)
from xtaccounts.registry.models import Unit


@pytest.fixture(autouse=True)
def _always_cached(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A clean memo, a private cache directory, and the disk cache written even for the small
    demo registry."""
    registry_load._MEMO.clear()
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(registry_load, "CACHE_THRESHOLD_SECONDS", 0.0)


def _from_disk(directory: Path) -> Registry:
    """Load with the in-process memo emptied, so the on-disk cache (or validation) answers."""
    registry_load._MEMO.clear()
    return load_registry(directory)


def _cached(directory: Path) -> Registry | None:
    """What the cache file holds for the registry's current bytes (None: nothing usable)."""
    files = registry_load._read_files(directory)
    return registry_load._read_cache(directory, registry_load.registry_digest(files))


def _household_line(directory: Path, household: str) -> tuple[int, str]:
    lines = (directory / "households.csv").read_text("utf-8").splitlines()
    for number, line in enumerate(lines):
        if line.startswith(household + ","):
            return number, line
    raise AssertionError(household)


def _set_area(directory: Path, household: str, area: str) -> None:
    path = directory / "households.csv"
    lines = path.read_text("utf-8").splitlines(keepends=True)
    number, line = _household_line(directory, household)
    cells = line.split(",")
    cells[3] = area
    lines[number] = ",".join(cells) + "\n"
    path.write_text("".join(lines), "utf-8")


def test_cached_load_equals_uncached_load(demo_registry_dir: Path) -> None:
    fresh = load_registry(demo_registry_dir, cache=False)
    assert not cache_file(demo_registry_dir).exists()
    first = load_registry(demo_registry_dir)
    assert cache_file(demo_registry_dir).is_file()
    from_disk = _from_disk(demo_registry_dir)
    assert first == fresh
    assert from_disk == fresh
    assert from_disk is not first
    assert from_disk.directory == demo_registry_dir
    hh = from_disk.households["C0001-B01-U1-101"]
    assert isinstance(hh.area_m2, Decimal)
    assert hh.model_fields_set == fresh.households["C0001-B01-U1-101"].model_fields_set
    assert from_disk.pool_of_unit("C0001-B02-U2") == "C0001-B02-U2"
    assert from_disk.tenders["T2024-01"].premium_for_age(12) == Decimal("3200.00")


def test_a_second_load_in_one_process_is_the_same_registry(
    demo_registry_dir: Path, tmp_path: Path
) -> None:
    first = load_registry(demo_registry_dir)
    assert load_registry(demo_registry_dir) is first
    # The same bytes elsewhere (a copied ledger, cache file included): that directory's registry.
    other = tmp_path / "copy"
    shutil.copytree(demo_registry_dir, other)
    copied = load_registry(other)
    assert copied.directory == other
    assert dataclasses.replace(copied, directory=demo_registry_dir) == first
    assert _from_disk(other).directory == other


@pytest.mark.parametrize("name", REGISTRY_FILES)
def test_a_changed_byte_in_any_registry_file_invalidates(
    demo_registry_dir: Path, name: str
) -> None:
    before = load_registry(demo_registry_dir)
    assert _cached(demo_registry_dir) == dataclasses.replace(before, directory=Path("."))
    path = demo_registry_dir / name
    # One more blank line at the end: the bytes differ, the registry means the same.
    path.write_bytes(path.read_bytes() + b"\n")
    assert _cached(demo_registry_dir) is None
    after = load_registry(demo_registry_dir)
    assert after is not before
    assert after == load_registry(demo_registry_dir, cache=False)
    assert _cached(demo_registry_dir) is not None


def test_a_changed_value_is_seen(demo_registry_dir: Path) -> None:
    load_registry(demo_registry_dir)
    household = "C0001-B01-U1-101"
    _set_area(demo_registry_dir, household, "77.77")
    assert load_registry(demo_registry_dir).households[household].area_m2 == Decimal("77.77")
    assert _from_disk(demo_registry_dir).households[household].area_m2 == Decimal("77.77")


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda blob: b"", id="empty"),
        pytest.param(lambda blob: blob[: len(blob) // 2], id="truncated"),
        pytest.param(lambda blob: b"not a cache at all" + blob[18:], id="bad-header"),
        pytest.param(lambda blob: blob[:100] + b"\x00garbage\xff" * 50, id="bad-pickle"),
        pytest.param(lambda blob: blob[:30] + bytes([blob[30] ^ 1]) + blob[31:], id="bad-digest"),
    ],
)
def test_a_corrupt_cache_is_ignored_and_rebuilt(demo_registry_dir: Path, damage) -> None:
    expected = load_registry(demo_registry_dir, cache=False)
    load_registry(demo_registry_dir)
    cache = cache_file(demo_registry_dir)
    cache.write_bytes(damage(cache.read_bytes()))
    assert _cached(demo_registry_dir) is None
    assert _from_disk(demo_registry_dir) == expected
    assert _cached(demo_registry_dir) == dataclasses.replace(expected, directory=Path("."))


def test_a_cache_of_other_bytes_is_never_used(demo_registry_dir: Path, tmp_path: Path) -> None:
    """A cache file copied from another registry (here: before an edit) is not trusted."""
    load_registry(demo_registry_dir)
    stale = cache_file(demo_registry_dir).read_bytes()
    _set_area(demo_registry_dir, "C0001-B01-U1-101", "66.60")
    cache_file(demo_registry_dir).write_bytes(stale)
    registry = _from_disk(demo_registry_dir)
    assert registry.households["C0001-B01-U1-101"].area_m2 == Decimal("66.60")


def test_errors_are_raised_though_a_valid_registry_was_cached(demo_registry_dir: Path) -> None:
    load_registry(demo_registry_dir)
    stale = cache_file(demo_registry_dir).read_bytes()
    number, _ = _household_line(demo_registry_dir, "C0001-B01-U1-102")
    _set_area(demo_registry_dir, "C0001-B01-U1-102", "abc")
    for attempt in range(2):
        cache_file(demo_registry_dir).write_bytes(stale)
        with pytest.raises(RegistryInvalid) as caught:
            load_registry(demo_registry_dir)
        assert f"households.csv:{number + 1}: area_m2: 'abc' is not a number" in str(caught.value)
        assert cache_file(demo_registry_dir).read_bytes() == stale, attempt
    # A missing file is an error too, cache or not.
    (demo_registry_dir / "units.csv").unlink()
    with pytest.raises(RegistryInvalid, match=r"units.csv: 文件不存在"):
        load_registry(demo_registry_dir)


def test_a_quick_registry_gets_no_cache_file(
    demo_registry_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(registry_load, "CACHE_THRESHOLD_SECONDS", 60.0)
    first = load_registry(demo_registry_dir)
    assert not cache_file(demo_registry_dir).exists()
    assert load_registry(demo_registry_dir) is first


def test_a_large_registry_gets_a_cache_file_however_quick(
    demo_registry_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Large by its bytes: a city's registry validated in under a second on a fast machine
    still gets its cache (its lazy rows, not every model held)."""
    monkeypatch.setattr(registry_load, "CACHE_THRESHOLD_SECONDS", 60.0)
    monkeypatch.setattr(registry_load, "CACHE_THRESHOLD_BYTES", 1)
    expected = load_registry(demo_registry_dir, cache=False)
    assert load_registry(demo_registry_dir) == expected
    assert cache_file(demo_registry_dir).is_file()
    assert _from_disk(demo_registry_dir) == expected


def test_no_cache_option_reads_and_writes_nothing(demo_registry_dir: Path) -> None:
    registry = load_registry(demo_registry_dir, cache=False)
    assert not cache_file(demo_registry_dir).exists()
    assert load_registry(demo_registry_dir, cache=False) is not registry


def test_an_unwritable_cache_does_not_fail_loading(demo_registry_dir: Path) -> None:
    """Even root cannot replace a directory with a file: the cache is just not written."""
    cache_file(demo_registry_dir).mkdir(parents=True)
    expected = load_registry(demo_registry_dir, cache=False)
    assert load_registry(demo_registry_dir) == expected
    assert _from_disk(demo_registry_dir) == expected
    assert cache_file(demo_registry_dir).is_dir()
    assert [p.name for p in cache_file(demo_registry_dir).parent.iterdir() if "tmp" in p.name] == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_a_read_only_cache_directory_does_not_fail_loading(demo_registry_dir: Path) -> None:
    expected = load_registry(demo_registry_dir, cache=False)
    cache_dir = cache_file(demo_registry_dir).parent
    cache_dir.mkdir(parents=True)
    cache_dir.chmod(0o555)
    try:
        assert load_registry(demo_registry_dir) == expected
        assert not cache_file(demo_registry_dir).exists()
    finally:
        cache_dir.chmod(0o755)


def test_the_cache_lives_outside_the_books(demo_registry_dir: Path) -> None:
    """Reading the registry writes nothing beside it: the cache is in the user's cache directory."""
    before = sorted(p.name for p in demo_registry_dir.iterdir())
    load_registry(demo_registry_dir)
    assert cache_file(demo_registry_dir).is_file()
    assert not cache_file(demo_registry_dir).is_relative_to(demo_registry_dir)
    assert sorted(p.name for p in demo_registry_dir.iterdir()) == before


def test_a_copy_of_the_registry_finds_its_cache(demo_registry_dir: Path, tmp_path: Path) -> None:
    """Content-addressed: a backup or a benchmark's copy of the books uses the same cache."""
    import shutil

    load_registry(demo_registry_dir)
    copy = Path(shutil.copytree(demo_registry_dir, tmp_path / "copy"))
    assert cache_file(copy) == cache_file(demo_registry_dir)
    assert _cached(copy) is not None
    assert _from_disk(copy).directory == copy


def test_a_reader_shares_the_registry_without_reading_its_files(
    demo_registry_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`cached_registry`: the process's one cache, answered from the memo while the files'
    names, sizes and mtimes are unchanged."""
    first = cached_registry(demo_registry_dir)
    assert cached_registry(demo_registry_dir) is first
    assert load_registry(demo_registry_dir) is first

    def unread(directory: Path) -> dict:
        raise AssertionError("the files were read again")

    monkeypatch.setattr(registry_load, "_read_files", unread)
    assert cached_registry(demo_registry_dir) is first
    monkeypatch.undo()
    _set_area(demo_registry_dir, "C0001-B01-U1-101", "55.55")
    changed = cached_registry(demo_registry_dir)
    assert changed is not first
    assert changed.households["C0001-B01-U1-101"].area_m2 == Decimal("55.55")
    # An emptied memo means reading the files again (the memo is the one cache).
    registry_load._MEMO.clear()
    assert cached_registry(demo_registry_dir) == changed


def _decoded_keys(table: object) -> list[str]:
    """The ids of the rows a restored table has unpickled so far."""
    assert isinstance(table, LazyTable)
    return [key for key, row in table._index().items() if type(row) is not int]


def test_the_cached_registry_restores_its_big_tables_row_by_row(demo_registry_dir: Path) -> None:
    fresh = load_registry(demo_registry_dir, cache=False)
    load_registry(demo_registry_dir)  # writes the cache
    restored = _from_disk(demo_registry_dir)
    # Not even a table's ids are decoded before it is read (its length needs none).
    for name in LAZY_TABLES:
        assert len(getattr(restored, name)) == len(getattr(fresh, name)), name
        assert getattr(restored, name)._rows is None, name
    for name in LAZY_TABLES:
        table = getattr(restored, name)
        assert isinstance(table, LazyTable), name
        assert isinstance(getattr(fresh, name), dict), name
        assert _decoded_keys(table) == [], name
        # Keys, length and membership in the validated order, and still nothing decoded.
        assert list(table) == list(getattr(fresh, name)), name
        assert len(table) == len(getattr(fresh, name)), name
        assert all(key in table for key in getattr(fresh, name)), name
        assert "no such row" not in table and table.get("no such row") is None, name
        assert _decoded_keys(table) == [], name
    # A lookup decodes that row only.
    household = list(fresh.households)[3]
    assert restored.households[household] == fresh.households[household]
    assert restored.households.get(household) is restored.households[household]  # memoised
    assert _decoded_keys(restored.households) == [household]
    notice = list(fresh.notices)[-1]
    assert restored.notices[notice] == fresh.notices[notice]
    assert _decoded_keys(restored.notices) == [notice]
    assert _decoded_keys(restored.units) == []
    # Every row, in the same order, equal to the validated one.
    for name in LAZY_TABLES:
        table, validated = getattr(restored, name), getattr(fresh, name)
        assert list(table.items()) == list(validated.items()), name
        assert list(table.values()) == list(validated.values()), name
        assert table == validated and validated == table, name
        for key, row in validated.items():
            rows = row if isinstance(row, list) else [row]
            again = table[key] if isinstance(row, list) else [table[key]]
            assert [r.model_fields_set for r in again] == [r.model_fields_set for r in rows]
            assert [type(r) for r in again] == [type(r) for r in rows]
    assert restored == fresh


def test_a_rows_values_are_read_without_restoring_it(demo_registry_dir: Path) -> None:
    """`values_of` reads a row's fields from its bytes: the same values as the validated row's,
    and the row is not restored (nor kept); a row restored already is read as it is."""
    fresh = load_registry(demo_registry_dir, cache=False)
    load_registry(demo_registry_dir)
    restored = _from_disk(demo_registry_dir)
    names = ("household", "amount")
    for notice, lines in fresh.notices.items():
        want = [(line.household, line.amount) for line in lines]
        assert values_of(restored.notices, notice, names) == want
        assert values_of(fresh.notices, notice, names) == want
    for household, row in fresh.households.items():
        assert values_of(restored.households, household, ("unit", "id")) == (row.unit, row.id)
    assert _decoded_keys(restored.notices) == [] and _decoded_keys(restored.households) == []
    household = list(fresh.households)[2]
    assert restored.households[household] == fresh.households[household]
    assert values_of(restored.households, household, ("unit",)) == (
        fresh.households[household].unit,
    )
    with pytest.raises(KeyError):
        values_of(restored.notices, "no such notice", names)
    with pytest.raises(KeyError):
        values_of(fresh.notices, "no such notice", names)


def test_a_rows_values_are_read_by_its_position_in_the_table(demo_registry_dir: Path) -> None:
    """`values_at` reads the row at a position (the table's order, as the registry recorded
    each unit's households) without the index of the rows' ids; out of the table it is an
    IndexError; once every row is decoded (their bytes let go) it answers None."""
    fresh = load_registry(demo_registry_dir, cache=False)
    load_registry(demo_registry_dir)
    restored = _from_disk(demo_registry_dir)
    table = restored.households
    assert isinstance(table, LazyTable)
    for position, (household, row) in enumerate(fresh.households.items()):
        assert table.values_at(position, ("id", "unit", "area_m2")) == (
            household,
            row.unit,
            row.area_m2,
        )
    assert table._rows is None  # the ids were not indexed
    assert _decoded_keys(table) == []  # nor any row restored
    with pytest.raises(IndexError):
        table.values_at(len(fresh.households), ("id",))
    with pytest.raises(IndexError):
        table.values_at(-1, ("id",))
    table.decoded()
    assert table.values_at(0, ("id",)) is None


class _RacedTable(LazyTable):
    """A table whose every row another thread (Fava's) decodes, letting the table's bytes go,
    just as a reader that found a row still to decode goes to read it from them."""

    __slots__ = ()
    racing = False  # (the other thread's own reads are not raced)

    def _state(self, index: int, *blob: Any) -> Any:  # (any signature: old code's too)
        if not _RacedTable.racing:
            _RacedTable.racing = True
            try:
                self.decoded()  # (the other thread: every row decoded, the bytes let go)
            finally:
                _RacedTable.racing = False
        return super()._state(index, *blob)


def test_a_row_read_while_another_thread_decodes_every_row(demo_registry_dir: Path) -> None:
    fresh = load_registry(demo_registry_dir, cache=False)
    encoded = encode_rows(fresh.households, type(next(iter(fresh.households.values()))))
    for position, (household, row) in enumerate(fresh.households.items()):
        raced = _RacedTable(encoded)
        assert raced.values_of(household, ("unit", "area_m2")) == (row.unit, row.area_m2)
        assert raced._complete  # (the race happened)
        assert _RacedTable(encoded).values_at(position, ("id",)) == (household,)
        assert raced.values_at(position, ("id",)) is None  # the bytes gone before the read


def test_a_restored_table_copies_and_pickles_as_a_plain_dict(demo_registry_dir: Path) -> None:
    load_registry(demo_registry_dir)
    restored = _from_disk(demo_registry_dir)
    fresh = load_registry(demo_registry_dir, cache=False)
    copied = copy.deepcopy(restored.households)
    assert type(copied) is dict and copied == fresh.households
    assert pickle.loads(pickle.dumps(restored)) == restored
    assert dict(restored.units) == fresh.units
    with pytest.raises(TypeError):
        restored.households["x"] = fresh.households["C0001-B01-U1-101"]  # type: ignore[index]


def test_restored_rows_share_their_set_of_fields_and_stay_apart(demo_registry_dir: Path) -> None:
    """The frozen rows of a restored table share one set of the fields set (a household's own
    set was half its memory); a copy with changes gets its own, and the shared one is untouched."""
    load_registry(demo_registry_dir)
    restored = _from_disk(demo_registry_dir)
    fresh = load_registry(demo_registry_dir, cache=False)
    first, second = list(restored.households.values())[:2]
    assert first.model_fields_set is second.model_fields_set
    assert first.model_fields_set == fresh.households[first.id].model_fields_set
    with pytest.raises(ValidationError):
        first.door_no = "999"  # type: ignore[misc]
    changed = first.model_copy(update={"door_no": "999"})
    assert changed.door_no == "999" and changed.model_fields_set is not first.model_fields_set
    assert second.model_fields_set == fresh.households[second.id].model_fields_set
    assert restored.households == fresh.households


def test_a_cache_of_the_earlier_format_is_not_read(demo_registry_dir: Path) -> None:
    """A cache file written whole (format 1) under the same digest is not taken for format 2."""
    registry = load_registry(demo_registry_dir)
    path = cache_file(demo_registry_dir)
    digest = registry_load.registry_digest(registry_load._read_files(demo_registry_dir))
    old = pickle.dumps(dataclasses.replace(registry, directory=Path(".")))
    path.write_bytes(registry_load._MAGIC + digest + old)
    assert _cached(demo_registry_dir) is None
    assert _from_disk(demo_registry_dir) == load_registry(demo_registry_dir, cache=False)


def test_a_table_whose_offsets_disagree_is_refused() -> None:
    one_row = EncodedRows(Unit, ["a"], pickle.dumps(1), array("Q", [99]).tobytes())
    with pytest.raises(ValueError, match="damaged"):
        LazyTable(one_row)
    twice = EncodedRows(Unit, ["a", "a"], b"xy", array("Q", [1, 2]).tobytes())
    with pytest.raises(ValueError, match="damaged"):
        LazyTable(twice)
    assert len(LazyTable(EncodedRows(Unit, [], b"", b""))) == 0


def test_threads_reading_one_restored_table_see_the_same_rows(demo_registry_dir: Path) -> None:
    load_registry(demo_registry_dir)
    restored = _from_disk(demo_registry_dir)
    fresh = load_registry(demo_registry_dir, cache=False)
    ids = list(fresh.households)

    def read(start: int) -> list[object]:
        lookups = [restored.households[h] for h in ids[start:] + ids[:start]]
        return [*lookups, *restored.households.values()]

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(read, range(8)))
    for start, got in enumerate(results):
        assert got[: len(ids)] == [fresh.households[h] for h in ids[start:] + ids[:start]]
        assert got[len(ids) :] == list(fresh.households.values())
    assert restored.households == fresh.households


def test_unchanged_files_are_not_read_again(
    demo_registry_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The digest of files whose stat signatures are unchanged is taken from the cache
    directory; a file changed since (even to the same size) is read again."""
    first = load_registry(demo_registry_dir)
    real_read = registry_load._read_files
    reads: list[Path] = []

    def counted(directory: Path) -> dict[str, bytes | None]:
        reads.append(directory)
        return real_read(directory)

    monkeypatch.setattr(registry_load, "_read_files", counted)
    assert _from_disk(demo_registry_dir) == first
    assert reads == []
    household = "C0001-B01-U1-101"
    old = first.households[household].area_m2
    size = (demo_registry_dir / "households.csv").stat().st_size
    new = "1" * (len(str(old)) - 3) + ".11"  # as many characters: the file keeps its size
    _set_area(demo_registry_dir, household, new)
    assert (demo_registry_dir / "households.csv").stat().st_size == size
    changed = _from_disk(demo_registry_dir)
    assert reads == [demo_registry_dir]
    assert changed.households[household].area_m2 == Decimal(new) != old
    # A damaged digest file is no digest: the files are read.
    (registry_load._digests_path()).write_bytes(b"not a pickle")
    reads.clear()
    assert _from_disk(demo_registry_dir) == changed
    assert reads == [demo_registry_dir]
