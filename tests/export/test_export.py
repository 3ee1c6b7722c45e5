"""`xtaccounts export`: the statements tie out to the books, the files are safe and atomic.

The exports are written by the real command line (subprocess) from the demo books; the
statements are re-derived here independently with beanquery; the workbook is opened with
openpyxl and the CSVs with the csv module.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import subprocess
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from beancount import loader
from beanquery.query import run_query
from openpyxl import load_workbook

from tests.helpers import child_processes, snapshot, xt, zip_parts
from xtaccounts.core.errors import XtError
from xtaccounts.core.privacy import is_masked_name
from xtaccounts.export import export_books
from xtaccounts.reading.ledger import open_ledger
from xtaccounts.registry import load_registry
from xtaccounts.reports.balances import household_ledger

CENT = Decimal("0.01")
NOT_CLOSE = "(entry_meta('kind') IS NULL OR entry_meta('kind') != 'close')"
SHEET_01 = "会住维01表 资产负债表"
OWN_FORMULA = re.compile(r"SUM\([A-Z]+\d+:[A-Z]+\d+\)|[A-Z]+\d+([+-][A-Z]+\d+)*")
SHEET_02 = "会住维02表 收支表"
SHEET_03 = "会住维03表 净资产变动表"


# -- helpers ---------------------------------------------------------------------------------


def run_export(main: Path, out: Path, *args: str) -> Path:
    result = xt(main, "export", "--out", str(out), *args)
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def workbook(out: Path):
    """The export's workbook as a reader without a calculation engine sees it: the totals'
    formulas by their cached values."""
    (path,) = out.glob("*.xlsx")
    return load_workbook(path, data_only=True)


def sheet_rows(ws, first_header: str) -> list[dict]:
    """The rows below the header row (the row whose first cell is `first_header`)."""
    rows = list(ws.iter_rows(values_only=True))
    start = next(i for i, r in enumerate(rows) if r[0] == first_header)
    header = rows[start]
    return [dict(zip(header, r, strict=True)) for r in rows[start + 1 :]]


def csv_rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def money(value) -> Decimal:
    """A cell's number as Decimal (openpyxl reads numbers back as float; its repr is exact)."""
    if isinstance(value, str):
        return Decimal(value).quantize(CENT)
    return Decimal(repr(value)).quantize(CENT)


def by_item(rows: list[dict], key: str = "项目") -> dict[str, dict]:
    return {r[key]: r for r in rows if r.get(key)}


def query_sums(main: Path, where: str) -> dict[str, Decimal]:
    """Account -> sum of its postings, by beanquery."""
    entries, _errors, options = loader.load_file(str(main))
    _types, rows = run_query(
        entries, options, f"SELECT account, sum(number) AS total WHERE {where} GROUP BY account"
    )
    return {account: total for account, total in rows}


def under(sums: dict[str, Decimal], *prefixes: str) -> Decimal:
    return sum(
        (v for a, v in sums.items() if any(a == p or a.startswith(p + ":") for p in prefixes)),
        Decimal("0"),
    )


def sheet_figures(sums: dict[str, Decimal]) -> dict[str, Decimal]:
    """01表's lines derived from account sums: net assets as if the period were closed."""
    flows_to_fund = ("Income:Deposit-交存收入", "Expenses:Refund-返还支出")
    other_flows = -under(sums, "Income", "Expenses") + under(sums, *flows_to_fund)
    return {
        "银行存款": under(sums, "Assets:Bank-银行存款", "Assets:Clearing-在途资金"),
        "应付房屋灭失返还资金": -under(sums, "Liabilities:LossRefund-应付房屋灭失返还资金"),
        "待查明款项（中心增设）": -under(sums, "Liabilities:Suspense-待查明款项"),
        "应付保险机构保险费（中心增设）": -under(sums, "Liabilities:Clearing-应付清算"),
        "负债合计": -under(sums, "Liabilities"),
        "维修资金": -under(sums, "Equity:Fund-维修资金", *flows_to_fund),
        "待分配累计收益": -under(sums, "Equity:Undistributed-待分配累计收益") + other_flows,
    }


# -- exports made once by the real command line ----------------------------------------------


@pytest.fixture(scope="module")
def year_export(demo_books: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("export") / "2025"
    return run_export(demo_books, out, "--period", "2025")


@pytest.fixture(scope="module")
def month_export(demo_books: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("export") / "2025-12"
    return run_export(demo_books, out, "--period", "2025-12")


# -- the files -------------------------------------------------------------------------------


def test_year_export_lists_every_file_with_its_hash_and_totals(year_export: Path) -> None:
    manifest = json.loads((year_export / "manifest.json").read_text("utf-8"))
    listed = {f["path"] for f in manifest["files"]}
    on_disk = {p.name for p in year_export.iterdir()} - {"manifest.json"}
    assert listed == on_disk
    assert {"01-balance-sheet.csv", "02-income-expenditure.csv", "03-net-assets.csv"} <= listed
    assert {"10-pool-ledger.json", "15-disclosure-households.csv", "16-coverage.csv"} <= listed
    for entry in manifest["files"]:
        data = (year_export / entry["path"]).read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        assert entry["bytes"] == len(data)
    pools = next(f for f in manifest["files"] if f["path"] == "10-pool-ledger.csv")
    assert pools["control_totals"]["rows"] == 17
    rows = csv_rows(year_export / "10-pool-ledger.csv")
    assert pools["control_totals"]["closing"] == rows[-1]["期末余额"]
    assert all(check["ok"] for check in manifest["checks"]), manifest["checks"]
    assert manifest["confirmed_codes"] == ["5101"]
    wb = workbook(year_export)
    assert wb.sheetnames[:3] == [SHEET_01, SHEET_02, SHEET_03]
    assert manifest["files"][0]["sheet_names"] == wb.sheetnames
    assert set(manifest["files"][0]["sheets"]) == set(wb.sheetnames)


def test_workbook_cells_are_numbers_formatted_with_frozen_headers(year_export: Path) -> None:
    wb = workbook(year_export)
    for ws in wb.worksheets:
        assert ws.freeze_panes is not None, ws.title
        assert ws.print_title_rows, ws.title
        assert ws.page_setup.fitToWidth == 1
    ws = wb["统筹账户明细账"]
    rows = list(ws.iter_rows())
    header = next(i for i, r in enumerate(rows) if r[0].value == "统筹账户编号")
    assert ws.freeze_panes == f"A{header + 2}"
    body = rows[header + 1 :]
    assert body[-1][0].value == "合计"
    for row in body:
        for cell in row[2:]:
            assert cell.data_type == "n"
            assert isinstance(cell.value, int | float)
            assert cell.number_format == "#,##0.00"
    assert ws.column_dimensions["B"].width >= 20
    closing = [money(r[-1].value) for r in body[:-1]]
    assert money(body[-1][-1].value) == sum(closing)


def test_csv_has_a_bom_and_json_amounts_are_two_decimal_strings(year_export: Path) -> None:
    for path in year_export.glob("*.csv"):
        assert path.read_bytes().startswith(b"\xef\xbb\xbf"), path.name
    doc = json.loads((year_export / "10-pool-ledger.json").read_text("utf-8"))
    money_keys = [c["key"] for c in doc["columns"] if c["kind"] == "money"]
    assert money_keys
    for row in [*doc["rows"], doc["totals"]]:
        for key in money_keys:
            assert isinstance(row[key], str) and re.fullmatch(r"-?\d+\.\d{2}", row[key])
    bs = json.loads((year_export / "01-balance-sheet.json").read_text("utf-8"))
    assert bs["form"] == "会住维01表" and bs["unit"] == "元" and bs["period_end"] == "2025-12-31"


# -- the statements tie out to the books -----------------------------------------------------


def test_balance_sheet_equals_the_ledger_by_beanquery(demo_books: Path, year_export: Path) -> None:
    closing = sheet_figures(query_sums(demo_books, "date <= 2025-12-31"))
    opening = sheet_figures(query_sums(demo_books, "date <= 2024-12-31"))
    from_xlsx = by_item(sheet_rows(workbook(year_export)[SHEET_01], "项目"))
    from_csv = by_item(csv_rows(year_export / "01-balance-sheet.csv"))
    for name in closing:
        assert money(from_xlsx[name]["期末余额"]) == closing[name], name
        assert money(from_xlsx[name]["年初余额"]) == opening[name], name
        assert money(from_csv[name]["期末余额"]) == closing[name], name
        assert money(from_csv[name]["年初余额"]) == opening[name], name
    assert closing["银行存款"] > 0
    total = from_xlsx["资产合计"]["期末余额"]
    assert money(total) == money(from_xlsx["负债和净资产合计"]["期末余额"])
    assert "编码已确认" not in from_xlsx["银行存款"]


def test_income_statement_equals_the_periods_income_and_expenses(
    demo_books: Path, year_export: Path, month_export: Path
) -> None:
    year = query_sums(demo_books, f"year = 2025 AND {NOT_CLOSE}")
    month = query_sums(demo_books, f"year = 2025 AND month = 12 AND {NOT_CLOSE}")
    for out, sums, column in ((year_export, year, "本年累计数"), (month_export, month, "本月数")):
        income, expenses = -under(sums, "Income"), under(sums, "Expenses")
        rows = by_item(sheet_rows(workbook(out)[SHEET_02], "项目"))
        assert money(rows["收入合计"][column]) == income
        assert money(rows["支出合计"][column]) == expenses
        assert money(rows["本期收支差额"][column]) == income - expenses
        assert money(rows["存款利息收入"][column]) == -under(sums, "Income:Interest-存款利息收入")
        assert money(rows["返还支出"][column]) == under(sums, "Expenses:Refund-返还支出")
        assert "编码已确认" not in rows["返还支出"]
        csv_by = by_item(csv_rows(out / "02-income-expenditure.csv"))
        assert money(csv_by["本期收支差额"][column]) == income - expenses
    assert year and -under(year, "Income") > 0
    # The year's December equals the month export's 本月数.
    year_rows = by_item(sheet_rows(workbook(year_export)[SHEET_02], "项目"))
    month_rows = by_item(sheet_rows(workbook(month_export)[SHEET_02], "项目"))
    assert year_rows["收入合计"]["本月数"] == month_rows["收入合计"]["本月数"]


def test_net_assets_closing_equals_the_balance_sheet(year_export: Path) -> None:
    wb = workbook(year_export)
    sheet = by_item(sheet_rows(wb[SHEET_01], "项目"))
    changes = by_item(sheet_rows(wb[SHEET_03], "项目"))
    closing = changes["本年年末余额"]
    assert money(closing["维修资金"]) == money(sheet["维修资金"]["期末余额"])
    assert money(closing["待分配累计收益"]) == money(sheet["待分配累计收益"]["期末余额"])
    assert money(closing["合计"]) == money(sheet["净资产合计"]["期末余额"])
    assert money(changes["本年年初余额"]["合计"]) == money(sheet["净资产合计"]["年初余额"])
    income = by_item(sheet_rows(wb[SHEET_02], "项目"))
    assert money(changes["本年收支差额"]["合计"]) == money(income["本期收支差额"]["本年累计数"])
    for column in ("维修资金", "待分配累计收益"):
        moved = sum(
            money(changes[row][column])
            for row in ("本年年初余额", "本年收支差额", "本年分配累计收益", "本年划转")
        )
        assert moved == money(closing[column])


def test_month_export_has_no_net_asset_statement(month_export: Path) -> None:
    assert not (month_export / "03-net-assets.csv").exists()
    assert SHEET_03 not in workbook(month_export).sheetnames
    rows = by_item(sheet_rows(workbook(month_export)[SHEET_01], "项目"))
    assert money(rows["资产合计"]["期末余额"]) == money(rows["负债和净资产合计"]["期末余额"])


def test_pool_ledger_closing_equals_the_pools_command(demo_books: Path, year_export: Path) -> None:
    result = xt(demo_books, "pools", "--as-of", "2025-12-31", "--format", "json")
    assert result.returncode == 0, result.stderr
    pools = {r["pool"]: Decimal(r["available"]) for r in json.loads(result.stdout)["rows"]}
    rows = csv_rows(year_export / "10-pool-ledger.csv")
    ledger = {
        r["统筹账户编号"]: Decimal(r["期末余额"]) for r in rows if r["统筹账户编号"] != "合计"
    }
    assert ledger == pools
    for r in rows[:-1]:
        moved = (
            Decimal(r["期初余额"])
            + Decimal(r["本期分配利差"])
            + Decimal(r["历史利差转入"])
            - Decimal(r["保险费支出"])
            + Decimal(r["退保退费"])
            + Decimal(r["其他变动"])
        )
        assert moved == Decimal(r["期末余额"])


def test_household_disclosure_equals_the_households_command(
    demo_books: Path, year_export: Path
) -> None:
    unit = "C0001-B01-U1"
    result = xt(demo_books, "households", unit, "--as-of", "2025-12-31", "--format", "json")
    assert result.returncode == 0, result.stderr
    expected = {r["household"]: Decimal(r["balance"]) for r in json.loads(result.stdout)["rows"]}
    rows = csv_rows(year_export / "15-disclosure-households.csv")
    got = {r["户号"]: Decimal(r["期末结存"]) for r in rows if r["户号"].startswith(unit + "-")}
    assert got == expected
    households = [r for r in rows if r["户号"] != "合计"]
    assert len(households) == 400
    for r in households:
        assert is_masked_name(r["业主（脱敏）"]), r
        moved = (
            Decimal(r["上期结存"])
            + Decimal(r["本期交存"])
            - Decimal(r["本期使用(返还)"])
            + Decimal(r["本期增值收益"])
        )
        assert moved == Decimal(r["期末结存"])
    pools = csv_rows(year_export / "14-disclosure-pools.csv")
    assert pools[-1]["维修资金期末结存"] == rows[-1]["期末结存"]


def test_streamed_tables_total_and_count_what_they_wrote(year_export: Path) -> None:
    """The 分户账's totals row is summed before its rows are made (the JSON writes it first):
    it is the sum of the rows written, in the CSV, the JSON and the workbook, and the
    manifest counts the rows of both tables made as they are written (分户账, 明细账)."""
    rows = csv_rows(year_export / "15-disclosure-households.csv")
    body, totals = rows[:-1], rows[-1]
    assert totals["户号"] == "合计" and len(body) == 400
    for key in (
        "建筑面积(㎡)",
        "上期结存",
        "本期交存",
        "本期使用(返还)",
        "本期增值收益",
        "期末结存",
    ):
        assert Decimal(totals[key]) == sum(Decimal(r[key]) for r in body), key
    document = json.loads((year_export / "15-disclosure-households.json").read_text("utf-8"))
    assert document["totals"]["closing"] == totals["期末结存"]
    assert len(document["rows"]) == len(body)
    manifest = json.loads((year_export / "manifest.json").read_text("utf-8"))
    entries = {f["path"]: f for f in manifest["files"]}
    for stem in ("15-disclosure-households", "22-detail-ledger"):
        written = len(csv_rows(year_export / f"{stem}.csv"))
        counted = entries[f"{stem}.csv"]["control_totals"]["rows"]
        assert counted == written - (stem == "15-disclosure-households"), stem
        assert entries[f"{stem}.json"]["control_totals"]["rows"] == counted
    closing = entries["15-disclosure-households.csv"]["control_totals"]["closing"]
    assert closing == totals["期末结存"]
    sheets = next(f for f in manifest["files"] if f["format"] == "xlsx")["sheets"]
    assert sheets["分户账公示"] == entries["15-disclosure-households.csv"]["control_totals"]
    book = load_workbook(next(year_export.glob("*.xlsx")), read_only=True)
    sheet_rows = list(book["分户账公示"].iter_rows(values_only=True))
    assert sheet_rows[-1][0] == "合计" and len([r for r in sheet_rows if r[0]]) > len(body)


def test_household_disclosure_equals_the_household_ledger_of_every_unit(
    demo_books: Path, year_export: Path
) -> None:
    """The export derives the 分户账 in one pass of its own; `xtaccounts households`
    (reports.household_ledger) derives it unit by unit: both agree for every household."""
    fund = open_ledger(demo_books)
    registry, entries, positions = fund.registry, fund.books.entries, fund.positions
    closing: dict[str, Decimal] = {}
    opening: dict[str, Decimal] = {}
    for unit in registry.units:
        for day, into in ((dt.date(2025, 12, 31), closing), (dt.date(2024, 12, 31), opening)):
            ledger = household_ledger(registry, entries, positions, unit, day)
            into.update({h.household: h.balance for h in ledger.households})
    rows = [
        r for r in csv_rows(year_export / "15-disclosure-households.csv") if r["户号"] != "合计"
    ]
    assert {r["户号"]: Decimal(r["期末结存"]) for r in rows} == closing
    assert {r["户号"]: Decimal(r["上期结存"]) for r in rows} == opening
    assert sum(closing.values()) > sum(opening.values()) > 0


def test_allocation_and_spread_detail_add_up(year_export: Path) -> None:
    spread = csv_rows(year_export / "12-spread.csv")
    for r in spread[:-1]:
        assert Decimal(r["基准部分"]) + Decimal(r["利差"]) == Decimal(r["实收利息"])
    allocations = csv_rows(year_export / "13-allocations.csv")
    per_receipt: dict[tuple[str, str, str], Decimal] = {}
    amount: dict[tuple[str, str, str], Decimal] = {}
    for r in allocations[:-1]:
        key = (r["分配日"], r["收息编号"], r["分配部分"])
        per_receipt[key] = per_receipt.get(key, Decimal("0")) + Decimal(r["分得金额"])
        amount[key] = Decimal(r["该笔金额"])
    assert per_receipt and per_receipt == amount


# -- safety ----------------------------------------------------------------------------------

INJECTED = '=HYPERLINK("http://attacker.example/x","click")'
FULL_NAME = "何建国"
PHONE = "13812345678"


@pytest.fixture
def tainted_export(demo_copy: Path, tmp_path: Path) -> Path:
    """The demo copy with a formula in a premium's narration, a formula-like applicant name, and
    an owner's full name and phone number (as a payer, and repeated in the narration)."""
    root = demo_copy.parent
    insurance = root / "txns/2025/insurance.beancount"
    text = insurance.read_text("utf-8")
    old = '"电梯维修保险费（购买） APP-2024-005'
    assert old in text
    escaped = INJECTED.replace('"', '\\"')
    text = text.replace(old, f'"{escaped} 联系人{FULL_NAME} {PHONE} APP-2024-005', 1)
    insurance.write_text(text, "utf-8")
    applications = root / "txns/2024/insurance.beancount"
    text = applications.read_text("utf-8")
    old_name = 'applicant_name: "金泉小区业主委员会"'
    assert old_name in text
    applications.write_text(text.replace(old_name, 'applicant_name: "@SUM(1+1)*cmd|calc"'), "utf-8")
    bank = root / "txns/2024/bank-ICBC-8821.beancount"
    text = bank.read_text("utf-8")
    assert 'payer: "何*"' in text
    bank.write_text(text.replace('payer: "何*"', f'payer: "{FULL_NAME}"', 1), "utf-8")
    return run_export(demo_copy, tmp_path / "out", "--period", "2025")


def _all_text(out: Path) -> str:
    texts = []
    for path in out.iterdir():
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as archive:
                for name in archive.namelist():
                    member = archive.read(name).decode("utf-8")
                    # openpyxl writes non-ASCII text as XML character references.
                    texts.append(re.sub(r"&#(\d+);", lambda m: chr(int(m.group(1))), member))
        else:
            texts.append(path.read_text("utf-8-sig"))
    return "\n".join(texts)


def test_injected_formulas_are_inert_in_xlsx_and_csv(tainted_export: Path) -> None:
    (xlsx,) = tainted_export.glob("*.xlsx")
    with zipfile.ZipFile(xlsx) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                # The workbook's own totals only: sums of cell references, never injected text.
                for formula in re.findall(r"<f>(.*?)</f>", archive.read(name).decode("utf-8")):
                    assert OWN_FORMULA.fullmatch(formula), (name, formula)
    ws = workbook(tainted_export)["保险费支付明细"]
    cells = [c for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    narration = [c for c in cells if "HYPERLINK" in c.value]
    applicant = [c for c in cells if c.value.startswith("@SUM")]
    assert narration and applicant
    for cell in narration + applicant:
        assert cell.data_type == "s"
    assert narration[0].value.startswith(INJECTED)
    assert applicant[0].quotePrefix
    rows = csv_rows(tainted_export / "11-premiums.csv")
    texts = [v for r in rows for v in r.values()]
    assert any(v.startswith("'" + INJECTED) for v in texts)
    assert any(v.startswith("'@SUM(1+1)") for v in texts)
    for v in texts:
        assert not v.startswith(("=", "+", "@", "\t", "\r")), v
        if v.startswith("-"):
            Decimal(v)  # only numbers may begin with a minus sign


def test_no_owner_name_or_phone_in_clear_anywhere(tainted_export: Path, demo_copy: Path) -> None:
    text = _all_text(tainted_export)
    assert f"{FULL_NAME[0]}**" in text  # the narration's name, masked
    assert FULL_NAME not in text
    assert PHONE not in text and "138****5678" in text
    registry = load_registry(demo_copy.parent / "registry")
    owners = {h.owner_masked for h in registry.households.values() if h.owner_masked}
    assert owners and all(is_masked_name(o) for o in owners)
    households = csv_rows(tainted_export / "15-disclosure-households.csv")
    shown = {r["业主（脱敏）"] for r in households if r["户号"] != "合计"}
    assert shown <= owners


HOSTILE = (
    "a & b < c > d \"q\" 's' ]]> &amp;",
    '=HYPERLINK("http://attacker.example/x","click")',
    "-1+2",
    "@SUM(1)",
    "\tTAB",
    "bell\x07 nul\x00 vt\x0b end",
    "line1\r\nline2",
    "lone \ud800 surrogate \uffff",
    "_x003D_1+1 keeps its underscore",
    "中文“引号”",
)


def hostile_workbook(path: Path) -> list[tuple[str, Decimal, dt.date]]:
    from xtaccounts.export.table import DATE, MONEY, TEXT, Column, Table
    from xtaccounts.export.xlsx import write_workbook

    rows = [
        (text, Decimal(i * 1001 - 3000).scaleb(-2), dt.date(2025, 1, 1 + i))
        for i, text in enumerate(HOSTILE)
    ]
    table = Table(
        stem="t",
        sheet="明细 & <x>",
        title="标题 & <t>",
        columns=(
            Column("text", "摘要", TEXT, 30),
            Column("amount", "金额", MONEY),
            Column("date", "日期", DATE),
        ),
        rows=rows,
        notes=["注 & <n>"],
    )
    write_workbook(path, [table], '中心 & "<o>"', {"t": "2025年度"})
    return rows


def expected_text(text: str) -> str:
    """What a cell keeps: every character XML 1.0 can carry."""
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]", "", text)


def test_hand_written_xlsx_is_well_formed_and_keeps_text_and_numbers(tmp_path: Path) -> None:
    from xml.etree import ElementTree

    path = tmp_path / "hostile.xlsx"
    rows = hostile_workbook(path)
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            ElementTree.fromstring(archive.read(name))  # strict XML 1.0 (expat)
        sheet = archive.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert re.findall(r"<f>(.*?)</f>", sheet) == ["SUM(B6:B15)"]  # the totals row's, no other
    assert "<v>-30.00</v>" in sheet and "<v>60.09</v>" in sheet  # the Decimal's text, no float
    ws = load_workbook(path)["明细 & <x>"]
    assert ws["A1"].value == "标题 & <t>" and ws["A3"].value == '编制单位：中心 & "<o>"'
    body = sheet_rows(ws, "摘要")
    assert len(body) == len(rows) + 1 and body[-1]["摘要"] == "合计"
    for (text, amount, day), got in zip(rows, body, strict=False):
        if "_x003D_" in text:
            continue  # openpyxl does not unescape `_x005F_` in inline strings (Excel does)
        assert got["摘要"] == expected_text(text)
        assert money(got["金额"]) == amount
        assert got["日期"].date() == day
    dangerous = {c.value: c.quotePrefix for c in ws["A"] if isinstance(c.value, str)}
    assert dangerous[HOSTILE[1]] and dangerous["-1+2"] and dangerous["@SUM(1)"]
    assert not dangerous[expected_text(HOSTILE[0])]


@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice is not installed")
def test_libreoffice_opens_the_workbook_as_written(tmp_path: Path) -> None:
    path = tmp_path / "hostile.xlsx"
    rows = hostile_workbook(path)
    result = subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1",
            "--outdir",
            str(tmp_path / "lo"),
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    (converted,) = (tmp_path / "lo").glob("*.csv")
    with converted.open(encoding="utf-8", newline="") as handle:
        cells = list(csv.reader(handle))
    header = next(i for i, r in enumerate(cells) if r[0] == "摘要")
    body = cells[header + 1 :]
    # LibreOffice's CSV filter writes a cell's CR LF as LF.
    shown = [expected_text(t).replace("\r\n", "\n") for t, _a, _d in rows]
    assert [r[0] for r in body[:-1]] == shown, result.stderr
    assert body[-1][0] == "合计"
    assert [Decimal(r[1]) for r in body[:-1]] == [a for _t, a, _d in rows]
    assert [r[2] for r in body[:-1]] == [d.isoformat() for _t, _a, d in rows]


# -- atomicity -------------------------------------------------------------------------------


def _boom(*_args, **_kwargs):
    raise RuntimeError("disk full (injected)")


def test_a_failed_export_leaves_no_directory(
    demo_books: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # It fails while the workbook's process has its workbook open in the directory being made
    # (the process is ended before the directory is removed: a file it wrote meanwhile would
    # keep the directory; that race itself is not reproduced here).
    monkeypatch.setattr("xtaccounts.export.build.write_json", _boom)
    out = tmp_path / "exports" / "2025"
    before = child_processes()
    with pytest.raises(RuntimeError, match="injected"):
        export_books(demo_books, "2025", out)
    assert not out.exists()
    assert list((tmp_path / "exports").iterdir()) == []
    assert child_processes() == before


def _die(*_args, **_kwargs):
    os._exit(9)


@pytest.mark.parametrize(
    ("in_workbook", "error", "message"),
    [(_boom, RuntimeError, "injected"), (_die, XtError, "退出码 9")],
)
def test_a_failed_workbook_process_leaves_no_directory_and_no_process(
    demo_books: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    in_workbook,
    error: type[Exception],
    message: str,
) -> None:
    # The workbook is written by a forked process: what is patched here is what it runs.
    monkeypatch.setattr("xtaccounts.export.workbook_process.write_workbook", in_workbook)
    out = tmp_path / "exports" / "2025"
    before = child_processes()
    with pytest.raises(error, match=message):
        export_books(demo_books, "2025", out)
    assert not out.exists()
    assert list((tmp_path / "exports").iterdir()) == []
    assert child_processes() == before


def test_each_format_alone_is_what_all_three_write(demo_books: Path, tmp_path: Path) -> None:
    """The workbook's process writes the workbook and the streamed tables' JSON; without a
    workbook this process writes that JSON: the files are the same either way."""
    day = dt.date(2026, 1, 15)
    before = child_processes()
    all_three = tmp_path / "all"
    export_books(demo_books, "2025", all_three, issued=day)
    for formats in (("xlsx",), ("csv", "json"), ("json",)):
        out = tmp_path / "-".join(formats)
        export_books(demo_books, "2025", out, formats, issued=day)
        written = sorted(p.name for p in out.iterdir() if p.name != "manifest.json")
        assert written and all(name.endswith(formats) for name in written)
        for name in written:
            if name.endswith(".xlsx"):
                assert zip_parts(out / name) == zip_parts(all_three / name)
            else:
                assert (out / name).read_bytes() == (all_three / name).read_bytes(), name
    assert child_processes() == before


def test_an_existing_directory_is_refused_or_replaced_whole(
    demo_books: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "2025"
    out.mkdir()
    (out / "keep.txt").write_text("not an export", "utf-8")
    with pytest.raises(XtError, match="已存在"):
        export_books(demo_books, "2025", out)
    with pytest.raises(XtError, match="不是本程序以前写的导出"):  # issue 16: never replaced
        export_books(demo_books, "2025", out, replace=True)
    (out / "keep.txt").unlink()
    export_books(demo_books, "2025", out, ("json",))  # an empty directory is used
    before = snapshot(out)
    with pytest.raises(XtError, match="已存在"):
        export_books(demo_books, "2025", out)
    assert snapshot(out) == before

    with monkeypatch.context() as patched:
        patched.setattr("xtaccounts.export.build.write_csv", _boom)
        with pytest.raises(RuntimeError):
            export_books(demo_books, "2025", out, replace=True)
    assert snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2025"]

    result = export_books(demo_books, "2025", out, ("csv",), replace=True)
    assert result.ok
    names = {p.name for p in out.iterdir()}
    assert "01-balance-sheet.json" not in names and "01-balance-sheet.csv" in names
    assert {n.rsplit(".", 1)[1] for n in names - {"manifest.json"}} == {"csv"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2025"]


def test_a_directory_that_appears_meanwhile_is_not_overwritten(tmp_path: Path) -> None:
    from xtaccounts.core.atomic_directory import write_directory

    target = tmp_path / "out"

    def fill(root: Path) -> None:
        (root / "a.csv").write_text("x", "utf-8")
        target.mkdir()  # another process creates the (empty) target meanwhile

    with pytest.raises((XtError, OSError)):
        write_directory(target, fill)
    assert target.is_dir() and not list(target.iterdir())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]

    def fill_new(root: Path) -> None:
        (root / "b.csv").write_text("new", "utf-8")

    write_directory(target, fill_new, replace=True)
    assert [p.name for p in target.iterdir()] == ["b.csv"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_cli_refuses_bad_input(demo_books: Path, tmp_path: Path) -> None:
    result = xt(demo_books, "export", "--period", "2025-13", "--out", str(tmp_path / "x"))
    assert result.returncode == 1 and "没有 13 月" in result.stderr
    result = xt(
        demo_books, "export", "--period", "2025", "--out", str(tmp_path / "x"), "--format", "pdf"
    )
    assert result.returncode == 1 and "--format" in result.stderr
    assert not (tmp_path / "x").exists()


def test_forms_can_be_overridden_by_the_registry(demo_copy: Path, tmp_path: Path) -> None:
    from importlib import resources

    text = resources.files("xtaccounts.export").joinpath("forms.toml").read_text("utf-8")
    text = text.replace('name = "银行存款"', 'name = "银行存款（含在途）"', 1)
    (demo_copy.parent / "registry" / "export_forms.toml").write_text(text, "utf-8")
    out = run_export(demo_copy, tmp_path / "o", "--period", "2025-06", "--format", "csv")
    names = {r["项目"] for r in csv_rows(out / "01-balance-sheet.csv")}
    assert "银行存款（含在途）" in names
    assert {p.suffix for p in out.iterdir()} == {".csv", ".json"}  # the manifest is JSON
    assert not list(out.glob("*.xlsx"))


def test_a_table_longer_than_a_sheet_continues_on_the_next(tmp_path: Path) -> None:
    from xtaccounts.export.table import MONEY, TEXT, Column, Table
    from xtaccounts.export.xlsx import write_workbook

    rows = [(f"r{i:02d}", Decimal(i).scaleb(-2)) for i in range(12)]
    table = Table(
        stem="t",
        sheet="分配明细",
        title="分配明细",
        columns=(Column("id", "编号", TEXT), Column("amount", "金额", MONEY)),
        rows=rows,
    )
    path = tmp_path / "t.xlsx"
    names = write_workbook(path, [table], "中心", {"t": "2025年度"}, max_rows=5)
    assert names == ["分配明细", "分配明细 (2)", "分配明细 (3)"]
    wb = load_workbook(path)
    assert wb.sheetnames == names
    parts = [sheet_rows(wb[name], "编号") for name in names]
    assert [len(p) for p in parts] == [5, 5, 3]  # the last one ends with 合计
    assert parts[2][-1]["编号"] == "合计"
    assert money(parts[2][-1]["金额"]) == sum(r[1] for r in rows)
    assert [r["编号"] for p in parts for r in p][:-1] == [r[0] for r in rows]


# -- the forms as filed (issue 20) -----------------------------------------------------------


def test_liabilities_each_on_their_own_line_and_the_forms_fit_to_sign(
    demo_books: Path, tmp_path: Path
) -> None:
    """September 2025: 3,900.00 unidentified and 8,000.00 owed to the insurer are no longer
    summed into 2001; no note names forms.toml, no 编码已确认 column; signatures and 报出日期
    under each form; totals are formulas whose cached values are the figures."""
    out = tmp_path / "sep"
    export_books(demo_books, "2025-09", out, ("xlsx", "json"), issued=dt.date(2026, 1, 15))
    (path,) = out.glob("*.xlsx")
    values = by_item(sheet_rows(load_workbook(path, data_only=True)[SHEET_01], "项目"))
    assert money(values["应付房屋灭失返还资金"]["期末余额"]) == Decimal("0.00")
    assert money(values["待查明款项（中心增设）"]["期末余额"]) == Decimal("3900.00")
    assert money(values["应付保险机构保险费（中心增设）"]["期末余额"]) == Decimal("8000.00")
    assert money(values["负债合计"]["期末余额"]) == Decimal("11900.00")
    assert values["资产合计"]["期末余额"] == values["负债和净资产合计"]["期末余额"]
    formulas = by_item(sheet_rows(load_workbook(path)[SHEET_01], "项目"))
    assert formulas["负债合计"]["期末余额"] == "=E11+E12+E13"
    sheet = load_workbook(path)[SHEET_01]
    text = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert not any("forms.toml" in t or "编码已确认" in t for t in text)
    footer = [t for t in text if "单位负责人" in t or "报出日期" in t]
    assert footer == [
        "    ".join(
            f"{role}：＿＿＿＿＿＿" for role in ("单位负责人", "财务负责人", "复核", "制表人")
        ),
        "报出日期：2026年1月15日",
    ]
    doc = json.loads((out / "01-balance-sheet.json").read_text("utf-8"))
    assert doc["meta"]["issued"] == "2026-01-15" and doc["notes"] == []
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    mapping = {m["code"]: m for m in manifest["code_mapping"]}
    assert mapping["5101"]["confirmed"] and not mapping["2901"]["confirmed"]


def test_the_export_carries_the_books_and_the_reconciliation(year_export: Path) -> None:
    manifest = json.loads((year_export / "manifest.json").read_text("utf-8"))
    tables = {f.get("table") for f in manifest["files"]}
    assert {"21-general-ledger", "22-detail-ledger", "23-trial-balance"} <= tables
    assert "20-bank-journal-ICBC-Demand-8821" in tables and "24-bank-reconciliation" in tables
    checks = {c["name"]: c for c in manifest["checks"]}
    assert checks["银行存款余额调节表 调节后余额相等"]["ok"]
    assert checks["科目余额表 期末 借方合计 = 贷方合计"]["ok"]
    statuses = [r["项目"] for r in csv_rows(year_export / "24-bank-reconciliation.csv")]
    assert statuses.count("状态") == 24
    sheets = workbook(year_export).sheetnames
    assert {"总账", "明细账", "科目余额表", "银行存款余额调节表"} <= set(sheets)


def test_public_housing_households_split_the_fund_on_01(demo_copy: Path, tmp_path: Path) -> None:
    """The registry marks every household of C0001-B01-U1 已售公有住房: 01表 shows 维修资金 as
    商品住宅 and 已售公有住房, the latter the unit's fund, the two adding up to the line."""
    path = demo_copy.parent / "registry" / "households.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        fields, households = list(reader.fieldnames or []), list(reader)
    assert "housing_type" in fields  # blank: 商品住宅
    for household in households:
        if household["unit"] == "C0001-B01-U1":
            household["housing_type"] = "已售公有住房"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(households)
    out = tmp_path / "split"
    result = export_books(demo_copy, "2025", out, ("xlsx",), issued=dt.date(2026, 1, 15))
    assert result.ok, [c for c in result.checks if not c.ok]
    (xlsx,) = out.glob("*.xlsx")
    rows = by_item(sheet_rows(load_workbook(xlsx, data_only=True)[SHEET_01], "项目"))
    fund = money(rows["维修资金"]["期末余额"])
    own = money(rows["其中：商品住宅维修资金"]["期末余额"])
    public = money(rows["其中：已售公有住房维修资金"]["期末余额"])
    books = open_ledger(demo_copy)
    unit = household_ledger(
        books.registry, books.entries, books.positions, "C0001-B01-U1", dt.date(2025, 12, 31)
    )
    assert public == unit.unit_fund == unit.total > 0
    assert own + public == fund
    assert money(rows["净资产合计"]["期末余额"]) == fund + money(rows["待分配累计收益"]["期末余额"])
    formulas = by_item(sheet_rows(load_workbook(xlsx)[SHEET_01], "项目"))
    assert str(formulas["其中：商品住宅维修资金"]["期末余额"]).startswith("=E")
    # 03表: 维修资金 in two columns, each adding up from 上年年末余额 to 本年年末余额.
    changes = by_item(sheet_rows(load_workbook(xlsx, data_only=True)[SHEET_03], "项目"))
    closing = changes["本年年末余额"]
    assert money(closing["已售公有住房维修资金"]) == public
    assert money(closing["商品住宅维修资金"]) == own
    assert "维修资金" not in closing
    for column in ("商品住宅维修资金", "已售公有住房维修资金"):
        parts = ("本年年初余额", "本年收支差额", "本年分配累计收益", "本年划转")
        assert sum(money(changes[p][column]) for p in parts) == money(closing[column])
    assert money(changes["本年分配累计收益"]["已售公有住房维修资金"]) > 0
