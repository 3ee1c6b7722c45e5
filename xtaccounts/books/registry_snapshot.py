"""The registry rows sealed entries depend on, kept with each seal.

Sealed entries were booked under registry rows that later edits could quietly change: the rate
agreements their interest was split by, the commissioning dates and tenders their premiums were
judged by, the household areas and the units of the pools their spread was shared by. A seal
keeps those rows (``seals/<through>.registry.json``, no personal data: owners are left out) and
its digest goes into the seal's link; the audit names every kept row that changed since.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from xtaccounts.registry import Registry

# registry file -> (the Registry attribute holding its rows, the fields kept)
KEPT: dict[str, tuple[str, tuple[str, ...]]] = {
    "rate_agreements.csv": (
        "rate_agreements",
        ("bank", "product", "base_rate", "base_source", "agreed_rate", "valid_from", "valid_to"),
    ),
    "elevators.csv": ("elevators", ("unit", "commissioned")),
    "insurers.toml": (
        "tenders",
        ("insurer", "period_start", "period_end", "max_elevator_age_years", "premium"),
    ),
    "households.csv": ("households", ("unit", "area_m2")),
    "units.csv": ("units", ("building",)),
    "buildings.csv": ("buildings", ("community", "pool_level")),
}


def snapshot(registry: Registry) -> dict[str, dict[str, dict[str, Any]]]:
    """The kept rows of `registry`: file -> row id -> field -> value (JSON-ready)."""
    kept: dict[str, dict[str, dict[str, Any]]] = {}
    for file, (attribute, fields) in KEPT.items():
        rows = getattr(registry, attribute)
        kept[file] = {
            str(key): row.model_dump(mode="json", include=set(fields))
            for key, row in sorted(rows.items())
        }
    return kept


def snapshot_text(registry: Registry) -> tuple[str, str]:
    """(the snapshot file's text, its SHA-256)."""
    text = json.dumps(snapshot(registry), ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    return text, hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class RowChange:
    """A kept row changed (or removed) since the snapshot."""

    file: str
    row: str
    field: str  # "" when the row is gone
    sealed: Any
    now: Any


def changes(sealed: dict[str, dict[str, dict[str, Any]]], registry: Registry) -> list[RowChange]:
    """The kept rows of `sealed` that `registry` changed or removed (rows added are not)."""
    current = snapshot(registry)
    found = []
    for file, rows in sorted(sealed.items()):
        now_rows = current.get(file, {})
        for row_id, fields in sorted(rows.items()):
            now = now_rows.get(row_id)
            if now is None:
                found.append(RowChange(file, row_id, "", fields, None))
                continue
            for field, value in sorted(fields.items()):
                if now.get(field) != value:
                    found.append(RowChange(file, row_id, field, value, now.get(field)))
    return found
