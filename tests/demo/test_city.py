"""The synthetic city: reproducible, and its books load clean and pass the audit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import snapshot, xt
from xtaccounts.books.load import load_books
from xtaccounts.core.errors import XtError
from xtaccounts.demo.city import CITY_MARKER, build_city, plan_city

pytestmark = pytest.mark.slow  # the city is built anew by most of them

SCALE = 0.005  # 3 communities, 60 units, 1,500 households


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_city(tmp_path_factory.mktemp("city") / "books", SCALE).main


def test_registry_is_reproducible_and_scales() -> None:
    small = plan_city(SCALE)
    assert small.files == plan_city(SCALE).files
    assert small.files != plan_city(SCALE, seed=1).files
    assert small.counts["communities"] == 3
    assert small.counts["units"] == 60
    assert 1_400 <= small.counts["households"] <= 1_600
    bigger = plan_city(4 * SCALE).counts
    assert bigger["units"] == 4 * small.counts["units"]


def test_books_load_clean_with_every_year_on_its_own(city: Path) -> None:
    assert CITY_MARKER in city.read_text("utf-8")
    assert load_books(city).errors == []
    years = sorted((city.parent / "years").glob("[0-9][0-9][0-9][0-9].beancount"))
    assert [p.stem for p in years] == ["2022", "2023", "2024", "2025"]
    for year in years:
        assert load_books(year).errors == [], year
    imported = list((city.parent / "documents").rglob("*.*"))
    assert len({p.suffix for p in imported if p.suffix in (".csv", ".xls")}) == 2


def test_audit_finds_no_error(city: Path) -> None:
    # The city is built without a history (docs/history.md): taken in as existing books are.
    adopted = xt(city, "history", "adopt", "--reason", "审计前纳入变更历史")
    assert adopted.returncode == 0, adopted.stderr
    done = xt(city, "audit", "--format", "json")
    report = json.loads(done.stdout)
    assert report["errors"] == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert report["warnings"] == 0, done.stdout[-3000:]
    assert done.returncode == 0
    counts = {check["name"]: check["counts"] for check in report["checks"]}
    assert counts["history"] == {"changes": 1, "registry_changes": 1, "unrecorded": 0}


def test_the_same_seed_builds_the_same_books(city: Path, tmp_path: Path) -> None:
    again = build_city(tmp_path / "again", SCALE).main
    assert snapshot(again.parent) == snapshot(city.parent)


def test_refuses_to_overwrite_other_books(tmp_path: Path) -> None:
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "main.beancount").write_text("; not a city\n", "utf-8")
    with pytest.raises(XtError, match="not empty"):
        build_city(tmp_path / "other", SCALE, force=True)
