"""Shared fixtures: the demo registry written to a temporary directory, small inline ledgers."""

from __future__ import annotations

from pathlib import Path

import pytest

from xtaccounts.demo import demo_registry


def write_files(directory: Path, files: dict[str, str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return directory


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every file below a directory, by relative path, as bytes (the writer's lock file aside)."""
    return {
        str(p.relative_to(directory)): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file() and p.name != ".xtaccounts.lock"
    }


@pytest.fixture
def demo_registry_dir(tmp_path: Path) -> Path:
    return write_files(tmp_path / "registry", demo_registry())
