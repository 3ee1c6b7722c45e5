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
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import click

FORMATS = ("table", "json", "csv")

format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="table",
    show_default=True,
    help="Output format: aligned table, JSON (documented in docs/cli.md) or CSV.",
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
