"""Fixtures of the reliability tests: small books built once per session, copied per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reliability.harness import (
    copy_books,
    make_base_books,
    make_import_books,
    make_insurance_books,
)


@pytest.fixture(scope="session")
def base_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The importer tests' base books, both 2023 H1 statements still to import; copy first."""
    return make_base_books(tmp_path_factory.mktemp("rel-base") / "ledger")


@pytest.fixture(scope="session")
def import_template(tmp_path_factory: pytest.TempPathFactory, base_template: Path) -> Path:
    """Books with a CCB statement to import, receipts to allocate, spread to transfer, a month
    to close (see `harness.make_import_books`); copy before changing."""
    return make_import_books(tmp_path_factory.mktemp("rel-import") / "ledger", base_template)


@pytest.fixture(scope="session")
def insurance_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The small insurance books with an application ready to buy, and an ICBC statement for
    them: (main, statement); copy before changing."""
    return make_insurance_books(tmp_path_factory.mktemp("rel-insurance"))


@pytest.fixture
def import_books(import_template: Path, tmp_path: Path) -> Path:
    return copy_books(import_template, tmp_path / "ledger")


@pytest.fixture
def insurance_books(insurance_template: tuple[Path, Path], tmp_path: Path) -> Path:
    return copy_books(insurance_template[0], tmp_path / "ledger")
