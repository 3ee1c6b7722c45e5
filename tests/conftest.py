"""Shared fixtures: the demo registry written to a temporary directory, small inline ledgers."""

from __future__ import annotations

import os
import subprocess
import sys
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


@pytest.fixture(scope="session")
def demo_books(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The full demo books, built once per test session; copy them before changing anything."""
    from xtaccounts.demo import build_demo

    return build_demo(tmp_path_factory.mktemp("demo-session") / "ledger")


@pytest.fixture
def demo_copy(demo_books: Path, tmp_path: Path) -> Path:
    """A private copy of the full demo books: its main.beancount."""
    import shutil

    target = tmp_path / "ledger"
    shutil.copytree(demo_books.parent, target)
    return target / "main.beancount"


def xt(main: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the real command line in a subprocess on the books of `main`."""
    env = {k: v for k, v in os.environ.items() if k != "XT_LEDGER"}
    return subprocess.run(
        [sys.executable, "-m", "xtaccounts", "--ledger", str(main), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
