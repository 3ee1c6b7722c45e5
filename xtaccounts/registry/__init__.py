"""The registry: master data of communities, buildings, units, households, elevators, banks."""

from __future__ import annotations

from xtaccounts.registry.load import (
    Registry,
    RegistryInvalid,
    RegistryIssue,
    cached_registry,
    load_registry,
)

__all__ = ["Registry", "RegistryInvalid", "RegistryIssue", "cached_registry", "load_registry"]
