"""Finding one's way in the registry: the units, households and elevators of a pool, the pool of
an elevator, the community of a unit or building, and how a place_name is named.

Pure functions over a `Registry`; the members of every pool are indexed once per registry
object (a small cache keyed by the object, dropped with it), each kind of member when first
asked for. A command about a few pools (a premium, its cancellation) reads only those pools'
rows: a pool's units from its own unit's or building's rows (`_units_of`), its households from
their rows where the registry's cache recorded them (`Registry.household_rows_of_unit`), never
the city's 12,000 units or the index of its 300,000 households' ids.
"""

from __future__ import annotations

import bisect
import weakref
from collections import defaultdict
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any, TypeVar, cast

from xtaccounts.core.i18n import _
from xtaccounts.registry.lazy_table import LazyTable, values_of
from xtaccounts.registry.load import Registry
from xtaccounts.registry.models import PoolLevel

_INDEXES: dict[tuple[int, str], tuple[weakref.ref, Any]] = {}
_BUILDING = ("building",)
_POOL_LEVEL = ("pool_level",)
_ID_UNIT_AREA = ("id", "unit", "area_m2")
_T = TypeVar("_T")


def _built(registry: Registry, part: str) -> Any | None:
    """The part of the pools' index built for this registry object, if it is."""
    cached = _INDEXES.get((id(registry), part))
    return cached[1] if cached is not None and cached[0]() is registry else None


def _cached(registry: Registry, part: str, build: Callable[[Registry], _T]) -> _T:
    """One part of the pools' index, built once per registry object (the households' part
    decodes every household: only the commands that ask for a pool's households pay for it)."""
    built = _built(registry, part)
    if built is not None:
        return cast("_T", built)
    index = build(registry)
    _INDEXES[(id(registry), part)] = (weakref.ref(registry), index)
    return index


def _units(registry: Registry) -> dict[str, list[str]]:
    """The units of every pool."""

    def build(registry: Registry) -> dict[str, list[str]]:
        # `Registry.pool_of_unit` of every unit, its building's pool level read from the rows
        # without restoring the models (a city's 12,000 units and 6,000 buildings: a premium's
        # check asks for one pool and paid a quarter of a second for the models).
        units: dict[str, list[str]] = defaultdict(list)
        levels: dict[str, PoolLevel | None] = {}
        for unit in sorted(registry.units):
            units[_pool_of_row(registry, unit, levels)].append(unit)
        return dict(units)

    return _cached(registry, "units", build)


def _pool_of_row(registry: Registry, unit: str, levels: dict[str, PoolLevel | None]) -> str:
    """`Registry.pool_of_unit`, the unit's building and that building's pool level read from
    their rows (`levels`: building -> its row's pool level, filled as they are read)."""
    (building,) = values_of(registry.units, unit, _BUILDING)
    if building not in levels:
        (levels[building],) = values_of(registry.buildings, building, _POOL_LEVEL)
    return registry.pool_of(unit, building, levels[building])


def _pool_of_unit(registry: Registry) -> dict[str, str]:
    return _cached(registry, "pool_of", lambda r: {u: p for p, us in _units(r).items() for u in us})


def _elevators(registry: Registry) -> dict[str, list[str]]:
    """The elevators of every pool."""

    def build(registry: Registry) -> dict[str, list[str]]:
        pool_of = _pool_of_unit(registry)
        elevators: dict[str, list[str]] = defaultdict(list)
        for code in sorted(registry.elevators):
            unit = registry.elevators[code].unit
            if unit in pool_of:
                elevators[pool_of[unit]].append(code)
        return dict(elevators)

    return _cached(registry, "elevators", build)


def index_pools(registry: Registry) -> None:
    """Build the pools' index of units and elevators now (a reader about to ask for many pools,
    as Fava's pages do, reads every elevator once, not on its first page)."""
    _elevators(registry)


# A command that asks for this many pools one by one has the units of every pool found at once.
_ONE_BY_ONE = 64


def _units_of(registry: Registry, pool: str) -> list[str]:
    """The units of one pool (`_units(registry)[pool]`, none when `pool` is no pool), found from
    that pool's own rows while few pools were asked for: a write about one pool (a premium, its
    cancellation) does not read the city's 12,000 units and 6,000 buildings (an eighth of a
    second at city scale)."""
    every = _built(registry, "units")
    if every is not None:
        return every.get(pool, [])
    asked: dict[str, list[str]] = _cached(registry, "units asked", lambda r: {})
    found = asked.get(pool)
    if found is None:
        if len(asked) >= _ONE_BY_ONE:
            return _units(registry).get(pool, [])
        found = asked[pool] = _own_units(registry, pool)
    return found


def _own_units(registry: Registry, pool: str) -> list[str]:
    """The units whose pool (`Registry.pool_of`) is `pool`: the unit itself when its building's
    pool level is the unit's, the units of the building `pool` when the level is the building's
    (a unit's id begins with its building's and '-': the registry checks it)."""
    levels: dict[str, PoolLevel | None] = {}
    found = []
    if pool in registry.units and _pool_of_row(registry, pool, levels) == pool:
        found.append(pool)
    if pool in registry.buildings:
        ids: list[str] = _cached(registry, "unit ids", lambda r: sorted(r.units))
        prefix = pool + "-"
        for unit in ids[bisect.bisect_left(ids, prefix) :]:
            if not unit.startswith(prefix):
                break
            # (a unit of another building whose id begins alike has another pool)
            if _pool_of_row(registry, unit, levels) == pool:
                found.append(unit)
    return sorted(found)


def is_pool(registry: Registry, pool: str) -> bool:
    return bool(_units_of(registry, pool))


def pool_units(registry: Registry, pool: str) -> list[str]:
    return list(_units_of(registry, pool))


def pool_households(registry: Registry, pool: str) -> dict[str, Decimal]:
    """Household id -> exclusive area (m²) of every household of a pool, by id (only the
    pool's households are read: from their rows when the registry knows where they lie,
    `Registry.household_rows_of_unit`, else by id, `Registry.households_of_unit`)."""
    units = _units_of(registry, pool)
    found = _households_from_rows(registry, units)
    if found is not None:
        return dict(sorted(found.items()))
    by_unit = registry.households_of_unit
    ids = sorted(h for unit in units for h in by_unit.get(unit, ()))
    return {h: registry.households[h].area_m2 for h in ids}


def _households_from_rows(registry: Registry, units: Iterable[str]) -> dict[str, Decimal] | None:
    """The households of `units` (id -> area) read from their rows at the positions the
    registry's cache recorded, without the index of a city's 300,000 households' ids (a fifth of
    a second at city scale, for a premium's three applicants); None when the positions are not
    known or a row is not of its unit (the caller reads by id)."""
    rows_of_unit = registry.household_rows_of_unit
    table = registry.households
    if rows_of_unit is None or not isinstance(table, LazyTable):
        return None
    found: dict[str, Decimal] = {}
    for unit in units:
        for position in rows_of_unit.get(unit, ()):
            try:
                values = table.values_at(position, _ID_UNIT_AREA)
            except IndexError:
                return None
            if values is None or values[1] != unit:
                return None
            found[values[0]] = values[2]
    return found


def pool_elevators(registry: Registry, pool: str) -> list[str]:
    """The codes of a pool's elevators, in order."""
    return list(_elevators(registry).get(pool, ()))


def pool_of_elevator(registry: Registry, code: str) -> str:
    return registry.pool_of_unit(registry.elevators[code].unit)


def community_of(registry: Registry, node: str) -> str:
    """The community id of a unit or a building (a pool is one or the other)."""
    building = registry.units[node].building if node in registry.units else node
    return registry.buildings[building].community


def place_name(registry: Registry, node: str) -> str:
    """'金泉小区 1栋 2单元' for a unit, '金泉小区 1栋' for a building."""
    if node in registry.units:
        unit = registry.units[node]
        return f"{place_name(registry, unit.building)} {unit.name}"
    if node in registry.buildings:
        building = registry.buildings[node]
        return f"{registry.communities[building.community].name} {building.name}"
    return node


def elevator_place(registry: Registry, code: str) -> str:
    """Where an elevator is: the place_name of its unit."""
    return place_name(registry, registry.elevators[code].unit)


def pool_scope(registry: Registry, pool: str) -> str:
    """'幢 C0001-B01（金泉小区 1栋）': the kind of a pool, its id and its place_name."""
    if pool in registry.units:
        return _("单元 {pool}（{place}）").format(pool=pool, place=place_name(registry, pool))
    return _("幢 {pool}（{place}）").format(pool=pool, place=place_name(registry, pool))
