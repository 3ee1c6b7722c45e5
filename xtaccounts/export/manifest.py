"""manifest.json: every file of an export with its SHA-256, size and control totals."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from xtaccounts.core.file_digest import sha256_of
from xtaccounts.export.csvjson import json_value

MANIFEST = "manifest.json"
# The manifest's `generator`, "xtaccounts 0.1.0 export": what marks a directory as an export.
_GENERATOR = re.compile(r"xtaccounts \S+ export")


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


def earlier_export_problem(directory: Path) -> str | None:
    """None if `directory` is exactly an earlier export (a manifest.json written by `export`
    and only the files it lists, each as it was written); else what is against it."""
    if (directory / MANIFEST).is_symlink():
        return f"{MANIFEST} 是符号链接"
    try:
        doc = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return f"没有 {MANIFEST}"
    except (OSError, ValueError) as exc:
        return f"{MANIFEST} 无法读取：{exc}"
    files = doc.get("files") if isinstance(doc, dict) else None
    if (
        not isinstance(doc, dict)
        or not _GENERATOR.fullmatch(str(doc.get("generator", "")))
        or not isinstance(files, list)
        or not all(isinstance(f, dict) and isinstance(f.get("path"), str) for f in files)
    ):
        return f"{MANIFEST} 不是 xtaccounts export 写的"
    listed = {f["path"]: f for f in files}
    for entry in sorted(directory.iterdir()):
        if entry.name == MANIFEST:
            continue
        record = listed.get(entry.name)
        if record is None:
            return f"有 {MANIFEST} 未列出的 {entry.name}"
        if entry.is_symlink() or not entry.is_file():
            return f"{entry.name} 不是普通文件"
        if entry.stat().st_size != record.get("bytes") or sha256_of(entry) != record.get("sha256"):
            return f"{entry.name} 与 {MANIFEST} 记录的不符（导出后被改动过）"
    return None
