"""The pools' members as `Registry.pool_of_unit` defines them, whether the registry's tables are
models (a registry validated now) or rows read from the cache without restoring them."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from xtaccounts.core.cache_dir import CACHE_DIR_ENV
from xtaccounts.registry import load as registry_load
from xtaccounts.registry.lazy_table import LazyTable
from xtaccounts.registry.load import Registry, load_registry
from xtaccounts.registry.navigation import is_pool, pool_elevators, pool_units


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
