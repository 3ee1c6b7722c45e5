"""Report output for every command: an aligned table, JSON or CSV.

JSON is an object ``{"command": ..., "rows": [...], ...}``; amounts and rates are strings with
their exact decimals ("1234.50"), dates ISO 8601. CSV has a header row and the same fields.
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import json
import sys
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import click
from beancount.core import data

from xtaccounts.core import chart
from xtaccounts.core.entries import number_of
from xtaccounts.core.i18n import N_, _
from xtaccounts.core.money import format_money
from xtaccounts.core.vocabulary import (
    META_DIFFERENCE,
    META_EXPECTED,
    META_HOUSEHOLD,
    META_HOUSEHOLDS,
    META_KIND,
    META_RECEIPT,
    META_UNIT,
)

FORMATS = ("table", "json", "csv")

format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="table",
    show_default=True,
    help=N_("输出格式：对齐的表格、JSON（见 docs/cli.md）或 CSV。"),
)


def report_format_option(help: str) -> Any:
    """`--format text|json` of a report read by a person or archived (audit, history)."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(("text", "json")),
        default="text",
        show_default=True,
        help=help,
    )


def plain(value: Any) -> Any:
    """A JSON-ready value: Decimal and dates as text, never float."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool) -> str:
    fill = " " * (width - _width(text))
    return fill + text if right else text + fill


def render_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """Rows as an aligned text table; numbers right-aligned, CJK counted double width."""
    cells = [
        [str(plain(row.get(c, "")) if row.get(c) is not None else "") for c in columns]
        for row in rows
    ]
    widths = [max([_width(c)] + [_width(r[i]) for r in cells]) for i, c in enumerate(columns)]
    numeric = [all(isinstance(row.get(c), int | Decimal) for row in rows) and rows for c in columns]
    lines = [
        "  ".join(_pad(c, w, bool(n)) for c, w, n in zip(columns, widths, numeric, strict=True))
    ]
    lines.append("  ".join("-" * w for w in widths))
    for r in cells:
        lines.append(
            "  ".join(_pad(v, w, bool(n)) for v, w, n in zip(r, widths, numeric, strict=True))
        )
    return "\n".join(lines)


def emit(
    command: str,
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    fmt: str,
    extra: Mapping[str, Any] | None = None,
) -> None:
    """Print a report in the chosen format."""
    if fmt == "json":
        doc = {"command": command, **plain(dict(extra or {})), "rows": plain(list(rows))}
        click.echo(json.dumps(doc, ensure_ascii=False, indent=2))
    elif fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([plain(row.get(c, "")) for c in columns])
    else:
        for key, value in (extra or {}).items():
            click.echo(f"{key}: {plain(value)}")
        if rows:
            click.echo(render_table(rows, columns))


ENTRY_COLUMNS = ["date", "flag", "kind", "account", "amount", "unit", "detail"]


def output_amount(amount: Decimal) -> Decimal:
    """An amount for output: two decimals (`format_money`), never ``-0.00``."""
    value = Decimal(format_money(amount))
    return abs(value) if value == 0 else value


def entry_rows(entries: Iterable[data.Directive]) -> list[dict[str, Any]]:
    """One row per posting (and per open/close) of what was booked."""
    rows: list[dict[str, Any]] = []
    for entry in entries:
        if isinstance(entry, data.Open):
            meta = entry.meta
            detail = " ".join(
                f"{key}={meta[key]}"
                for key in ("principal", "product", "maturity", "agreed_rate", "base_rate")
                if key in meta
            )
            rows.append(
                {"date": entry.date, "kind": "open", "account": entry.account, "detail": detail}
            )
        elif isinstance(entry, data.Close):
            rows.append({"date": entry.date, "kind": "close", "account": entry.account})
        elif isinstance(entry, data.Transaction):
            for posting in entry.postings:
                meta = posting.meta or {}
                rows.append(
                    {
                        "date": entry.date,
                        "flag": entry.flag,
                        "kind": entry.meta.get(META_KIND, ""),
                        "account": posting.account,
                        "amount": output_amount(number_of(posting)),
                        "unit": meta.get(META_UNIT, ""),
                        "detail": meta.get(META_HOUSEHOLDS) or meta.get(META_HOUSEHOLD) or "",
                    }
                )
    return rows


def interest_summary(entry: data.Transaction, dry_run: bool) -> dict[str, Any]:
    """The split of a booked interest receipt, for the report's summary."""
    meta = entry.meta

    def part(account: str) -> Decimal:
        return -sum((number_of(p) for p in entry.postings if p.account == account), Decimal(0))

    base, spread = part(chart.INTEREST_BASE), part(chart.INTEREST_SPREAD)
    return {
        "receipt": meta[META_RECEIPT],
        "received": output_amount(base + spread),
        "expected": output_amount(Decimal(str(meta[META_EXPECTED]))),
        "base": output_amount(base),
        "spread": output_amount(spread),
        "difference": output_amount(Decimal(str(meta[META_DIFFERENCE]))),
        "flagged": entry.flag == "!",
        "flag_reason": meta.get("flag_reason", ""),
        "dry_run": dry_run,
    }


def books_errors_warning(count: int) -> str:
    """The warning a report prints before it reads books that have errors."""
    return _("注意：账簿有 {count} 个错误；请运行 bean-check").format(count=count)
