"""Reading the registry's CSV and TOML files, with every problem reported as file:line: field."""

from __future__ import annotations

import csv
import io
import re
import tomllib
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from xtaccounts.chart import check_bank_account_name
from xtaccounts.errors import XtError
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
class Table:
    """One CSV table of the registry: its file name and row model."""

    file: str
    model: type[BaseModel]
    key: str


TABLES: tuple[Table, ...] = (
    Table("communities.csv", Community, "id"),
    Table("buildings.csv", Building, "id"),
    Table("units.csv", Unit, "id"),
    Table("households.csv", Household, "id"),
    Table("elevators.csv", Elevator, "code"),
    Table("bank_accounts.csv", BankAccount, "account_no"),
    Table("rate_agreements.csv", RateAgreement, "id"),
    Table("entrustments.csv", Entrustment, "community"),
    Table("payment_notices.csv", PaymentNotice, "notice_no"),
)


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
            f"registry has {len(issues)} problem(s):\n" + "\n".join(str(i) for i in self.issues)
        )


@dataclass
class Registry:
    """The master data, indexed by id."""

    directory: Path
    pilot: PilotConfig
    communities: dict[str, Community] = field(default_factory=dict)
    buildings: dict[str, Building] = field(default_factory=dict)
    units: dict[str, Unit] = field(default_factory=dict)
    households: dict[str, Household] = field(default_factory=dict)
    elevators: dict[str, Elevator] = field(default_factory=dict)
    bank_accounts: dict[str, BankAccount] = field(default_factory=dict)
    rate_agreements: dict[str, RateAgreement] = field(default_factory=dict)
    entrustments: list[Entrustment] = field(default_factory=list)
    notices: dict[str, list[PaymentNotice]] = field(default_factory=dict)
    insurers: dict[str, Insurer] = field(default_factory=dict)
    tenders: dict[str, Tender] = field(default_factory=dict)

    def pool_level(self, building: Building) -> PoolLevel:
        return building.pool_level or self.pilot.pool_default

    def pool_of_unit(self, unit_id: str) -> str:
        """The pool id that receives a unit's spread: the unit itself or its building."""
        unit = self.units[unit_id]
        building = self.buildings[unit.building]
        return unit.id if self.pool_level(building) is PoolLevel.UNIT else building.id

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
    data = path.read_bytes()
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
        f"{path.name}: not UTF-8, UTF-16 or GB18030 text; save it as CSV UTF-8 from the spreadsheet"
    )


def _pydantic_issues(
    file: str, line: int, exc: ValidationError, prefix: str = ""
) -> Iterator[RegistryIssue]:
    for err in exc.errors(include_url=False):
        loc = ".".join(str(part) for part in err["loc"])
        message = err["msg"].removeprefix("Value error, ")
        got = err.get("input")
        if err["type"] not in {"value_error", "missing"} and isinstance(got, str | int | Decimal):
            message = f"{message} (got {got!r})"
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
    name = path.name
    if not path.exists():
        issues.append(RegistryIssue(name, 0, "", "file is missing"))
        return []
    try:
        text = read_text(path)
    except UnreadableText as exc:
        issues.append(RegistryIssue(name, 0, "", str(exc).removeprefix(f"{name}: ")))
        return []
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    expected = list(model.model_fields)
    required = [f for f, info in model.model_fields.items() if info.is_required()]
    unknown = [h for h in header if h not in expected]
    missing = [f for f in required if f not in header]
    if unknown or missing:
        detail = []
        if missing:
            detail.append(f"missing column(s) {', '.join(missing)}")
        if unknown:
            detail.append(f"unknown column(s) {', '.join(unknown)}")
        issues.append(
            RegistryIssue(name, 1, "", "; ".join(detail) + f" (expected: {','.join(expected)})")
        )
        return []
    rows: list[tuple[int, M]] = []
    for raw in reader:
        line = reader.line_num
        if None in raw:
            issues.append(RegistryIssue(name, line, "", "more cells than header columns"))
            continue
        if all(v is None or not v.strip() for v in raw.values()):
            continue
        try:
            rows.append((line, model.model_validate(raw)))
        except ValidationError as exc:
            issues.extend(_pydantic_issues(name, line, exc))
            if refused is not None:
                for column, value in raw.items():
                    refused.setdefault(column, set()).add((value or "").strip())
    return rows


def read_toml(path: Path, issues: list[RegistryIssue]) -> dict[str, Any] | None:
    """A TOML file with decimals kept exact (no floats)."""
    if not path.exists():
        issues.append(RegistryIssue(path.name, 0, "", "file is missing"))
        return None
    try:
        return tomllib.loads(read_text(path), parse_float=Decimal)
    except UnreadableText as exc:
        issues.append(RegistryIssue(path.name, 0, "", str(exc).removeprefix(f"{path.name}: ")))
        return None
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        line = int(found.group(1)) if found else 0
        issues.append(RegistryIssue(path.name, line, "", f"not valid TOML: {exc}"))
        return None


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
                    file, line, what, f"duplicate {what} {k!r} (first on line {seen[k][0]})"
                )
            )
        else:
            seen[k] = (line, row)
    return {k: row for k, (_, row) in seen.items()}


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
    file: str, rows: Iterable[tuple[int, M]], parent_attr: str, issues: list[RegistryIssue]
) -> None:
    for line, row in rows:
        parent = getattr(row, parent_attr)
        if not row.id.startswith(parent + "-") or len(row.id) <= len(parent) + 1:
            issues.append(
                RegistryIssue(
                    file, line, "id", f"{row.id!r} must start with its {parent_attr} id '{parent}-'"
                )
            )


def load_registry(directory: Path) -> Registry:
    """Load and cross-check the whole registry; raise RegistryInvalid listing every problem."""
    issues: list[RegistryIssue] = []
    refused: dict[str, dict[str, set[str]]] = {t.file: {} for t in TABLES}
    rows = {
        t.file: read_csv_rows(directory / t.file, t.model, issues, refused[t.file]) for t in TABLES
    }

    pilot_data = read_toml(directory / PILOT_FILE, issues)
    pilot: PilotConfig | None = None
    if pilot_data is not None:
        try:
            pilot = PilotConfig.model_validate(pilot_data)
        except ValidationError as exc:
            issues.extend(_pydantic_issues(PILOT_FILE, 0, exc))

    insurers: dict[str, Insurer] = {}
    tenders: dict[str, Tender] = {}
    insurer_data = read_toml(directory / INSURERS_FILE, issues)
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

    communities = _unique("communities.csv", rows["communities.csv"], lambda r: r.id, "id", issues)
    buildings = _unique("buildings.csv", rows["buildings.csv"], lambda r: r.id, "id", issues)
    units = _unique("units.csv", rows["units.csv"], lambda r: r.id, "id", issues)
    households = _unique("households.csv", rows["households.csv"], lambda r: r.id, "id", issues)
    elevators = _unique("elevators.csv", rows["elevators.csv"], lambda r: r.code, "code", issues)
    banks = _unique(
        "bank_accounts.csv", rows["bank_accounts.csv"], lambda r: r.account_no, "account_no", issues
    )
    _unique("bank_accounts.csv", rows["bank_accounts.csv"], lambda r: r.account, "account", issues)
    agreements = _unique(
        "rate_agreements.csv", rows["rate_agreements.csv"], lambda r: r.id, "id", issues
    )

    bank_codes = {b.bank: b for b in banks.values()}
    _unique(
        "payment_notices.csv",
        rows["payment_notices.csv"],
        lambda r: f"{r.notice_no}/{r.household}",
        "notice_no/household",
        issues,
    )
    notices: dict[str, list[PaymentNotice]] = {}
    for _, notice in rows["payment_notices.csv"]:
        notices.setdefault(notice.notice_no, []).append(notice)
    parents = {
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
            _child_id(ref.file, rows[ref.file], ref.attr, issues)
    for line, account in rows["bank_accounts.csv"]:
        problem = check_bank_account_name(account.account)
        if problem:
            issues.append(RegistryIssue("bank_accounts.csv", line, "account", problem))
    for line, row in rows["entrustments.csv"]:
        if row.valid_to is not None and row.valid_to < row.valid_from:
            issues.append(
                RegistryIssue("entrustments.csv", line, "valid_to", "is before valid_from")
            )

    if issues or pilot is None:
        raise RegistryInvalid(issues)
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
        entrustments=[row for _, row in rows["entrustments.csv"]],
        notices=notices,
        insurers=insurers,
        tenders=tenders,
    )
