"""Rules the held-out checks found missing: an agreed rate below its base rate is noted, two
households of one unit with the same door are refused."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.helpers import build_base, xt

ICBC_NO = "1904021109200088821"


@pytest.fixture(scope="module")
def base_books(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_base(tmp_path_factory.mktemp("held-out") / "ledger")


@pytest.fixture
def books(base_books: Path, tmp_path: Path) -> Path:
    shutil.copytree(base_books.parent, tmp_path / "ledger")
    return tmp_path / "ledger" / "main.beancount"


def test_an_agreed_rate_below_base_is_noted_at_placement_and_by_the_audit(books: Path) -> None:
    placed = xt(
        books, "time-deposit", "place", "--account", ICBC_NO, "--certificate", "LOW2023",
        "--principal", "1000.00", "--product", "1y", "--value-date", "2023-07-03",
        "--agreed-rate", "1.20", "--base-rate", "1.50", "--base-source", "pboc",
    )  # fmt: skip
    assert placed.returncode == 0, placed.stderr
    assert "约定利率 1.20% 低于基准利率 1.50%" in placed.stderr
    done = xt(books, "audit", "--format", "json")
    report = json.loads(done.stdout)
    [low] = [f for f in report["findings"] if f["code"] == "agreed-below-base"]
    assert low["severity"] == "warning" and "LOW2023" in low["message"]
    assert (low["expected"], low["booked"]) == ("≥ 1.50", "1.20")
    assert low["entries"][0]["line"] > 0


def test_two_households_of_one_unit_with_the_same_door_are_refused(books: Path) -> None:
    path = books.parent / "registry" / "households.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    first = lines[1].split(",")
    twin = [f"{first[0]}X", first[1], " " + first[2].replace("1", "１") + " ", *first[3:]]
    path.write_text("\n".join([*lines, ",".join(twin)]) + "\n", encoding="utf-8")
    done = xt(books, "registry", "check")
    assert done.returncode == 1
    assert f"households.csv:{len(lines) + 1}: door_no: door_no 'C0001-B01-U1 101'" in done.stderr
    assert "首次出现在第 2 行" in done.stderr
