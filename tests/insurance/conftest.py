"""Fixtures of the insurance tests: a small ledger whose figures sit on the rules' edges, and
the demo books with their insurance, both with the insurance plugin enabled."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def books(small_books: Path) -> Path:
    """A private copy of the small books (tests/conftest.py): its main.beancount."""
    return small_books


@pytest.fixture(scope="session")
def insured_demo(demo_books: Path) -> Path:
    """The demo books (they carry the insurance events); copy them before changing anything."""
    return demo_books
