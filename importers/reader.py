"""Read a bank statement file into a `Statement`: preamble, lines in chronological order, checked.

`read_statement` sniffs the file type by content, reads its cells as text (`importers.table`),
finds the header row with a `BankProfile`'s keywords anywhere in the first 40 rows, reads the
preamble above it (account number, name, currency, period), then the lines until the first
trailer row. Amounts are exact (whole fen), signed from the account's view (+ in, − out). Lines
come out oldest first; where a day's rows are out of posting order they are reordered so the
running balance runs, and a balance that cannot run is an error naming the row.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import operator
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from importers.layout_files import shipped_layouts
from importers.profiles import COLUMN_FIELDS, BankProfile, base, flag_value, norm
from importers.sniff import (
    MAX_FILE_BYTES,
    OLE_MAGIC,
    SAMPLE_BYTES,
    ZIP_MAGIC,
    LimitError,
    ReadError,
    read_file,
    regular_size,
    sniff_bytes,
    too_large,
)
from importers.table import NumberCell, Sheet, read_table
from xtaccounts.core.bank_statement import (
    ReadStatement,
    Statement,
    StatementError,
    StatementLine,
)
from xtaccounts.core.dates import FLOOR, horizon
from xtaccounts.core.errors import XtError
from xtaccounts.core.gc_pause import gc_paused
from xtaccounts.core.money import PLACEHOLDERS, MoneyError, to_exact_money
from xtaccounts.core.vocabulary import FEN, ZERO

HEADER_SEARCH_ROWS = 40
PROGRESS_EVERY = 5000
SEARCH_BUDGET = 200_000  # steps of the within-day reordering search
# Lines of one statement file: an import holds each line several times over (entries, text, the
# writer's validating load), about 11 KiB a line; a year of the busiest account is ~100,000.
MAX_LINES = 200_000


# --- header ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Columns:
    """Where a profile's fields are in a header row: field → (column index, synonym matched)."""

    found: dict[str, tuple[int, str]]
    memo: tuple[tuple[int, str], ...]
    missing: tuple[str, ...]  # required fields not found

    def index(self, name: str) -> int | None:
        hit = self.found.get(name)
        return hit[0] if hit else None

    def label(self, name: str) -> str:
        hit = self.found.get(name)
        return hit[1] if hit else name


def _locate(cells: list[str], bases: list[str], synonyms: Sequence[str]) -> tuple[int, str] | None:
    for synonym in synonyms:
        wanted = norm(synonym)
        if wanted in cells:
            return cells.index(wanted), synonym
    for synonym in synonyms:
        wanted = norm(synonym)
        if wanted in bases:
            return bases.index(wanted), synonym
    return None


def map_columns(profile: BankProfile, row: list[str]) -> Columns | None:
    """The profile's columns in `row`, or None when the row lacks one of its header keywords."""
    cells = [norm(c) for c in row]
    bases = [base(c) for c in cells]
    if missing_keywords(profile, cells, bases):
        return None
    return _columns(profile, cells, bases)


def missing_keywords(profile: BankProfile, cells: list[str], bases: list[str]) -> list[str]:
    """The profile's header keywords that the (normalised) row lacks."""
    return [
        keyword
        for keyword in profile.header_keywords
        if (wanted := norm(keyword)) not in cells and wanted not in bases
    ]


def _columns(profile: BankProfile, cells: list[str], bases: list[str]) -> Columns:
    found: dict[str, tuple[int, str]] = {}
    for name in COLUMN_FIELDS:
        hit = _locate(cells, bases, getattr(profile, name))
        if hit is not None:
            found[name] = hit
    memo = tuple(hit for m in profile.memo if (hit := _locate(cells, bases, (m,))) is not None)
    missing = tuple(n for n in profile.required_columns() if n not in found)
    return Columns(found, memo, missing)


@dataclass(frozen=True)
class Header:
    profile: BankProfile
    index: int  # 0-based index of the header row in the sheet
    columns: Columns


def find_header(
    rows: list[list[str]], profiles: Sequence[BankProfile], limit: int = HEADER_SEARCH_ROWS
) -> Header | None:
    """The best (profile, header row) in the first `limit` rows.

    A profile whose required columns are all there beats one that lacks some; then the one
    with more header keywords, then more columns found, then the earlier in `profiles`.
    """
    best: tuple[tuple[int, int, int, int], Header] | None = None
    for index, row in enumerate(rows[:limit]):
        if sum(1 for c in row if c) < 2:
            continue
        for rank, profile in enumerate(profiles):
            columns = map_columns(profile, row)
            if columns is None:
                continue
            score = (
                0 if columns.missing else 1,
                len(profile.header_keywords),
                len(columns.found) + len(columns.memo),
                -rank,
            )
            if best is None or score > best[0]:
                best = (score, Header(profile, index, columns))
    return best[1] if best else None


# --- cell values -----------------------------------------------------------------------------

# ASCII digits only (re.ASCII): any other digit goes to `to_exact_money`, which refuses it.
_SIMPLE_AMOUNT = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3}){1,4}|\d{1,15})(?:\.\d{1,2})?", re.ASCII)
_DASHES = re.compile(r"[-—–_=*/]+")
_DASH_START = frozenset("-—–_=*/")
_EMPTY_WORDS = frozenset({"(空)", "空", "null", "none", "nan"})


def parse_cell_amount(text: str) -> Decimal | None:
    """An exact amount, or None for an empty cell or a placeholder (`-`, `--`, `（空）`)."""
    if _SIMPLE_AMOUNT.fullmatch(text):  # the common forms: `1234.5`, `-2,600.00`, `+10000.00`
        amount = Decimal(text.replace(",", "") if "," in text else text)
        return amount if text[-3:-2] == "." else amount.quantize(FEN)
    squeezed = norm(text).strip("\"'")
    if squeezed in PLACEHOLDERS or squeezed.casefold() in _EMPTY_WORDS:
        return None
    if _DASHES.fullmatch(squeezed):
        return None
    try:
        return to_exact_money(text)
    except MoneyError as exc:
        message = str(exc)
        raise ValueError(message.removeprefix("amount: ")) from None


_DATE = re.compile(
    r"(?P<y>\d{4})(?:(?P<sep>[-/.])(?P<m1>\d{1,2})(?P=sep)(?P<d1>\d{1,2})"
    r"|年(?P<m2>\d{1,2})月(?P<d2>\d{1,2})日?|(?P<m3>\d{2})(?P<d3>\d{2}))"
    r"(?P<rest>.*)",
    re.ASCII,  # after NFKC a full-width digit is ASCII; other scripts' digits are no date
)
_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?|(\d{2})(\d{2})(\d{2})")
_CUT_TIME = re.compile(r"\d{1,2}(?::\d{0,2})?:?")  # `15:`, `15:3`: a time cut off by the export
_HMS = re.compile(r"\d\d:\d\d:\d\d")
_SERIAL = re.compile(r"\d{5}(?:\.\d+)?")
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)
_SEP_FORM = {"-": "YYYY-MM-DD", "/": "YYYY/MM/DD", ".": "YYYY.MM.DD"}


def parse_time(text: str) -> str | None:
    """`HH:MM:SS` from `18:53:19`, `9:05`, `123456`; None for empty; ValueError if unreadable."""
    text = text.strip()
    if not text:
        return None
    if len(text) == 8 and _HMS.fullmatch(text):
        if text[:2] <= "23" and text[3:5] <= "59" and text[6:] <= "59":
            return text
        raise ValueError(f"{text!r} is not a valid time")
    found = _TIME.fullmatch(text)
    if not found:
        raise ValueError(f"{text!r} is not a time")
    hh, mm, ss = (
        (found.group(1), found.group(2), found.group(3) or "0")
        if found.group(1)
        else (found.group(4), found.group(5), found.group(6))
    )
    h, m, s = int(hh), int(mm), int(ss)
    if h > 23 or m > 59 or s > 59:
        raise ValueError(f"{text!r} is not a valid time")
    return f"{h:02d}:{m:02d}:{s:02d}"


class DateReader:
    """Reads a profile's date forms (with an optional time), caching each distinct text."""

    def __init__(self, forms: Sequence[str]) -> None:
        self.forms = frozenset(forms)
        self.cache: dict[str, tuple[dt.date, str | None]] = {}
        self.clocks: dict[str, str | None] = {}

    def __call__(self, text: str) -> tuple[dt.date, str | None]:
        hit = self.cache.get(text)
        if hit is not None:
            return hit
        head, space, rest = text.partition(" ")
        if space and rest.strip():
            # A date and a time: the date part and each time text are cached, each read on its
            # own; anything odd (`2026-01-21 15:`, a head that is no date) is left to the full
            # parse.
            try:
                date, clock = self.cache.get(head) or self(head)
                if clock is None:
                    clock = self.clocks.get(rest)
                    if clock is None:
                        clock = self.clocks[rest] = parse_time(rest)
                    return date, clock
            except ValueError:
                pass
        hit = self._parse(text)
        if not space:
            self.cache[text] = hit
        return hit

    def _parse(self, text: str) -> tuple[dt.date, str | None]:
        if not text:
            raise ValueError("no date")
        if _SERIAL.fullmatch(text) and "excel" in self.forms:
            serial = float(text)  # an Excel date serial (days), never an amount
            if 20000 <= serial < 80000:  # 1954 .. 2119
                moment = _EXCEL_EPOCH + dt.timedelta(days=serial)
                moment = moment.replace(microsecond=0)
                clock = moment.strftime("%H:%M:%S") if serial % 1 else None
                return _in_range(moment.date(), text), clock
        found = _DATE.match(unicodedata.normalize("NFKC", text))
        if not found:
            raise ValueError(f"{text!r} is not a date")
        if found.group("sep"):
            form, month, day = _SEP_FORM[found.group("sep")], found.group("m1"), found.group("d1")
        elif found.group("m2"):
            form, month, day = "YYYY年MM月DD日", found.group("m2"), found.group("d2")
        else:
            form, month, day = "YYYYMMDD", found.group("m3"), found.group("d3")
        if form not in self.forms:
            raise ValueError(f"{text!r}: the form {form} is not one this bank's layout uses")
        try:
            date = dt.date(int(found.group("y")), int(month), int(day))
        except ValueError:
            raise ValueError(f"{text!r} is not a valid date") from None
        _in_range(date, text)
        rest = found.group("rest").strip().lstrip("T").strip()
        clock = None
        if rest:
            try:
                clock = parse_time(rest)
            except ValueError:
                # A cut-off time (`2026-01-21 15:`) is no time; anything else is no date.
                if not _CUT_TIME.fullmatch(rest):
                    raise ValueError(f"{text!r} is not a date") from None
        return date, clock


def _in_range(date: dt.date, text: str) -> dt.date:
    """`date` when it is from `dates.FLOOR` to today + the input horizon (xtaccounts.core.dates)."""
    if not FLOOR <= date <= horizon():
        raise ValueError(f"{text!r}：日期 {date} 不在 {FLOOR} 至 {horizon()}（今天之后一年）之内")
    return date


_ACCOUNT = re.compile(r"[0-9][0-9*]{5,}")


@functools.lru_cache(maxsize=1024)
def account_text(text: str) -> str | None:
    """The account number in a cell: digits (and `*` of a masked one), separators removed."""
    squeezed = norm(text).replace("-", "")
    runs = _ACCOUNT.findall(squeezed)
    return max(runs, key=len) if runs else None


_CURRENCIES = {
    "人民币": "CNY",
    "人民币元": "CNY",
    "RMB": "CNY",
    "CNY": "CNY",
    "元": "CNY",
    "¥": "CNY",
    "01": "CNY",
    "156": "CNY",
    "本币": "CNY",
}


def currency_code(text: str) -> str | None:
    squeezed = norm(text)
    if not squeezed:
        return None
    return _CURRENCIES.get(squeezed.upper(), squeezed)


# --- preamble --------------------------------------------------------------------------------

_PERIOD_DATE = re.compile(
    r"(\d{4})(?:[-/.年](\d{1,2})[-/.月](\d{1,2})日?|(\d{2})(\d{2}))", re.ASCII
)


@dataclass
class Preamble:
    account_no: str | None = None
    account_name: str | None = None
    currency: str | None = None
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    account_row: int = 0


def _dates_in(text: str) -> list[dt.date]:
    dates = []
    for found in _PERIOD_DATE.finditer(unicodedata.normalize("NFKC", text)):
        y, m, d = found.group(1), found.group(2) or found.group(4), found.group(3) or found.group(5)
        try:
            dates.append(dt.date(int(y), int(m), int(d)))
        except ValueError:
            continue
    return dates


def _label_of(cell: str) -> tuple[str, str | None]:
    """(label, value after the colon or None) of a preamble cell; label without `#`, brackets."""
    text = unicodedata.normalize("NFKC", cell).strip().lstrip("#").strip()
    label, colon, value = text.partition(":")
    label = base(norm(label))
    return label, (value.strip() if colon else None)


def read_preamble(sheet: Sheet, header: Header) -> Preamble:
    labels = header.profile.preamble
    kinds: dict[str, str] = {}
    for what in ("account", "name", "currency", "period", "start", "end"):
        for label in getattr(labels, what):
            kinds.setdefault(norm(label), what)
    found = Preamble()
    for index in range(header.index):
        row = sheet.rows[index]
        for position, cell in enumerate(row):
            if not cell:
                continue
            label, value = _label_of(cell)
            kind = kinds.get(label)
            if kind is None:
                continue
            if not value:
                value = _next_value(row, position, kinds, whole=kind in ("period", "start"))
            if not value:
                continue
            _take(found, kind, value, sheet.row_number(index))
    return found


def _next_value(
    row: list[str], position: int, kinds: dict[str, str], *, whole: bool = False
) -> str | None:
    """The cell after a label (or, `whole`, the cells up to the next label: `2025-01-01 至 …`)."""
    values: list[str] = []
    for cell in row[position + 1 :]:
        if not cell:
            continue
        label, _ = _label_of(cell)
        if label in kinds:
            break
        values.append(cell)
        if not whole:
            break
    return " ".join(values) or None


def _take(found: Preamble, kind: str, value: str, row: int) -> None:
    if kind == "account" and found.account_no is None:
        found.account_no = account_text(value)
        found.account_row = row
    elif kind == "name" and found.account_name is None:
        found.account_name = value.strip() or None
    elif kind == "currency" and found.currency is None:
        found.currency = currency_code(value)
    elif kind == "period":
        dates = _dates_in(value)
        if dates and found.period_start is None:
            found.period_start = dates[0]
        if len(dates) > 1 and found.period_end is None:
            found.period_end = dates[1]
    elif kind == "start" and found.period_start is None:
        dates = _dates_in(value)
        found.period_start = dates[0] if dates else None
        if len(dates) > 1 and found.period_end is None:
            found.period_end = dates[1]
    elif kind == "end" and found.period_end is None:
        dates = _dates_in(value)
        found.period_end = dates[0] if dates else None


# --- lines -----------------------------------------------------------------------------------


class _Fail(Exception):
    def __init__(self, row: int, field: str, message: str) -> None:
        super().__init__(message)
        self.row, self.field, self.message = row, field, message


@dataclass
class _Parsed:
    lines: list[StatementLine]
    sources: list[str]  # the file label of each line (sheets after the first are named)
    accounts: list[tuple[str, int, str]]  # (account number, row, file label) from a column
    currency: str | None


class _SheetReader:
    """Reads the lines of one sheet below its header with one profile."""

    def __init__(self, header: Header, label: str, progress: Callable[[int], None] | None) -> None:
        self.header = header
        self.profile = header.profile
        self.label = label
        self.progress = progress
        self.dates = DateReader(self.profile.date_formats)
        self.flag_in = frozenset(flag_value(v) for v in self.profile.flag_in)
        self.flag_out = frozenset(flag_value(v) for v in self.profile.flag_out)
        self.trailer_patterns = tuple(re.compile(p) for p in self.profile.trailer_patterns)
        self.keywords = tuple(norm(k) for k in self.profile.header_keywords)

    def clock(self, text: str) -> str | None:
        """The time in a time column: `18:53:19`, `123456`, or a date and time (CCB 交易时间)."""
        if not text:
            return None
        try:
            return parse_time(text)
        except ValueError:
            try:
                return self.dates(text)[1]
            except ValueError:
                raise ValueError(f"{text!r} is not a time") from None

    def check_nothing_after(self, sheet: Sheet, end: int) -> None:
        """No dated line with an amount below the trailer row: it would be silently lost."""
        columns = self.header.columns
        i_date = columns.index("date")
        indexes = [columns.index(n) for n in ("debit", "credit", "amount")]
        amounts = [i for i in indexes if i is not None]
        for index in range(end + 1, len(sheet.rows)):
            row = sheet.rows[index]
            if i_date is None or i_date >= len(row) or not row[i_date]:
                continue
            try:
                self.dates(row[i_date])
            except ValueError:
                continue
            if any(i < len(row) and row[i] for i in amounts):
                raise _Fail(
                    sheet.row_number(index),
                    columns.label("date"),
                    f"a line below the trailer row {sheet.row_number(end)} "
                    f"({sheet.rows[end][0] or next(c for c in sheet.rows[end] if c)!r}); "
                    "if that row is a subtotal, the layout's skip markers must name it",
                )

    def classify(self, row: list[str]) -> str:
        """What a row that is no line is: "blank", "skip" (subtotal, repeated header), "end"."""
        if not any(row):
            return "blank"
        first = next(c for c in row if c)
        text = norm(first)
        if any(m in text for m in self.profile.skip_markers):
            return "skip"
        if any(m in text for m in self.profile.trailer_markers):
            return "end"
        first = unicodedata.normalize("NFKC", first).strip()
        if any(p.match(first) for p in self.trailer_patterns):
            return "end"
        cells = {norm(c) for c in row} | {base(norm(c)) for c in row}
        if all(k in cells for k in self.keywords):
            return "skip"  # the header repeated on a new page
        return "line"

    def read(self, sheet: Sheet, parsed: _Parsed, done: int) -> int:
        columns = self.header.columns
        lab = columns.label
        used = [i for i, _ in columns.found.values()] + [i for i, _ in columns.memo]
        width = max(used) + 2
        blank = width - 1  # an index past every column: always "" once a row is padded

        def col(name: str) -> int:
            index = columns.index(name)
            return blank if index is None else index

        i_date, i_time = col("date"), col("time")
        i_debit, i_credit, i_amount = col("debit"), col("credit"), col("amount")
        i_dir, i_bal, i_serial = col("direction"), col("balance"), col("serial")
        i_cp, i_cpa, i_cpb = (
            col("counterparty"),
            col("counterparty_account"),
            col("counterparty_bank"),
        )
        payer = (col("payer_name"), col("payer_account"), col("payer_bank"))
        payee = (col("payee_name"), col("payee_account"), col("payee_bank"))
        has_parties = i_cp == blank and any(i != blank for i in (*payer, *payee))
        i_account, i_currency = col("account_column"), col("currency_column")
        has_account, has_currency = i_account != blank, i_currency != blank
        separate_time = i_time not in (blank, i_date)
        memo_columns = [i for i, _ in columns.memo]
        serial_label = lab("serial")
        serial_part = self.profile.serial_part(serial_label) if i_serial != blank else None
        rule = self.profile.direction_rule
        flag_in, flag_out = self.flag_in, self.flag_out
        dates = self.dates
        date_cache, clock_cache = dates.cache, dates.clocks
        lines, sources, label = parsed.lines, parsed.sources, self.label
        rows, numbers = sheet.rows, sheet.numbers
        progress = self.progress
        countdown = PROGRESS_EVERY - done % PROGRESS_EVERY
        pad = [""] * width
        # The columns the loop reads: a row that holds them all is read as it is, unpadded.
        read_columns = [i_date, i_bal, i_serial, *memo_columns]
        read_columns += [i_time] if separate_time else []
        if rule == "split":
            read_columns += [i_debit, i_credit]
        else:
            read_columns += [i_amount] if rule == "signed" else [i_amount, i_dir]
        read_columns += [*payer, *payee] if has_parties else [i_cp, i_cpa, i_cpb]
        read_columns += [i_account] if has_account else []
        read_columns += [i_currency] if has_currency else []
        reach = max(read_columns)  # rows up to this long are padded
        new_line = StatementLine._make
        parties: dict[str, str | None] = {}  # a counterparty's text → its value (they repeat)

        simple = _SIMPLE_AMOUNT.fullmatch

        def money(text: str, name: str, number: int) -> Decimal | None:
            if simple(text):  # parse_cell_amount's common case, without the call
                amount = Decimal(text.replace(",", "") if "," in text else text)
                return amount if text[-3:-2] == "." else amount.quantize(FEN)
            if not text:
                return None
            try:
                return parse_cell_amount(text)
            except ValueError as exc:
                raise _Fail(number, lab(name), str(exc)) from None

        for index in range(self.header.index + 1, len(rows)):
            countdown -= 1
            if countdown == 0:
                countdown = PROGRESS_EVERY
                if progress is not None:
                    progress(done + index - self.header.index)
            row = rows[index]
            if len(row) <= reach:
                row = row + pad[len(row) :]
            number = index + 1 if numbers is None else numbers[index]
            text = row[i_date]
            hit = date_cache.get(text)
            if hit is None and len(text) == 19 and text[10] == " ":
                # `YYYY-MM-DD HH:MM:SS` whose date and time texts were read before: what
                # `DateReader` gives, without the call
                day_hit = date_cache.get(text[:10])
                if day_hit is not None and day_hit[1] is None:
                    known_clock = clock_cache.get(text[11:])
                    if known_clock is not None:
                        hit = (day_hit[0], known_clock)
            try:
                date, clock = hit if hit is not None else dates(text)
            except ValueError as exc:
                kind = self.classify(row)
                if kind == "end":
                    self.check_nothing_after(sheet, index)
                    break
                if kind != "line":
                    continue
                raise _Fail(number, lab("date"), str(exc)) from None

            if separate_time:
                try:
                    clock = self.clock(row[i_time]) or clock
                except ValueError as exc:
                    raise _Fail(number, lab("time"), str(exc)) from None

            if rule == "split":
                text = row[i_debit]
                debit = money(text, "debit", number) if text else None
                text = row[i_credit]
                credit = money(text, "credit", number) if text else None
                if debit is None and credit is None:
                    if self.classify(row) == "skip":
                        continue
                    raise _Fail(
                        number,
                        f"{lab('debit')}/{lab('credit')}",
                        "no amount: both columns are empty",
                    )
                if debit and credit:
                    raise _Fail(
                        number,
                        f"{lab('debit')}/{lab('credit')}",
                        f"both columns hold an amount ({debit} and {credit})",
                    )
                if credit:
                    amount = credit
                elif debit:
                    amount = -debit
                else:
                    amount = ZERO
            else:
                value = money(row[i_amount], "amount", number)
                if value is None:
                    if self.classify(row) == "skip":
                        continue
                    raise _Fail(number, lab("amount"), "no amount")
                if rule == "signed":
                    amount = value
                else:
                    flag = flag_value(row[i_dir])
                    if flag in flag_in:
                        amount = value
                    elif flag in flag_out:
                        amount = -value
                    else:
                        raise _Fail(
                            number,
                            lab("direction"),
                            f"{row[i_dir]!r} is neither "
                            f"{'/'.join(self.profile.flag_in)} nor "
                            f"{'/'.join(self.profile.flag_out)}",
                        )
                if not amount:
                    amount = ZERO  # no "-0.00"

            text = row[i_bal]
            balance = money(text, "balance", number) if text else None
            serial_text = row[i_serial]
            if not serial_text:
                serial = None
            elif type(serial_text) is str and serial_text[0] not in _DASH_START:
                serial = " ".join(serial_text.split())  # `_identity`'s common case
            else:
                serial = _identity(serial_text, number, serial_label)
            if serial_part is not None and serial is not None:
                found = serial_part.fullmatch(serial)
                if found is not None:
                    serial = found.group("serial")

            if memo_columns:
                parts: list[str] = []
                for i in memo_columns:
                    text = row[i]
                    if (
                        text
                        and text not in parts
                        and not (text[0] in _DASH_START and _DASHES.fullmatch(text))
                    ):
                        parts.append(text)
                memo = " ".join(parts)
                if "  " in memo or "\t" in memo or "\n" in memo or "\u3000" in memo:
                    memo = " ".join(memo.split())
            else:
                memo = ""

            if has_parties:
                own = parsed.accounts[0][0] if parsed.accounts else None
                side = _other_side(row, payer, payee, amount, own)
                name, account, bank = row[side[0]], row[side[1]], row[side[2]]
                account_column = side[1]
            else:
                name, account, bank = row[i_cp], row[i_cpa], row[i_cpb]
                account_column = i_cpa
            if account and isinstance(account, NumberCell) and account.lost_digits():
                raise _Fail(number, _field_name(columns, account_column), _lost(account))

            if has_account:
                own_text = row[i_account]
                if own_text:
                    if isinstance(own_text, NumberCell) and own_text.lost_digits():
                        raise _Fail(number, lab("account_column"), _lost(own_text))
                    own_no = account_text(own_text)
                    if own_no and (not parsed.accounts or parsed.accounts[-1][0] != own_no):
                        parsed.accounts.append((own_no, number, label))
            if has_currency and parsed.currency is None:
                parsed.currency = currency_code(row[i_currency])

            # each text as `_text_or_none` gives it, read once: names, accounts, banks repeat
            counterparty = parties.get(name, _UNSEEN) if name else None
            if counterparty is _UNSEEN:
                counterparty = parties[name] = _text_or_none(name)
            counterparty_account = parties.get(account, _UNSEEN) if account else None
            if counterparty_account is _UNSEEN:
                counterparty_account = parties[account] = _text_or_none(account)
            counterparty_bank = parties.get(bank, _UNSEEN) if bank else None
            if counterparty_bank is _UNSEEN:
                counterparty_bank = parties[bank] = _text_or_none(bank)
            lines.append(
                new_line(
                    (
                        number,
                        date,
                        clock,
                        amount,
                        balance,
                        serial,
                        memo,
                        counterparty,
                        counterparty_account,
                        counterparty_bank,
                    )
                )
            )
            sources.append(label)
            if len(lines) > MAX_LINES:
                raise _Fail(
                    number,
                    "",
                    f"对账单超过每个文件 {MAX_LINES:,} 行的上限：请按期间分成几个文件导入，"
                    "拒绝读取",
                )
        return done + len(rows) - self.header.index - 1


def _field_name(columns: Columns, index: int | None) -> str:
    for name, (i, synonym) in columns.found.items():
        if i == index and name != "date":
            return synonym
    return "对方账号"


def _lost(text: str) -> str:
    return (
        f"an account or serial number stored as a spreadsheet number lost its digits ({text}); "
        "export that column as text"
    )


def _identity(text: str, number: int, field: str) -> str | None:
    if not text or (text[0] in _DASH_START and _DASHES.fullmatch(text)):
        return None
    if isinstance(text, NumberCell) and text.lost_digits():
        raise _Fail(number, field, _lost(text))
    return " ".join(text.split())


_UNSEEN = object()  # a text not read before


def _text_or_none(text: str) -> str | None:
    if not text or (text[0] in _DASH_START and _DASHES.fullmatch(text)):
        return None
    return " ".join(text.split())


def _other_side(
    row: list[str],
    payer: tuple[int, ...],
    payee: tuple[int, ...],
    amount: Decimal,
    own: str | None,
) -> tuple[int, ...]:
    """Payer or payee: the side that is not the statement's own account (else by the sign)."""

    def number(index: int) -> str | None:
        return account_text(row[index]) if row[index] else None

    if own is not None:
        if number(payer[1]) == own:
            return payee
        if number(payee[1]) == own:
            return payer
    return payer if amount > 0 else payee


# --- order and running balance ---------------------------------------------------------------


def _runs(lines: list[StatementLine], order: list[int], opening: Decimal | None) -> int | None:
    """The position in `order` where the running balance first breaks, or None if it runs."""
    balance = opening
    for position, i in enumerate(order):
        line = lines[i]
        if line.balance is None:
            balance = None if balance is None else balance + line.amount
            continue
        if balance is not None and balance + line.amount != line.balance:
            return position
        balance = line.balance
    return None


def _given(line: StatementLine) -> Decimal:
    """The balance of a line of a day whose lines all give one (the days `_order_day` orders)."""
    assert line.balance is not None
    return line.balance


def _chain(lines: list[StatementLine], day: list[int], start: Decimal) -> list[int] | None:
    """An order of the day's lines in which the balance runs from `start` (depth-first search)."""
    by_previous: dict[Decimal, list[int]] = {}
    for i in day:
        line = lines[i]
        by_previous.setdefault(_given(line) - line.amount, []).append(i)
    used: set[int] = set()
    path: list[int] = []
    budget = SEARCH_BUDGET
    # stack of (balance before, candidates, next candidate position)
    stack: list[tuple[Decimal, list[int], int]] = [(start, by_previous.get(start, []), 0)]
    while stack:
        budget -= 1
        if budget < 0:
            return None
        balance, candidates, at = stack.pop()
        while at < len(candidates) and candidates[at] in used:
            at += 1
        if at == len(candidates):
            if path:
                used.discard(path.pop())
            continue
        chosen = candidates[at]
        stack.append((balance, candidates, at + 1))
        used.add(chosen)
        path.append(chosen)
        if len(path) == len(day):
            return path
        after = _given(lines[chosen])
        stack.append((after, by_previous.get(after, []), 0))
    return None


def _order_day(
    lines: list[StatementLine], day: list[int], opening: Decimal | None
) -> list[int] | None:
    if _runs(lines, day, opening) is None:
        return day
    if opening is not None:
        return _chain(lines, day, opening)
    starts: list[Decimal] = []
    for i in day:
        start = _given(lines[i]) - lines[i].amount
        if start not in starts:
            starts.append(start)
    for start in starts:
        found = _chain(lines, day, start)
        if found is not None:
            return found
    return None


def chronological(lines: list[StatementLine]) -> list[int]:
    """Indexes of `lines` oldest first, each day in an order where the balance runs.

    Raises _Fail at the first row where the balance cannot run.
    """
    order = list(range(len(lines)))
    if len(lines) > 1 and lines[0].date > lines[-1].date:
        order.reverse()  # newest first
    dates = [lines[i].date for i in order]
    if any(map(operator.gt, dates, dates[1:])):
        order.sort(key=lambda i: lines[i].date)
        dates = [lines[i].date for i in order]
    result: list[int] = []
    balance: Decimal | None = None
    start = 0
    while start < len(order):
        end = bisect.bisect_right(dates, dates[start], start)  # the dates run oldest first
        day = order[start:end]
        if all(lines[i].balance is not None for i in day):
            ordered = _order_day(lines, day, balance)
            if ordered is None:
                broken = _runs(lines, day, balance)
                assert broken is not None
                raise _balance_fail(lines, day, broken, balance, len(day) > 1)
            day = ordered
            balance = lines[day[-1]].balance  # every line of the day gives it
        else:
            broken = _runs(lines, day, balance)
            if broken is not None:
                raise _balance_fail(lines, day, broken, balance, False)
            for i in day:
                line = lines[i]
                if line.balance is not None:
                    balance = line.balance
                elif balance is not None:
                    balance += line.amount
        result.extend(day)
        start = end
    return result


def _balance_fail(
    lines: list[StatementLine],
    day: list[int],
    broken: int,
    opening: Decimal | None,
    reordered: bool,
) -> _Fail:
    previous = opening
    for i in day[:broken]:
        line = lines[i]
        if line.balance is not None:
            previous = line.balance
        elif previous is not None:  # as `_runs`: no balance to run on before the first one
            previous += line.amount
    line = lines[day[broken]]
    assert previous is not None and line.balance is not None
    expected = previous + line.amount
    sign = "+" if line.amount >= 0 else "-"
    message = (
        f"the balance does not run: expected {expected:,.2f} "
        f"({previous:,.2f} {sign} {abs(line.amount):,.2f}), the statement says {line.balance:,.2f}"
    )
    if reordered:
        message += f"; no order of the {len(day)} rows of {line.date} makes it run"
    return _Fail(line.row, "", message)


# --- entry points ----------------------------------------------------------------------------


def _head_sheets(path: Path) -> list[Sheet] | None:
    """The first rows of each sheet of the file, or None when it is no table (never raises on
    content), but StatementError when a limit refuses it."""
    try:
        size = regular_size(path)
        data = read_file(path, head_only=True)
        if size > MAX_FILE_BYTES:
            sniff_bytes(data)  # no workbook or text: None
            raise LimitError(too_large(size))
        zipped = data.startswith(ZIP_MAGIC)
        if zipped or data.startswith(OLE_MAGIC):
            data = read_file(path)
        sniffed = sniff_bytes(data[:SAMPLE_BYTES], data if zipped else None)
        return read_table(data, sniffed, max_rows=HEADER_SEARCH_ROWS)
    except LimitError as exc:
        raise StatementError(str(path), exc.row, exc.field, exc.message) from None
    except (XtError, OSError):
        return None


def identify(path: Path, profiles: Sequence[BankProfile] | None = None) -> BankProfile | None:
    """The profile whose header is in the file's first rows, or None when it is no statement
    (never raises on content), but StatementError when a limit refuses it: a path that is no
    regular file (never opened for reading), a file over `MAX_FILE_BYTES` that begins like a
    statement (a workbook or text: any other large file is None), an xlsx bomb.
    `profiles`: the layouts to try (default: the shipped ones)."""
    if profiles is None:
        profiles = shipped_layouts()
    for sheet in _head_sheets(Path(path)) or ():
        header = find_header(sheet.rows, profiles)
        if header is not None:
            return header.profile
    return None


@dataclass(frozen=True)
class NearMiss:
    """The layout that came closest to a file none matches, and what the file lacked for it."""

    profile: BankProfile
    sheet: str | None
    row: int  # 1-based row of the sheet that looked most like its header
    missing_keywords: tuple[str, ...]
    missing_columns: tuple[tuple[str, tuple[str, ...]], ...]  # (field, its synonyms)
    unknown_words: tuple[str, ...]  # header cells the layout has no use for

    def explain(self) -> str:
        """The near miss in Chinese, one line."""
        p = self.profile
        parts = [f"最接近的格式是 {p.id}（{p.bank_name}），表头像是第 {self.row} 行"]
        if self.missing_keywords:
            parts.append("缺少识别用的表头词：" + "、".join(self.missing_keywords))
        if self.missing_columns:
            parts.append(
                "缺少必需的列："
                + "、".join(
                    f"{_FIELD_WORDS_ZH[name]}（{'/'.join(words)}）"
                    for name, words in self.missing_columns
                )
            )
        if self.unknown_words:
            parts.append("该格式不认识的表头词：" + "、".join(self.unknown_words))
        return "；".join(parts)


_FIELD_WORDS_ZH = {
    "date": "日期",
    "debit": "支出（借方）金额",
    "credit": "收入（贷方）金额",
    "amount": "金额",
    "direction": "借贷标志",
}


def _known_words(profile: BankProfile) -> set[str]:
    words = set(profile.header_keywords) | set(profile.memo) | set(profile.direction)
    for name in COLUMN_FIELDS:
        words.update(getattr(profile, name))
    return {norm(w) for w in words}


def near_miss(
    sheets: Sequence[Sheet], profiles: Sequence[BankProfile], limit: int = HEADER_SEARCH_ROWS
) -> NearMiss | None:
    """The (layout, row) sharing the most header words with a file no layout matches: its
    keywords count twice, then required columns, then other columns; None when no row of the
    first `limit` of any sheet has a word of any layout."""
    best: tuple[tuple[int, int], NearMiss] | None = None
    for sheet in sheets:
        for index, row in enumerate(sheet.rows[:limit]):
            if sum(1 for c in row if c) < 2:
                continue
            cells = [norm(c) for c in row]
            bases = [base(c) for c in cells]
            for rank, profile in enumerate(profiles):
                lacking = missing_keywords(profile, cells, bases)
                columns = _columns(profile, cells, bases)
                found = len(columns.found) + len(columns.memo)
                score = 2 * (len(profile.header_keywords) - len(lacking)) + found
                if score == 0 or (best is not None and (score, -rank) <= best[0]):
                    continue
                known = _known_words(profile)
                unknown = tuple(
                    raw.strip()
                    for raw, cell, stem in zip(row, cells, bases, strict=True)
                    if cell and cell not in known and stem not in known
                )
                best = (
                    (score, -rank),
                    NearMiss(
                        profile,
                        sheet.name,
                        sheet.row_number(index),
                        tuple(lacking),
                        tuple((name, _wanted(profile, name)) for name in columns.missing),
                        unknown,
                    ),
                )
    return best[1] if best else None


def _wanted(profile: BankProfile, name: str) -> tuple[str, ...]:
    return tuple(getattr(profile, name))


def diagnose(path: Path, profiles: Sequence[BankProfile] | None = None) -> NearMiss | None:
    """For a file no layout matches, the layout that came closest (None: nothing like a header,
    or a layout matches after all)."""
    if profiles is None:
        profiles = shipped_layouts()
    sheets = _head_sheets(Path(path))
    if not sheets or any(find_header(sheet.rows, profiles) for sheet in sheets):
        return None
    return near_miss(sheets, profiles)


def read_statement(
    path: Path,
    profiles: Sequence[BankProfile] | None = None,
    *,
    progress: Callable[[int], None] | None = None,
    data: bytes | None = None,
) -> Statement:
    """Read a statement file; StatementError names the file, row and field of any problem.

    `data` is the file's content when the caller has read it already (`importers.sniff.
    read_file`: a regular file within the size limit), so that what is read is what is archived.
    """
    path = Path(path)
    name = str(path)
    if profiles is None:
        profiles = shipped_layouts()
    try:
        if data is None:
            data = read_file(path)
        sniffed = sniff_bytes(data[:SAMPLE_BYTES], data)
        sheets = read_table(data, sniffed)
        del data  # the sheets are read: the bytes may go (the caller may still hold them)
    except ReadError as exc:
        raise StatementError(name, exc.row, exc.field, exc.message) from None
    except OSError as exc:
        raise StatementError(name, 0, "", f"cannot read the file: {exc.strerror or exc}") from None

    with gc_paused(keep=True):  # the lines being made make no cycles
        first: tuple[Sheet, Header] | None = None
        for sheet in sheets:
            header = find_header(sheet.rows, profiles)
            if header is not None:
                first = (sheet, header)
                break
        if first is None:
            miss = near_miss(sheets, profiles)
            raise StatementError(
                name,
                miss.row if miss else 0,
                "",
                f"不是已知格式的对账单：前 {HEADER_SEARCH_ROWS} 行中没有任何格式的表头"
                + (f"；{miss.explain()}" if miss else "（也没有像表头的行）")
                + f" (not a statement: no header row of a known bank layout; layouts: "
                f"{', '.join(p.id for p in profiles)})",
            )
        sheet, header = first
        profile = header.profile
        if header.columns.missing:
            wanted = {
                "date": profile.date,
                "debit": profile.debit,
                "credit": profile.credit,
                "amount": profile.amount,
                "direction": profile.direction,
            }
            missing = header.columns.missing[0]
            raise StatementError(
                name,
                sheet.row_number(header.index),
                "/".join(wanted[missing]),
                f"the header of the {profile.id} layout has no such column "
                f"(the {_FIELD_WORDS[missing]} column is required)",
            )
        preamble = read_preamble(sheet, header)
        parsed = _Parsed([], [], [], None)
        if preamble.account_no:
            parsed.accounts.append((preamble.account_no, preamble.account_row, name))

        label = name
        try:
            done = 0
            started = False
            for other in sheets:
                if other is sheet:
                    started = True
                    label = name if other is sheets[0] else f"{name}[{other.name}]"
                    done = _SheetReader(header, label, progress).read(other, parsed, done)
                elif started:
                    more = find_header(other.rows, (profile,))
                    if more is None or more.columns.missing:
                        continue
                    label = f"{name}[{other.name}]"
                    done = _SheetReader(more, label, progress).read(other, parsed, done)
        except _Fail as fail:
            raise StatementError(label, fail.row, fail.field, fail.message) from None

        account_no = _account(name, parsed)
        lines = parsed.lines
        try:
            order = chronological(lines)
        except _Fail as fail:
            field = header.columns.label("balance")
            index = next(i for i, line in enumerate(lines) if line.row == fail.row)
            raise StatementError(parsed.sources[index], fail.row, field, fail.message) from None
        if progress is not None:
            progress(done)
        return Statement(
            path=path,
            bank=profile.bank,
            profile=profile.id,
            account_no=account_no,
            account_name=preamble.account_name,
            currency=preamble.currency or parsed.currency,
            period_start=preamble.period_start,
            period_end=preamble.period_end,
            lines=tuple(map(lines.__getitem__, order)),
        )


_FIELD_WORDS = {
    "date": "date",
    "debit": "money-out (debit)",
    "credit": "money-in (credit)",
    "amount": "amount",
    "direction": "debit/credit flag",
}


def _account(name: str, parsed: _Parsed) -> str:
    if not parsed.accounts:
        raise StatementError(
            name,
            0,
            "账号",
            "no account number: neither a preamble label (账号/帐号/账户) nor an account column",
        )
    first, _, _ = parsed.accounts[0]
    for number, row, label in parsed.accounts[1:]:
        if number != first:
            raise StatementError(
                label,
                row,
                "账号",
                f"account {number} differs from the statement's account {first}",
            )
    return first


def read_statement_file(
    path: Path,
    *,
    progress: Callable[[int], None] | None = None,
    profiles: Sequence[BankProfile] | None = None,
) -> ReadStatement:
    """A `StatementReader`: the file read once (a regular file within the size limit, never a
    FIFO or device) and its statement, so that the bytes read are the bytes archived.
    `profiles`: the layouts to try (a ledger's: `importers.layout_files.ledger_layouts`)."""
    content = read_file(path)
    return ReadStatement(content, read_statement(path, profiles, progress=progress, data=content))
