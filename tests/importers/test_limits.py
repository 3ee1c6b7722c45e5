"""Statements that would hang or exhaust the machine are refused (issue 16, section 4).

A path that is no regular file (a FIFO, a device, a directory) is refused before anything is
read, by every entry point; a file over the size limit, an xlsx whose central directory
announces a bomb (total inflated size, ratio, members), one whose directory lies, one with a
DOCTYPE or too many XML elements, and any file with more cells than the limit are refused with
the figures in the message, and nothing is written to the books. An honest large xlsx still
imports.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import struct
import threading
import zipfile
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from beangulp import exceptions as bg_exceptions

from importers import read_statement_file, reader, sniff, table
from importers.reader import StatementError, identify, read_statement
from importers.sniff import LimitError, check_xlsx, read_file
from tests.helpers import snapshot, xt
from xtaccounts.books.load import load_books
from xtaccounts.books.positions import read_positions
from xtaccounts.cli.beangulp_importer import StatementImporter
from xtaccounts.demo.bank_statements import BankLine, StatementFile, icbc_csv
from xtaccounts.ops.bank_statement_import import import_statements

SAMPLES = Path(__file__).parent / "samples"
ICBC = "Assets:Bank-银行存款:ICBC-工商银行:Demand-活期8821"
ICBC_NO = "1904021109200088821"
NOT_REGULAR = "不是普通文件"


# --- builders ---------------------------------------------------------------------------------


def _bomb(path: Path, inflated: int) -> Path:
    """An .xlsx whose sheet inflates to `inflated` bytes of XML (mostly blanks, ~1,000 : 1)."""
    row = b'<row><c t="inlineStr"><is><t>0</t></is></c></row>'
    block = (row + b" " * (16384 - len(row))) * 64  # 1 MiB
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        archive.writestr("xl/workbook.xml", b"<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(b"<worksheet><sheetData>")
            for _ in range(inflated // len(block)):
                sheet.write(block)
            sheet.write(b"</sheetData></worksheet>")
    return path


def _rewrite_member(source: Path, target: Path, name: str, edit: Callable[[bytes], bytes]) -> Path:
    """A copy of the xlsx `source` with member `name` replaced by `edit` of its content."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            content = old.read(info)
            new.writestr(info.filename, edit(content) if info.filename == name else content)
    return target


def _sheet_name(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return next(n for n in archive.namelist() if n.startswith("xl/worksheets/sheet"))


def _lie_about_size(data: bytes, name: str, declared: int) -> bytes:
    """`data` (a ZIP, no zip64) with member `name`'s uncompressed size set to `declared` in both
    its local header and its central directory entry (the CRC is left as it was)."""
    out = bytearray(data)
    encoded = name.encode()
    local = out.index(b"PK\x03\x04")
    while True:  # the local header of `name`
        length = struct.unpack_from("<H", out, local + 26)[0]
        if bytes(out[local + 30 : local + 30 + length]) == encoded:
            break
        local = out.index(b"PK\x03\x04", local + 4)
    struct.pack_into("<I", out, local + 22, declared)
    central = out.index(b"PK\x01\x02")
    while True:
        length = struct.unpack_from("<H", out, central + 28)[0]
        if bytes(out[central + 46 : central + 46 + length]) == encoded:
            break
        central = out.index(b"PK\x01\x02", central + 4)
    struct.pack_into("<I", out, central + 24, declared)
    return bytes(out)


def _write_xlsx(rows: list[list[str]], path: Path) -> Path:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("明细")
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def _in_a_thread(call: Callable[[], object], fifo: Path, seconds: float = 1.0) -> BaseException:
    """Run `call` (expected to refuse) in a thread; fail if it has not ended after `seconds`
    (then open the FIFO for writing, so that the blocked reader ends)."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            call()
        except BaseException as exc:
            outcome.append(exc)
        else:
            outcome.append(None)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)
        thread.join(10)
        pytest.fail(f"still blocked on {fifo} after {seconds} s")
    [exc] = outcome
    assert exc is not None, "not refused"
    return exc


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "x.csv"
    os.mkfifo(path)
    return path


# --- no regular file ---------------------------------------------------------------------------


def test_a_fifo_is_refused_at_once_by_every_reader(fifo: Path, tmp_path: Path) -> None:
    exc = _in_a_thread(lambda: read_statement(fifo), fifo)
    assert isinstance(exc, StatementError)
    assert (
        str(exc) == f"{fifo}: {NOT_REGULAR}，而是命名管道（FIFO）：银行对账单只读普通文件，拒绝读取"
    )
    exc = _in_a_thread(lambda: identify(fifo), fifo)
    assert isinstance(exc, StatementError) and NOT_REGULAR in str(exc)
    importer = StatementImporter(tmp_path / "main.beancount")
    exc = _in_a_thread(lambda: importer.identify(str(fifo)), fifo)
    assert isinstance(exc, bg_exceptions.Error) and str(exc).startswith(f"{fifo}: {NOT_REGULAR}")


def test_a_fifo_put_in_place_after_the_check_does_not_block(
    fifo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The path is checked, then opened without blocking and checked again on the descriptor:
    a regular file swapped for a FIFO in between is refused, not waited on."""
    monkeypatch.setattr(sniff, "regular_size", lambda path: 0)  # the check saw a regular file
    exc = _in_a_thread(lambda: read_file(fifo), fifo)
    assert isinstance(exc, LimitError) and "命名管道" in str(exc)


@pytest.mark.parametrize(
    ("path", "kind"), [("/dev/zero", "字符设备"), ("/dev/null", "字符设备"), (".", "目录")]
)
def test_devices_and_directories_are_refused_unread(path: str, kind: str, tmp_path: Path) -> None:
    target = Path(path) if path != "." else tmp_path
    with pytest.raises(StatementError, match=f"{NOT_REGULAR}，而是{kind}"):
        read_statement(target)
    with pytest.raises(StatementError, match=kind):
        identify(target)


@pytest.mark.slow
def test_the_cli_refuses_what_is_no_regular_file_and_writes_nothing(
    demo_copy: Path, fifo: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()
    before = snapshot(demo_copy.parent)
    for path, kind in (
        (fifo, "命名管道（FIFO）"),
        (Path("/dev/zero"), "字符设备"),
        (folder, "目录"),
    ):
        result = xt(demo_copy, "import", str(path), timeout=120)
        assert result.returncode == 1, result.stderr
        assert (
            result.stderr.strip()
            == f"{path}: {NOT_REGULAR}，而是{kind}：银行对账单只读普通文件，拒绝读取"
        )
    for command in ("identify", "extract"):
        result = xt(demo_copy, "import", command, str(fifo), timeout=120)
        assert result.returncode == 1, result.stderr
        # beangulp's identify logs on stdout, extract on stderr
        assert f"{fifo}: {NOT_REGULAR}，而是命名管道（FIFO）" in result.stdout + result.stderr
        assert "Traceback" not in result.stderr
    assert snapshot(demo_copy.parent) == before


# --- size ---------------------------------------------------------------------------------------


def test_a_statement_over_the_size_limit_is_refused_before_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = tmp_path / "big.csv"
    sample = (SAMPLES / "icbc-historydetail.csv").read_bytes()
    with big.open("wb") as handle:  # a real statement's head (blank lines), then a sparse hole
        handle.write(sample + b"\r\n" * sniff.SAMPLE_BYTES)
        handle.truncate(sniff.MAX_FILE_BYTES + 1)
    size = sniff.MAX_FILE_BYTES + 1
    expected = (
        f"{big}: 文件大小 64.0 MiB（{size:,} 字节），超过对账单文件的上限 64 MiB"
        f"（{sniff.MAX_FILE_BYTES:,} 字节）：拒绝读取"
    )
    reads: list[int] = []
    real_read = os.read
    monkeypatch.setattr(os, "read", lambda fd, n: reads.append(n) or real_read(fd, n))
    with pytest.raises(StatementError) as caught:
        read_statement(big)
    assert str(caught.value) == expected and not reads  # refused on its size, nothing read
    with pytest.raises(StatementError) as caught:
        identify(big)  # it begins like a statement: refused, not passed over
    assert str(caught.value) == expected
    with pytest.raises(bg_exceptions.Error, match="超过对账单文件的上限 64 MiB"):
        StatementImporter(tmp_path / "main.beancount").identify(str(big))
    other = tmp_path / "video.mp4"
    with other.open("wb") as handle:  # a large file that is no statement: passed over
        handle.write(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 64)
        handle.truncate(sniff.MAX_FILE_BYTES + 1)
    assert identify(other) is None


# --- xlsx bombs ---------------------------------------------------------------------------------


def test_a_zip_bomb_is_refused_with_its_figures_and_writes_nothing(
    demo_copy: Path, tmp_path: Path
) -> None:
    bomb = _bomb(tmp_path / "statement.xlsx", 64 * 1024**2)
    assert bomb.stat().st_size < 200 * 1024  # about 1,000 : 1
    with zipfile.ZipFile(bomb) as archive:
        sheet = archive.getinfo("xl/worksheets/sheet1.xml")
    ratio = sheet.file_size / sheet.compress_size
    before = snapshot(demo_copy.parent)
    result = xt(demo_copy, "import", str(bomb), timeout=120)
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"{bomb}: xlsx 成员 xl/worksheets/sheet1.xml 由 ")
    assert f"由 {sheet.compress_size:,} 字节解压为 {sheet.file_size:,} 字节（64.0 MiB）" in line
    assert f"压缩比 {ratio:,.0f}:1；" in line and ratio > 500
    assert line.endswith("；上限：解压后合计 256 MiB，单个成员压缩比 100:1：疑为压缩炸弹，拒绝读取")
    identified = xt(demo_copy, "import", "identify", str(bomb), timeout=120)
    assert identified.returncode == 1 and "压缩比" in identified.stdout
    assert snapshot(demo_copy.parent) == before


def test_the_total_inflated_size_is_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sample = SAMPLES / "abc-corporate.xlsx"
    with zipfile.ZipFile(sample) as archive:
        total = sum(info.file_size for info in archive.infolist())
        members = len(archive.infolist())
    monkeypatch.setattr(sniff, "MAX_INFLATED_BYTES", total - 1)
    with pytest.raises(StatementError) as caught:
        read_statement(sample)
    assert str(caught.value).startswith(
        f"{sample}: xlsx 解压后合计 {total:,} 字节（{total / 1024**2:.1f} MiB，{members} 个成员）"
    )


def test_a_central_directory_that_lies_is_refused_while_inflating(tmp_path: Path) -> None:
    """The directory announces a small sheet (ratio and total within the limits); inflating it
    gives more: refused as soon as the counter passes the announced size."""
    rows, _ = _statement_rows_from(Decimal("0.00"), 3000)
    honest = _write_xlsx(rows, tmp_path / "honest.xlsx")
    name = _sheet_name(honest)
    liar = tmp_path / "liar.xlsx"
    liar.write_bytes(_lie_about_size(honest.read_bytes(), name, 10_000))
    with zipfile.ZipFile(liar) as archive:
        assert archive.getinfo(name).file_size == 10_000  # what zipfile believes
    message = (
        f"xlsx 成员 {name} 的中央目录声明解压后 10,000 字节，实际解压超过此数："
        "目录与内容不符（疑为压缩炸弹），拒绝读取"
    )
    with pytest.raises(LimitError) as caught:
        check_xlsx(liar.read_bytes())
    assert str(caught.value) == message
    with pytest.raises(StatementError) as caught:
        read_statement(liar)
    assert str(caught.value) == f"{liar}: {message}"


def test_an_xlsx_with_a_doctype_is_refused(tmp_path: Path) -> None:
    sample = SAMPLES / "abc-corporate.xlsx"
    entity = b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa">]>'
    path = _rewrite_member(
        sample,
        tmp_path / "dtd.xlsx",
        _sheet_name(sample),
        lambda xml: entity + xml.split(b"?>", 1)[-1],
    )
    with pytest.raises(StatementError, match="含 DOCTYPE 声明"):
        read_statement(path)


def test_too_many_members_are_refused_before_the_directory_is_read(tmp_path: Path) -> None:
    path = tmp_path / "many.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("xl/workbook.xml", b"<workbook/>")
        for n in range(sniff.MAX_MEMBERS):
            archive.writestr(f"xl/media/{n}.xml", b"")
    with pytest.raises(StatementError) as caught:
        read_statement(path)
    assert str(caught.value) == (
        f"{path}: xlsx 压缩包有 {sniff.MAX_MEMBERS + 1:,} 个以上成员，"
        f"超过上限 {sniff.MAX_MEMBERS:,} 个：拒绝读取"
    )


def test_xml_elements_are_counted_before_openpyxl_parses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sniff, "MAX_XML_ELEMENTS", 200)
    with pytest.raises(StatementError, match="xlsx 的 XML 元素超过 200 个的上限"):
        read_statement(SAMPLES / "abc-corporate.xlsx")


# --- cells and records --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["icbc-historydetail.csv", "abc-corporate.xlsx", "ccb-corporate.xls"]
)
def test_cells_are_capped_in_every_format(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    sample = SAMPLES / name
    assert read_statement(sample).lines
    monkeypatch.setattr(table, "MAX_CELLS", 60)
    with pytest.raises(StatementError) as caught:
        read_statement(sample)
    assert "单元格超过每个文件 60 个的读取上限（每行另计一格），对账单过大：拒绝读取" in str(
        caught.value
    )


def test_blank_lines_count_against_the_cells(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "blank.csv"
    path.write_bytes((SAMPLES / "icbc-historydetail.csv").read_bytes() + b"\r\n" * 1000)
    monkeypatch.setattr(table, "MAX_CELLS", 1000)
    with pytest.raises(StatementError, match=r"blank\.csv:\d+: 单元格超过每个文件 1,000 个"):
        read_statement(path)


def test_a_record_over_the_character_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "commas.csv"
    path.write_bytes(b"a,b\r\n" + b"," * (table.MAX_RECORD_CHARS + 10) + b"\r\n")
    with pytest.raises(StatementError) as caught:
        read_statement(path)
    assert str(caught.value) == (
        f"{path}:2: 一条记录超过 {table.MAX_RECORD_CHARS:,} 个字符的上限：不是对账单的行，拒绝读取"
    )


def test_lines_are_capped_per_statement(monkeypatch: pytest.MonkeyPatch) -> None:
    """An import holds each line several times over: a file of more lines than the limit is
    refused (split it by period), naming the row where the limit was passed."""
    sample = SAMPLES / "icbc-historydetail.csv"
    lines = read_statement(sample).lines
    monkeypatch.setattr(reader, "MAX_LINES", len(lines) - 1)
    with pytest.raises(StatementError) as caught:
        read_statement(sample)
    assert str(caught.value) == (
        f"{sample}:{max(line.row for line in lines)}: 对账单超过每个文件 {len(lines) - 1:,} 行的"
        "上限：请按期间分成几个文件导入，拒绝读取"
    )


def test_a_sheet_dimension_does_not_pad_the_rows(tmp_path: Path) -> None:
    """openpyxl pads every row to the sheet's declared dimension (up to 16,384 cells): the
    dimension is ignored, rows are as long as their cells, and the statement is the same."""
    sample = SAMPLES / "abc-corporate.xlsx"
    padded = _rewrite_member(
        sample,
        tmp_path / "padded.xlsx",
        _sheet_name(sample),
        lambda xml: _replace_dimension(xml, b'<dimension ref="A1:XFD300"/>'),
    )
    sheets = table.read_xlsx(padded.read_bytes())
    assert max(len(row) for sheet in sheets for row in sheet.rows) < 30
    assert read_statement(padded).lines == read_statement(sample).lines


def _replace_dimension(xml: bytes, dimension: bytes) -> bytes:
    start = xml.find(b"<dimension")
    if start < 0:
        return xml.replace(b"<sheetData", dimension + b"<sheetData", 1)
    end = xml.index(b"/>", start) + 2
    return xml[:start] + dimension + xml[end:]


# --- honest files -------------------------------------------------------------------------------


def _statement_rows_from(opening: Decimal, count: int) -> tuple[list[list[str]], int]:
    """The rows of an ICBC 企业网银 statement of the demo's ICBC account for 2026 (after the
    demo's last close): `count` lines of transfers and fees, running from `opening`."""
    lines = []
    for n in range(1, count + 1):
        day = dt.date(2026, 1, 5) + dt.timedelta(days=n * 300 // count)
        if n % 10 == 0:
            line = BankLine(day, -(Decimal(n % 50 + 1) / 10), "手续费")
        else:
            amount = Decimal(1000 + n % 997) + Decimal(n % 100) / 100
            line = BankLine(day, amount, "转账", "湘潭某商贸有限公司", "43001510061050001111")
        lines.append(
            BankLine(
                line.date,
                line.amount,
                line.memo,
                line.counterparty,
                line.counterparty_account,
                time=f"{9 + n % 8:02d}:{n % 60:02d}:{n * 7 % 60:02d}",
                serial=f"L{n:09d}",
            )
        )
    statement = StatementFile(
        ICBC_NO,
        "湘潭市物业专项维修资金管理中心",
        dt.date(2026, 1, 1),
        dt.date(2026, 11, 30),
        opening,
        tuple(lines),
    )
    text = icbc_csv(statement).decode("gb18030")
    return list(csv.reader(io.StringIO(text, newline=""))), count


@pytest.mark.slow
def test_an_honest_large_xlsx_still_imports(demo_copy: Path, tmp_path: Path) -> None:
    opening = read_positions(load_books(demo_copy).entries).balance(ICBC) + Decimal("0.00")
    rows, count = _statement_rows_from(opening, 3000)
    path = _write_xlsx(rows, tmp_path / "historydetail-2026.xlsx")
    with zipfile.ZipFile(path) as archive:
        sheet = archive.getinfo(_sheet_name(path))
    assert sheet.file_size > sniff.RATIO_FROM_BYTES  # the ratio is checked on it, and holds
    check_xlsx(path.read_bytes())
    report = import_statements(demo_copy, [path], read=read_statement_file)
    [item] = report.files
    assert item.ok, item.error
    assert item.lines == count and item.booked + item.suspense == count
    archived = demo_copy.parent / item.archived
    assert archived.read_bytes() == path.read_bytes()
