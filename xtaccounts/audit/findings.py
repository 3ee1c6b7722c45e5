"""What the audit reports: findings (values, never exceptions), per-check results, the report.

A finding names its check, its severity, the entries involved (file relative to the ledger
directory, and line) and, where there are figures, what was expected and what is booked. The
JSON shape is documented in docs/audit.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

ERROR = "error"
WARNING = "warning"
SEVERITIES = (ERROR, WARNING)


@dataclass(frozen=True)
class Where:
    """An entry (or a posting) of the books: its file and line, and what it is."""

    file: str
    line: int
    date: dt.date | None = None
    what: str = ""

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "date": self.date.isoformat() if self.date else None,
            "what": self.what,
        }


@dataclass(frozen=True)
class Finding:
    """One thing the audit found."""

    check: str
    code: str
    severity: str
    message: str
    entries: tuple[Where, ...] = ()
    expected: Decimal | str | None = None
    booked: Decimal | str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "entries": [w.as_json() for w in self.entries],
            "expected": None if self.expected is None else str(self.expected),
            "booked": None if self.booked is None else str(self.booked),
        }


@dataclass
class CheckResult:
    """One check family: what it looked at (counts) and what it found."""

    name: str
    title: str
    counts: dict[str, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    def add(
        self,
        code: str,
        message: str,
        entries: Iterable[Where] = (),
        *,
        severity: str = ERROR,
        expected: Decimal | str | None = None,
        booked: Decimal | str | None = None,
    ) -> Finding:
        finding = Finding(self.name, code, severity, message, tuple(entries), expected, booked)
        self.findings.append(finding)
        return finding

    def count(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity == WARNING)

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "ok": self.errors == 0,
            "errors": self.errors,
            "warnings": self.warnings,
            "counts": dict(sorted(self.counts.items())),
        }


@dataclass
class AuditReport:
    """The whole audit: clean when no check found an error."""

    ledger: str
    as_of: dt.date
    checks: list[CheckResult]

    @property
    def findings(self) -> list[Finding]:
        return [f for check in self.checks for f in check.findings]

    @property
    def ok(self) -> bool:
        return all(check.errors == 0 for check in self.checks)

    def clean(self, strict: bool = False) -> bool:
        """No error (and, when strict, no warning either)."""
        return self.ok and (not strict or not any(c.warnings for c in self.checks))

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "as_of": self.as_of.isoformat(),
            "ledger": self.ledger,
            "errors": sum(c.errors for c in self.checks),
            "warnings": sum(c.warnings for c in self.checks),
            "checks": [c.as_json() for c in self.checks],
            "findings": [f.as_json() for f in self.findings],
        }
