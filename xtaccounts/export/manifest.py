"""manifest.json: every file of an export with its SHA-256, size and control totals."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from xtaccounts.export.csvjson import json_value

MANIFEST = "manifest.json"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_entry(root: Path, path: Path, **facts: Any) -> dict[str, Any]:
    return {
        "path": path.relative_to(root).as_posix(),
        "sha256": sha256_of(path),
        "bytes": path.stat().st_size,
        **json_value(facts),
    }


def write_manifest(root: Path, doc: dict[str, Any]) -> Path:
    path = root / MANIFEST
    with path.open("w", encoding="utf-8") as handle:
        json.dump(json_value(doc), handle, ensure_ascii=False, indent=1)
        handle.write("\n")
    return path
