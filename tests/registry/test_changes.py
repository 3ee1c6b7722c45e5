"""Registry changes computed from the files' bytes: notices read from a table with Chinese
headers, refusals naming row and column, TOML edited with its comments kept, every change
validated as `registry check` validates."""

from __future__ import annotations

import datetime as dt
import tomllib
from decimal import Decimal
from pathlib import Path

import pytest

from xtaccounts.core.errors import XtError
from xtaccounts.registry import RegistryInvalid
from xtaccounts.registry.changes import (
    NOTICES_FILE,
    add_notices,
    add_tender,
    check_source,
    notices_from_table,
    read_registry_files,
    set_pilot,
    validate_change,
)

SOURCE = "湘潭市住房和城乡建设局〔2026〕3号"


def table(*rows: list[str]) -> list[tuple[int, list[str]]]:
    return [(n, list(cells)) for n, cells in enumerate(rows, start=1)]


def test_chinese_headers_are_read_and_bad_cells_named_by_row_and_header() -> None:
    read = notices_from_table(
        "list.xlsx",
        table(
            ["缴款通知书编号", "房屋编号", "金额（元）", "开具日期"],
            ["N1", "C0001-B01-U1-101", "12000.5", "2026-01-06 00:00:00"],
            ["", "", "", ""],
            ["N1", "C0001-B01-U1-102", "1.001", "2026-01-06"],
        ),
    )
    assert [(line, n.amount, n.issued) for line, n in read.notices] == [
        (2, Decimal("12000.50"), dt.date(2026, 1, 6))
    ]
    [issue] = read.issues
    assert (issue.file, issue.line, issue.field) == ("list.xlsx", 4, "金额（元）")
    with pytest.raises(RegistryInvalid, match="缺少列"):
        notices_from_table("x.csv", table(["编号", "金额"], ["N1", "1.00"]))


def test_notices_are_appended_in_the_files_encoding_and_refused_when_known(
    demo_registry_dir: Path,
) -> None:
    path = demo_registry_dir / NOTICES_FILE
    path.write_bytes(path.read_text("utf-8").encode("gb18030"))
    files = read_registry_files(demo_registry_dir)
    read = notices_from_table(
        "n.csv",
        table(
            ["notice_no", "household", "amount", "issued"],
            ["N2026-9", "C0001-B01-U1-101", "100", "2026-01-06"],
        ),
    )
    change = add_notices(demo_registry_dir, files, read)
    new = change.files[NOTICES_FILE]
    old = files[NOTICES_FILE]
    assert old is not None and new.startswith(old)
    assert new[len(old) :].decode("gb18030") == "N2026-9,C0001-B01-U1-101,100.00,2026-01-06\n"
    registry = validate_change(demo_registry_dir, files, change.files)
    assert [n.amount for n in registry.notices["N2026-9"]] == [Decimal("100.00")]

    known = next(iter(validate_change(demo_registry_dir, files, {}).notices))
    again = notices_from_table(
        "n.csv",
        table(
            ["notice_no", "household", "amount", "issued"],
            [known, "C0001-B01-U1-101", "100", "2026-01-06"],
            ["N2026-8", "C0001-B01-U1-999", "100", "2026-01-06"],
            ["N2026-7", "C0001-B01-U1-998", "-1", "2026-01-06"],
        ),
    )
    with pytest.raises(RegistryInvalid) as refused:
        add_notices(demo_registry_dir, files, again)
    assert [(i.line, i.field) for i in refused.value.issues] == [
        (2, "notice_no"),
        (3, "household"),
        (4, "amount"),
        (4, "household"),
    ]


def test_a_pilot_setting_keeps_the_files_comments_and_is_validated(
    demo_registry_dir: Path,
) -> None:
    files = read_registry_files(demo_registry_dir)
    change = set_pilot(
        demo_registry_dir, files, "window_end", "2026-12-31", SOURCE, dt.date(2026, 1, 5)
    )
    text = change.files["pilot.toml"].decode("utf-8")
    old = (files["pilot.toml"] or b"").decode("utf-8")
    assert tomllib.loads(text)["window_end"] == dt.date(2026, 12, 31)
    assert [line for line in old.splitlines() if line.startswith("#")] == [
        line for line in text.splitlines() if line.startswith("#")
    ]
    assert len(text.splitlines()) == len(old.splitlines())
    rate = set_pilot(
        demo_registry_dir, files, "benchmark_rates.demand", "0.30", SOURCE, dt.date(2026, 1, 5)
    )
    assert "demand = 0.30 # 0.35 → 依据" in rate.files["pilot.toml"].decode("utf-8")
    with pytest.raises(RegistryInvalid, match="window_end is before window_start"):
        set_pilot(demo_registry_dir, files, "window_end", "2020-01-01", SOURCE, dt.date.today())
    for setting, value in (
        ("mof_accounts", "x"),
        ("nothing", "1"),
        ("notice_days", "seven"),
        ("benchmark_rates.demand", "NaN"),
        ("benchmark_rates.demand", "1e-1"),
        ("benchmark_rates.none", "0.35"),
        ("window_end", "2026/12/31"),
    ):
        with pytest.raises(XtError):
            set_pilot(demo_registry_dir, files, setting, value, SOURCE, dt.date.today())


def test_a_tender_is_appended_as_the_file_writes_them(demo_registry_dir: Path) -> None:
    files = read_registry_files(demo_registry_dir)
    change = add_tender(
        demo_registry_dir,
        files,
        tender_id="T2026-01",
        insurer="INS02",
        insurer_name="湘潭另一财产保险股份有限公司",
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 12, 31),
        bands=["10=2500.00", "25=3900"],
        max_age=25,
        source=SOURCE,
    )
    registry = validate_change(demo_registry_dir, files, change.files)
    tender = registry.tenders["T2026-01"]
    assert tender.insurer == "INS02" and tender.premium_for_age(12) == Decimal("3900.00")
    assert registry.insurers["INS02"].name == "湘潭另一财产保险股份有限公司"
    assert f"# 依据 {SOURCE}\n[[tender]]" in change.files["insurers.toml"].decode("utf-8")
    with pytest.raises(RegistryInvalid, match="premium bands"):
        add_tender(
            demo_registry_dir,
            files,
            tender_id="T2026-02",
            insurer="INS01",
            period_start=dt.date(2026, 1, 1),
            period_end=dt.date(2026, 12, 31),
            bands=["20=1.00", "10=2.00"],
            max_age=None,
            source=SOURCE,
        )


@pytest.mark.parametrize("given", [None, "", "口头通知", "见附件"])
def test_a_change_without_its_documents_number_is_refused(given: str | None) -> None:
    with pytest.raises(XtError, match="文号"):
        check_source(given)
    assert check_source(" 潭政办发[2026]12号 ") == "潭政办发[2026]12号"
