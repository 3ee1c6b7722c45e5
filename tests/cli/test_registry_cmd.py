"""The registry changed by command, through the real command line on copies of the demo books:
payment notices from xlsx, CSV (GB18030) and options, refusals naming file, row and column with
nothing written, a tender result, a pilot setting that needs its source, and the history."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest
from beancount import loader

from tests.helpers import snapshot, xt
from xtaccounts.core.cache_dir import CACHE_DIR_ENV
from xtaccounts.registry import load as registry_load
from xtaccounts.registry import load_registry
from xtaccounts.registry.load import cache_file

SOURCE = "湘潭市住房和城乡建设局〔2026〕3号"
TENDER = (
    *("registry", "tender", "add", "--id", "T2026-01", "--insurer", "INS01"),
    *("--from", "2026-01-01", "--to", "2026-12-31", "--max-age", "25"),
    *("--band", "10=2400.00", "--band", "20=3200.00", "--band", "25=3800.00"),
    *("--source", "湘潭市公共资源交易中心〔2025〕48号"),
)
# An elevator whose application was voted down in 2024, applied for again in 2026.
ELEVATOR = "31104303201200000004"
APPLICANTS = "C0001-B02-U2-101,C0001-B02-U2-102,C0001-B02-U2-201"


def notices_xlsx(path: Path) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["通知书编号", "房屋编号", "金额（元）", "开具日期"])
    sheet.append(["N2026-0101", "C0001-B02-U2-101", 12000.5, dt.datetime(2026, 1, 6)])
    sheet.append(["N2026-0101", "C0001-B02-U2-102", "8000.00", dt.date(2026, 1, 6)])
    sheet.append([None, None, None, None])
    sheet.append(["N2026-0102", "C0001-B02-U2-201", 9100, dt.date(2026, 1, 7)])
    book.save(path)
    return path


def notice_rows(main: Path) -> list[str]:
    text = (main.parent / "registry" / "payment_notices.csv").read_text("utf-8")
    return [line for line in text.splitlines() if line.startswith("N2026")]


def registry_ok(main: Path) -> None:
    run = xt(main, "registry", "check", "--format", "json")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["ok"] is True


def test_notices_from_xlsx_csv_and_options_are_added_checked_and_recorded(
    demo_copy: Path, tmp_path: Path
) -> None:
    run = xt(demo_copy, "registry", "notice", "add", str(notices_xlsx(tmp_path / "本周.xlsx")))
    assert run.returncode == 0, run.stderr
    assert "新增缴款通知书 2 份" in run.stdout and "29,100.50" in run.stdout
    csv_file = tmp_path / "list.csv"
    csv_file.write_bytes(
        "缴款通知书编号,分户编号,应缴金额,签发日期\r\n"
        "N2026-0103,C0001-B02-U2-202,500.00,2026-01-08\r\n".encode("gb18030")
    )
    run = xt(demo_copy, "registry", "notice", "add", str(csv_file))
    assert run.returncode == 0, run.stderr
    run = xt(
        demo_copy,
        *("registry", "notice", "add", "--notice-no", "N2026-0104"),
        *("--household", "C0001-B02-U2-301", "--amount", "600.10"),
        *("--household", "C0001-B02-U2-302", "--amount", "700"),
        *("--date", "2026-01-09", "--format", "json"),
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["dry_run"] is False
    assert notice_rows(demo_copy) == [
        "N2026-0101,C0001-B02-U2-101,12000.50,2026-01-06",
        "N2026-0101,C0001-B02-U2-102,8000.00,2026-01-06",
        "N2026-0102,C0001-B02-U2-201,9100.00,2026-01-07",
        "N2026-0103,C0001-B02-U2-202,500.00,2026-01-08",
        "N2026-0104,C0001-B02-U2-301,600.10,2026-01-09",
        "N2026-0104,C0001-B02-U2-302,700.00,2026-01-09",
    ]
    registry_ok(demo_copy)
    history = json.loads(xt(demo_copy, "registry", "history", "--format", "json").stdout)
    recorded = [c for c in history["changes"] if c["command"] == "registry notice add"]
    assert len(recorded) == 3
    assert "N2026-0104" in recorded[0]["reason"]
    assert recorded[0]["files"] == [{"status": "M", "path": "registry/payment_notices.csv"}]
    # The books' history is clean: nothing differs from the last recorded change.
    assert "尚未记入变更历史" not in xt(demo_copy, "registry", "check").stderr


def test_a_notice_twice_or_a_bad_row_is_refused_with_row_and_column_and_nothing_written(
    demo_copy: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "通知书编号,房屋编号,金额,开具日期\n"
        "N2026-0201,C0001-B02-U2-101,12.345,2026-01-06\n"
        "N2026-0201,C0001-B02-U2-102,100.00,2026-13-06\n"
        "N2023-0001,C0001-B02-U2-202,100.00,2026-01-06\n"
        "N2026-0202,C0009-B02-U2-101,100.00,2026-01-06\n",
        encoding="utf-8",
    )
    before = snapshot(demo_copy.parent)
    run = xt(demo_copy, "registry", "notice", "add", str(bad))
    assert run.returncode == 1
    assert "bad.csv:2: 金额: '12.345' 有不足一分的零头" in run.stderr
    assert "bad.csv:3: 开具日期:" in run.stderr
    assert "bad.csv:4: 通知书编号: 缴款通知书 N2023-0001 已在登记册中" in run.stderr
    assert "bad.csv:5: 房屋编号: 登记册中没有房屋 C0009-B02-U2-101" in run.stderr
    assert "Traceback" not in run.stderr
    assert snapshot(demo_copy.parent) == before

    xlsx = notices_xlsx(tmp_path / "n.xlsx")
    assert xt(demo_copy, "registry", "notice", "add", str(xlsx)).returncode == 0
    after_first = snapshot(demo_copy.parent)
    run = xt(demo_copy, "registry", "notice", "add", str(xlsx))
    assert run.returncode == 1
    assert "n.xlsx:2: 通知书编号: 缴款通知书 N2026-0101 已在登记册中" in run.stderr
    run = xt(
        demo_copy,
        *("registry", "notice", "add", "--notice-no", "N2026-0102"),
        *("--household", "C0001-B02-U2-401", "--amount", "1.00", "--date", "2026-01-09"),
    )
    assert run.returncode == 1 and "N2026-0102 已在登记册中" in run.stderr
    missing = tmp_path / "missing.csv"
    missing.write_text("编号,金额\nN1,1.00\n", encoding="utf-8")
    run = xt(demo_copy, "registry", "notice", "add", str(missing))
    assert run.returncode == 1 and "missing.csv:1: 缺少列" in run.stderr
    assert snapshot(demo_copy.parent) == after_first


def test_dry_run_shows_the_change_and_writes_nothing(demo_copy: Path, tmp_path: Path) -> None:
    before = snapshot(demo_copy.parent)
    xlsx = notices_xlsx(tmp_path / "n.xlsx")
    run = xt(demo_copy, "registry", "notice", "add", str(xlsx), "--dry-run")
    assert run.returncode == 0, run.stderr
    assert "未写入" in run.stdout and "N2026-0102" in run.stdout
    assert snapshot(demo_copy.parent) == before
    run = xt(
        demo_copy, "registry", "pilot", "set", "inspection_max_months", "18", "--source", SOURCE
    )
    assert run.returncode == 0, run.stderr
    assert snapshot(demo_copy.parent) != before
    assert "inspection_max_months = 18 # 12 → 依据" in (
        demo_copy.parent / "registry" / "pilot.toml"
    ).read_text("utf-8")


def test_a_setting_the_books_break_under_is_refused_and_nothing_written(demo_copy: Path) -> None:
    """The books' notices ran 7 days: with notice_days 10 every one of them would be an error
    of the books, so the change is refused, naming them, and the registry stays as it was."""
    before = snapshot(demo_copy.parent)
    run = xt(demo_copy, "registry", "pilot", "set", "notice_days", "10", "--source", SOURCE)
    assert run.returncode == 1
    assert "写入被拒绝" in run.stderr and "notice of APP-2024-001" in run.stderr
    assert snapshot(demo_copy.parent) == before
    _entries, errors, _options = loader.load_file(str(demo_copy))
    assert errors == []  # the books still load without an error


@pytest.mark.slow
def test_the_pilot_extended_by_its_notice_lets_a_2026_purchase_through(demo_copy: Path) -> None:
    pilot = demo_copy.parent / "registry" / "pilot.toml"
    run = xt(demo_copy, *TENDER)
    assert run.returncode == 0, run.stderr
    insurers = (demo_copy.parent / "registry" / "insurers.toml").read_text("utf-8")
    assert '# 依据 湘潭市公共资源交易中心〔2025〕48号\n[[tender]]\nid = "T2026-01"' in insurers
    assert xt(demo_copy, *TENDER).returncode == 1  # the same tender twice
    file_app = (
        *("application", "file", "--date", "2026-01-10", "--elevator", ELEVATOR),
        *("--households", APPLICANTS, "--insurer", "INS01", "--cover-start", "2026-02-01"),
    )
    run = xt(demo_copy, *file_app)
    assert run.returncode == 0, run.stderr
    run = xt(demo_copy, "application", "notice", "APP-2026-001", "--start", "2026-01-11")
    assert run.returncode == 0, run.stderr
    buy = ("premium", "buy", "APP-2026-001", "--date", "2026-01-20")
    run = xt(demo_copy, *buy)
    assert run.returncode == 1 and "不在试点期 2024-09-15 至 2025-12-31" in run.stderr

    before = pilot.read_bytes()
    run = xt(demo_copy, "registry", "pilot", "set", "window_end", "2026-12-31")
    assert run.returncode == 1 and "--source" in run.stderr
    run = xt(demo_copy, "registry", "pilot", "set", "window_end", "2026-12-31", "--source", "口头")
    assert run.returncode == 1 and "文号" in run.stderr
    run = xt(demo_copy, "registry", "pilot", "set", "no_such", "1", "--source", SOURCE)
    assert run.returncode == 1 and "window_end" in run.stderr
    run = xt(demo_copy, "registry", "pilot", "set", "window_end", "2024-01-01", "--source", SOURCE)
    assert run.returncode == 1 and "window_end 早于 window_start" in run.stderr
    assert pilot.read_bytes() == before

    run = xt(
        demo_copy,
        *("registry", "pilot", "set", "window_end", "2026-12-31"),
        *("--source", SOURCE, "--date", "2026-01-05"),
    )
    assert run.returncode == 0, run.stderr
    text = pilot.read_text("utf-8")
    assert f"window_end = 2026-12-31 # 2025-12-31 → 依据 {SOURCE}，2026-01-05 起" in text
    assert "# 试点期: 2024-09-15 to 2025-12-31" in text  # the file's comments are kept
    run = xt(demo_copy, *buy)
    assert run.returncode == 0, run.stderr

    history = xt(demo_copy, "registry", "history")
    assert history.returncode == 0
    assert history.stdout.count("registry ") >= 2
    assert f"原因：试点设置 window_end：2025-12-31 → 2026-12-31（依据 {SOURCE}" in history.stdout
    assert "原因：登记招标结果 T2026-01" in history.stdout
    audit = xt(demo_copy, "audit", "--format", "json")
    found = json.loads(audit.stdout)
    checks = {c["name"]: c for c in found["checks"]}
    assert checks["history"]["errors"] == 0
    assert checks["history"]["counts"]["registry_changes"] == 3  # the books' start, and ours


def _notice(main: Path, number: str, household: str, *extra: str) -> None:
    run = xt(main, *("registry", "notice", "add", "--notice-no", number, "--household"),
             household, *("--amount", "10", "--date", "2026-01-09"), *extra)  # fmt: skip
    assert run.returncode == 0, run.stderr


def test_a_cached_registry_stays_cached_across_notices_added(
    demo_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`notice add` validated the registry as it leaves it: a registry that was cached (slow to
    validate) is cached for its new bytes too, so the next command (the import of the notices'
    payments) does not validate it again; one that was not cached stays so."""
    directory = demo_copy.parent / "registry"
    cache = tmp_path / "cache"
    monkeypatch.setenv(CACHE_DIR_ENV, str(cache))
    monkeypatch.setattr(registry_load, "CACHE_THRESHOLD_SECONDS", 0.0)
    registry_load._MEMO.clear()
    _notice(demo_copy, "N2026-0201", "C0001-B02-U2-101")
    assert not cache_file(directory).exists()  # the demo's registry is quick: never cached
    load_registry(directory)  # as the first command reading a slow registry caches it
    assert cache_file(directory).exists()
    _notice(demo_copy, "N2026-0202", "C0001-B02-U2-102")
    files = registry_load._read_files(directory)
    assert b"N2026-0202" in (files["payment_notices.csv"] or b"")
    cached = registry_load._read_cache(directory, registry_load.registry_digest(files))
    assert cached is not None and "N2026-0202" in cached.notices
    assert dataclasses.replace(cached, directory=directory) == load_registry(directory, cache=False)
    # A dry run writes neither the registry nor a cache.
    kept = sorted(p.name for p in cache.iterdir())
    _notice(demo_copy, "N2026-0203", "C0001-B02-U2-201", "--dry-run")
    assert sorted(p.name for p in cache.iterdir()) == kept
