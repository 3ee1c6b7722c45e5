"""Bank layouts as data files: a ledger's own layout imports a statement, a bad layout file is
named file:line: field, `import identify` says which layout came closest to a file none reads,
`import extract` exits 1 when it prints an error, and a statement of another bank's layout is
refused."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from beancount.core import data

from importers import PROFILES, diagnose, ledger_layouts
from importers.layout_files import SHIPPED_DIR, LayoutError, key_line
from importers.reader import near_miss
from importers.table import Sheet
from tests.helpers import CCB, build_base, snapshot, xt
from tests.importers import make_samples as ms
from xtaccounts.books.load import load_books

D = Decimal
CCB_NO = "43050163620800001234"
SAMPLES = Path(__file__).parent / "samples"

# A CCB export the shipped layouts do not know: 记账日 / 收入 / 支出 / 账户余额 / 流水号.
NEW_LAYOUT = """\
# 建设银行 新版企业网银 明细 (2026 起)
id = "ccb-corporate-2026"
bank = "CCB"
bank_name = "中国建设银行"
header_keywords = ["记账日", "流水号", "对方名称"]

[direction]
rule = "split"

[columns]
date = ["记账日"]
debit = ["支出"]
credit = ["收入"]
balance = ["账户余额"]
serial = ["流水号"]
counterparty = ["对方名称"]
memo = ["摘要"]
"""


@pytest.fixture(scope="module")
def base_books(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_base(tmp_path_factory.mktemp("layout-base") / "ledger")


@pytest.fixture
def books(base_books: Path, tmp_path: Path) -> Path:
    shutil.copytree(base_books.parent, tmp_path / "ledger")
    return tmp_path / "ledger" / "main.beancount"


def balance_of(main: Path, account: str, through: dt.date) -> Decimal:
    total = D("0.00")
    for entry in load_books(main).entries:
        if isinstance(entry, data.Transaction) and entry.date <= through:
            total += sum((p.units.number for p in entry.postings if p.account == account), D(0))
    return total


def new_variant_statement(path: Path, opening: Decimal) -> Path:
    """Two lines of the demo CCB account in the 2026 variant: a fee and a top-up."""
    rows = [
        f"账号,{CCB_NO},户名,湘潭市物业专项维修资金管理中心",
        "记账日,流水号,摘要,收入,支出,账户余额,对方名称",
        f"2025-12-02,CCB2612020001,手续费,,12.00,{opening - D('12.00')},",
        f"2025-12-03,CCB2612030002,转账,500.00,,{opening + D('488.00')},某公司",
    ]
    path.write_text("\r\n".join(rows) + "\r\n", encoding="utf-8")
    return path


def add_layout(main: Path, name: str, text: str) -> Path:
    directory = main.parent / "registry" / "bank_layouts"
    directory.mkdir(exist_ok=True)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


# --- the shipped layouts are data ------------------------------------------------------------


def test_every_shipped_layout_is_a_toml_file_with_a_sample() -> None:
    files = {p.stem for p in SHIPPED_DIR.glob("*.toml") if p.name != "_common.toml"}
    assert files == {p.id for p in PROFILES}
    assert {p.bank for p in PROFILES} == {"ICBC", "CCB", "BOC", "ABC", "BOCOM", "RCB"}
    assert {"abc-corporate", "abc-corporate-split"} <= files
    read = {
        ms_profile(p) for p in SAMPLES.iterdir() if p.suffix.lower() in {".csv", ".xls", ".xlsx"}
    }
    assert files <= read


def ms_profile(path: Path) -> str:
    from importers import read_statement

    return read_statement(path).profile


# --- a ledger's own layout ------------------------------------------------------------------


def test_a_layout_file_in_the_registry_imports_a_statement(books: Path, tmp_path: Path) -> None:
    statement = new_variant_statement(
        tmp_path / "ccb-2026.csv", balance_of(books, CCB, dt.date(2025, 12, 1))
    )
    before = xt(books, "import", "identify", str(statement))
    assert before.returncode == 0 and "未识别" in before.stdout
    add_layout(books, "ccb-2026.toml", NEW_LAYOUT)
    check = xt(books, "registry", "check", "--format", "json")
    assert check.returncode == 0, check.stderr
    assert {"table": "bank_layouts", "rows": 1} in json.loads(check.stdout)["rows"]
    found = xt(books, "import", "identify", str(statement))
    assert found.returncode == 0 and "格式 ccb-corporate-2026（中国建设银行）" in found.stdout
    done = xt(books, "import", str(statement), "--format", "json")
    assert done.returncode == 0, done.stderr
    [row] = json.loads(done.stdout)["rows"]
    assert (row["lines"], row["status"]) == (2, "ok")
    serials = {
        e.meta.get("serial")
        for e in load_books(books).entries
        if isinstance(e, data.Transaction) and e.meta.get("statement") == "ccb-2026.csv"
    }
    assert serials == {"CCB2612020001", "CCB2612030002"}


def test_a_registry_layout_replaces_the_shipped_one_of_its_id(tmp_path: Path) -> None:
    registry = tmp_path / "registry"
    (registry / "bank_layouts").mkdir(parents=True)
    shipped = (SHIPPED_DIR / "boc-corporate.toml").read_text("utf-8")
    (registry / "bank_layouts" / "boc.toml").write_text(
        shipped.replace('note = "', 'note = "本中心版本 '), "utf-8"
    )
    layouts = ledger_layouts(registry)
    assert len(layouts) == len(PROFILES)
    assert [p.id for p in layouts].count("boc-corporate") == 1
    assert layouts[0].id == "boc-corporate" and layouts[0].note.startswith("本中心版本")


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        (NEW_LAYOUT.replace("debit = ", "debitt = "), ":12: columns.debitt:", "不认识的键"),
        (NEW_LAYOUT.replace('rule = "split"', 'rule = "sideways"'), ":8: direction.rule:", "取值"),
        (NEW_LAYOUT.replace('debit = ["支出"]\n', ""), ":10: columns.debit:", "需要 debit"),
        (NEW_LAYOUT.replace('bank = "CCB"', 'bank = "ccb"'), ":3: bank:", "格式不对"),
        (NEW_LAYOUT.replace('date = ["记账日"]', 'date = ["记账日"'), ":12:", "不是有效的 TOML"),
        (NEW_LAYOUT + "\n[serial_parts]\n\"流水号\" = '(\\d+'\n", ":19: serial_parts:", "无效"),
    ],
    ids=["unknown key", "unknown rule", "rule needs a column", "bank code", "toml", "regex"],
)
def test_a_bad_layout_file_is_named_file_line_field_and_nothing_is_imported(
    books: Path, tmp_path: Path, text: str, where: str, words: str
) -> None:
    add_layout(books, "ccb-2026.toml", text)
    check = xt(books, "registry", "check")
    assert check.returncode == 1
    assert f"bank_layouts/ccb-2026.toml{where}" in check.stderr and words in check.stderr, (
        check.stderr
    )
    statement = new_variant_statement(tmp_path / "s.csv", D("1000.00"))
    before = snapshot(books.parent)
    done = xt(books, "import", str(statement))
    assert done.returncode == 1 and "ccb-2026.toml" in done.stderr
    assert "Traceback" not in done.stderr
    assert snapshot(books.parent) == before


def test_two_layout_files_of_one_id_are_refused(tmp_path: Path) -> None:
    registry = tmp_path / "registry"
    (registry / "bank_layouts").mkdir(parents=True)
    for name in ("a.toml", "b.toml"):
        (registry / "bank_layouts" / name).write_text(NEW_LAYOUT, "utf-8")
    with pytest.raises(LayoutError, match=r"b\.toml:2: id: 与 a\.toml 的 id 重复"):
        ledger_layouts(registry)


def test_key_line_finds_keys_in_their_tables() -> None:
    assert key_line(NEW_LAYOUT, ("id",)) == 2
    assert key_line(NEW_LAYOUT, ("columns", "serial")) == 15
    assert key_line(NEW_LAYOUT, ("direction", "rule")) == 8
    assert key_line(NEW_LAYOUT, ("direction", "in")) == 7  # absent: its table's header
    assert key_line(NEW_LAYOUT, ("nowhere", "x")) == 0


# --- identify: the layout that came closest --------------------------------------------------


def abc_like(path: Path, header: list[str]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["中国农业银行账户明细"])
    sheet.append([f"账号：{ms.ABC_SPLIT_ACCOUNT}"])
    sheet.append(header)
    sheet.append(["2025-04-08 09:12:33", 100, None, 80100, "某人"])
    book.save(path)
    return path


def test_identify_names_the_closest_layout_and_the_missing_keyword(
    books: Path, tmp_path: Path
) -> None:
    path = abc_like(tmp_path / "a.xlsx", ["交易时间", "收入金额", "支出金额", "余额", "对方户名"])
    miss = diagnose(path)
    assert miss is not None and miss.profile.id == "abc-corporate-split"
    assert (miss.row, miss.missing_keywords, miss.unknown_words) == (3, ("本次余额",), ("余额",))
    shown = xt(books, "import", "identify", str(path))
    assert shown.returncode == 0
    assert "最接近的格式是 abc-corporate-split（中国农业银行），表头像是第 3 行" in shown.stdout
    assert "缺少识别用的表头词：本次余额" in shown.stdout
    assert "该格式不认识的表头词：余额" in shown.stdout


def test_identify_names_the_missing_required_column(tmp_path: Path) -> None:
    """收入金额 and 本次余额 are there, 支出金额 is not: the split layout lacks money out."""
    path = abc_like(tmp_path / "b.xlsx", ["交易时间", "收入金额", "付出", "本次余额", "对方户名"])
    miss = diagnose(path)
    assert miss is not None and miss.profile.id == "abc-corporate-split"
    assert miss.missing_keywords == ("支出金额",)
    assert miss.missing_columns == (("debit", ("支出金额",)),)
    assert "缺少必需的列：支出（借方）金额（支出金额）" in miss.explain()
    assert miss.unknown_words == ("付出",)


def test_before_the_split_layout_the_abc_file_was_near_the_flag_layout() -> None:
    """What the tester met: without abc-corporate-split, the reason names the flag layout's
    missing 借贷标志 and the file's 收入金额/支出金额 it does not know."""
    from importers.sniff import read_file, sniff_bytes
    from importers.table import read_table

    data_ = read_file(SAMPLES / "abc-split.xlsx")
    sheets: list[Sheet] = read_table(data_, sniff_bytes(data_[:4096], data_), max_rows=40)
    others = [p for p in PROFILES if p.id != "abc-corporate-split"]
    miss = near_miss(sheets, others)
    assert miss is not None and miss.profile.id == "abc-corporate"
    assert "借贷标志" in miss.missing_keywords
    assert {"收入金额", "支出金额", "本次余额"} <= set(miss.unknown_words)


def test_identify_says_so_for_a_file_with_nothing_like_a_header(
    books: Path, tmp_path: Path
) -> None:
    path = tmp_path / "notes.csv"
    path.write_text("会议纪要,第一项\n同意,通过\n", encoding="utf-8")
    assert diagnose(path) is None
    shown = xt(books, "import", "identify", str(path))
    assert shown.returncode == 0 and "不是对账单：前 40 行中没有像表头的行" in shown.stdout


# --- extract exits 1 when it prints an error --------------------------------------------------


def test_extract_of_a_file_no_layout_reads_exits_1_with_the_reason(
    books: Path, tmp_path: Path
) -> None:
    path = abc_like(tmp_path / "a.xlsx", ["交易时间", "收入金额", "支出金额", "余额", "对方户名"])
    done = xt(books, "import", "extract", str(path))
    assert done.returncode == 1
    assert "ERROR" in done.stderr and "最接近的格式是 abc-corporate-split" in done.stderr
    assert done.stdout.strip() == ""


def test_extract_of_a_statement_it_cannot_book_exits_1(books: Path) -> None:
    done = xt(books, "import", "extract", str(SAMPLES / "boc-corporate.csv"))
    assert done.returncode == 1 and "601357924680" in done.stderr


# --- a statement of another bank's layout -----------------------------------------------------


def test_a_statement_in_another_banks_layout_is_refused(books: Path, tmp_path: Path) -> None:
    """The CCB account's number in an ICBC export: refused, naming both banks; nothing written."""
    from xtaccounts.demo.bank_statements import BankLine, StatementFile, icbc_csv

    opening = balance_of(books, CCB, dt.date(2025, 12, 1))
    statement = StatementFile(
        CCB_NO,
        "湘潭市物业专项维修资金管理中心",
        dt.date(2025, 12, 1),
        dt.date(2025, 12, 31),
        opening,
        (BankLine(dt.date(2025, 12, 2), D("-12.00"), "手续费", serial="X1"),),
    )
    path = tmp_path / "wrong-bank.csv"
    path.write_bytes(icbc_csv(statement))
    before = snapshot(books.parent)
    done = xt(books, "import", str(path))
    assert done.returncode == 1
    assert "对账单的格式 icbc-corporate 是 ICBC 的" in done.stderr
    assert f"账号 {CCB_NO} 在登记册中是 CCB（中国建设银行湘潭分行）的账户" in done.stderr
    assert snapshot(books.parent) == before
