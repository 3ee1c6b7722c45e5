"""Shared fixtures: the demo registry written to a temporary directory, small inline ledgers."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import snapshot, write_files, xt  # noqa: F401  (re-exported)
from xtaccounts.demo import demo_registry


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
