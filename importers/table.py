"""A statement file as sheets of rows of cell text, whatever the file type.

Every cell comes back as `str`, stripped of padding (spaces, tabs, full-width spaces) and of the
`="..."` wrapping some exports use to force Excel to show text. Spreadsheet numbers come back as
`NumberCell` (a `str`): the float's shortest repr, never `Decimal(float)`; an integral value as
plain digits. Date cells come back as `YYYY-MM-DD`, `YYYY-MM-DD HH:MM:SS` or `HH:MM:SS`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from importers.sniff import SAMPLE_BYTES, ReadError, Sniffed

# Excel keeps 15 significant digits; a float beyond that is binary noise or lost digits.
EXCEL_DIGITS = 15
_EXACT = 10.0**EXCEL_DIGITS
DELIMITERS = (",", "\t", ";", "|")
# Words that make up header rows; the delimiter that splits them into separate cells wins.
_HEADER_HINTS = (
    "日期",
    "时间",
    "金额",
    "余额",
    "摘要",
    "用途",
    "户名",
    "账号",
    "发生额",
    "收入",
    "支出",
    "借",
    "贷",
    "流水",
    "附言",
    "备注",
)


class NumberCell(str):
    """The text of a numeric spreadsheet cell (the float's repr, or digits if integral)."""

    __slots__ = ()

    def lost_digits(self) -> bool:
        """True when the value cannot be an exact integer text (an account or serial number)."""
        return "e" in self.lower() or len(self.split(".")[0].lstrip("-")) > EXCEL_DIGITS


@dataclass
class Sheet:
    """One sheet (or the one table of a text file): rows of cell text, 1-based row numbers."""

    name: str | None
    rows: list[list[str]]
    numbers: list[int] | None = None  # the file row of each row, when not simply index + 1

    def row_number(self, index: int) -> int:
        return self.numbers[index] if self.numbers is not None else index + 1


def clean(cell: str) -> str:
    """Strip padding and an `="..."` wrapper from a text cell."""
    cell = cell.strip()
    if cell[:2] == '="' and cell[-1:] == '"':
        cell = cell[2:-1].strip()
    return cell


def float_text(value: float) -> NumberCell:
    """The text of a float spreadsheet cell: its shortest repr, digits only when integral."""
    if not math.isfinite(value):
        return NumberCell("#NUM!")
    if value.is_integer() and -_EXACT < value < _EXACT:
        return NumberCell(int(value))
    text = repr(value)
    if len(text) > EXCEL_DIGITS + 1 and "e" not in text and _significant(text) > EXCEL_DIGITS:
        # A computed value (1234.5600000000002): what Excel shows is its 15 significant digits.
        text = format(value, f".{EXCEL_DIGITS}g")
    return NumberCell(text)


def _significant(text: str) -> int:
    return len(text.replace("-", "").replace(".", "").lstrip("0"))


def format_datetime(value: dt.datetime | dt.date | dt.time) -> str:
    if isinstance(value, dt.datetime):
        if value.hour or value.minute or value.second:
            return value.strftime("%Y-%m-%d %H:%M:%S")
        return value.strftime("%Y-%m-%d")
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d")
    return value.strftime("%H:%M:%S")


# --- text (CSV/TSV) ------------------------------------------------------------------------


def decode(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ReadError(f"cannot decode the text as {encoding}: {exc.reason}", row=line) from None


def choose_delimiter(lines: list[str]) -> str:
    """The delimiter that splits some line (the header) into most separate header words.

    Each line is split on its own, so that quotes a wrong delimiter leaves open (`"3,240.28\t"`
    split on tabs) cannot swallow the lines after it.
    """
    best, best_score = ",", (-1, -1)
    for delimiter in DELIMITERS:
        hint_cells = 0
        most_fields = 0
        for line in lines:
            fields = next(csv.reader([line], delimiter=delimiter), [])
            most_fields = max(most_fields, len(fields))
            hits = sum(
                1 for f in fields if len(f.strip()) <= 40 and any(h in f for h in _HEADER_HINTS)
            )
            hint_cells = max(hint_cells, hits)
        score = (hint_cells, most_fields)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def read_text(text: str, *, max_rows: int | None = None) -> Sheet:
    head = text[:SAMPLE_BYTES].splitlines()[:60]
    delimiter = choose_delimiter(head)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[list[str]] = []
    numbers: list[int] = []
    straight = True  # every record is one line: row numbers are index + 1
    previous = 0
    wrapped = '="' in text  # cells written as ="..." to keep Excel from reading numbers
    try:
        for fields in reader:
            start = previous + 1
            previous = reader.line_num
            if straight and start != len(rows) + 1:
                straight = False
            rows.append([clean(f) for f in fields] if wrapped else [f.strip() for f in fields])
            numbers.append(start)
            if max_rows is not None and len(rows) >= max_rows:
                break
    except csv.Error as exc:
        raise ReadError(f"cannot read the text table: {exc}", row=previous + 1) from None
    return Sheet(None, rows, None if straight else numbers)


# --- xls (BIFF, via xlrd) --------------------------------------------------------------------


def read_xls(data: bytes, *, max_rows: int | None = None) -> list[Sheet]:
    import xlrd

    try:
        book = xlrd.open_workbook(
            file_contents=data, on_demand=True, logfile=io.StringIO(), verbosity=0
        )
    except Exception as exc:  # xlrd raises many kinds on damaged files: all mean the same
        raise ReadError(
            f"not a readable xls workbook: damaged or truncated (xlrd: {_describe(exc)})"
        ) from None
    sheets: list[Sheet] = []
    try:
        for index in range(book.nsheets):
            try:
                sheet = book.sheet_by_index(index)
                rows = list(_xls_rows(sheet, book.datemode, max_rows))
            except ReadError:
                raise
            except Exception as exc:
                raise ReadError(
                    f"not a readable xls workbook: sheet {index + 1} ({_describe(exc)})"
                ) from None
            if any(any(r) for r in rows):
                sheets.append(Sheet(sheet.name, rows))
            if max_rows is not None and sheets:
                break
    finally:
        book.release_resources()
    return sheets


def _xls_rows(sheet, datemode: int, max_rows: int | None) -> Iterator[list[str]]:
    import xlrd

    text_type, number_type, date_type, bool_type, error_type = (
        xlrd.XL_CELL_TEXT,
        xlrd.XL_CELL_NUMBER,
        xlrd.XL_CELL_DATE,
        xlrd.XL_CELL_BOOLEAN,
        xlrd.XL_CELL_ERROR,
    )
    nrows = sheet.nrows if max_rows is None else min(sheet.nrows, max_rows)
    for r in range(nrows):
        types = sheet.row_types(r)
        values = sheet.row_values(r)
        row: list[str] = []
        for kind, value in zip(types, values, strict=False):
            if kind == text_type:
                row.append(clean(value))
            elif kind == number_type:
                row.append(float_text(value))
            elif kind == date_type:
                row.append(_xls_date(value, datemode))
            elif kind == bool_type:
                row.append("TRUE" if value else "FALSE")
            elif kind == error_type:
                row.append(xlrd.error_text_from_code.get(value, "#ERROR!"))
            else:
                row.append("")
        yield row


def _xls_date(value: float, datemode: int) -> str:
    import xlrd

    try:
        y, m, d, hh, mm, ss = xlrd.xldate_as_tuple(value, datemode)
    except Exception:
        return float_text(value)  # a date-formatted number that is no date: keep the number
    if y == 0:
        return f"{hh:02d}:{mm:02d}:{ss:02d}"
    if hh or mm or ss:
        return f"{y:04d}-{m:02d}-{d:02d} {hh:02d}:{mm:02d}:{ss:02d}"
    return f"{y:04d}-{m:02d}-{d:02d}"


# --- xlsx (via openpyxl) ---------------------------------------------------------------------


def read_xlsx(data: bytes, *, max_rows: int | None = None) -> list[Sheet]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:
        raise ReadError(
            f"not a readable xlsx workbook: damaged or truncated (openpyxl: {_describe(exc)})"
        ) from None
    sheets: list[Sheet] = []
    try:
        for worksheet in book.worksheets:
            try:
                rows = list(_xlsx_rows(worksheet.iter_rows(values_only=True), max_rows))
            except Exception as exc:
                raise ReadError(
                    f"not a readable xlsx workbook: sheet {worksheet.title!r} ({_describe(exc)})"
                ) from None
            if any(any(r) for r in rows):
                sheets.append(Sheet(worksheet.title, rows))
            if max_rows is not None and sheets:
                break
    finally:
        book.close()
    return sheets


def _xlsx_rows(values: Iterable[tuple], max_rows: int | None) -> Iterator[list[str]]:
    for count, cells in enumerate(values, start=1):
        row: list[str] = []
        for value in cells:
            if value is None:
                row.append("")
            elif isinstance(value, str):
                row.append(clean(value))
            elif isinstance(value, bool):
                row.append("TRUE" if value else "FALSE")
            elif isinstance(value, int):
                row.append(NumberCell(str(value)))
            elif isinstance(value, float):
                row.append(float_text(value))
            elif isinstance(value, (dt.datetime, dt.date, dt.time)):
                row.append(format_datetime(value))
            else:
                row.append(clean(str(value)))
        yield row
        if max_rows is not None and count >= max_rows:
            break


def _describe(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    text = re.sub(r"\s+", " ", text)
    return text[:200]


# --- entry point -----------------------------------------------------------------------------


def read_table(path: Path, sniffed: Sniffed, *, max_rows: int | None = None) -> list[Sheet]:
    """The sheets of a file (at most the first `max_rows` rows of the first sheet if given)."""
    if sniffed.kind == "text":
        assert sniffed.encoding is not None
        if max_rows is not None:
            with open(path, "rb") as handle:
                data = handle.read(SAMPLE_BYTES)
            if len(data) == SAMPLE_BYTES:  # cut at a line end so no character is split
                data = data[: data.rfind(b"\n") + 1] or data
        else:
            data = path.read_bytes()
        return [read_text(decode(data, sniffed.encoding), max_rows=max_rows)]
    data = path.read_bytes()
    if sniffed.kind == "xls":
        return read_xls(data, max_rows=max_rows)
    return read_xlsx(data, max_rows=max_rows)
