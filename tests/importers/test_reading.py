"""Reading what banks really send: sample statements in real layouts, golden parses, bad input.

The reader's samples under samples/ are written by make_samples.py; each has its expected parse
beside it (`<sample>.expected.json`) as well as its golden import (`<sample>.beancount`, see
test_profile_goldens.py). Set XT_REGEN_GOLDEN=1 to rewrite those after a deliberate change (and
review the diff); by default any difference fails.
"""

from __future__ import annotations

import codecs
import datetime as dt
import gc
import json
import os
import random
import time
from decimal import Decimal
from pathlib import Path

import pytest

from importers import PROFILES, Statement, StatementError, identify, ledger_layouts, read_statement
from importers.profiles import BankProfile
from importers.reader import DateReader, parse_cell_amount, parse_time
from importers.sniff import OLE_MAGIC
from importers.table import choose_delimiter, float_text, read_csv_text
from tests.helpers import SAMPLES, reader_samples
from tests.importers import make_samples as ms

SAMPLE_FILES = reader_samples()
EXPECTED_PROFILE = {
    "icbc-historydetail.csv": "icbc-corporate",
    "icbc-flag.CSV": "icbc-corporate-flag",
    "ccb-corporate.xls": "ccb-corporate",
    "boc-corporate.csv": "boc-corporate",
    "abc-corporate.xlsx": "abc-corporate",
    "abc-split.xlsx": "abc-corporate-split",
    "rcb-xiangtan.xls": "rcb-xiangtan",
    "bocom-corporate.xls": "bocom-corporate",
}


def as_json(statement: Statement) -> dict:
    def day(value: dt.date | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "file": statement.path.name,
        "bank": statement.bank,
        "profile": statement.profile,
        "account_no": statement.account_no,
        "account_name": statement.account_name,
        "currency": statement.currency,
        "period_start": day(statement.period_start),
        "period_end": day(statement.period_end),
        "lines": [
            {
                "row": line.row,
                "date": line.date.isoformat(),
                "time": line.time,
                "amount": str(line.amount),
                "balance": None if line.balance is None else str(line.balance),
                "serial": line.serial,
                "memo": line.memo,
                "counterparty": line.counterparty,
                "counterparty_account": line.counterparty_account,
                "counterparty_bank": line.counterparty_bank,
            }
            for line in statement.lines
        ],
    }


def error_of(path: Path) -> StatementError:
    with pytest.raises(StatementError) as caught:
        read_statement(path)
    return caught.value


# --- the samples -----------------------------------------------------------------------------


def test_every_profile_has_a_sample() -> None:
    assert {p.name for p in SAMPLE_FILES} == set(EXPECTED_PROFILE)
    assert set(EXPECTED_PROFILE.values()) == {p.id for p in PROFILES}
    assert {p.bank for p in PROFILES} >= {"ICBC", "CCB", "BOC", "ABC", "RCB"}


def test_samples_are_what_make_samples_writes(tmp_path: Path) -> None:
    """The committed samples are the script's output, byte for byte (xlsx timestamps fixed)."""
    for written in ms.build_all(tmp_path):
        assert written.read_bytes() == (SAMPLES / written.name).read_bytes(), written.name


@pytest.mark.parametrize("sample", SAMPLE_FILES, ids=lambda p: p.name)
def test_golden(sample: Path) -> None:
    got = as_json(read_statement(sample))
    expected_file = sample.with_name(sample.name + ".expected.json")
    if os.environ.get("XT_REGEN_GOLDEN") == "1":
        expected_file.write_text(
            json.dumps(got, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )
    expected = json.loads(expected_file.read_text(encoding="utf-8"))
    assert got == expected


@pytest.mark.parametrize("sample", SAMPLE_FILES, ids=lambda p: p.name)
def test_identify_and_running_balance(sample: Path) -> None:
    profile = identify(sample)
    assert profile is not None and profile.id == EXPECTED_PROFILE[sample.name]
    statement = read_statement(sample)
    assert statement.lines
    dates = [line.date for line in statement.lines]
    assert dates == sorted(dates)
    previous = None
    for line in statement.lines:
        assert line.amount == line.amount.quantize(Decimal("0.01"))
        if previous is not None:
            assert previous + line.amount == line.balance, line.row
        previous = line.balance
    if statement.period_start and statement.period_end:
        assert statement.period_start <= dates[0] <= dates[-1] <= statement.period_end


def test_sample_traits() -> None:
    """Each sample carries the quirks it stands for."""
    icbc = (SAMPLES / "icbc-historydetail.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        icbc.decode("utf-8")
    with pytest.raises(UnicodeDecodeError):
        icbc.decode("gbk")  # 䶮 needs GB18030
    text = icbc.decode("gb18030")
    assert "人民币合计" in text and "       \t" in text and "[HISTORYDETAIL]" in text

    import xlrd

    ccb = SAMPLES / "ccb-corporate.xls"
    assert ccb.read_bytes().startswith(OLE_MAGIC)
    book = xlrd.open_workbook(str(ccb))
    sheet = book.sheet_by_index(0)
    assert sheet.cell_value(2, 0) == "币\u3000\u3000种："
    assert sheet.cell_type(8, 4) == xlrd.XL_CELL_NUMBER  # 贷方发生额 as a float cell

    boc = (SAMPLES / "boc-corporate.csv").read_bytes()
    assert boc.startswith(codecs.BOM_UTF8)
    assert "-2,600.00" in boc.decode("utf-8-sig")

    assert (SAMPLES / "abc-corporate.xlsx").read_bytes().startswith(b"PK")
    assert (SAMPLES / "bocom-corporate.xls").read_bytes().startswith(b"PK")  # xlsx named .xls
    assert (SAMPLES / "icbc-flag.CSV").read_bytes().startswith(OLE_MAGIC)  # OLE named .CSV
    rcb = (SAMPLES / "rcb-xiangtan.xls").read_bytes()
    assert b"\t" in rcb and not rcb.startswith(OLE_MAGIC)
    rcb.decode("gb18030")


def test_demo_accounts() -> None:
    icbc = read_statement(SAMPLES / "icbc-historydetail.csv")
    assert (icbc.bank, icbc.account_no) == ("ICBC", "1904021109200088821")
    assert icbc.account_name == "湘潭市物业专项维修资金管理中心"
    ccb = read_statement(SAMPLES / "ccb-corporate.xls")
    assert (ccb.bank, ccb.account_no) == ("CCB", "43050163620800001234")


def test_newest_first_file_comes_out_oldest_first() -> None:
    statement = read_statement(SAMPLES / "boc-corporate.csv")
    rows = [line.row for line in statement.lines]
    assert rows == sorted(rows, reverse=True)  # the file lists the newest first
    assert [str(line.amount) for line in statement.lines] == [
        "10000.00",
        "-2600.00",
        "1500000.00",
        "88.88",
    ]
    # payer or payee, whichever is not the centre's own account
    assert statement.lines[0].counterparty == "张䶮"
    assert statement.lines[1].counterparty == "湘潭某电梯工程有限公司"


def test_day_out_of_posting_order_is_reordered() -> None:
    statement = read_statement(SAMPLES / "rcb-xiangtan.xls")
    day = [line for line in statement.lines if line.date == dt.date(2025, 2, 18)]
    assert [line.row for line in day] == [9, 8, 10]
    assert [str(line.balance) for line in day] == ["372400.00", "252400.00", "252392.00"]


def test_a_reordered_day_hands_its_last_balance_to_a_day_without_balances() -> None:
    """Days out of order are sorted, a day out of posting order is reordered, and the next
    day's lines without a balance run on from the reordered day's last line."""
    from importers.reader import _Fail, chronological
    from xtaccounts.core.bank_statement import StatementLine

    def line(row: int, day: int, amount: str, balance: str | None) -> StatementLine:
        value = Decimal(balance) if balance is not None else None
        return StatementLine(row, dt.date(2026, 1, day), None, Decimal(amount), value, None, "",
                             None, None, None)  # fmt: skip

    lines = [
        line(1, 2, "10.00", "115.00"),
        line(2, 2, "5.00", "105.00"),
        line(3, 1, "100.00", "100.00"),
        line(4, 3, "-10.00", None),
        line(5, 3, "1.00", "106.00"),
    ]
    assert chronological(lines) == [2, 1, 0, 3, 4]
    lines[4] = line(5, 3, "1.00", "96.00")  # what running on from 105.00 would give
    with pytest.raises(_Fail) as caught:
        chronological(lines)
    assert caught.value.row == 5


def test_whole_file_of_one_day_newest_first(tmp_path: Path) -> None:
    text = (SAMPLES / "rcb-xiangtan.xls").read_bytes().decode("gb18030").splitlines()
    header = text.index(next(t for t in text if t.startswith("交易流水号")))
    body = [t for t in text[header + 1 :] if "2025/02/18" in t]
    path = tmp_path / "one-day.txt"
    # A file of one day: no date tells the order; the balances alone do.
    rows = [*text[: header + 1], *reversed(body)]
    path.write_bytes("\r\n".join(rows).encode("gb18030"))
    statement = read_statement(path)
    assert [str(line.balance) for line in statement.lines] == [
        "372400.00",
        "252400.00",
        "252392.00",
    ]


# --- broken inputs ---------------------------------------------------------------------------


def _icbc_text() -> str:
    return (SAMPLES / "icbc-historydetail.csv").read_bytes().decode("gb18030")


def _write_icbc(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "icbc.csv"
    path.write_bytes(text.encode("gb18030"))
    return path


@pytest.mark.parametrize("cut", [100, 512, 4096, 9000])
def test_truncated_xls(tmp_path: Path, cut: int) -> None:
    path = tmp_path / "cut.xls"
    path.write_bytes((SAMPLES / "ccb-corporate.xls").read_bytes()[:cut])
    error = error_of(path)
    assert (error.row, error.field) == (0, "")
    assert "not a readable xls workbook" in error.message
    assert str(error).startswith(f"{path}: not a readable xls")
    assert identify(path) is None


def test_random_bytes(tmp_path: Path) -> None:
    path = tmp_path / "junk.xls"
    path.write_bytes(random.Random(4).randbytes(5000))
    error = error_of(path)
    assert error.message.startswith("not a statement: binary data")
    assert identify(path) is None


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_text(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "boc.csv"
    path.write_bytes(
        (SAMPLES / "boc-corporate.csv").read_bytes().decode("utf-8-sig").encode(encoding)
    )
    error = error_of(path)
    assert "UTF-16" in error.message and error.row == 0
    assert identify(path) is None


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "empty"),
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "PDF"),
        (b"a,b,c\r\n1,2,3\r\n", "no header row"),
        ("户名：,某某\r\n日期,金额\r\n".encode("gb18030"), "no header row"),
    ],
)
def test_not_a_statement(tmp_path: Path, content: bytes, words: str) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(content)
    assert words in error_of(path).message
    assert identify(path) is None


def test_zip_that_is_no_workbook(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "x.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert "not an Excel workbook" in error_of(path).message
    assert identify(path) is None


def test_missing_file_is_a_statement_error(tmp_path: Path) -> None:
    error = error_of(tmp_path / "nowhere.csv")
    assert "cannot read the file" in error.message
    assert identify(tmp_path / "nowhere.csv") is None


def test_missing_amount_column(tmp_path: Path) -> None:
    lines = _icbc_text().split("\r\n")
    header = lines.index(next(t for t in lines if t.startswith("凭证号")))
    lines[header] = lines[header].replace("贷方发生额", "贷方说明")
    path = _write_icbc(tmp_path, "\r\n".join(lines))
    assert identify(path) is not None  # the header is found ...
    error = error_of(path)  # ... but it lacks a column every line needs
    assert (error.row, error.field) == (header + 1, "贷方发生额")
    assert "no such column" in error.message


def test_missing_signed_amount_column(tmp_path: Path) -> None:
    text = (SAMPLES / "boc-corporate.csv").read_bytes().decode("utf-8-sig")
    path = tmp_path / "boc.csv"
    path.write_bytes(text.replace("交易金额[ Trade Amount ]", "交易说明").encode("utf-8-sig"))
    error = error_of(path)
    assert (error.row, error.field) == (8, "交易金额")


def test_amount_that_is_no_number(tmp_path: Path) -> None:
    path = _write_icbc(tmp_path, _icbc_text().replace("\t3,240.28", "1,2,3"))
    error = error_of(path)
    assert (error.row, error.field) == (9, "贷方发生额")
    assert "'1,2,3' is not a number" in error.message
    assert str(error) == f"{path}:9: 贷方发生额: {error.message}"


def test_amount_with_a_fraction_of_a_fen(tmp_path: Path) -> None:
    path = _write_icbc(tmp_path, _icbc_text().replace("\t3,240.28", "3240.285"))
    error = error_of(path)
    assert (error.row, error.field) == (9, "贷方发生额")
    assert "不足一分的零头" in error.message


def test_invalid_date(tmp_path: Path) -> None:
    path = _write_icbc(tmp_path, _icbc_text().replace("2025-01-10 10:00:00", "2025-13-01 10:00:00"))
    error = error_of(path)
    assert (error.row, error.field) == (10, "交易时间")
    assert "2025-13-01" in error.message and "not a valid date" in error.message


def test_invalid_date_in_text_xls(tmp_path: Path) -> None:
    text = (SAMPLES / "rcb-xiangtan.xls").read_bytes().decode("gb18030")
    path = tmp_path / "rcb.xls"
    path.write_bytes(text.replace("2025/03/21", "2025/13/01").encode("gb18030"))
    error = error_of(path)
    assert (error.row, error.field) == (11, "交易日期")


def test_balance_that_does_not_run(tmp_path: Path) -> None:
    path = _write_icbc(tmp_path, _icbc_text().replace("9,468,672.38", "9,468,672.39", 1))
    error = error_of(path)
    assert (error.row, error.field) == (10, "余额")
    assert "expected 9,468,672.38" in error.message
    assert "the statement says 9,468,672.39" in error.message


def test_day_that_no_order_can_run(tmp_path: Path) -> None:
    text = (SAMPLES / "rcb-xiangtan.xls").read_bytes().decode("gb18030")
    path = tmp_path / "rcb.xls"
    path.write_bytes(text.replace("\t372400.00", "\t372400.01").encode("gb18030"))
    error = error_of(path)
    assert error.field == "账户余额" and error.row in (8, 9)
    assert "no order of the 3 rows of 2025-02-18" in error.message


def test_account_column_that_disagrees(tmp_path: Path) -> None:
    lines = _icbc_text().split("\r\n")
    lines[11] = lines[11].replace("1904021109200088821", "1904021109200088822", 1)
    error = error_of(_write_icbc(tmp_path, "\r\n".join(lines)))
    assert (error.row, error.field) == (12, "账号")
    assert "differs" in error.message


def test_no_account_number(tmp_path: Path) -> None:
    text = (SAMPLES / "boc-corporate.csv").read_bytes().decode("utf-8-sig")
    path = tmp_path / "boc.csv"
    path.write_bytes(text.replace("查询账号[ Inquirer account number ]", "备注").encode("utf-8"))
    error = error_of(path)
    assert error.field == "账号" and "no account number" in error.message


def test_both_debit_and_credit(tmp_path: Path) -> None:
    text = _icbc_text()
    assert text.count('贷,,"\t3,240.28"') == 1
    path = _write_icbc(tmp_path, text.replace('贷,,"\t3,240.28"', '贷,5.00,"\t3,240.28"'))
    error = error_of(path)
    assert (error.row, error.field) == (9, "借方发生额/贷方发生额")
    assert "both columns hold an amount" in error.message


def test_unknown_direction_flag(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.load_workbook(SAMPLES / "abc-corporate.xlsx")
    book.active["B6"] = "冲"
    path = tmp_path / "abc.xlsx"
    book.save(path)
    error = error_of(path)
    assert (error.row, error.field) == (6, "借贷标志")
    assert "'冲' is neither" in error.message


def _ccb_like_xls(path: Path, account: object, counterparty_account: object) -> None:
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("s")
    header = ["账号", "账户名称", "交易时间", "借方发生额（支取）", "贷方发生额（收入）", "余额",
              "对方户名", "对方账号", "记账日期", "账户明细编号-交易流水号"]  # fmt: skip
    for c, title in enumerate(header):
        sheet.write(0, c, title)
    values = [account, "中心", "20250103 10:00:00", 0.0, 5.0, 105.0, "某", counterparty_account,
              "20250103", "81-1"]  # fmt: skip
    for c, value in enumerate(values):
        sheet.write(1, c, value)
    book.save(str(path))


def test_account_number_that_went_through_float(tmp_path: Path) -> None:
    path = tmp_path / "float-account.xls"
    _ccb_like_xls(path, float(ms.CCB_ACCOUNT), "6222021904001234567")
    error = error_of(path)
    assert (error.row, error.field) == (2, "账号")
    assert "lost its digits" in error.message
    _ccb_like_xls(path, ms.CCB_ACCOUNT, 6222021904001234567.0)
    error = error_of(path)
    assert (error.row, error.field) == (2, "对方账号")
    _ccb_like_xls(path, ms.CCB_ACCOUNT, 601357924680.0)  # 12 digits survive a float
    assert read_statement(path).lines[0].counterparty_account == "601357924680"


def test_identify_never_raises_on_content(tmp_path: Path) -> None:
    for n, content in enumerate([b"", b"\x00" * 10, OLE_MAGIC + b"\x00" * 100, b"PK\x03\x04xx"]):
        path = tmp_path / f"{n}.xls"
        path.write_bytes(content)
        assert identify(path) is None
        with pytest.raises(StatementError):
            read_statement(path)


# --- cells -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3,240.28", "3240.28"),
        ("-2,600.00", "-2600.00"),
        ("+10000.00", "10000.00"),
        ("1，200.00", "1200.00"),
        ("¥1,200.00", "1200.00"),
        ("￥ 5", "5.00"),
        ("\t500.00", "500.00"),
        ("13.40               \t", "13.40"),
        ("67", "67.00"),
        ("2176.91", "2176.91"),
        ("-", None),
        ("--", None),
        ("------", None),
        ("（空）", None),
        ("", None),
    ],
)
def test_parse_amount(text: str, expected: str | None) -> None:
    got = parse_cell_amount(text)
    assert (None if got is None else str(got)) == expected


@pytest.mark.parametrize("text", ["1,2,3", "12.345", "1e5", "abc", "1.2.3", "#N/A"])
def test_parse_amount_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_cell_amount(text)


@pytest.mark.parametrize(
    ("text", "day", "clock"),
    [
        ("20250101", "2025-01-01", None),
        ("2025-01-01", "2025-01-01", None),
        ("2025/12/03  14:06:51", "2025-12-03", "14:06:51"),
        ("20250101 18:53:19", "2025-01-01", "18:53:19"),
        ("20250101  18:53:19", "2025-01-01", "18:53:19"),
        ("2025-01-21T09:05", "2025-01-21", "09:05:00"),
        ("2025年1月3日", "2025-01-03", None),
        ("2025.01.03", "2025-01-03", None),
        ("45678", "2025-01-21", None),
        ("45678.5", "2025-01-21", "12:00:00"),
        ("2026-01-21 15:", "2026-01-21", None),
    ],
)
def test_dates(text: str, day: str, clock: str | None) -> None:
    reader = DateReader(PROFILES[0].date_formats)
    assert reader(text) == (dt.date.fromisoformat(day), clock)
    assert reader(text) == (dt.date.fromisoformat(day), clock)  # cached


@pytest.mark.parametrize("text", ["2025-13-01", "20250230", "2025-01-01 25:00:00", "合计", ""])
def test_bad_dates(text: str) -> None:
    with pytest.raises(ValueError):
        DateReader(PROFILES[0].date_formats)(text)


def test_profile_date_forms_are_enforced() -> None:
    reader = DateReader(("YYYYMMDD",))
    assert reader("20250101") == (dt.date(2025, 1, 1), None)
    with pytest.raises(ValueError, match="form YYYY/MM/DD"):
        reader("2025/01/01")


def test_times() -> None:
    assert parse_time("18:53:19") == "18:53:19"
    assert parse_time("9:05") == "09:05:00"
    assert parse_time("123456") == "12:34:56"
    assert parse_time("") is None
    for bad in ("24:00:00", "12:60:00", "noon"):
        with pytest.raises(ValueError):
            parse_time(bad)


def test_float_cells() -> None:
    assert float_text(67.0) == "67"
    assert float_text(2176.91) == "2176.91"
    assert float_text(0.1 + 0.2) == "0.3"
    assert float_text(1234.5600000000002) == "1234.56"
    assert float_text(601357924680.0) == "601357924680"
    assert not float_text(601357924680.0).lost_digits()
    assert float_text(1.9040211092000888e18).lost_digits()
    assert float_text(6222021234567890.0).lost_digits()


def test_delimiter_is_told_by_the_header() -> None:
    icbc = _icbc_text().splitlines()
    assert choose_delimiter(icbc) == ","  # tabs pad its cells; commas split them
    tsv = [
        "户名：\t某",
        "交易日期\t摘要\t支出金额\t收入金额\t余额",
        '20250101\t转账\t\t"3,240.28"\t5',
    ]
    assert choose_delimiter(tsv) == "\t"
    sheet = read_csv_text("\r\n".join(tsv))
    assert sheet.rows[2] == ["20250101", "转账", "", "3,240.28", "5"]


def test_multi_line_cell_keeps_row_numbers(tmp_path: Path) -> None:
    lines = _icbc_text().split("\r\n")
    assert ',"转账' in lines[7]
    lines[7] = lines[7].replace(',"转账', ',"转\n账', 1)  # a line break inside a quoted cell
    path = _write_icbc(tmp_path, "\r\n".join(lines))
    statement = read_statement(path)
    assert statement.lines[0].memo.startswith("转 账")
    assert statement.lines[1].row == 10  # the cell's line break counts as a line
    error = error_of(_write_icbc(tmp_path, "\r\n".join(lines).replace("\t3,240.28", "x")))
    assert error.row == 10


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (["币\u3000\u3000种：", "人民币"], ("currency", "CNY")),
        (["户  名:", "湘潭市某中心"], ("account_name", "湘潭市某中心")),
        (["账号:10-5456010400"], ("account_no", "105456010400")),
        (["查询账号[ Inquirer account number ]", "600000000001"], ("account_no", "600000000001")),
        (["# 账    号: [一卡通:6214********0000   招商银行]"], ("account_no", "6214********0000")),
        (["起止日期：", "2025-01-01", "至", "2025-03-31"], ("period_end", dt.date(2025, 3, 31))),
        (["# 起始日期: [20160201]   终止日期: [20160227]"], ("period_end", dt.date(2016, 2, 27))),
        (["账号", "6200000000001230", "账户类型", "借记卡", "日期范围", "20251201-20251231"],
         ("period_start", dt.date(2025, 12, 1))),
    ],
)  # fmt: skip
def test_preamble_labels(tmp_path: Path, cells: list[str], expected: tuple[str, object]) -> None:
    rows = [cells, ["账号：", "999999"], ["交易日期", "对方户名", "交易流水号", "支出金额",
            "收入金额", "账户余额"], ["20250101", "某", "1", "", "5.00", "5.00"]]  # fmt: skip
    path = tmp_path / "p.csv"
    path.write_text("\r\n".join(",".join(r) for r in rows), encoding="utf-8")
    statement = read_statement(path)
    assert getattr(statement, expected[0]) == expected[1]


# --- large statements ------------------------------------------------------------------------


def test_multi_sheet_xls_and_progress(tmp_path: Path) -> None:
    path = tmp_path / "ccb-big.xls"
    ms.write_large_ccb_xls(path, 130, rows_per_sheet=50)
    calls: list[int] = []
    statement = read_statement(path, progress=calls.append)
    assert len(statement.lines) == 130
    assert len({line.serial for line in statement.lines}) == 130
    assert calls and calls[-1] >= 130
    assert statement.account_no == ms.CCB_ACCOUNT


def test_progress_every_5000_rows(tmp_path: Path) -> None:
    path = tmp_path / "icbc-12k.csv"
    ms.write_large_icbc_csv(path, 12_000)
    calls: list[int] = []
    statement = read_statement(path, progress=calls.append)
    assert len(statement.lines) == 12_000
    assert calls[:2] == [5000, 10000] and calls[-1] >= 12_000


def test_the_cycle_collector_rests_while_a_statement_is_read(tmp_path: Path) -> None:
    """Its passes over the rows and lines being made cost a fifth of a large read; it is back
    on afterwards, after a refused file too, and stays off for a caller that turned it off."""
    path = tmp_path / "icbc-6k.csv"
    ms.write_large_icbc_csv(path, 6000)
    enabled: list[bool] = []
    read_statement(path, progress=lambda _: enabled.append(gc.isenabled()))
    assert enabled == [False, False] and gc.isenabled()
    broken = tmp_path / "broken.csv"
    broken.write_bytes(path.read_bytes().replace(b",2020-01-01 ", b",2O20-01-01 ", 1))
    with pytest.raises(StatementError):
        read_statement(broken)
    assert gc.isenabled()
    gc.disable()
    try:
        read_statement(path)
        assert not gc.isenabled()
    finally:
        gc.enable()


@pytest.mark.slow
def test_hundred_thousand_line_csv_is_read_quickly(tmp_path: Path) -> None:
    path = tmp_path / "icbc-100k.csv"
    ms.write_large_icbc_csv(path, 100_000)
    started = time.perf_counter()
    statement = read_statement(path)
    seconds = time.perf_counter() - started
    assert len(statement.lines) == 100_000
    rate = len(statement.lines) / seconds
    print(f"\n100,000-line GB18030 CSV: {seconds:.2f} s, {rate:,.0f} lines/s")
    assert rate > 15_000  # measured ~75,000 lines/s; a wide margin for slow machines


def test_a_new_layout_is_data(tmp_path: Path) -> None:
    """A variant no profile knows is read once a profile describes it."""
    path = tmp_path / "spdb.csv"
    rows = [
        "账号,6200000000001230,账户类型,对公,日期范围,20251201-20251231",
        "顺序号,交易日期,交易类型,存入金额,取出金额,余额,交易对手名称,交易对手账号,附言",
        "1,2025/12/03  14:06:51,转账,100.00,,1100.00,某公司,6222,货款",
        "2,2025/12/04  09:00:00,转账,,50.00,1050.00,某人,6223,",
    ]
    path.write_text("\r\n".join(rows), encoding="utf-8")
    assert identify(path) is None
    registry = tmp_path / "registry"
    (registry / "bank_layouts").mkdir(parents=True)
    (registry / "bank_layouts" / "spdb.toml").write_text(
        """
id = "spdb-corporate"
bank = "SPDB"
bank_name = "上海浦东发展银行"
header_keywords = ["顺序号", "交易对手名称"]

[direction]
rule = "split"

[columns]
date = ["交易日期"]
debit = ["取出金额"]
credit = ["存入金额"]
balance = ["余额"]
serial = ["顺序号"]
memo = ["交易类型", "附言"]
counterparty = ["交易对手名称"]
counterparty_account = ["交易对手账号"]
""",
        encoding="utf-8",
    )
    layouts = ledger_layouts(registry)
    assert layouts[0].id == "spdb-corporate" and len(layouts) == len(PROFILES) + 1
    statement = read_statement(path, layouts)
    assert statement.profile == "spdb-corporate"
    assert statement.period_end == dt.date(2025, 12, 31)
    assert [(str(x.amount), x.time) for x in statement.lines] == [
        ("100.00", "14:06:51"),
        ("-50.00", "09:00:00"),
    ]


def test_ccb_serial_is_the_交易流水号_after_the_row_number(tmp_path: Path) -> None:
    statement = read_statement(SAMPLES / "ccb-corporate.xls")
    assert statement.lines[0].serial == "3519818014YGCW3WL7L"  # the cell: 81-3519818014YGCW3WL7L
    # Two exports numbering the same lines otherwise give the same serials.
    first, second = tmp_path / "1.xls", tmp_path / "2.xls"
    ms.write_large_ccb_xls(first, 5)
    ms.write_large_ccb_xls(second, 5)
    renumbered = second.read_bytes().replace(b"81-", b"97-")
    assert renumbered != first.read_bytes()
    second.write_bytes(renumbered)
    serials = [x.serial for x in read_statement(first).lines]
    assert serials == [x.serial for x in read_statement(second).lines]
    assert serials[0] == "0000000001"
    # A cell that is not `<digits>-<serial>` is the serial as it stands.
    ccb = next(p for p in PROFILES if p.id == "ccb-corporate")
    part = ccb.serial_part("账户明细编号-交易流水号")
    assert part is not None and part.fullmatch("CCB-X") is None
    assert ccb.serial_part("交易流水号") is None


def test_serial_parts_are_checked() -> None:
    common = {
        "id": "x",
        "bank": "X",
        "bank_name": "X",
        "header_keywords": ("a",),
        "direction_rule": "signed",
        "date": ("d",),
        "amount": ("m",),
        "serial": ("s",),
    }
    with pytest.raises(ValueError, match="不是 serial 列之一"):
        BankProfile(**common, serial_parts=(("t", r"(?P<serial>.+)"),))
    with pytest.raises(ValueError, match="P<serial>"):
        BankProfile(**common, serial_parts=(("s", r"\d+-(.+)"),))


def test_lines_without_balances_skip_the_check(tmp_path: Path) -> None:
    import csv
    import io

    rows = list(csv.reader(io.StringIO(_icbc_text(), newline="")))
    header = next(i for i, r in enumerate(rows) if r and r[0] == "凭证号")
    balance = rows[header].index("余额")
    for row in rows[header + 1 :]:
        if len(row) > balance and row[0].startswith("00101"):
            row[balance] = ""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    statement = read_statement(_write_icbc(tmp_path, out.getvalue()))
    assert len(statement.lines) == 7
    assert all(line.balance is None for line in statement.lines)


def test_excel_date_cells() -> None:
    import xlrd

    sheet = xlrd.open_workbook(str(SAMPLES / "icbc-flag.CSV")).sheet_by_index(0)
    assert sheet.cell_type(6, 2) == xlrd.XL_CELL_DATE
    line = read_statement(SAMPLES / "icbc-flag.CSV").lines[0]
    assert (line.date, line.time) == (dt.date(2025, 1, 6), "08:30:00")


def test_lines_below_a_trailer_are_not_lost(tmp_path: Path) -> None:
    rows = (SAMPLES / "rcb-xiangtan.xls").read_bytes().decode("gb18030").split("\r\n")
    rows.insert(7, "合计\t\t\t\t\t\t\t0.00\t2400.00\t")  # a daily total no profile knows
    path = tmp_path / "rcb.xls"
    path.write_bytes("\r\n".join(rows).encode("gb18030"))
    error = error_of(path)
    assert (error.row, error.field) == (9, "交易日期")
    assert "below the trailer row 8" in error.message


# --- text decoded a chunk of whole lines at a time --------------------------------------------


def test_text_is_decoded_in_chunks_with_the_same_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    from importers import table

    text = "".join(
        f"行{n},金额{n}\u2028备注\r\n" if n % 7 == 0 else f"行{n},{n}\n" for n in range(300)
    )
    data = text.encode("gb18030")
    whole = list(table.decode_lines(data, "gb18030"))
    monkeypatch.setattr(table, "CHUNK_BYTES", 50)
    assert list(table.decode_lines(data, "gb18030")) == whole
    assert "".join(whole) == text
    assert whole[7] == "行7,金额7\u2028备注\r\n"  # no line is cut at a break csv does not know


def test_a_bad_byte_in_a_later_chunk_names_its_line(monkeypatch: pytest.MonkeyPatch) -> None:
    from importers import table
    from importers.sniff import ReadError

    data = b"".join(f"line {n},{n}\r\n".encode() for n in range(200)) + b"bad \xff,1\r\n"
    monkeypatch.setattr(table, "CHUNK_BYTES", 64)
    with pytest.raises(ReadError) as caught:
        list(table.decode_lines(data, "utf-8"))
    assert caught.value.row == 201


@pytest.mark.parametrize(
    "other", ["\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]
)
def test_no_line_is_cut_at_a_break_csv_does_not_know(other: str) -> None:
    from importers import table

    text = f"行1,备注{other}续\r\n行2,2\n"
    assert list(table.decode_lines(text.encode("utf-8"), "utf-8")) == [
        f"行1,备注{other}续\r\n",
        "行2,2\n",
    ]


def test_rows_without_their_trailing_empty_cells_read_the_same(tmp_path: Path) -> None:
    """Exports drop a row's trailing empty cells: the columns past its end read as empty."""
    sample = SAMPLES / "icbc-historydetail.csv"
    lines = sample.read_bytes().decode("gb18030").splitlines()
    cut = [line.rstrip(",") for line in lines]
    assert cut != lines
    path = tmp_path / "cut.csv"
    path.write_bytes("\r\n".join(cut).encode("gb18030"))
    assert read_statement(path).lines == read_statement(sample).lines
