"""The workbook: one sheet per table, laid out like the official forms and ready to print.

Each sheet: the title centred over the table, the form number (会住维01表) on the right, a line
with 编制单位, the period and 单位：元, notes, then the header row (frozen, and repeated on every
printed page) and the rows; a totals row (合计) closes the detail tables. Amounts are number
cells holding the Decimal's exact text, shown ``#,##0.00``; dates are date cells; text cells are
always strings (``t="inlineStr"``), never formulas (safety.py); the only formulas are the
workbook's own totals (a totals row's SUM, a form's 合计 lines), each with its value cached.
Printing: A4 portrait, A4 landscape or A3 landscape by the table's width, always fitted to the
page's width, page numbers in the footer, font 宋体 (LibreOffice falls back to Noto CJK).

The SpreadsheetML is streamed straight into the zip, row by row, at ~1.8 µs a cell: measured
on a million cells, xlsxwriter's constant_memory mode costs ~9.8 µs and openpyxl's write-only
mode ~12 µs (without styles), which a city's 分户账 and allocation detail (millions of cells)
cannot afford (docs/export.md). The tests parse every part as XML and read the workbooks back
with openpyxl and LibreOffice.
"""

from __future__ import annotations

import collections
import datetime as dt
import itertools
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from xtaccounts.export.safety import FORMULA_TRIGGERS, clean_control
from xtaccounts.export.table import (
    DATE,
    INT,
    MONEY,
    NUMBER,
    RATE,
    TEXT,
    StreamedTable,
    Table,
    length,
)
from xtaccounts.export.text_memo import Memo

FONT_NAME = "宋体"  # SimSun on Windows; LibreOffice falls back to a CJK font (Noto CJK)
A4, A3 = 9, 8
LINE_HEIGHT = 13.5  # points per line of 10-point text
EXCEL_EPOCH = dt.date(1899, 12, 30)
# A sheet holds 1,048,576 rows; leave room for the header block and the totals row.
MAX_DATA_ROWS = 1_000_000
SHEET_ROWS = 1_048_576

_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_NS_R = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

# -- styles ----------------------------------------------------------------------------------

_NUM_FMTS = {164: "#,##0.00", 165: "0.00##", 166: "yyyy-mm-dd"}
_KIND_FMT = {MONEY: 164, NUMBER: 164, RATE: 165, INT: 1, DATE: 166, TEXT: 49}
# Fonts: 0 normal 10, 1 bold 10, 2 bold 16 (title), 3 normal 9 (notes).
_FONTS = ((False, 10), (True, 10), (True, 16), (False, 9))


def _xf(
    font: int = 0,
    fmt: int = 0,
    horizontal: str | None = None,
    vertical: str = "center",
    wrap: bool = False,
    border: bool = False,
    fill: bool = False,
    quote: bool = False,
) -> str:
    attrs = f'numFmtId="{fmt}" fontId="{font}" fillId="{2 if fill else 0}" '
    attrs += f'borderId="{1 if border else 0}" xfId="0"'
    attrs += ' applyNumberFormat="1" applyFont="1" applyBorder="1" applyAlignment="1"'
    if fill:
        attrs += ' applyFill="1"'
    if quote:
        attrs += ' quotePrefix="1"'
    align = f' vertical="{vertical}"'
    if horizontal:
        align += f' horizontal="{horizontal}"'
    if wrap:
        align += ' wrapText="1"'
    return f"<xf {attrs}><alignment{align}/></xf>"


class _StyleSheet:
    """The cell formats (cellXfs) the sheets use, by name; body formats per column kind."""

    def __init__(self) -> None:
        self.xfs: list[str] = [_xf()]
        self.index: dict[str, int] = {}
        self._add("title", _xf(font=2, horizontal="centerContinuous"))
        self._add("title_sub", _xf(horizontal="centerContinuous"))
        self._add("left", _xf())
        self._add("right", _xf(horizontal="right"))
        self._add("center", _xf(horizontal="center"))
        self._add("note", _xf(font=3, horizontal="left", vertical="top", wrap=True))
        self._add("header", _xf(font=1, horizontal="center", wrap=True, border=True, fill=True))

    def body(self, kind: str, align: str, bold: bool, quote: bool = False) -> int:
        """The format of a body cell (added on first use)."""
        name = f"{kind}:{align}:{bold}:{quote}"
        if name not in self.index:
            horizontal = align or ("left" if kind == TEXT else "right")
            fmt = 49 if quote else _KIND_FMT[kind]
            self._add(
                name,
                _xf(1 if bold else 0, fmt, horizontal, wrap=kind == TEXT, border=True, quote=quote),
            )
        return self.index[name]

    def _add(self, name: str, xf: str) -> None:
        self.index[name] = len(self.xfs)
        self.xfs.append(xf)

    def xml(self) -> str:
        fmts = "".join(
            f"<numFmt numFmtId={quoteattr(str(i))} formatCode={quoteattr(code)}/>"
            for i, code in _NUM_FMTS.items()
        )
        fonts = "".join(
            f'<font>{"<b/>" if bold else ""}<sz val="{size}"/>'
            f'<name val="{FONT_NAME}"/><family val="3"/><charset val="134"/></font>'
            for bold, size in _FONTS
        )
        return (
            f"{_DECL}<styleSheet {_NS}>"
            f'<numFmts count="{len(_NUM_FMTS)}">{fmts}</numFmts>'
            f'<fonts count="{len(_FONTS)}">{fonts}</fonts>'
            '<fills count="3"><fill><patternFill patternType="none"/></fill>'
            '<fill><patternFill patternType="gray125"/></fill>'
            '<fill><patternFill patternType="solid"><fgColor rgb="FFE8E8E8"/>'
            '<bgColor indexed="64"/></patternFill></fill></fills>'
            '<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border>'
            "<border>"
            + "".join(
                f'<{side} style="thin"><color rgb="FF808080"/></{side}>'
                for side in ("left", "right", "top", "bottom")
            )
            + "<diagonal/></border></borders>"
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
            "</cellStyleXfs>"
            f'<cellXfs count="{len(self.xfs)}">{"".join(self.xfs)}</cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
            "</cellStyles></styleSheet>"
        )


# -- layout helpers --------------------------------------------------------------------------


def paper_for(total_width: int) -> tuple[int, str]:
    """(paper, orientation) for a table `total_width` characters wide."""
    if total_width <= 110:
        return A4, "portrait"
    if total_width <= 200:
        return A4, "landscape"
    return A3, "landscape"


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _shown_width(text: str) -> int:
    return len(text) if text.isascii() else _display_width(text)


def column_letter(index: int) -> str:
    """1 -> A, 27 -> AA."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


# Excel (and LibreOffice, openpyxl) read `_xHHHH_` in cell text as an escaped character: a
# literal one is written with its underscore escaped (`_x005F_`), as Excel writes it.
_ESCAPE_LIKE = re.compile(r"_(?=x[0-9A-Fa-f]{4}_)")


def _text(value: str) -> str:
    """Cell text as XML: illegal characters dropped, `&<>` escaped, a carriage return kept as
    `&#13;` (a parser turns a literal one into a line feed), `_xHHHH_` kept literal."""
    text = escape(clean_control(value))
    if "_x" in text:
        text = _ESCAPE_LIKE.sub("_x005F_", text)
    if "\r" in text:
        text = text.replace("\r", "&#13;")
    return text


def _str_cell(ref: str, style: int, value: str) -> str:
    text = _text(value)
    return f'<c r="{ref}" s="{style}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


# -- one sheet -------------------------------------------------------------------------------


class _Sheet:
    """The SpreadsheetML of one table, produced in pieces."""

    def __init__(
        self,
        table: Table,
        styles: _StyleSheet,
        organisation: str,
        dated: str,
        part: tuple[str, int, int | None, bool] | None = None,
    ) -> None:
        # part: (sheet name, first row, end row, with the totals row) of a table split over
        # several sheets; None: the whole table on its sheet. A streamed table is on one sheet
        # (its end None when its rows are not counted before they are made).
        self.table = table
        self.name, self.first, self.end, self.with_totals = part or (
            table.sheet,
            0,
            length(table),
            True,
        )
        self.sheet_styles = styles
        self.styles = styles.index
        self.organisation = organisation
        self.dated = dated
        self.width = len(table.columns)
        self.letters = [column_letter(i + 1) for i in range(self.width)]
        self.header_row = 3 + len(table.notes) + 1
        self.total_width = sum(c.width + 2 for c in table.columns)
        self.merges: list[str] = []

    def _row(self, number: int, cells: Sequence[str], height: float | None = None) -> str:
        ht = f' ht="{height:g}" customHeight="1"' if height else ""
        return f'<row r="{number}"{ht}>{"".join(cells)}</row>'

    def head(self) -> str:
        table, letters, s = self.table, self.letters, self.styles
        last = self.width - 1
        cols = "".join(
            f'<col min="{i}" max="{i}" width="{c.width + 2}" customWidth="1"/>'
            for i, c in enumerate(table.columns, start=1)
        )
        n = self.header_row
        parts = [
            f"{_DECL}<worksheet {_NS} {_NS_R}>",
            '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>',
            '<sheetViews><sheetView workbookViewId="0">'
            f'<pane ySplit="{n}" topLeftCell="A{n + 1}" activePane="bottomLeft" state="frozen"/>'
            f'<selection pane="bottomLeft" activeCell="A{n + 1}" sqref="A{n + 1}"/>'
            "</sheetView></sheetViews>",
            '<sheetFormatPr defaultRowHeight="15"/>',
            f"<cols>{cols}</cols>",
            "<sheetData>",
        ]
        title = [_str_cell("A1", s["title"], table.title)] + [
            f'<c r="{letters[i]}1" s="{s["title"]}"/>' for i in range(1, self.width)
        ]
        parts.append(self._row(1, title, 28))
        # Row 2: the date or period centred under the title, the form number on the right;
        # row 3: 编制单位 on the left, 单位：元 on the right (as on the official forms).
        span = self.width - 1 if table.form and self.width > 1 else self.width
        dated = [_str_cell("A2", s["title_sub"], self.dated)] + [
            f'<c r="{letters[i]}2" s="{s["title_sub"]}"/>' for i in range(1, span)
        ]
        if span < self.width:
            dated.append(_str_cell(f"{letters[last]}2", s["right"], table.form))
        parts.append(self._row(2, dated))
        line = [_str_cell("A3", s["left"], f"编制单位：{self.organisation}")]
        if table.in_yuan and self.width > 1:
            line.append(_str_cell(f"{letters[last]}3", s["right"], "单位：元"))
        parts.append(self._row(3, line))
        for offset, note in enumerate(table.notes):
            row = 4 + offset
            lines = -(-_display_width(note) // max(self.total_width - 2, 10))
            self.merges.append(f"A{row}:{letters[last]}{row}")
            parts.append(
                self._row(row, [_str_cell(f"A{row}", s["note"], note)], 13 * max(1, lines))
            )
        header_lines = max(-(-_display_width(c.title) // c.width) for c in table.columns)
        parts.append(
            self._row(
                n,
                [
                    _str_cell(f"{letters[i]}{n}", s["header"], c.title)
                    for i, c in enumerate(table.columns)
                ],
                LINE_HEIGHT * header_lines + 2 if header_lines > 1 else None,
            )
        )
        return "".join(parts)

    def body(self) -> Iterator[str]:
        table, letters = self.table, self.letters
        body = self.sheet_styles.body
        plain = [body(c.kind, c.align, False) for c in table.columns]
        strong = [body(c.kind, c.align, True) for c in table.columns]
        quoted = (body(TEXT, "", False, True), body(TEXT, "", True, True))
        # A text column wraps at its width: the row is as tall as its longest text needs.
        wraps = [c.width + 2 if c.kind == TEXT else 0 for c in table.columns]
        number = self.header_row
        totals = table.totals() if self.with_totals else None
        rows: Iterable[tuple[Sequence[Any], bool]]
        if isinstance(table, StreamedTable):
            count = self.end
            rows = table.each_row()
        else:
            part = table.rows[self.first : self.end]
            count = len(part)
            end = self.first + count
            strong_rows = {i - self.first for i in table.strong if self.first <= i < end}
            rows = ((row, i in strong_rows) for i, row in enumerate(part))
        if totals is not None:
            assert count is not None  # a table with totals is counted before it is written
            rows = itertools.chain(rows, [(totals, True)])
        starts = [f'<c r="{letter}' for letter in letters]
        # Each column's cell text around its row number and value, plain and bold (a city's
        # 明细账 is millions of cells): text, text that a spreadsheet would take for a formula,
        # a number or date, an empty cell.
        text_open = '" s="{}" t="inlineStr"><is><t xml:space="preserve">'
        text_cell = [[text_open.format(s) for s in styles] for styles in (plain, strong)]
        quoted_cell = [text_open.format(s) for s in quoted]
        number_cell = [[f'" s="{s}"><v>' for s in styles] for styles in (plain, strong)]
        empty_cell = [[f'" s="{s}"/>' for s in styles] for styles in (plain, strong)]
        texts = Memo(_text)  # each distinct text escaped once, its width measured once
        widths = Memo(_shown_width)
        serials: dict[dt.date, int] = {}  # each date's Excel serial, once
        formulas: dict[int, dict[int, str]] = {}  # row -> column -> formula
        for (at_row, at_column), text in self._formulas(count or 0, totals is not None).items():
            formulas.setdefault(at_row, {})[at_column] = text
        for index, (row, bold) in enumerate(rows):
            number += 1
            at = str(number)
            styles = strong if bold else plain
            texts_at = text_cell[bold]
            numbers_at = number_cell[bold]
            empties_at = empty_cell[bold]
            row_formulas = formulas.get(index)
            cells = []
            lines = 1
            for i, value in enumerate(row):
                kind = value.__class__
                if kind is str:
                    wrap = wraps[i]
                    if wrap and len(value) * 2 > wrap:  # else it fits, however wide its text
                        shown = widths[value]
                        if shown > wrap:
                            lines = max(lines, -(-shown // wrap))
                    middle = (
                        quoted_cell[bold] if value.startswith(FORMULA_TRIGGERS) else texts_at[i]
                    )
                    cells.append(f"{starts[i]}{at}{middle}{texts[value]}</t></is></c>")
                elif kind is Decimal or kind is int:
                    formula = row_formulas.get(i) if row_formulas else None
                    if formula is not None:
                        # How the total is made, its value cached (a reader without a
                        # calculation engine shows the value; a clerk sees the formula).
                        cells.append(
                            f'{starts[i]}{at}" s="{styles[i]}"><f>{formula}</f><v>{value}</v></c>'
                        )
                    else:
                        # The exact decimal text; the format shows two decimals.
                        cells.append(f"{starts[i]}{at}{numbers_at[i]}{value}</v></c>")
                elif value is None:
                    cells.append(f"{starts[i]}{at}{empties_at[i]}")
                elif kind is dt.date:
                    serial = serials.get(value)
                    if serial is None:
                        serial = serials[value] = (value - EXCEL_EPOCH).days
                    cells.append(f"{starts[i]}{at}{numbers_at[i]}{serial}</v></c>")
                else:
                    raise TypeError(f"{table.stem}: {value!r} is neither text, date nor Decimal")
            yield self._row(number, cells, LINE_HEIGHT * lines + 2 if lines > 1 else None)
        if number > SHEET_ROWS:
            raise ValueError(f"{table.stem}: more rows than a sheet holds")
        if self.with_totals:  # the table's last sheet
            number += 1  # a blank line, then the footer lines across the table's width
            for line in table.footer:
                number += 1
                self.merges.append(f"A{number}:{letters[-1]}{number}")
                left = self.styles["left"]
                yield self._row(number, [_str_cell(f"A{number}", left, line)], 20)

    def _formulas(self, count: int, totals: bool) -> dict[tuple[int, int], str]:
        """(row, column) of this sheet's rows -> formula text: the table's own formulas whose
        cells all lie on this sheet, and the totals row's SUM of each summed column."""
        table, letters = self.table, self.letters
        first_row = self.header_row + 1
        found: dict[tuple[int, int], str] = {}
        end = self.first + count
        for (row, column), terms in table.formulas.items():
            rows = [row, *(r for _, r, _ in terms)]
            if not all(self.first <= r < end for r in rows):
                continue
            text = "".join(
                f"{'+' if sign > 0 else '-'}{letters[c]}{first_row + r - self.first}"
                for sign, r, c in terms
            )
            found[row - self.first, column] = text.lstrip("+") or "0"
        if totals and self.first == 0 and count:
            last = first_row + count - 1
            for column in table.summed_columns:
                letter = letters[column]
                found[count, column] = f"SUM({letter}{first_row}:{letter}{last})"
        return found

    def tail(self) -> str:
        paper, orientation = paper_for(self.total_width)
        merges = "".join(f'<mergeCell ref="{m}"/>' for m in self.merges)
        return (
            "</sheetData>"
            + (f'<mergeCells count="{len(self.merges)}">{merges}</mergeCells>' if merges else "")
            + '<printOptions horizontalCentered="1"/>'
            '<pageMargins left="0.4" right="0.4" top="0.6" bottom="0.6" header="0.3" '
            'footer="0.3"/>'
            f'<pageSetup paperSize="{paper}" orientation="{orientation}" fitToWidth="1" '
            'fitToHeight="0"/>'
            "<headerFooter><oddFooter>&amp;C&amp;9第 &amp;P 页，共 &amp;N 页</oddFooter>"
            "</headerFooter></worksheet>"
        )


# -- the package -----------------------------------------------------------------------------


def _sheet_name(name: str) -> str:
    """A sheet name as a formula reference: quoted, quotes doubled."""
    return "'" + name.replace("'", "''") + "'"


def _package_parts(sheets: Sequence[_Sheet]) -> dict[str, str]:
    count = len(sheets)
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(1, count + 1)
    )
    content_types = (
        f'{_DECL}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/'
        'vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        '<Override PartName="/docProps/app.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.extended-properties+xml"/>'
        f"{overrides}</Types>"
    )
    rels = (
        f'{_DECL}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/extended-properties" Target="docProps/app.xml"/></Relationships>'
    )
    app = (
        f'{_DECL}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
        'extended-properties"><Application>xtaccounts</Application></Properties>'
    )
    sheet_list = "".join(
        f'<sheet name={quoteattr(s.name)} sheetId="{i}" r:id="rId{i}"/>'
        for i, s in enumerate(sheets, start=1)
    )
    names = "".join(
        f'<definedName name="_xlnm.Print_Titles" localSheetId="{i}">'
        f"{escape(_sheet_name(s.name))}!$1:${s.header_row}</definedName>"
        for i, s in enumerate(sheets)
    )
    workbook = (
        f"{_DECL}<workbook {_NS} {_NS_R}><bookViews><workbookView/></bookViews>"
        f"<sheets>{sheet_list}</sheets><definedNames>{names}</definedNames></workbook>"
    )
    workbook_rels = (
        f'{_DECL}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        'relationships">'
        + "".join(
            f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/'
            f'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, count + 1)
        )
        + f'<Relationship Id="rId{count + 1}" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>'
    )
    return {
        "[Content_Types].xml": content_types,
        "_rels/.rels": rels,
        "docProps/app.xml": app,
        "xl/workbook.xml": workbook,
        "xl/_rels/workbook.xml.rels": workbook_rels,
    }


def sheet_parts(
    table: Table, max_rows: int = MAX_DATA_ROWS
) -> list[tuple[str, int, int | None, bool]]:
    """(name, first, end, totals) of each sheet a table fills: one, or several of `max_rows`
    rows when the table has more than a sheet can hold ("分配明细", "分配明细 (2)", …)."""
    rows = length(table)
    if rows is None or isinstance(table, StreamedTable):
        if rows is not None and rows > max_rows:
            raise ValueError(f"{table.stem}: a streamed table longer than a sheet")
        return [(table.sheet, 0, rows, True)]  # its rows are made once, on one sheet
    count = max(1, -(-rows // max_rows))
    parts: list[tuple[str, int, int | None, bool]] = []
    for n in range(count):
        name = table.sheet if n == 0 else f"{table.sheet[:25]} ({n + 1})"
        first, end = n * max_rows, min(rows, (n + 1) * max_rows)
        parts.append((name, first, end, n == count - 1))
    return parts


def write_workbook(
    path: Path,
    tables: Sequence[Table],
    organisation: str,
    dated: dict[str, str],
    max_rows: int = MAX_DATA_ROWS,
    written: Callable[[Table], None] | None = None,
) -> list[str]:
    """All tables into one workbook at `path` (`dated`: stem -> the period line); returns the
    sheet names (a table longer than a sheet continues on the next). `written` is told of each
    table once its last sheet is written (its other files can be written and it let go)."""
    styles = _StyleSheet()
    sheets = [
        _Sheet(t, styles, organisation, dated[t.stem], part)
        for t in tables
        for part in sheet_parts(t, max_rows)
    ]
    names = [s.name for s in sheets]
    if len(set(names)) != len(names):
        raise ValueError(f"sheet names repeat: {names}")
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=3) as zf:
        for name, text in _package_parts(sheets).items():
            zf.writestr(name, text)
        pending = collections.deque(sheets)
        del sheets  # each sheet (and its table) is let go once written
        for i in range(1, len(names) + 1):
            sheet = pending.popleft()
            with zf.open(f"xl/worksheets/sheet{i}.xml", "w", force_zip64=True) as raw:
                buffer: list[str] = [sheet.head()]
                size = 0
                for row in sheet.body():
                    buffer.append(row)
                    size += len(row)
                    if size > 1 << 18:
                        raw.write("".join(buffer).encode("utf-8"))
                        buffer, size = [], 0
                buffer.append(sheet.tail())
                raw.write("".join(buffer).encode("utf-8"))
            if written is not None and sheet.with_totals:
                written(sheet.table)
            del sheet
        # Last: the body formats are added as the sheets use them.
        zf.writestr("xl/styles.xml", styles.xml())
    return names
