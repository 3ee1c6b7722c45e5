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
    payments,
    pools,
    premiums,
    reversals,
    seal,
    statements,
    suspense,
    validation,
)
from xtaccounts.audit.context import AuditContext, StatementFileReader
from xtaccounts.audit.findings import (
    ERROR,
    WARNING,
    AuditReport,
    CheckResult,
    Finding,
    Where,
)
from xtaccounts.books.layout import require_ledger
from xtaccounts.core.i18n import _
from xtaccounts.core.progress import track
from xtaccounts.reading.day import shown_day
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

# (name, function), in the order of the report: the causes first: files changed outside the
# writer (history), then the seals, so that a changed sealed entry is named before the balance
# assertions it breaks.
CHECKS: tuple[tuple[str, Callable[[AuditContext], CheckResult]], ...] = (
    (history.NAME, history.check),
    (seal.NAME, seal.check),
    (validation.NAME, validation.check),
    (bank.NAME, bank.check),
    (statements.NAME, statements.check),
    (identity.NAME, identity.check),
    (interest.NAME, interest.check),
    (pools.NAME, pools.check),
    (premiums.NAME, premiums.check),
    (payments.NAME, payments.check),
    (suspense.NAME, suspense.check),
    (reversals.NAME, reversals.check),
)


def run_audit(
    main: Path,
    as_of: dt.date | None = None,
    *,
    expect_seal: str | None = None,
    read_statement: StatementFileReader | None = None,
    history_refs: tuple[tuple[str, str], ...] = (),
) -> AuditReport:
    """Audit the books of `main` as of a day (default: the day every report shows,
    `xtaccounts.reading.day`: the books' last entry, or today if earlier);
    `expect_seal`: a seal chain head given out earlier, which the chain must still hold;
    `read_statement`: reads an archived statement file (the command line hands the importers'
    reader; without one the archived statements are not compared); `history_refs`: (commit,
    where it is held) of history heads to find in the books' history."""
    layout = require_ledger(main)
    ledger = Ledger(layout)
    entries = ledger.entries  # the books first: their insurance plugin reads the registry
    ledger.registry  # noqa: B018 -- the plugin's copy, from the one registry cache
    as_of = shown_day(entries, as_of).day
    ctx = AuditContext(
        ledger,
        as_of,
        expect_seal=expect_seal,
        read_statement=read_statement,
        history_refs=history_refs,
    )
    checks = [fn(ctx) for _name, fn in track(CHECKS, _("审计检查"))]
    return AuditReport(str(layout.main), as_of, checks)
