"""Bank statement layouts read from TOML files: the shipped ones and a ledger's own.

The shipped layouts are `importers/layouts/*.toml` (one layout a file; `_common.toml` holds the
preamble labels and table markers every layout shares). A ledger adds a layout, or replaces a
shipped one of the same `id`, with a file in its registry's `bank_layouts/` directory; those come
first, so that on a tie the centre's own layout wins. docs/bank-layouts.md describes the format.

A file that is not valid is reported as ``file:line: field: message`` for every problem found,
like the registry's other files (`LayoutError`, an `XtError`), and no layout of it is used.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from importers.profiles import DATE_FORMS, BankProfile, LayoutRuleError, PreambleLabels
from xtaccounts.core.errors import XtError
from xtaccounts.core.input_files import read_input_file, toml_error_line

SHIPPED_DIR = Path(__file__).parent / "layouts"
COMMON_FILE = "_common.toml"
REGISTRY_SUBDIR = "bank_layouts"

Words = tuple[str, ...]


@dataclass(frozen=True)
class LayoutIssue:
    """One problem of a layout file, where it is."""

    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{field} {self.message}"


class LayoutError(XtError):
    """Layout files that cannot be used; every issue on its own line."""

    def __init__(self, issues: Sequence[LayoutIssue]) -> None:
        self.issues = tuple(issues)
        super().__init__("银行对账单格式文件有误：\n" + "\n".join(str(i) for i in self.issues))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Preamble(_Strict):
    account: Words | None = None
    name: Words | None = None
    currency: Words | None = None
    period: Words | None = None
    start: Words | None = None
    end: Words | None = None


class _Markers(_Strict):
    trailer: Words = ()
    trailer_patterns: Words = ()
    skip: Words = ()


class _Common(_Strict):
    preamble: _Preamble
    markers: _Markers


class _Direction(_Strict):
    rule: Literal["split", "signed", "flag"]
    column: Words = ()
    in_: Words = Field(default=(), alias="in")
    out: Words = ()


class _Columns(_Strict):
    date: Words
    time: Words = ()
    debit: Words = ()
    credit: Words = ()
    amount: Words = ()
    balance: Words = ()
    serial: Words = ()
    memo: Words = ()
    counterparty: Words = ()
    counterparty_account: Words = ()
    counterparty_bank: Words = ()
    payer_name: Words = ()
    payer_account: Words = ()
    payer_bank: Words = ()
    payee_name: Words = ()
    payee_account: Words = ()
    payee_bank: Words = ()
    account_column: Words = ()
    currency_column: Words = ()


class _Layout(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")
    bank: str = Field(pattern=r"^[A-Z][A-Z0-9]{1,15}$")
    bank_name: str = Field(min_length=1)
    note: str = ""
    header_keywords: Words = Field(min_length=1)
    order: Literal["auto", "ascending", "descending"] = "auto"
    date_formats: Words = DATE_FORMS
    direction: _Direction
    columns: _Columns
    serial_parts: dict[str, str] = {}
    markers: _Markers = _Markers()
    preamble: _Preamble = _Preamble()


# --- where a key is in the file --------------------------------------------------------------

_TABLE = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(?:#.*)?$")
_KEY = re.compile(r"""^\s*(?:"([^"]+)"|'([^']+)'|([A-Za-z0-9_-]+))\s*=""")


def key_line(text: str, loc: Sequence[str | int]) -> int:
    """The line of the key at `loc` (("columns", "date", 2) → the line of `date =` under
    `[columns]`), else of its table's header, else 0."""
    names = [str(part) for part in loc if isinstance(part, str)]
    if not names:
        return 0
    table_path, key = names[:-1], names[-1]
    table: list[str] = []
    table_line = 0
    for number, line in enumerate(text.splitlines(), 1):
        header = _TABLE.match(line)
        if header:
            table = [part.strip().strip("\"'") for part in header.group(1).split(".")]
            if table == names or (table == table_path and not table_line):
                table_line = number
            continue
        found = _KEY.match(line)
        if found and table == table_path and next(g for g in found.groups() if g) == key:
            return number
    return table_line


def _issues_of(name: str, text: str, exc: ValidationError) -> Iterable[LayoutIssue]:
    for error in exc.errors():
        loc = tuple("in" if part == "in_" else part for part in error["loc"])
        field = ".".join(str(part) for part in loc)
        yield LayoutIssue(name, key_line(text, loc), field, _message(error))


_PYDANTIC_WORDS = {
    "missing": "缺少此项",
    "extra_forbidden": "不认识的键（拼写？）",
    "literal_error": "取值不在允许范围内",
    "string_pattern_mismatch": "格式不对",
    "too_short": "不能为空",
}


def _message(error: Any) -> str:
    words = _PYDANTIC_WORDS.get(error["type"])
    return f"{words} ({error['msg']})" if words else str(error["msg"])


def _read(path: Path, issues: list[LayoutIssue]) -> tuple[str, dict[str, Any]] | None:
    name = str(path)
    try:
        text = read_input_file(path).decode("utf-8-sig")  # a regular file only, never a FIFO
    except UnicodeDecodeError as exc:
        issues.append(LayoutIssue(name, 0, "", f"不是 UTF-8 文本 (not UTF-8: {exc.reason})"))
        return None
    except XtError as exc:
        issues.append(LayoutIssue(name, 0, "", str(exc)))
        return None
    except OSError as exc:
        issues.append(LayoutIssue(name, 0, "", f"无法读取 (cannot read: {exc.strerror or exc})"))
        return None
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = toml_error_line(exc)
        issues.append(LayoutIssue(name, line, "", f"不是有效的 TOML (not valid TOML: {exc})"))
        return None


# --- building the profiles -------------------------------------------------------------------


@lru_cache(maxsize=4)
def _common(path: Path) -> _Common:
    issues: list[LayoutIssue] = []
    read = _read(path, issues)
    if read is not None:
        text, raw = read
        try:
            return _Common.model_validate(raw)
        except ValidationError as exc:
            issues.extend(_issues_of(str(path), text, exc))
    raise LayoutError(issues)


def _profile(layout: _Layout, common: _Common) -> BankProfile:
    preamble = PreambleLabels(
        **{
            name: getattr(layout.preamble, name) or getattr(common.preamble, name) or default
            for name, default in vars(PreambleLabels()).items()
        }
    )
    fields = layout.columns.model_dump()
    return BankProfile(
        id=layout.id,
        bank=layout.bank,
        bank_name=layout.bank_name,
        note=layout.note,
        header_keywords=layout.header_keywords,
        direction_rule=layout.direction.rule,
        direction=layout.direction.column,
        flag_in=layout.direction.in_,
        flag_out=layout.direction.out,
        serial_parts=tuple(layout.serial_parts.items()),
        date_formats=layout.date_formats,
        order=layout.order,
        preamble=preamble,
        trailer_markers=(*layout.markers.trailer, *common.markers.trailer),
        trailer_patterns=layout.markers.trailer_patterns,
        skip_markers=(*layout.markers.skip, *common.markers.skip),
        **fields,
    )


def read_layout_file(path: Path, common: _Common, issues: list[LayoutIssue]) -> BankProfile | None:
    """The layout of one file, or None with its problems added to `issues`."""
    read = _read(path, issues)
    if read is None:
        return None
    text, raw = read
    name = str(path)
    try:
        layout = _Layout.model_validate(raw)
    except ValidationError as exc:
        issues.extend(_issues_of(name, text, exc))
        return None
    try:
        return _profile(layout, common)
    except LayoutRuleError as exc:  # what a direction rule needs, date forms, serial regexes
        loc = tuple(exc.field.split("."))
        issues.append(LayoutIssue(name, key_line(text, loc), exc.field, str(exc)))
        return None


def _read_dir(directory: Path, common: _Common) -> tuple[list[BankProfile], list[LayoutIssue]]:
    issues: list[LayoutIssue] = []
    layouts: list[BankProfile] = []
    seen: dict[str, Path] = {}
    for path in sorted(directory.glob("*.toml")):
        if path.name == COMMON_FILE:
            continue
        layout = read_layout_file(path, common, issues)
        if layout is None:
            continue
        if layout.id in seen:
            line = key_line(path.read_text("utf-8-sig"), ("id",))
            issues.append(
                LayoutIssue(str(path), line, "id", f"与 {seen[layout.id].name} 的 id 重复")
            )
            continue
        seen[layout.id] = path
        layouts.append(layout)
    return layouts, issues


@lru_cache(maxsize=1)
def shipped_layouts() -> tuple[BankProfile, ...]:
    """The layouts shipped with the importers (a bad shipped file is a bug: LayoutError)."""
    common = _common(SHIPPED_DIR / COMMON_FILE)
    layouts, issues = _read_dir(SHIPPED_DIR, common)
    if issues:
        raise LayoutError(issues)
    return tuple(layouts)


def check_ledger_layouts(registry_dir: Path) -> list[LayoutIssue]:
    """The problems of the layout files in a registry's `bank_layouts/` (none: [])."""
    directory = registry_dir / REGISTRY_SUBDIR
    if not directory.is_dir():
        return []
    return _read_dir(directory, _common(SHIPPED_DIR / COMMON_FILE))[1]


def ledger_layouts(registry_dir: Path | None) -> tuple[BankProfile, ...]:
    """The layouts a ledger reads statements with: its registry's own first (a layout of a
    shipped id replaces the shipped one), then the shipped ones; LayoutError if any of its own
    files is not valid."""
    shipped = shipped_layouts()
    if registry_dir is None or not (registry_dir / REGISTRY_SUBDIR).is_dir():
        return shipped
    own, issues = _read_dir(registry_dir / REGISTRY_SUBDIR, _common(SHIPPED_DIR / COMMON_FILE))
    if issues:
        raise LayoutError(issues)
    ids = {layout.id for layout in own}
    return (*own, *(layout for layout in shipped if layout.id not in ids))
