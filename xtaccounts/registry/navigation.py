"""Finding one's way in the registry: the units, households and elevators of a pool, the pool of
an elevator, the community of a unit or building, and how a place_name is named.

Pure functions over a `Registry`; the members of every pool are indexed once per registry
object (a small cache keyed by the object, dropped with it).
"""

from __future__ import annotations

import weakref
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from xtaccounts.core.i18n import _
from xtaccounts.registry.load import Registry


@dataclass(frozen=True)
class _PoolIndex:
    units: dict[str, list[str]]
    households: dict[str, dict[str, Decimal]]
    elevators: dict[str, list[str]]


_INDEXES: dict[int, tuple[weakref.ref, _PoolIndex]] = {}


def _index(registry: Registry) -> _PoolIndex:
    """Units, households and elevators of every pool, built once per registry object."""
    cached = _INDEXES.get(id(registry))
    if cached is not None and cached[0]() is registry:
        return cached[1]
    units: dict[str, list[str]] = defaultdict(list)
    for unit in sorted(registry.units):
        units[registry.pool_of_unit(unit)].append(unit)
    pool_of = {u: p for p, us in units.items() for u in us}
    households: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for household in sorted(registry.households.values(), key=lambda h: h.id):
        if household.unit in pool_of:
            households[pool_of[household.unit]][household.id] = household.area_m2
    elevators: dict[str, list[str]] = defaultdict(list)
    for code in sorted(registry.elevators):
        unit = registry.elevators[code].unit
        if unit in pool_of:
            elevators[pool_of[unit]].append(code)
    index = _PoolIndex(dict(units), dict(households), dict(elevators))
    _INDEXES[id(registry)] = (weakref.ref(registry), index)
    return index


def is_pool(registry: Registry, pool: str) -> bool:
    return pool in _index(registry).units


def pool_units(registry: Registry, pool: str) -> list[str]:
    return list(_index(registry).units.get(pool, ()))


def pool_households(registry: Registry, pool: str) -> dict[str, Decimal]:
    """Household id -> exclusive area (m²) of every household of a pool."""
    return dict(_index(registry).households.get(pool, {}))


def pool_elevators(registry: Registry, pool: str) -> list[str]:
    """The codes of a pool's elevators, in order."""
    return list(_index(registry).elevators.get(pool, ()))


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
