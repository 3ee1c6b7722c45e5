"""Reading the registry's CSV and TOML files, with every problem reported as file:line: field.

A valid registry is kept in memory and in the user's cache directory (never in the books: reading
them writes nothing there), both keyed by the SHA-256 of every registry file's bytes: a cached
registry is used only for exactly the bytes it was validated from, so a cache can make loading
fast but never changes its result.
"""

from __future__ import annotations

import contextlib
import contextvars
import copyreg
import csv
import dataclasses
import hashlib
import io
import mmap
import os
import pickle
import re
import sys
import tempfile
import time
import tomllib
import unicodedata
from array import array
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar, cast

import pydantic
from pydantic import BaseModel, ValidationError

import xtaccounts
from xtaccounts.core.cache_dir import cache_root
from xtaccounts.core.chart import check_bank_account_name
from xtaccounts.core.errors import XtError
from xtaccounts.core.gc_pause import gc_paused
from xtaccounts.core.i18n import _
from xtaccounts.core.input_files import read_input_file, toml_error_line
from xtaccounts.registry import models
from xtaccounts.registry.lazy_table import EncodedRows, LazyTable, encode_rows, restore_model
from xtaccounts.registry.models import (
    BankAccount,
    Building,
    Community,
    Elevator,
    Entrustment,
    Household,
    Insurer,
    PaymentNotice,
    PilotConfig,
    PoolLevel,
    RateAgreement,
    Tender,
    Unit,
)

M = TypeVar("M", bound=BaseModel)

PILOT_FILE = "pilot.toml"
INSURERS_FILE = "insurers.toml"


@dataclass(frozen=True)
class RegistryTable:
    """One CSV table of the registry: its file name and row model."""

    file: str
    model: type[BaseModel]
    key: str


TABLES: tuple[RegistryTable, ...] = (
    RegistryTable("communities.csv", Community, "id"),
    RegistryTable("buildings.csv", Building, "id"),
    RegistryTable("units.csv", Unit, "id"),
    RegistryTable("households.csv", Household, "id"),
    RegistryTable("elevators.csv", Elevator, "code"),
    RegistryTable("bank_accounts.csv", BankAccount, "account_no"),
    RegistryTable("rate_agreements.csv", RateAgreement, "id"),
    RegistryTable("entrustments.csv", Entrustment, "community"),
    RegistryTable("payment_notices.csv", PaymentNotice, "notice_no"),
)
_TABLE_BY_FILE = {t.file: t for t in TABLES}


@dataclass(frozen=True)
class Reference:
    """A column that names a row of another table; hierarchical ids also start with it."""

    file: str
    attr: str
    parent_file: str
    parent_key: str
    hierarchical: bool = False


REFERENCES: tuple[Reference, ...] = (
    Reference("buildings.csv", "community", "communities.csv", "id", hierarchical=True),
    Reference("units.csv", "building", "buildings.csv", "id", hierarchical=True),
    Reference("households.csv", "unit", "units.csv", "id", hierarchical=True),
    Reference("elevators.csv", "unit", "units.csv", "id"),
    Reference("entrustments.csv", "community", "communities.csv", "id"),
    Reference("rate_agreements.csv", "bank", "bank_accounts.csv", "bank"),
    Reference("payment_notices.csv", "household", "households.csv", "id"),
)


@dataclass(frozen=True, order=True)
class RegistryIssue:
    """One problem in the registry, located as precisely as the format allows."""

    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


class RegistryInvalid(XtError):
    """The registry has problems; all of them are listed."""

    def __init__(self, issues: list[RegistryIssue]) -> None:
        self.issues = sorted(issues)
        super().__init__(
            _("登记册有 {count} 处问题：").format(count=len(issues))
            + "\n"
            + "\n".join(str(i) for i in self.issues)
        )


@dataclass
class Registry:
    """The master data, indexed by id."""

    directory: Path
    pilot: PilotConfig
    communities: dict[str, Community] = field(default_factory=dict)
    # The big tables: dicts when validated, `LazyTable`s when restored from the cache.
    buildings: Mapping[str, Building] = field(default_factory=dict)
    units: Mapping[str, Unit] = field(default_factory=dict)
    households: Mapping[str, Household] = field(default_factory=dict)
    elevators: Mapping[str, Elevator] = field(default_factory=dict)
    bank_accounts: dict[str, BankAccount] = field(default_factory=dict)
    rate_agreements: dict[str, RateAgreement] = field(default_factory=dict)
    entrustments: list[Entrustment] = field(default_factory=list)
    notices: Mapping[str, list[PaymentNotice]] = field(default_factory=dict)
    insurers: dict[str, Insurer] = field(default_factory=dict)
    tenders: dict[str, Tender] = field(default_factory=dict)
    # The households' ids by unit, pickled: a pool's households are found without decoding
    # every household of the city (`households_of_unit`); empty: read from `households`.
    household_ids: bytes = b""
    # The same households' places in the `households` table (their rows' positions, in the
    # table's order), pickled: a pool's households are read from their rows without the index
    # of every household's id (`household_rows_of_unit`); empty: not known.
    household_rows: bytes = b""

    @cached_property
    def households_of_unit(self) -> dict[str, list[str]]:
        """The ids of each unit's households, in the table's order."""
        if self.household_ids:
            return pickle.loads(self.household_ids)
        return _ids_by_unit(self.households.values())

    @cached_property
    def household_rows_of_unit(self) -> dict[str, array[int]] | None:
        """The positions in `households` of each unit's households, in the table's order (None:
        not known)."""
        if not self.household_rows:
            return None
        units, counts, positions = pickle.loads(self.household_rows)
        found: dict[str, array[int]] = {}
        at = 0
        for unit, count in zip(units, counts, strict=True):
            found[unit] = positions[at : at + count]
            at += count
        return found

    def pool_level(self, building: Building) -> PoolLevel:
        return building.pool_level or self.pilot.pool_default

    def pool_of_unit(self, unit_id: str) -> str:
        """The pool id that receives a unit's spread: the unit itself or its building."""
        unit = self.units[unit_id]
        building = self.buildings[unit.building]
        return self.pool_of(unit.id, building.id, building.pool_level)

    def pool_of(self, unit_id: str, building_id: str, level: PoolLevel | None) -> str:
        """The pool of the unit `unit_id` of the building `building_id`, whose registry row
        gives the pool level `level` (None: the pilot's default)."""
        return unit_id if (level or self.pilot.pool_default) is PoolLevel.UNIT else building_id

    def counts(self) -> dict[str, int]:
        return {
            "communities": len(self.communities),
            "buildings": len(self.buildings),
            "units": len(self.units),
            "households": len(self.households),
            "elevators": len(self.elevators),
            "bank_accounts": len(self.bank_accounts),
            "rate_agreements": len(self.rate_agreements),
            "entrustments": len(self.entrustments),
            "payment_notices": len(self.notices),
            "insurers": len(self.insurers),
            "tenders": len(self.tenders),
        }


class UnreadableText(XtError):
    """A file in none of the encodings a registry may use."""


def read_text(path: Path) -> str:
    """Text of a registry file: UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030."""
    return decode_text(read_input_file(path), path.name)


def decode_text(data: bytes, name: str) -> str:
    """Text of a registry file's bytes (see `read_text`); `name` is used in the error."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableText(
        f"{name}: " + _("不是 UTF-8、UTF-16 或 GB18030 文本；请在电子表格中另存为“CSV UTF-8”")
    )


_MONEY_WHAT = re.compile(r"^(?:amount|rate|number): ")


def _pydantic_issues(
    file: str, line: int, exc: ValidationError, prefix: str = ""
) -> Iterator[RegistryIssue]:
    for err in exc.errors(include_url=False):
        loc = ".".join(str(part) for part in err["loc"])
        message = err["msg"].removeprefix("Value error, ")
        # core.money names the value it refuses (``amount: …``); the issue names its field.
        message = _MONEY_WHAT.sub("", message, count=1)
        got = err.get("input")
        if err["type"] not in {"value_error", "missing"} and isinstance(got, str | int | Decimal):
            message = _("{message}（实为 {got!r}）").format(message=message, got=got)
        yield RegistryIssue(file, line, f"{prefix}{loc}", message)


def read_csv_rows(
    path: Path,
    model: type[M],
    issues: list[RegistryIssue],
    refused: dict[str, set[str]] | None = None,
) -> list[tuple[int, M]]:
    """Validate every row of one CSV file; problems go to `issues`, good rows are returned.

    The raw cells of refused rows are kept in `refused` (column -> values), so that a row that
    refers to one of them is not reported a second time as an unknown reference.
    """
    data = read_input_file(path) if path.exists() else None
    return _csv_rows(path.name, data, model, issues, refused)


def _csv_rows(
    name: str,
    data: bytes | None,
    model: type[M],
    issues: list[RegistryIssue],
    refused: dict[str, set[str]] | None = None,
) -> list[tuple[int, M]]:
    """`read_csv_rows` on a file's bytes (None: the file is missing)."""
    if data is None:
        issues.append(RegistryIssue(name, 0, "", _("文件不存在")))
        return []
    try:
        text = decode_text(data, name)
    except UnreadableText as exc:
        issues.append(RegistryIssue(name, 0, "", str(exc).removeprefix(f"{name}: ")))
        return []
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (next(reader, None) or [])]
    expected = list(model.model_fields)
    required = [f for f, info in model.model_fields.items() if info.is_required()]
    unknown = [h for h in header if h not in expected]
    missing = [f for f in required if f not in header]
    if unknown or missing:
        detail = []
        if missing:
            detail.append(_("缺少列 {columns}").format(columns="、".join(missing)))
        if unknown:
            detail.append(_("不认识的列 {columns}").format(columns="、".join(unknown)))
        issues.append(
            RegistryIssue(
                name,
                1,
                "",
                "；".join(detail) + _("（应为：{columns}）").format(columns=",".join(expected)),
            )
        )
        return []
    width = len(header)
    validate = model.model_validate
    rows: list[tuple[int, M]] = []
    # The same rows, line numbers and cells as csv.DictReader (blank lines skipped, a row's line
    # being where its reading started), with blank cells as None as the models want them.
    while (cells := next(reader, None)) is not None:
        line = reader.line_num
        while cells == []:
            cells = next(reader, None)
        if cells is None:
            break
        if len(cells) > width:
            issues.append(RegistryIssue(name, line, "", _("单元格比表头的列多")))
            continue
        raw: dict[str, str | None] = dict(
            zip(header, [c if c and not c.isspace() else None for c in cells], strict=False)
        )
        if len(cells) < width:
            for column in header[len(cells) :]:
                raw[column] = None
        if not any(raw.values()):  # every cell blank (None)
            continue
        try:
            rows.append((line, validate(raw)))
        except ValidationError as exc:
            issues.extend(_pydantic_issues(name, line, exc))
            if refused is not None:
                for column, value in raw.items():
                    refused.setdefault(column, set()).add((value or "").strip())
    return rows


def read_toml(path: Path, issues: list[RegistryIssue]) -> dict[str, Any] | None:
    """A TOML file with decimals kept exact (no floats)."""
    return _toml(path.name, read_input_file(path) if path.exists() else None, issues)


def _toml(name: str, data: bytes | None, issues: list[RegistryIssue]) -> dict[str, Any] | None:
    """`read_toml` on a file's bytes (None: the file is missing)."""
    if data is None:
        issues.append(RegistryIssue(name, 0, "", _("文件不存在")))
        return None
    try:
        return tomllib.loads(decode_text(data, name), parse_float=Decimal)
    except UnreadableText as exc:
        issues.append(RegistryIssue(name, 0, "", str(exc).removeprefix(f"{name}: ")))
        return None
    except tomllib.TOMLDecodeError as exc:
        issues.append(
            RegistryIssue(
                name, toml_error_line(exc), "", _("不是有效的 TOML：{error}").format(error=exc)
            )
        )
        return None


def _door(door_no: str) -> str:
    """A door number as compared: NFKC, no whitespace, case-folded (`１０１ ` is `101`)."""
    return re.sub(r"\s", "", unicodedata.normalize("NFKC", str(door_no))).casefold()


def _unique(
    file: str,
    rows: Iterable[tuple[int, M]],
    key: Callable[[M], str],
    what: str,
    issues: list[RegistryIssue],
) -> dict[str, M]:
    seen: dict[str, tuple[int, M]] = {}
    for line, row in rows:
        k = key(row)
        if k in seen:
            issues.append(
                RegistryIssue(
                    file,
                    line,
                    what,
                    _("{what} {key!r} 重复（首次出现在第 {first} 行）").format(
                        what=what, key=k, first=seen[k][0]
                    ),
                )
            )
        else:
            seen[k] = (line, row)
    return {k: row for k, (_line, row) in seen.items()}


def _refers(
    file: str,
    rows: Iterable[tuple[int, M]],
    attr: str,
    known: Collection[str],
    what: str,
    issues: list[RegistryIssue],
) -> None:
    for line, row in rows:
        target = getattr(row, attr)
        if target not in known:
            issues.append(RegistryIssue(file, line, attr, f"unknown {what} {target!r}"))


def _child_id(
    file: str,
    rows: Iterable[tuple[int, BaseModel]],
    key: str,
    parent_attr: str,
    issues: list[RegistryIssue],
) -> None:
    """Each row's `key` (its id) must start with the id of the row it belongs to and '-'."""
    for line, row in rows:
        child: str = getattr(row, key)
        parent = getattr(row, parent_attr)
        if not child.startswith(parent + "-") or len(child) <= len(parent) + 1:
            issues.append(
                RegistryIssue(
                    file,
                    line,
                    key,
                    _("{child!r} 须以其 {parent_attr} 编号 '{parent}-' 开头").format(
                        child=child, parent_attr=parent_attr, parent=parent
                    ),
                )
            )


def _rows_of(
    rows: dict[str, list[tuple[int, BaseModel]]], file: str, model: type[M]
) -> list[tuple[int, M]]:
    """The rows read from table `file`, typed as the model TABLES reads them with."""
    assert _TABLE_BY_FILE[file].model is model, file
    return cast("list[tuple[int, M]]", rows[file])


def _validate_registry(directory: Path, files: dict[str, bytes | None]) -> Registry:
    """Validate and cross-check the registry files' bytes; raise RegistryInvalid if any problem."""
    issues: list[RegistryIssue] = []
    refused: dict[str, dict[str, set[str]]] = {t.file: {} for t in TABLES}
    rows = {
        t.file: _csv_rows(t.file, files[t.file], t.model, issues, refused[t.file]) for t in TABLES
    }
    community_rows = _rows_of(rows, "communities.csv", Community)
    building_rows = _rows_of(rows, "buildings.csv", Building)
    unit_rows = _rows_of(rows, "units.csv", Unit)
    household_rows = _rows_of(rows, "households.csv", Household)
    elevator_rows = _rows_of(rows, "elevators.csv", Elevator)
    bank_rows = _rows_of(rows, "bank_accounts.csv", BankAccount)
    agreement_rows = _rows_of(rows, "rate_agreements.csv", RateAgreement)
    entrustment_rows = _rows_of(rows, "entrustments.csv", Entrustment)
    notice_rows = _rows_of(rows, "payment_notices.csv", PaymentNotice)

    pilot_data = _toml(PILOT_FILE, files[PILOT_FILE], issues)
    pilot: PilotConfig | None = None
    if pilot_data is not None:
        try:
            pilot = PilotConfig.model_validate(pilot_data)
        except ValidationError as exc:
            issues.extend(_pydantic_issues(PILOT_FILE, 0, exc))

    insurers: dict[str, Insurer] = {}
    tenders: dict[str, Tender] = {}
    insurer_data = _toml(INSURERS_FILE, files[INSURERS_FILE], issues)
    if insurer_data is not None:
        insurer_rows: list[tuple[int, Insurer]] = []
        for i, item in enumerate(insurer_data.get("insurer", [])):
            try:
                insurer_rows.append((0, Insurer.model_validate(item)))
            except ValidationError as exc:
                issues.extend(_pydantic_issues(INSURERS_FILE, 0, exc, f"insurer[{i}]."))
        insurers = _unique(INSURERS_FILE, insurer_rows, lambda r: r.id, "insurer id", issues)
        tender_rows: list[tuple[int, Tender]] = []
        for i, item in enumerate(insurer_data.get("tender", [])):
            try:
                tender_rows.append((0, Tender.model_validate(item)))
            except ValidationError as exc:
                issues.extend(_pydantic_issues(INSURERS_FILE, 0, exc, f"tender[{i}]."))
        tenders = _unique(INSURERS_FILE, tender_rows, lambda r: r.id, "tender id", issues)
        _refers(INSURERS_FILE, tender_rows, "insurer", insurers, "insurer", issues)

    communities = _unique("communities.csv", community_rows, lambda r: r.id, "id", issues)
    buildings = _unique("buildings.csv", building_rows, lambda r: r.id, "id", issues)
    units = _unique("units.csv", unit_rows, lambda r: r.id, "id", issues)
    households = _unique("households.csv", household_rows, lambda r: r.id, "id", issues)
    _unique(  # one door counted twice would count twice in a vote's headcount and area
        "households.csv",
        household_rows,
        lambda r: f"{r.unit} {_door(r.door_no)}",
        "door_no",
        issues,
    )
    elevators = _unique("elevators.csv", elevator_rows, lambda r: r.code, "code", issues)
    banks = _unique("bank_accounts.csv", bank_rows, lambda r: r.account_no, "account_no", issues)
    _unique("bank_accounts.csv", bank_rows, lambda r: r.account, "account", issues)
    agreements = _unique("rate_agreements.csv", agreement_rows, lambda r: r.id, "id", issues)

    bank_codes = {b.bank: b for b in banks.values()}
    _unique(
        "payment_notices.csv",
        notice_rows,
        lambda r: f"{r.notice_no}/{r.household}",
        "notice_no/household",
        issues,
    )
    notices: dict[str, list[PaymentNotice]] = {}
    for _line, notice in notice_rows:
        notices.setdefault(notice.notice_no, []).append(notice)
    parents: dict[str, Collection[str]] = {  # the ids of each table others refer to
        "communities.csv": communities,
        "buildings.csv": buildings,
        "units.csv": units,
        "households.csv": households,
        "bank_accounts.csv": bank_codes,
    }
    for ref in REFERENCES:
        known_keys = set(parents[ref.parent_file]) | refused[ref.parent_file].get(
            ref.parent_key, set()
        )
        _refers(ref.file, rows[ref.file], ref.attr, known_keys, ref.attr, issues)
        if ref.hierarchical:
            _child_id(ref.file, rows[ref.file], _TABLE_BY_FILE[ref.file].key, ref.attr, issues)
    for line, account in bank_rows:
        problem = check_bank_account_name(account.account)
        if problem:
            issues.append(RegistryIssue("bank_accounts.csv", line, "account", problem))
    for line, row in entrustment_rows:
        if row.valid_to is not None and row.valid_to < row.valid_from:
            issues.append(RegistryIssue("entrustments.csv", line, "valid_to", _("早于 valid_from")))

    if issues or pilot is None:
        raise RegistryInvalid(issues)
    household_ids = pickle.dumps(_ids_by_unit(households.values()), pickle.HIGHEST_PROTOCOL)
    rows_by_unit = _rows_by_unit(households.values())
    placed = pickle.dumps(
        (
            list(rows_by_unit),  # (one list, two arrays: a city's 12,000 units decode at once)
            array("I", map(len, rows_by_unit.values())),
            array("I", (p for rows in rows_by_unit.values() for p in rows)),
        ),
        pickle.HIGHEST_PROTOCOL,
    )
    return Registry(
        directory=directory,
        pilot=pilot,
        communities=communities,
        buildings=buildings,
        units=units,
        households=households,
        elevators=elevators,
        bank_accounts=banks,
        rate_agreements=agreements,
        entrustments=[row for _line, row in entrustment_rows],
        notices=notices,
        insurers=insurers,
        tenders=tenders,
        household_ids=household_ids,
        household_rows=placed,
    )


def _ids_by_unit(households: Iterable[Household]) -> dict[str, list[str]]:
    by_unit: dict[str, list[str]] = {}
    for household in households:
        by_unit.setdefault(household.unit, []).append(household.id)
    return by_unit


def _rows_by_unit(households: Iterable[Household]) -> dict[str, array[int]]:
    """Each unit's households' positions in the table (the order the cache keeps its rows)."""
    by_unit: dict[str, array[int]] = {}
    for position, household in enumerate(households):
        rows = by_unit.get(household.unit)
        if rows is None:
            rows = by_unit[household.unit] = array("I")
        rows.append(position)
    return by_unit


# --- the cache -------------------------------------------------------------------------------

CACHE_KEEP = 4
CACHE_FORMAT = 6  # 2: rows pickled one by one (LAZY_TABLES); 3: in segments; 4: household ids;
# 5: the households' rows by unit; 6: those rows in two arrays
_MAGIC = b"xtaccounts registry cache\n"
REGISTRY_FILES: tuple[str, ...] = (*(t.file for t in TABLES), PILOT_FILE, INSURERS_FILE)
# The Registry attributes cached row by row and restored as `LazyTable`s: a write reads a few
# of their rows, and unpickling all of them took most of a city-scale write.
LAZY_TABLES: dict[str, type[BaseModel]] = {  # attribute -> the model of its rows
    "buildings": Building,
    "units": Unit,
    "households": Household,
    "elevators": Elevator,
    "notices": PaymentNotice,  # each row a list of notice lines
}
# The code whose checks a cached registry has passed: editing any of it invalidates the cache.
_CODE_FILES = (
    "registry/load.py",
    "registry/lazy_table.py",
    "registry/models.py",
    "core/money.py",
    "core/privacy.py",
    "core/outside_text.py",
    "core/dates.py",
    "core/input_files.py",
    "core/chart.py",
    "core/vocabulary.py",
)
# Like Beancount's own cache, written only for a registry slow to validate or large: a small
# registry (the demo's, the tests') loads in a blink and leaves no cache file. Large by its
# files' bytes too, not by seconds alone: on a fast machine a quarter of the city validated in
# 0.96 s and got no cache, so every command held all its models (100 MB more for an export).
CACHE_THRESHOLD_SECONDS = 1.0
CACHE_THRESHOLD_BYTES = 1 << 20
_MEMO: dict[bytes, Registry] = {}
_MEMO_SIZE = 2
# The stat signature and digest of each directory's last load: `cached_registry` answers from
# `_MEMO` without reading the files while the signature is unchanged.
_SEEN: dict[str, tuple[tuple, bytes]] = {}
_code_key: bytes | None = None


def _cache_path(digest: bytes) -> Path:
    """Content-addressed: a copy of the books (a backup, a benchmark's copy) finds its cache."""
    return cache_root() / f"registry-{digest.hex()[:32]}.picklecache"


def cache_file(directory: Path) -> Path:
    """Where the cache of the registry in `directory`, as its files are now, lives."""
    return _cache_path(registry_digest(_read_files(Path(directory))))


def _prune_cache(keep: int = CACHE_KEEP) -> None:
    """Keep the most recently written caches only (each is tens of MB at city scale)."""
    caches = sorted(
        cache_root().glob("registry-*.picklecache"), key=lambda p: p.stat().st_mtime, reverse=True
    )
    for old in caches[keep:]:
        with contextlib.suppress(OSError):
            old.unlink()


def _code_digest() -> bytes:
    global _code_key
    if _code_key is None:
        h = hashlib.sha256()
        h.update(
            f"format {CACHE_FORMAT}; xtaccounts {xtaccounts.__version__}; "
            f"pydantic {pydantic.VERSION}; python {sys.version_info[:2]}\n".encode()
        )
        root = Path(xtaccounts.__file__).parent
        for name in _CODE_FILES:
            data = (root / name).read_bytes()
            h.update(b"%s %d\n" % (name.encode(), len(data)))
            h.update(data)
        _code_key = h.digest()
    return _code_key


def _read_files(directory: Path) -> dict[str, bytes | None]:
    """The bytes of every registry file, None for a missing one."""
    files: dict[str, bytes | None] = {}
    for name in REGISTRY_FILES:
        try:
            files[name] = read_input_file(directory / name)
        except (FileNotFoundError, NotADirectoryError):
            files[name] = None
    return files


def registry_digest(files: dict[str, bytes | None]) -> bytes:
    """SHA-256 over the code version and every registry file's name and bytes."""
    h = hashlib.sha256(_code_digest())
    for name in REGISTRY_FILES:
        data = files[name]
        if data is None:
            h.update(b"%s missing\n" % name.encode())
        else:
            h.update(b"%s %d\n" % (name.encode(), len(data)))
            h.update(data)
    return h.digest()


def _reduce_model(model: BaseModel) -> tuple[Any, ...]:
    fields_set = tuple(sorted(model.__pydantic_fields_set__))
    return restore_model, (type(model), model.__dict__, fields_set, model.__pydantic_extra__)


def _pickler(out: io.BytesIO) -> pickle.Pickler:
    """A pickler writing the registry's models with their field set sorted, so that a cache's
    bytes are the same from one run to the next."""
    pickler = pickle.Pickler(out, protocol=pickle.HIGHEST_PROTOCOL)
    model_types = {
        cls: _reduce_model
        for cls in vars(models).values()
        if isinstance(cls, type) and issubclass(cls, BaseModel) and cls is not BaseModel
    }
    pickler.dispatch_table = {**copyreg.dispatch_table, **model_types}
    return pickler


def _read_cache(directory: Path, digest: bytes) -> Registry | None:
    """The cached registry if the cache file is readable and made from exactly these bytes.

    The file holds the registry without its LAZY_TABLES, then each of those tables as three
    segments (its ids pickled, its rows pickled one by one, the rows' end offsets). The file is
    mapped, not read: the tables come back as `LazyTable`s over the mapping, which decode a
    table's ids when it is first read and a row when it is first looked up.
    """
    try:
        with _cache_path(digest).open("rb") as handle:
            mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):  # (an empty file cannot be mapped)
        return None
    view = memoryview(mapped)
    head = len(_MAGIC)
    if view[:head] != _MAGIC or view[head : head + len(digest)] != digest:
        return None
    try:
        start = head + len(digest) + 8
        size = int.from_bytes(view[start - 8 : start], "little")
        with gc_paused():
            rest, spans = pickle.loads(view[start : start + size])
        if not isinstance(rest, Registry) or not isinstance(spans, dict):
            return None
        if set(spans) != set(LAZY_TABLES):
            return None
        base = start + size

        def segment(span: tuple[int, int]) -> memoryview:
            offset, length = span
            if offset < 0 or length < 0 or base + offset + length > len(view):
                raise ValueError("a segment beyond the end of the cache file")
            return view[base + offset : base + offset + length]

        tables: dict[str, LazyTable[Any]] = {
            name: LazyTable(EncodedRows(model, *(segment(span) for span in spans[name])))
            for name, model in LAZY_TABLES.items()
        }
        return dataclasses.replace(rest, **cast("dict[str, Any]", tables))
    except Exception:  # a damaged cache is only a slower load
        return None


def _write_cache(directory: Path, digest: bytes, registry: Registry) -> None:
    """Write the cache atomically; a directory we cannot write to only means no cache."""
    buffer = io.BytesIO()
    buffer.write(_MAGIC + digest)
    segments: list[bytes] = []
    spans: dict[str, tuple[tuple[int, int], ...]] = {}
    offset = 0
    try:
        with gc_paused():
            for name, model in LAZY_TABLES.items():
                encoded = encode_rows(getattr(registry, name), model)
                keys = pickle.dumps(encoded.keys, protocol=pickle.HIGHEST_PROTOCOL)
                parts = (keys, bytes(encoded.blob), bytes(encoded.ends))
                spans[name] = tuple(
                    (offset + sum(map(len, parts[:i])), len(parts[i])) for i in range(3)
                )
                segments.extend(parts)
                offset += sum(map(len, parts))
            rest = dataclasses.replace(
                registry,
                directory=Path("."),
                **cast("dict[str, Any]", {name: {} for name in LAZY_TABLES}),
            )
            header = io.BytesIO()
            _pickler(header).dump((rest, spans))
    except (pickle.PicklingError, TypeError, AttributeError):
        return
    buffer.write(len(header.getbuffer()).to_bytes(8, "little"))
    buffer.write(header.getbuffer())
    for part in segments:
        buffer.write(part)
    tmp = None
    try:
        target = _cache_path(digest)
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".registry.", suffix=".tmp", dir=target.parent)
        with os.fdopen(fd, "wb") as out:
            out.write(buffer.getbuffer())
        os.replace(tmp, target)  # private to the user (mkstemp's 0600)
        tmp = None
        _prune_cache()
    except OSError:
        pass
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def keep_changed_registry(
    directory: Path,
    before: Mapping[str, bytes | None],
    after: Mapping[str, bytes | None],
    registry: Registry,
) -> bool:
    """After a change written to the registry in `directory` (its files were `before` and are
    now `after`, `registry` validated from `after`): cache `registry` for the files as they now
    are, if the registry before the change was cached (it was slow to validate or large) and
    the files on disk are `after`. The next command then reads the cache instead of validating
    the registry again (`notice add`, then `import`). True if the cache was written."""
    directory = Path(directory)
    if not _cache_path(registry_digest(dict(before))).exists():
        return False
    signature = _stat_signature(directory)  # taken before the files are read
    files = _read_files(directory)
    if files != dict(after):  # changed since (not by the change): validate it when read
        return False
    digest = registry_digest(files)
    _write_cache(directory, digest, registry)
    if not _cache_path(digest).exists():
        return False
    _keep_digest(directory, signature, digest)
    return True


def load_registry(directory: Path, *, cache: bool = True) -> Registry:
    """Load and cross-check the whole registry; raise RegistryInvalid listing every problem.

    A registry validated before from the very same file bytes is taken from this process's memo
    or from its `cache_file` (written when missing or stale, if validating took at least
    CACHE_THRESHOLD_SECONDS or the files hold CACHE_THRESHOLD_BYTES); `cache=False` validates
    afresh and touches neither. Only valid registries are cached, so errors are always raised.
    Callers share the returned registry: treat it as read-only.
    """
    directory = Path(directory)
    if not cache:
        with gc_paused():
            return _validate_registry(directory, _read_files(directory))
    return _load_memoised(directory)[1]


def _load_memoised(directory: Path) -> tuple[bytes, Registry]:
    """`load_registry` with the cache, and the digest of the bytes it was validated from."""
    files: dict[str, bytes | None] | None = None
    signature = _stat_signature(directory)  # taken before the files are read
    digest = _known_digest(directory, signature)
    if digest is None:
        files = _read_files(directory)
        digest = registry_digest(files)
    registry = _MEMO.get(digest)
    if registry is None:
        registry = _read_cache(directory, digest)
        if registry is None:
            if files is None:
                signature = _stat_signature(directory)
                files = _read_files(directory)
                digest = registry_digest(files)
            started = time.perf_counter()
            with gc_paused():
                registry = _validate_registry(directory, files)
            size = sum(len(data) for data in files.values() if data is not None)
            if (
                time.perf_counter() - started >= CACHE_THRESHOLD_SECONDS
                or size >= CACHE_THRESHOLD_BYTES
            ):
                _write_cache(directory, digest, registry)
                _keep_digest(directory, signature, digest)
        elif files is not None:
            _keep_digest(directory, signature, digest)
        if len(_MEMO) >= _MEMO_SIZE:
            _MEMO.pop(next(iter(_MEMO)))
        registry.directory = directory
        _MEMO[digest] = registry
    if registry.directory != directory:
        registry = dataclasses.replace(registry, directory=directory)
    return digest, registry


# --- the digest of files not read again -------------------------------------------------------
# A city's registry is tens of MB: reading and hashing it took a tenth of a write. Beside the
# caches, `registry-digests.pickle` keeps, for the last few registry directories, every file's
# stat signature (inode, size, mtime, ctime) with the digest of their bytes; while all of them
# are unchanged the digest is taken as it is (the write snapshot trusts files the same way).
_DIGESTS_KEPT = 16


_Signature = tuple[tuple[int, int, int, int] | None, ...]


def _stat_signature(directory: Path) -> _Signature | None:
    signature: list[tuple[int, int, int, int] | None] = []
    for name in REGISTRY_FILES:
        try:
            st = os.stat(directory / name)
        except FileNotFoundError:
            signature.append(None)
            continue
        except OSError:
            return None
        signature.append((st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns))
    return tuple(signature)


def _digests_path() -> Path:
    return cache_root() / "registry-digests.pickle"


def _read_digests() -> dict[str, tuple[Any, bytes, bytes]]:
    try:
        kept = pickle.loads(_digests_path().read_bytes())
    except Exception:  # no file, or a damaged one: no digest is known
        return {}
    return kept if isinstance(kept, dict) else {}


def _known_digest(directory: Path, signature: _Signature | None) -> bytes | None:
    """The digest of the registry's files if they are as they were when it was last taken."""
    kept = _read_digests().get(str(directory.resolve()))
    if signature is None or kept is None or kept[0] != signature or kept[1] != _code_digest():
        return None
    return kept[2]


def _keep_digest(directory: Path, signature: _Signature | None, digest: bytes) -> None:
    """Remember the digest of the registry's files with their stat signature taken before they
    were read (a file changed since has another signature: it is read again next time)."""
    if signature is None:
        return
    kept = _read_digests()
    key = str(directory.resolve())
    kept.pop(key, None)
    kept[key] = (signature, _code_digest(), digest)
    while len(kept) > _DIGESTS_KEPT:
        kept.pop(next(iter(kept)))
    path = _digests_path()
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp.write_bytes(pickle.dumps(kept, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()


def registry_signature(directory: Path) -> tuple:
    """The names, mtimes and sizes of the files in `directory` (empty if it cannot be listed):
    while they are unchanged, so is the registry read from it."""
    try:
        return tuple(
            (p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(directory.iterdir())
        )
    except OSError:
        return ()


# The registries a write stages (`staged_registry`), by the resolved directory they replace.
_STAGED: contextvars.ContextVar[dict[str, Registry] | None] = contextvars.ContextVar(
    "xtaccounts_staged_registry", default=None
)


@contextlib.contextmanager
def staged_registry(directory: Path, registry: Registry) -> Iterator[None]:
    """While the block runs (in this thread), `cached_registry(directory)` answers `registry`:
    the registry as a change would leave it, for the books' plugins to check the books against
    before its files are written. Nothing is cached of it."""
    token = _STAGED.set({**(_STAGED.get() or {}), str(Path(directory).resolve()): registry})
    try:
        yield
    finally:
        _STAGED.reset(token)


def cached_registry(directory: Path) -> Registry:
    """The registry of `directory` for a reader (the books' plugins, a report, the audit, Fava):
    `load_registry`'s, and while the directory's `registry_signature` is unchanged since, the
    very same registry again without reading the files. The one registry cache of the process:
    the books' load (whose insurance plugin reads the registry) and the reader share it. Inside
    `staged_registry`, the registry staged for the directory."""
    directory = Path(directory)
    key = str(directory.resolve())
    staged = _STAGED.get()
    if staged is not None and key in staged:
        return staged[key]
    signature = registry_signature(directory)
    seen = _SEEN.get(key)
    if seen is not None and seen[0] == signature:
        registry = _MEMO.get(seen[1])
        if registry is not None:
            if registry.directory != directory:
                registry = dataclasses.replace(registry, directory=directory)
            return registry
    digest, registry = _load_memoised(directory)
    _SEEN[key] = (signature, digest)
    return registry
