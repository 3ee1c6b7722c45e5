"""A statement file as sheets of rows of cell text, whatever the file type.

Every cell comes back as `str`, stripped of padding (spaces, tabs, full-width spaces) and of the
`="..."` wrapping some exports use to force Excel to show text. Spreadsheet numbers come back as
`NumberCell` (a `str`): the float's shortest repr, never `Decimal(float)`; an integral value as
plain digits. Date cells come back as `YYYY-MM-DD`, `YYYY-MM-DD HH:MM:SS` or `HH:MM:SS`.

What a file may cost is bounded: at most `MAX_CELLS` cells are read from it, all sheets together
and each row counting one more (so blank rows count too); a text record may not exceed
`MAX_RECORD_CHARS`; text is decoded line by line, never held whole as `str`; an xlsx is checked
by `importers.sniff.check_xlsx` before openpyxl reads it, its sheets without the declared
dimensions (which could pad every row to 16,384 cells); xls sheets are read one at a time.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from importers.sniff import SAMPLE_BYTES, LimitError, ReadError, Sniffed, check_xlsx
from xtaccounts.core.gc_pause import gc_paused

# Cells read from one file, all sheets, each row one more: 100,000 lines of 13 columns are 1.4 M.
MAX_CELLS = 4_000_000
MAX_RECORD_CHARS = 1024**2  # one record of a text statement (a line is a few hundred)

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


class CellBudget:
    """The cells still allowed for one file (`MAX_CELLS`); each row takes its cells plus one."""

    def __init__(self, limit: int | None = None) -> None:
        self.limit = MAX_CELLS if limit is None else limit
        self.left = self.limit

    def take(self, cells: int, row: int) -> None:
        self.left -= cells + 1
        if self.left < 0:
            raise LimitError(
                f"单元格超过每个文件 {self.limit:,} 个的读取上限（每行另计一格），"
                "对账单过大：拒绝读取",
                row=row,
            )


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


_LINE_BYTES = re.compile(rb"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
_LINE_TEXT = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


CHUNK_BYTES = 1 << 20  # text is decoded a chunk of whole lines at a time
# Line breaks `str.splitlines` knows besides CR and LF; csv must not see a line cut at one.
# (Looked for one at a time: eight `in` scans of a chunk take a seventh of one regex search.)
_OTHER_BREAKS = ("\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")


def decode_lines(data: bytes, encoding: str) -> Iterator[str]:
    """The lines of `data` (line ends kept: CR LF, CR or LF, as csv wants them), decoded a
    chunk of whole lines at a time (`CHUNK_BYTES`), so the whole text is never one `str`; a
    decoding error names its line (counted by LF). Neither GB18030 nor UTF-8 has a CR or LF
    byte inside a character."""
    start = 0
    if encoding == "utf-8-sig":
        encoding = "utf-8"
        if data.startswith(b"\xef\xbb\xbf"):
            start = 3
    line_feeds = 0
    size = len(data)
    while start < size:
        end = min(start + CHUNK_BYTES, size)
        if end < size:
            cut = data.rfind(b"\n", start, end)
            if cut < 0:
                cut = data.find(b"\n", end)  # one line longer than a chunk
            end = size if cut < 0 else cut + 1
        chunk = data[start:end]
        try:
            text = chunk.decode(encoding)
        except UnicodeDecodeError as exc:
            _decode_each_line(chunk, encoding, line_feeds)
            raise ReadError(
                f"cannot decode the text as {encoding}: {exc.reason}", row=line_feeds + 1
            ) from None
        if any(other in text for other in _OTHER_BREAKS):
            yield from _text_lines(text)
        else:
            yield from text.splitlines(keepends=True)
        line_feeds += chunk.count(b"\n")
        start = end


def _decode_each_line(chunk: bytes, encoding: str, line_feeds: int) -> None:
    """Raise the ReadError naming the line of `chunk` that does not decode."""
    for match in _LINE_BYTES.finditer(chunk):
        raw = match.group()
        try:
            raw.decode(encoding)
        except UnicodeDecodeError as exc:
            raise ReadError(
                f"cannot decode the text as {encoding}: {exc.reason}", row=line_feeds + 1
            ) from None
        if raw.endswith(b"\n"):
            line_feeds += 1


def _text_lines(text: str) -> Iterator[str]:
    for match in _LINE_TEXT.finditer(text):
        yield match.group()


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


def read_csv_text(
    text: str | Iterable[str],
    *,
    max_rows: int | None = None,
    wrapped: bool | None = None,
    budget: CellBudget | None = None,
) -> Sheet:
    """The one table of a text statement: `text` whole, or its lines with their line ends
    (`decode_lines`; then say whether any cell is written ``="..."``, as `wrapped`)."""
    if isinstance(text, str):
        wrapped = '="' in text if wrapped is None else wrapped
        text = _text_lines(text)
    lines = iter(text)
    first: list[str] = []
    sampled = 0
    while len(first) < 60 and sampled < SAMPLE_BYTES:
        line = next(lines, None)
        if line is None:
            break
        first.append(line)
        sampled += len(line)
    head = "".join(line[:SAMPLE_BYTES] for line in first)[:SAMPLE_BYTES].splitlines()[:60]
    delimiter = choose_delimiter(head)
    record = [0]  # characters of the record being read
    reader = csv.reader(
        _capped(itertools.chain(first, lines), record, lambda: previous + 1),
        delimiter=delimiter,
    )
    budget = budget or CellBudget()
    rows: list[list[str]] = []
    numbers: list[int] = []
    straight = True  # every record is one line: row numbers are index + 1
    previous = 0
    strip = clean if wrapped else str.strip  # cells written as ="..." to keep Excel from
    # reading numbers
    cells_left = budget.left  # the budget's count, kept here while the rows are read
    try:
        for fields in reader:
            record[0] = 0
            start = previous + 1
            previous = reader.line_num
            cells_left -= len(fields) + 1
            if cells_left < 0:
                budget.left = cells_left + len(fields) + 1
                budget.take(len(fields), start)  # the refusal, worded as for every format
            if straight and start != len(rows) + 1:
                straight = False
                numbers = list(range(1, len(rows) + 1))  # kept only once they are needed
            rows.append(list(map(strip, fields)))
            if not straight:
                numbers.append(start)
            if max_rows is not None and len(rows) >= max_rows:
                break
    except csv.Error as exc:
        raise ReadError(f"cannot read the text table: {exc}", row=previous + 1) from None
    finally:
        budget.left = cells_left
    return Sheet(None, rows, None if straight else numbers)


def _capped(lines: Iterator[str], record: list[int], row: Callable[[], int]) -> Iterator[str]:
    """`lines`, refusing a record (the lines csv reads for one row) over `MAX_RECORD_CHARS`:
    a line of millions of delimiters would be millions of cells before a row could be counted."""
    for line in lines:
        record[0] += len(line)
        if record[0] > MAX_RECORD_CHARS:
            raise LimitError(
                f"一条记录超过 {MAX_RECORD_CHARS:,} 个字符的上限：不是对账单的行，拒绝读取",
                row=row(),
            )
        yield line


# --- xls (BIFF, via xlrd) --------------------------------------------------------------------


def read_xls(
    data: bytes, *, max_rows: int | None = None, budget: CellBudget | None = None
) -> list[Sheet]:
    import xlrd

    budget = budget or CellBudget()
    try:
        # Ragged rows: a row as long as its last cell, not as the widest row of the sheet.
        book = xlrd.open_workbook(
            file_contents=data,
            on_demand=True,
            ragged_rows=True,
            logfile=io.StringIO(),
            verbosity=0,
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
                rows = list(_xls_rows(sheet, book.datemode, max_rows, budget))
            except ReadError:
                raise
            except Exception as exc:
                raise ReadError(
                    f"not a readable xls workbook: sheet {index + 1} ({_describe(exc)})"
                ) from None
            name = sheet.name
            book.unload_sheet(index)  # xlrd keeps one sheet at a time
            del sheet
            if any(any(r) for r in rows):
                sheets.append(Sheet(name, rows))
            if max_rows is not None and sheets:
                break
    finally:
        book.release_resources()
    return sheets


def _xls_rows(
    sheet, datemode: int, max_rows: int | None, budget: CellBudget
) -> Iterator[list[str]]:
    import xlrd

    text_type, number_type, date_type, bool_type, error_type = (
        xlrd.XL_CELL_TEXT,
        xlrd.XL_CELL_NUMBER,
        xlrd.XL_CELL_DATE,
        xlrd.XL_CELL_BOOLEAN,
        xlrd.XL_CELL_ERROR,
    )
    nrows = sheet.nrows if max_rows is None else min(sheet.nrows, max_rows)
    # xlrd holds the sheet already: refuse it whole before any row is converted.
    budget.take(sum(sheet.row_len(r) for r in range(nrows)) + nrows - 1, 0)
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


def read_xlsx(
    data: bytes, *, max_rows: int | None = None, budget: CellBudget | None = None
) -> list[Sheet]:
    import openpyxl

    check_xlsx(data)  # the ZIP's figures and its members inflated once through a counter
    budget = budget or CellBudget()
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
                worksheet.reset_dimensions()  # rows as long as their cells, not the dimension
                rows = list(_xlsx_rows(worksheet.iter_rows(values_only=True), max_rows, budget))
            except ReadError:
                raise
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


def _xlsx_rows(
    values: Iterable[tuple], max_rows: int | None, budget: CellBudget
) -> Iterator[list[str]]:
    for count, cells in enumerate(values, start=1):
        budget.take(len(cells), count)
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


def read_table(data: bytes, sniffed: Sniffed, *, max_rows: int | None = None) -> list[Sheet]:
    """The sheets of a file's bytes (`importers.sniff.read_file`); at most the first `max_rows`
    rows of the first sheet if given (of text: within its first `SAMPLE_BYTES`)."""
    budget = CellBudget()
    if sniffed.kind == "text":
        assert sniffed.encoding is not None
        if max_rows is not None and len(data) >= SAMPLE_BYTES:
            data = data[:SAMPLE_BYTES]  # cut at a line end so no character is split
            data = data[: data.rfind(b"\n") + 1] or data
        lines = decode_lines(data, sniffed.encoding)
        wrapped = b'="' in data  # ASCII: never inside a GB18030 or UTF-8 character
        with gc_paused(keep=True):  # rows of text cells make no cycles
            return [read_csv_text(lines, max_rows=max_rows, wrapped=wrapped, budget=budget)]
    if sniffed.kind == "xls":
        return read_xls(data, max_rows=max_rows, budget=budget)
    return read_xlsx(data, max_rows=max_rows, budget=budget)
