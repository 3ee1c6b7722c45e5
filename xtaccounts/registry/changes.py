"""Changes to the registry made by command: payment notices, tender results, pilot settings.

Each function takes the registry files' bytes as they are (`read_registry_files`) and returns a
`RegistryChange`: the new bytes of the files it changes, what it changed and why. The changed
registry is validated exactly as `registry check` validates it (`validate_change`) before the
change is returned, so a change that would leave any problem is refused (`RegistryInvalid`,
every problem as file:line: field: message) and nothing is written. Writing (under the books'
lock, through the writer, recorded in the history) is `xtaccounts.books.registry_changes`.
Existing bytes are kept as they are: rows are appended to CSV in the file's own encoding; TOML
is edited with tomlkit, so comments and layout stay.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import tomlkit
from pydantic import ValidationError

from xtaccounts.core.dates import DateInputError, parse_date
from xtaccounts.core.errors import XtError
from xtaccounts.core.i18n import _
from xtaccounts.core.outside_text import admit_text
from xtaccounts.registry.load import (
    INSURERS_FILE,
    PILOT_FILE,
    Registry,
    RegistryInvalid,
    RegistryIssue,
    _pydantic_issues,
    _read_files,
    _validate_registry,
    decode_text,
    load_registry,
)
from xtaccounts.registry.models import PaymentNotice, PilotConfig, Tender

__all__ = [
    "NOTICES_FILE",
    "NOTICE_HEADERS",
    "NoticeTable",
    "RegistryChange",
    "add_notices",
    "add_tender",
    "notices_from_table",
    "read_registry_files",
    "set_pilot",
    "validate_change",
]

NOTICES_FILE = "payment_notices.csv"
Files = Mapping[str, bytes | None]

# The columns of payment_notices.csv and the Chinese headers of the housing authority's list.
NOTICE_HEADERS: dict[str, tuple[str, ...]] = {
    "notice_no": ("notice_no", "通知书编号", "缴款通知书编号", "缴款通知书号", "通知书号", "编号"),
    "household": ("household", "房屋编号", "分户编号", "户号", "房屋代码", "户"),
    "amount": ("amount", "金额", "应缴金额", "交存金额", "缴款金额", "应交金额"),
    "issued": ("issued", "开具日期", "签发日期", "通知日期", "出具日期", "日期"),
}
# A source document: 湘潭…〔2026〕3号, 潭…[2026]12号, or any text naming one with 号.
_SOURCE = re.compile(r"\S.*[〔\[［(（]\s*\d{4}\s*[〕\]］)）]\s*\d+\s*号")


@dataclass(frozen=True)
class RegistryChange:
    """New bytes of the registry files changed, and what changed (lines for a person)."""

    files: dict[str, bytes]
    summary: str
    details: list[str] = field(default_factory=list)
    # The registry as the change leaves it, validated (the books are checked against it).
    registry: Registry | None = None


def read_registry_files(directory: Path) -> dict[str, bytes | None]:
    """The bytes of every registry file (None: missing)."""
    return _read_files(Path(directory))


def validate_change(directory: Path, files: Files, changed: Mapping[str, bytes]) -> Registry:
    """The registry as it would be with `changed`, validated as `registry check` does."""
    return _validate_registry(Path(directory), {**files, **changed})


def current_registry(directory: Path, files: Files) -> Registry:
    """The registry as `files` hold it, valid (else `RegistryInvalid`): from the process's memo
    or the user's cache when validated before from these very bytes (`load_registry`)."""
    registry = load_registry(Path(directory))
    if read_registry_files(directory) != dict(files):  # changed since `files` were read
        return _validate_registry(Path(directory), dict(files))
    return registry


def _refuse(issues: list[RegistryIssue]) -> None:
    if issues:
        raise RegistryInvalid(issues)


# --- payment notices -------------------------------------------------------------------------


def _columns(name: str, header: Sequence[str], line: int) -> dict[str, int]:
    """Each payment_notices.csv column's index in an input header (its own or a Chinese name)."""
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        text = re.sub(r"\s", "", str(cell)).removesuffix("（元）").removesuffix("(元)")
        for column, names in NOTICE_HEADERS.items():
            if column not in found and text.casefold() in (n.casefold() for n in names):
                found[column] = index
    missing = [c for c in NOTICE_HEADERS if c not in found]
    if missing:
        expected = "；".join(f"{c}（{'/'.join(NOTICE_HEADERS[c][1:3])}）" for c in missing)
        raise RegistryInvalid(
            [RegistryIssue(name, line, "", _("缺少列：{expected}").format(expected=expected))]
        )
    return found


@dataclass(frozen=True)
class NoticeTable:
    """The notices read from an input table, the problems of its rows, its column headers."""

    source: str
    notices: list[tuple[int, PaymentNotice]]
    issues: list[RegistryIssue]
    labels: dict[str, str]
    refused: list[tuple[int, dict[str, str | None]]] = field(default_factory=list)


def notices_from_table(name: str, rows: Sequence[tuple[int, Sequence[str]]]) -> NoticeTable:
    """The notices of an input table (`rows`: (file row number, cells), the header first,
    blank rows allowed); every bad cell is kept as name:row: column header: what is wrong."""
    rows = [(n, cells) for n, cells in rows if any(str(c).strip() for c in cells)]
    if not rows:
        raise RegistryInvalid([RegistryIssue(name, 0, "", _("文件中没有缴款通知书"))])
    header_line, header = rows[0]
    columns = _columns(name, header, header_line)
    labels = {column: str(header[index]).strip() for column, index in columns.items()}
    notices: list[tuple[int, PaymentNotice]] = []
    issues: list[RegistryIssue] = []
    refused: list[tuple[int, dict[str, str | None]]] = []
    for line, cells in rows[1:]:
        raw = {
            column: (str(cells[index]).strip() if index < len(cells) else "") or None
            for column, index in columns.items()
        }
        if raw["issued"] and " " in raw["issued"]:
            raw["issued"] = raw["issued"].split(" ")[0]  # a spreadsheet's date at midnight
        try:
            notices.append((line, PaymentNotice.model_validate(raw)))
        except ValidationError as exc:
            refused.append((line, raw))
            for issue in _pydantic_issues(name, line, exc):
                column = issue.field.split(".")[0]
                issues.append(RegistryIssue(name, line, labels.get(column, column), issue.message))
    if len(rows) == 1:
        issues.append(RegistryIssue(name, header_line, "", _("文件中没有缴款通知书")))
    return NoticeTable(name, notices, issues, labels, refused)


def _encoding(data: bytes | None) -> str:
    if not data:
        return "utf-8"
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8"


def add_notices(directory: Path, files: Files, table: NoticeTable) -> RegistryChange:
    """Append the notices of `table` to payment_notices.csv.

    Refused, every problem listed: a bad cell, a notice number already in the registry, a
    household not in it, the same household twice on one notice."""
    registry = current_registry(directory, files)
    source, notices, labels = table.source, table.notices, table.labels
    issues: list[RegistryIssue] = list(table.issues)
    seen: dict[tuple[str, str], int] = {}
    rows: list[tuple[int, str | None, str | None]] = [
        (line, n.notice_no, n.household) for line, n in notices
    ]
    rows += [(line, raw["notice_no"], raw["household"]) for line, raw in table.refused]
    for line, notice_no, household in sorted(rows, key=lambda row: row[0]):
        if notice_no in registry.notices:
            issues.append(
                RegistryIssue(
                    source,
                    line,
                    labels["notice_no"],
                    _("缴款通知书 {notice_no} 已在登记册中，不能重复登记").format(
                        notice_no=notice_no
                    ),
                )
            )
        if household and household not in registry.households:
            issues.append(
                RegistryIssue(
                    source,
                    line,
                    labels["household"],
                    _("登记册中没有房屋 {household}").format(household=household),
                )
            )
    for line, notice in notices:
        key = (notice.notice_no, notice.household)
        if key in seen:
            issues.append(
                RegistryIssue(
                    source,
                    line,
                    labels["household"],
                    _("通知书 {notice_no} 的房屋 {household} 重复（第一次在第 {first} 行）").format(
                        notice_no=key[0], household=key[1], first=seen[key]
                    ),
                )
            )
        seen.setdefault(key, line)
    _refuse(issues)
    old = files.get(NOTICES_FILE) or b"notice_no,household,amount,issued\n"
    text = decode_text(old, NOTICES_FILE)
    if text and not text.endswith(("\n", "\r")):
        text += "\n"
    newline = "\r\n" if "\r\n" in text else "\n"
    added = "".join(
        f"{n.notice_no},{n.household},{n.amount},{n.issued.isoformat()}{newline}"
        for _line, n in notices
    )
    encoding = _encoding(files.get(NOTICES_FILE))
    tail = added.encode(encoding)
    changed = {
        NOTICES_FILE: (old if old.endswith((b"\n", b"\r")) else old + newline.encode()) + tail
    }
    registry = validate_change(directory, files, changed)
    numbers = sorted({n.notice_no for _line, n in notices})
    total = sum((n.amount for _line, n in notices), Decimal("0.00"))
    summary = _(
        "新增缴款通知书 {count} 份（{numbers}{more}），{households} 户，合计 {total:,.2f} 元"
    ).format(
        count=len(numbers),
        numbers="、".join(numbers[:5]),
        more=_(" 等") if len(numbers) > 5 else "",
        households=len(notices),
        total=total,
    )
    details = [f"{n.notice_no}  {n.household}  {n.amount:,.2f}  {n.issued}" for _line, n in notices]
    return RegistryChange(changed, summary, details, registry)


# --- tender results --------------------------------------------------------------------------


def check_source(source: str | None, option: str = "--source") -> str:
    """The document a change cites (湘…〔2026〕N号), admitted as outside text; refused without."""
    text = (source or "").strip()
    if not text:
        raise XtError(
            _("须用 {option} 写明依据的文件文号（如 湘潭市住建局〔2026〕3号）").format(
                option=option
            )
        )
    text = admit_text(text, field=option)
    if not _SOURCE.match(text):
        raise XtError(
            _("{option}：“{text}”不像文件文号：应含年份和号，如 …〔2026〕3号").format(
                option=option, text=text
            )
        )
    return text


def _bands(bands: Sequence[str]) -> list[dict[str, Any]]:
    """`--band 10=2400.00` → {max_age_years: 10, annual_premium: "2400.00"}."""
    out = []
    for band in bands:
        age, sep, premium = band.partition("=")
        if not sep or not age.strip().isdigit():
            raise XtError(
                _("--band：“{band}”应为 最高梯龄=年保费，如 10=2400.00").format(band=band)
            )
        out.append({"max_age_years": int(age), "annual_premium": premium.strip()})
    return out


def add_tender(
    directory: Path,
    files: Files,
    *,
    tender_id: str,
    insurer: str,
    period_start: dt.date,
    period_end: dt.date,
    bands: Sequence[str],
    max_age: int | None,
    source: str,
    insurer_name: str | None = None,
) -> RegistryChange:
    """Append a tender result (`[[tender]]`, and the insurer if new) to insurers.toml."""
    registry = current_registry(directory, files)
    where = INSURERS_FILE
    if tender_id in registry.tenders:
        raise RegistryInvalid(
            [
                RegistryIssue(
                    where,
                    0,
                    "id",
                    _("招标结果 {tender_id} 已登记，不能重复登记").format(tender_id=tender_id),
                )
            ]
        )
    if insurer not in registry.insurers and not insurer_name:
        raise RegistryInvalid(
            [
                RegistryIssue(
                    where,
                    0,
                    "insurer",
                    _("没有保险公司 {insurer}：新的中标公司请用 --insurer-name 写明名称").format(
                        insurer=insurer
                    ),
                )
            ]
        )
    values: dict[str, Any] = {
        "id": tender_id,
        "insurer": insurer,
        "period_start": period_start,
        "period_end": period_end,
        "premium": _bands(bands),
    }
    if max_age is not None:
        values["max_elevator_age_years"] = max_age
    try:
        tender = Tender.model_validate(values)
    except ValidationError as exc:
        raise RegistryInvalid(list(_pydantic_issues(where, 0, exc, "tender."))) from None
    text = decode_text(files.get(INSURERS_FILE) or b"", INSURERS_FILE)
    lines = [""]
    if insurer not in registry.insurers:
        name = admit_text(insurer_name or "", field="--insurer-name")
        lines += ["[[insurer]]", f"id = {_toml(insurer)}", f"name = {_toml(name)}", ""]
    lines += [
        f"# 依据 {source}",
        "[[tender]]",
        f"id = {_toml(tender.id)}",
        f"insurer = {_toml(tender.insurer)}",
        f"period_start = {tender.period_start}",
        f"period_end = {tender.period_end}",
    ]
    if tender.max_elevator_age_years is not None:
        lines.append(f"max_elevator_age_years = {tender.max_elevator_age_years}")
    lines.append("premium = [")
    lines += [
        f'  {{ max_age_years = {b.max_age_years}, annual_premium = "{b.annual_premium:.2f}" }},'
        for b in tender.premium
    ]
    lines.append("]")
    if text and not text.endswith("\n"):
        text += "\n"
    text += "\n".join(lines) + "\n"
    changed = {INSURERS_FILE: text.encode("utf-8")}
    registry = validate_change(directory, files, changed)
    summary = _(
        "登记招标结果 {id}：{insurer}，{period_start} 至 {period_end}（依据 {source}）"
    ).format(
        id=tender.id,
        insurer=insurer,
        period_start=tender.period_start,
        period_end=tender.period_end,
        source=source,
    )
    details = [
        _("梯龄 ≤ {max_age_years} 年：年保费 {annual_premium:,.2f} 元").format(
            max_age_years=b.max_age_years, annual_premium=b.annual_premium
        )
        for b in tender.premium
    ]
    return RegistryChange(changed, summary, details, registry)


def _toml(text: str) -> str:
    """A TOML basic string."""
    return tomlkit.string(text).as_string()


# --- pilot settings --------------------------------------------------------------------------

# The settings `pilot set` changes: pilot.toml's single values (lists are edited by hand).
_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_LIST_SETTINGS = frozenset({"coverage_targets", "mof_accounts", "benchmark_rates"})


def pilot_settings() -> list[str]:
    """The names `pilot set` accepts: PilotConfig's single values and benchmark_rates.<product>."""
    names = [n for n in PilotConfig.model_fields if n not in _LIST_SETTINGS]
    return [*names, "benchmark_rates.<产品>"]


def _typed(setting: str, value: str, current: Any) -> Any:
    """`value` (text) as the TOML value of `setting`, typed like its current value or model."""
    if current is None and setting in PilotConfig.model_fields:
        current = PilotConfig.model_fields[setting].default  # a key the file leaves out
    if isinstance(current, dt.date):
        try:
            return parse_date(value, field=setting)
        except DateInputError as exc:
            raise XtError(str(exc)) from None
    if isinstance(current, bool):
        raise XtError(_("{setting} 不能用命令修改").format(setting=setting))
    if isinstance(current, int):
        if not value.strip().isdigit():
            raise XtError(_("{setting}：“{value}”应为正整数").format(setting=setting, value=value))
        return int(value)
    if isinstance(current, (Decimal, float)) or setting.startswith("benchmark_rates."):
        if not _DECIMAL.fullmatch(value.strip()):
            raise XtError(
                _("{setting}：“{value}”应为数字，如 0.35").format(setting=setting, value=value)
            )
        return tomlkit.value(value.strip())
    return admit_text(value, field=setting)


def set_pilot(
    directory: Path, files: Files, setting: str, value: str, source: str, on: dt.date
) -> RegistryChange:
    """Change one pilot setting (a top-level key of pilot.toml or benchmark_rates.<product>),
    citing `source`; the line gets a comment naming it and the day it takes effect."""
    current_registry(directory, files)
    text = decode_text(files.get(PILOT_FILE) or b"", PILOT_FILE)
    document = tomlkit.parse(text)
    table: Any = document
    key = setting
    if setting.startswith("benchmark_rates."):
        table, key = document.get("benchmark_rates"), setting.partition(".")[2]
        if table is None or key not in table:
            known = "、".join(document.get("benchmark_rates", {}))
            raise XtError(_("没有基准利率 {key}：可改 {known}").format(key=key, known=known))
    elif setting not in PilotConfig.model_fields or setting in _LIST_SETTINGS:
        raise XtError(
            _("没有可用命令修改的试点设置 {setting}：可改 {settings}").format(
                setting=setting, settings="、".join(pilot_settings())
            )
        )
    current = table.get(key)
    old = current.unwrap() if hasattr(current, "unwrap") else current
    new = _typed(setting, value, old)
    if (new.unwrap() if hasattr(new, "unwrap") else new) == old:
        raise XtError(_("{setting} 已是 {value}：无需修改").format(setting=setting, value=value))
    item = tomlkit.item(new) if not hasattr(new, "trivia") else new
    item.comment(f"{old if old is not None else '（默认）'} → 依据 {source}，{on} 起")
    table[key] = item
    changed = {PILOT_FILE: tomlkit.dumps(document).encode("utf-8")}
    registry = validate_change(directory, files, changed)
    before = old if old is not None else _("（默认）")
    summary = _("试点设置 {setting}：{before} → {value}（依据 {source}，{on} 起）").format(
        setting=setting, before=before, value=value, source=source, on=on
    )
    return RegistryChange(changed, summary, registry=registry)
