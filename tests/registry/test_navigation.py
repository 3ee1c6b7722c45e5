"""The pools' members as `Registry.pool_of_unit` defines them, whether the registry's tables are
models (a registry validated now) or rows read from the cache without restoring them."""

from __future__ import annotations

import datetime as dt
from array import array
from collections import defaultdict
from pathlib import Path

import pytest

from xtaccounts.core.cache_dir import CACHE_DIR_ENV
from xtaccounts.insurance.rules import applicant_reasons
from xtaccounts.registry import load as registry_load
from xtaccounts.registry import navigation
from xtaccounts.registry.lazy_table import LazyTable
from xtaccounts.registry.load import Registry, load_registry
from xtaccounts.registry.navigation import is_pool, pool_elevators, pool_households, pool_units

DAY = dt.date(2025, 6, 1)


def _by_pool_of_unit(registry: Registry) -> dict[str, list[str]]:
    units: dict[str, list[str]] = defaultdict(list)
    for unit in sorted(registry.units):
        units[registry.pool_of_unit(unit)].append(unit)
    return dict(units)


@pytest.mark.parametrize("default", ["building", "unit"])
@pytest.mark.parametrize("lazy", [False, True], ids=["models", "cached rows"])
def test_each_pools_units_are_those_pool_of_unit_names(
    demo_registry_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    default: str,
    lazy: bool,
) -> None:
    # Every other building's pool level left blank: the pilot's default decides it.
    buildings = demo_registry_dir / "buildings.csv"
    lines = buildings.read_text("utf-8").splitlines()
    blanked = [line.rsplit(",", 1)[0] + "," if i % 2 else line for i, line in enumerate(lines)]
    buildings.write_text("\n".join([lines[0], *blanked[1:]]) + "\n", "utf-8")
    pilot = demo_registry_dir / "pilot.toml"
    text = pilot.read_text("utf-8")
    assert 'pool_default = "building"' in text
    pilot.write_text(text.replace('pool_default = "building"', f'pool_default = "{default}"'))
    registry_load._MEMO.clear()
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "cache"))
    if lazy:
        monkeypatch.setattr(registry_load, "CACHE_THRESHOLD_SECONDS", 0.0)
        load_registry(demo_registry_dir)  # validated, and cached
        registry_load._MEMO.clear()
    registry = load_registry(demo_registry_dir, cache=lazy)
    assert isinstance(registry.units, LazyTable) == lazy
    expected = _by_pool_of_unit(registry)
    assert len(expected) > 1 and any(len(units) > 1 for units in expected.values())
    assert any(pool == units[0] for pool, units in expected.items())  # unit-level pools
    for pool, units in expected.items():
        assert is_pool(registry, pool) and pool_units(registry, pool) == units
        pool_elevators(registry, pool)
    assert not is_pool(registry, "C9999-B01")
    # Asked one by one on a registry that has not indexed every pool: the same answers, for
    # every unit and building id, pool or not.
    registry_load._MEMO.clear()
    again = load_registry(demo_registry_dir, cache=lazy)
    for node in [*sorted(again.units), *sorted(again.buildings), "C0001", "C0001-B01-", ""]:
        assert is_pool(again, node) == (node in expected), node
        assert pool_units(again, node) == expected.get(node, []), node


def test_a_pools_households_are_read_from_their_rows_without_every_households_id(
    demo_registry_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From the cache, a pool's households come from the rows the registry recorded for its
    units: the same households and areas as read by id from a registry validated now, and the
    index of every household's id is not built (a premium's three applicants at city scale
    paid a fifth of a second for it). Rows not where they were recorded: read by id."""
    registry_load._MEMO.clear()
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(registry_load, "CACHE_THRESHOLD_SECONDS", 0.0)
    fresh = load_registry(demo_registry_dir)  # validated, and cached
    registry_load._MEMO.clear()
    cached = load_registry(demo_registry_dir)
    assert isinstance(cached.households, LazyTable) and cached.household_rows_of_unit
    pools = sorted(_by_pool_of_unit(fresh))
    expected = {
        pool: {
            h.id: h.area_m2
            for h in sorted(fresh.households.values(), key=lambda h: h.id)
            if fresh.pool_of_unit(h.unit) == pool
        }
        for pool in pools
    }
    assert sum(map(len, expected.values())) == len(fresh.households)
    for pool in pools:
        assert pool_households(fresh, pool) == expected[pool]
        found = pool_households(cached, pool)
        assert found == expected[pool] and list(found) == sorted(found)
    assert cached.households._rows is None  # no household's id was indexed
    assert (id(cached), "units") not in navigation._INDEXES  # nor every pool's units
    # Applicants of the pool are checked without the index too; one from elsewhere needs it.
    pool = pools[0]
    members = list(expected[pool])[:3]
    assert applicant_reasons(cached, pool, "households", members, DAY) == []
    assert cached.households._rows is None
    stranger = next(iter(expected[pools[1]]))
    (reason,) = applicant_reasons(cached, pool, "households", [*members, stranger], DAY)
    assert stranger in reason.message
    # Positions that do not lead to the unit's rows (a stale record) are not trusted.
    registry_load._MEMO.clear()
    shifted = load_registry(demo_registry_dir)
    recorded = shifted.household_rows_of_unit
    assert recorded is not None
    shifted.__dict__["household_rows_of_unit"] = {
        unit: array("I", [p + 1 for p in rows]) for unit, rows in recorded.items()
    }
    for pool in pools:
        assert pool_households(shifted, pool) == expected[pool]
