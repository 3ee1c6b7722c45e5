"""Every insurance command through the real command line (subprocess), on the small books."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import EA, EC, ED, EE, snapshot, xt


def ok(main: Path, *args: str) -> str:
    result = xt(main, *args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def js(main: Path, *args: str) -> dict:
    return json.loads(ok(main, *args, "--format", "json"))


@pytest.mark.slow
def test_an_application_from_filing_to_cancellation(books: Path, tmp_path: Path) -> None:
    doc = js(
        books, "application", "file", "--date", "2025-02-20", "--elevator", f"{EC},{ED}",
        "--households", "C0001-B02-U1-101,C0001-B02-U1-102", "--households", "C0001-B02-U2-101",
        "--insurer", "INS01", "--premium", "6400.00", "--cover-start", "2025-03-08",
        "--cover-end", "2027-03-07",
    )  # fmt: skip
    assert doc["application"] == "APP-2025-001" and doc["premium"] == "6400.00"
    assert [r["premium"] for r in doc["rows"]] == ["3200.00", "3200.00"]

    doc = js(books, "application", "notice", "APP-2025-001", "--start", "2025-03-01")
    assert doc["purchase_from"] == "2025-03-08" and doc["pool_balance"] == "10000.00"
    assert (books.parent / "documents/notices/APP-2025-001.pdf").is_file()

    out = ok(
        books, "application", "object", "APP-2025-001", "--date", "2025-03-07",
        "--household", "C0001-B02-U1-201", "--reason", "保险费偏高",
    )  # fmt: skip
    assert "the owners' vote" in out

    before = snapshot(books.parent)
    refused = xt(books, "premium", "buy", "APP-2025-001", "--date", "2025-03-08")
    assert refused.returncode == 1
    assert "被拒绝，1 项条件不满足" in refused.stderr and "[vote]" in refused.stderr
    assert snapshot(books.parent) == before

    votes = tmp_path / "votes.csv"
    votes.write_text(
        "household,choice\nC0001-B02-U1-101,同意\nC0001-B02-U1-102,for\n"
        "C0001-B02-U1-201,反对\nC0001-B02-U2-101,同意\nC0001-B02-U2-102,弃权\n",
        "utf-8",
    )
    doc = js(
        books, "application", "vote", "APP-2025-001", "--date", "2025-03-10", "--votes", str(votes)
    )
    assert doc["outcome"] == "passed" and doc["quorum"] == "met"
    assert doc["rows"][0] == {"choice": "for", "households": 3, "area_m2": "300.00"}

    before = snapshot(books.parent)
    doc = js(books, "premium", "buy", "APP-2025-001", "--date", "2025-03-10", "--dry-run")
    assert doc["dry_run"] is True and doc["total"] == "6400.00"
    assert snapshot(books.parent) == before
    doc = js(books, "premium", "buy", "APP-2025-001", "--date", "2025-03-10", "--policy-no", "X-1")
    assert doc["policy"] == "APP-2025-001-P1" and doc["pool_after"] == "3600.00"
    assert doc["cover"] == "2025-03-10..2026-03-09"

    refused = xt(books, "premium", "renew", "APP-2025-001-P1", "--date", "2025-12-01")
    assert refused.returncode == 1
    assert "[pool_balance] 统筹账户 C0001-B02 2025-12-01 可用余额 3,600.00 元" in refused.stderr
    assert "统筹账户 C0001-B02 2025-12-01 可用余额 3,600.00 元" in refused.stderr

    doc = js(books, "policies", "--as-of", "2026-02-01", "--expiring-within", "60d")
    assert [r["policy"] for r in doc["rows"]] == ["APP-2025-001-P1"]
    assert doc["rows"][0]["days_left"] == 36

    doc = js(books, "coverage", "--as-of", "2025-12-31", "--by", "community")
    assert doc["rows"] == [
        {
            "community": "C0001",
            "name": "金泉小区",
            "applied": 2,
            "eligible": 2,
            "insured": 2,
            "percent": "100.00",
        }
    ]
    assert {e["status"] for e in doc["elevators"]} == {"insured"}
    assert doc["targets"][1]["met"] is True

    doc = js(
        books, "premium", "cancel", "APP-2025-001-P1", "--date", "2025-12-31",
        "--reason", "整机更换",
    )  # fmt: skip
    # 2026-01-01..2026-03-09: 68 of the 365 days: 3200.00 x 68 / 365 = 596.16 per elevator
    assert doc["total"] == "1192.32"

    doc = js(books, "application", "list", "--as-of", "2026-01-01")
    assert [(r["application"], r["stage"]) for r in doc["rows"]] == [("APP-2025-001", "cancelled")]
    doc = js(books, "application", "show", "APP-2025-001", "--as-of", "2026-01-01")
    assert [r["record"] for r in doc["rows"]] == [
        "application",
        "notice",
        "objection",
        "vote",
        "policy",
        "cancellation",
    ]
    text = ok(books, "coverage", "--as-of", "2026-01-01")
    assert "target 2025-12-31: ≥ 100% — 2/2 = 100.00%: met" in text


def test_refusals_print_every_condition_and_exit_1(books: Path) -> None:
    ok(
        books, "application", "file", "--date", "2025-01-10", "--elevator", EE,
        "--households", "C0002-B01-U1-101,C0002-B01-U1-102,C0002-B01-U1-201",
        "--insurer", "INS01", "--cover-start", "2025-02-01",
    )  # fmt: skip
    ok(books, "application", "notice", "APP-2025-001", "--start", "2025-01-13")
    before = snapshot(books.parent)
    result = xt(books, "premium", "buy", "APP-2025-001", "--date", "2026-02-05")
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip().startswith("- [")]
    assert {line.split("]")[0].strip(" -[") for line in lines} == {
        "window",
        "tender",
        "inspection",
        "cover",
    }
    assert "被拒绝，4 项条件不满足（未写入任何内容）" in result.stderr
    assert snapshot(books.parent) == before
    result = xt(books, "application", "file", "--date", "2025-01-10", "--elevator", EE,
                "--committee", "--insurer", "INS01", "--cover-start", "2025-02-01")  # fmt: skip
    assert result.returncode == 1 and "没有业主委员会" in result.stderr
    assert snapshot(books.parent) == before


def test_two_thirds_of_the_households_holding_066_of_the_area_fail_the_quorum(
    books: Path, tmp_path: Path
) -> None:
    """§3.6 end to end: pool C0001-B01-U1 has 6 households, 101, 102, 201 and 202 of 165.00 m²,
    301 and 302 of 170.00 m² (1000.00 in all). The first four all vote for: 4/6 of the
    headcount (≥ 2/3) but 660.00/1000.00 = 0.66 of the area (< 2/3): no quorum, the vote fails
    and the purchase is refused for it alone."""
    ok(
        books, "application", "file", "--date", "2025-01-02", "--elevator", EA,
        "--households", "C0001-B01-U1-101,C0001-B01-U1-102,C0001-B01-U1-201",
        "--insurer", "INS01", "--cover-start", "2025-02-01",
    )  # fmt: skip
    ok(books, "application", "notice", "APP-2025-001", "--start", "2025-01-06")
    ok(
        books, "application", "object", "APP-2025-001", "--date", "2025-01-12",
        "--household", "C0001-B01-U1-301", "--reason", "反对动用统筹账户",
    )  # fmt: skip
    votes = tmp_path / "votes.csv"
    votes.write_text(
        "household,choice\n"
        + "".join(f"C0001-B01-U1-{door},同意\n" for door in ("101", "102", "201", "202")),
        "utf-8",
    )
    doc = js(
        books, "application", "vote", "APP-2025-001", "--date", "2025-01-20", "--votes", str(votes)
    )
    assert (doc["quorum"], doc["outcome"]) == ("not met", "failed")
    assert "参与表决：4/6 户（66.67%，≥ 2/3），660.00/1000.00 m²（66.00%，< 2/3）" in (doc["count"])
    assert doc["rows"][0] == {"choice": "for", "households": 4, "area_m2": "660.00"}

    before = snapshot(books.parent)
    result = xt(books, "premium", "buy", "APP-2025-001", "--date", "2025-02-01")
    assert result.returncode == 1, result.stdout
    unmet = [line.strip() for line in result.stderr.splitlines() if line.strip().startswith("- [")]
    assert len(unmet) == 1 and unmet[0].startswith("- [vote]"), result.stderr
    assert "660.00/1000.00 m²（66.00%，< 2/3）；参与表决的户数或面积未达到规定比例" in unmet[0]
    assert snapshot(books.parent) == before


@pytest.mark.slow
def test_dates_after_9998_12_31_are_refused_in_one_line(
    books: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One year of cover from a day in 9999 would end in year 10000, which Python's dates do
    not have: every command refuses days after 9998-12-31 with a one-line error (on a "today"
    late enough that the input horizon of xtaccounts.core.dates lets such days through)."""
    monkeypatch.setenv("XT_TODAY", "9998-12-30")
    ok(
        books, "application", "file", "--date", "2025-02-20", "--elevator", EC,
        "--households", "C0001-B02-U1-101,C0001-B02-U1-102,C0001-B02-U1-201",
        "--insurer", "INS01", "--cover-start", "2025-03-08",
    )  # fmt: skip
    ok(books, "application", "notice", "APP-2025-001", "--start", "2025-03-01")
    before = snapshot(books.parent)
    commands = [
        ("premium", "buy", "APP-2025-001", "--date", "9999-12-31"),
        ("premium", "buy", "APP-2025-001", "--date", "9999-01-01", "--dry-run"),
        (
            "application", "file", "--date", "2025-02-20", "--elevator", ED,
            "--households", "C0001-B02-U1-101,C0001-B02-U1-102,C0001-B02-U1-201",
            "--insurer", "INS01", "--cover-start", "9999-03-08",
        ),
        ("application", "notice", "APP-2025-001", "--start", "9999-12-30"),
        ("application", "list", "--as-of", "9999-12-31"),
        ("application", "show", "APP-2025-001", "--as-of", "9999-06-01"),
        ("coverage", "--as-of", "9999-12-31"),
        ("policies", "--as-of", "9999-12-31"),
    ]  # fmt: skip
    for command in commands:
        result = xt(books, *command)
        assert result.returncode == 1, (command, result.stdout)
        assert "Traceback" not in result.stderr, (command, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("错误："), (command, result.stderr)
        assert "晚于 9998-12-31" in lines[0], (command, lines[0])
    assert snapshot(books.parent) == before
    # The last supported day is checked like any other (and refused for the rules' reasons).
    result = xt(books, "premium", "buy", "APP-2025-001", "--date", "9998-12-31")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "[window] 9998-12-31 不在试点期" in result.stderr
    assert "9998-12-31 不在试点期" in result.stderr
    assert snapshot(books.parent) == before
