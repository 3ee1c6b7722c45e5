"""The audit: every balance and every rule re-verified from the books, with evidence.

`run_audit(main, as_of)` opens the one `Ledger` of the books (loaded once, with their plugins,
as bean-check does, and the registry) and runs each check family over it as of the day; each
returns its findings as values. The CLI (`xtaccounts audit`) prints them and decides the exit
code. docs/audit.md documents the checks and the JSON report.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from xtaccounts.audit import (
    bank,
    history,
    identity,
    interest,
    pools,
    premiums,
    seal,
    suspense,
    validation,
)
from xtaccounts.audit.context import AuditContext
from xtaccounts.audit.findings import (
    ERROR,
    WARNING,
    AuditReport,
    CheckResult,
    Finding,
    Where,
)
from xtaccounts.books.layout import require_ledger
from xtaccounts.reading.ledger import Ledger

__all__ = [
    "CHECKS",
    "ERROR",
    "WARNING",
    "AuditReport",
    "CheckResult",
    "Finding",
    "Where",
    "run_audit",
]

# (name, function), in the order of the report.
CHECKS: tuple[tuple[str, Callable[[AuditContext], CheckResult]], ...] = (
    (validation.NAME, validation.check),
    (bank.NAME, bank.check),
    (identity.NAME, identity.check),
    (interest.NAME, interest.check),
    (pools.NAME, pools.check),
    (premiums.NAME, premiums.check),
    (suspense.NAME, suspense.check),
    (seal.NAME, seal.check),
    (history.NAME, history.check),
)


def run_audit(
    main: Path,
    as_of: dt.date | None = None,
    history_refs: tuple[tuple[str, str], ...] = (),
) -> AuditReport:
    """Audit the books of `main` as of a day (default: the books' last dated entry);
    `history_refs`: (commit, where it is held) of history heads to find in the books' history."""
    layout = require_ledger(main)
    ledger = Ledger(layout)
    entries = ledger.entries  # the books first: their insurance plugin reads the registry
    _ = ledger.registry  # the plugin's copy, from the one registry cache
    if as_of is None:
        as_of = entries[-1].date if entries else dt.date.today()
    ctx = AuditContext(ledger, as_of, history_refs)
    checks = [fn(ctx) for _, fn in CHECKS]
    return AuditReport(str(layout.main), as_of, checks)
