"""One exported table: its columns, rows and totals, written alike to xlsx, CSV and JSON."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from xtaccounts.core.vocabulary import ZERO

# Column kinds: how a value is written (xlsx number format, CSV/JSON text).
TEXT = "text"
MONEY = "money"  # Decimal, two decimals, #,##0.00
NUMBER = "number"  # Decimal as booked (积数), #,##0.00
RATE = "rate"  # annual percent, Decimal
INT = "int"
DATE = "date"
KINDS = (TEXT, MONEY, NUMBER, RATE, INT, DATE)
NUMERIC = (MONEY, NUMBER, RATE, INT)
SUMMED = (MONEY, NUMBER)

SHEET_NAME_FORBIDDEN = "[]:*?/\\"
HANDED = 4096  # a streamed table's rows handed to its followers at once


@dataclass(frozen=True)
class Column:
    """A column: its key (JSON), its Chinese header, its kind and its width in characters."""

    key: str
    title: str
    kind: str = TEXT
    width: int = 12
    summed: bool | None = None  # in the totals row (default: money and number columns)
    align: str = ""  # "left", "center", "right"; default: text left, numbers right

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"column {self.key}: unknown kind {self.kind!r}")


@dataclass
class Table:
    """A sheet of the workbook and a CSV/JSON file of the same rows.

    `rows` are tuples in column order. `strong` marks rows printed bold (a statement's 合计 lines).
    `totals` (when set) is the totals row: the sums of the summed columns, the label in the first
    column. `meta` are extra facts (JSON and manifest), `notes` lines printed under the title,
    `footer` lines printed under the table (a form's signatures and 报出日期). `formulas` says how
    a cell is made from others, for the workbook to write as a formula with its value cached:
    (row, column) -> ((sign, row, column), ...), rows and columns counted from 0.
    """

    stem: str  # file name stem: "01-balance-sheet"
    sheet: str  # sheet name (≤ 31 characters)
    title: str  # the form's title: "资产负债表"
    columns: tuple[Column, ...]
    rows: list[tuple[Any, ...]]
    form: str = ""  # "会住维01表"
    with_totals: bool = True
    strong: set[int] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    in_yuan: bool = True  # amounts in 元 (the sheet says 单位：元)
    footer: list[str] = field(default_factory=list)
    formulas: dict[tuple[int, int], tuple[tuple[int, int, int], ...]] = field(default_factory=dict)
    # The totals row once summed, for the rows list it was summed from (its id and length):
    # every writer and the manifest ask for it, a city's 分户账 has 75,000 rows.
    _totals: tuple[int, int, tuple[Any, ...] | None] | None = field(
        default=None, init=False, repr=False, compare=False
    )
    released: bool = field(default=False, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.sheet) > 31:
            raise ValueError(f"sheet name {self.sheet!r} is longer than 31 characters")
        if (
            not self.sheet
            or self.sheet != self.sheet.strip("'")
            or set(self.sheet) & set(SHEET_NAME_FORBIDDEN)
        ):
            raise ValueError(
                f"sheet name {self.sheet!r}: Excel refuses an empty name, one beginning or "
                f"ending with ' and the characters {SHEET_NAME_FORBIDDEN}"
            )

    @property
    def summed_columns(self) -> list[int]:
        return [
            i
            for i, c in enumerate(self.columns)
            if (c.kind in SUMMED if c.summed is None else c.summed)
        ]

    def totals(self) -> tuple[Any, ...] | None:
        """The totals row (合计), or None for a table without one (summed once: the rows are
        not changed in place once written)."""
        if not self.with_totals:
            return None
        if self.released:
            raise RuntimeError(f"{self.stem}: the totals of rows let go")
        key = (id(self.rows), len(self.rows))
        if self._totals is None or self._totals[:2] != key:
            self._totals = (*key, self._summed())
        return self._totals[2]

    def _summed(self) -> tuple[Any, ...]:
        sums: dict[int, Any] = {
            i: 0 if self.columns[i].kind == INT else ZERO for i in self.summed_columns
        }
        for row in self.rows:
            for i in sums:
                value = row[i]
                if value is not None:
                    sums[i] += value
        cells: list[Any] = [None] * len(self.columns)
        for i, total in sums.items():
            cells[i] = total
        cells[0] = "合计"
        return tuple(cells)

    def release(self) -> None:
        """The rows let go once every file of the table is written (its control totals taken
        before): nothing reads them after."""
        self.rows, self.strong, self.formulas = [], set(), {}
        self._totals = None
        self.released = True

    def control_totals(self) -> dict[str, Any]:
        """What the manifest records: row count and each summed column's total."""
        if self.released:
            raise RuntimeError(f"{self.stem}: the control totals of rows let go")
        totals = self.totals()
        result: dict[str, Any] = {"rows": len(self.rows)}
        if totals is not None:
            for i in self.summed_columns:
                result[self.columns[i].key] = totals[i]
        return result


@dataclass
class StreamedTable(Table):
    """A table whose rows are made as they are written, once, and held by no one: a city's
    分户账 and 明细账 (hundreds of thousands of rows each) written to the workbook, the CSV and
    the JSON at the same time, row by row (the workbook and the JSON by the export's other
    process, `export.workbook_process`).

    `made` gives each row with whether it is printed bold. `count`: the rows to come, when
    known before they are made (a table with a totals row or longer than a sheet needs it);
    `known_totals`: the totals row, summed before the rows are made (the JSON writes it before
    them). `rows` stays empty; `row_count` counts the rows once made.
    """

    made: Iterable[tuple[tuple[Any, ...], bool]] = ()
    count: int | None = None
    known_totals: tuple[Any, ...] | None = None
    row_count: int = 0
    # Who is handed every row as it is made, a batch at a time (`add_rows`: the table's CSV
    # and JSON writers).
    followers: list[Any] = field(default_factory=list, repr=False, compare=False)
    _taken: bool = field(default=False, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.with_totals and (self.known_totals is None or self.count is None):
            raise ValueError(f"{self.stem}: a streamed table's totals and rows are told first")
        if self.strong or self.formulas:
            raise ValueError(f"{self.stem}: a streamed table's rows say their boldness")

    def each_row(self) -> Iterator[tuple[tuple[Any, ...], bool]]:
        """The rows with their boldness, made now (once: a second reading is an error), each
        handed to the followers first."""
        if self._taken:
            raise RuntimeError(f"{self.stem}: the rows of a streamed table are made once")
        self._taken = True
        followers = [f.add_rows for f in self.followers]
        count = 0
        batch: list[tuple[Any, ...]] = []  # the rows made since the followers were handed some
        for row, bold in self.made:
            if followers:
                batch.append(row)
                if len(batch) == HANDED:
                    for add_rows in followers:
                        add_rows(batch)
                    batch = []
            count += 1
            yield row, bold
        for add_rows in followers:
            add_rows(batch)
        self.made = ()  # what the rows were made from can go
        if self.count is not None and count != self.count:
            raise ValueError(f"{self.stem}: {count} rows made, {self.count} told")
        self.row_count = count

    def totals(self) -> tuple[Any, ...] | None:
        return self.known_totals if self.with_totals else None

    def control_totals(self) -> dict[str, Any]:
        if not self._taken:
            raise RuntimeError(f"{self.stem}: control totals before the rows are made")
        result: dict[str, Any] = {"rows": self.row_count}
        totals = self.totals()
        if totals is not None:
            for i in self.summed_columns:
                result[self.columns[i].key] = totals[i]
        return result


def length(table: Table) -> int | None:
    """A table's rows (None: a streamed table's, not known before they are made)."""
    return table.count if isinstance(table, StreamedTable) else len(table.rows)


def keys(columns: Sequence[Column]) -> list[str]:
    return [c.key for c in columns]
