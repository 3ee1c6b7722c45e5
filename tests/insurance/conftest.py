"""Fixtures of the insurance tests: a small ledger whose figures sit on the rules' edges, and
the demo books with their insurance, both with the insurance plugin enabled."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.insurance.books import make_small_books


@pytest.fixture(scope="session")
def small_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_small_books(tmp_path_factory.mktemp("small"))


@pytest.fixture
def books(small_template: Path, tmp_path: Path) -> Path:
    """A private copy of the small books: its main.beancount."""
    target = tmp_path / "ledger"
    shutil.copytree(small_template.parent, target)
    return target / "main.beancount"


@pytest.fixture(scope="session")
def insured_demo(demo_books: Path) -> Path:
    """The demo books (they carry the insurance events); copy them before changing anything."""
    return demo_books
