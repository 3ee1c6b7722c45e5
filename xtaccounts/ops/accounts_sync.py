"""`accounts sync`: the `open` directives the registry calls for and the books lack."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from beancount.core import data

from xtaccounts.books.layout import ACCOUNTS_FILE, require_ledger
from xtaccounts.books.writer import CommitResult, LedgerWriter
from xtaccounts.core.chart import FUND, POOL, PREMIUM_CLEARING, AccountSpec, required_accounts
from xtaccounts.core.vocabulary import CURRENCY
from xtaccounts.registry import Registry, load_registry

# Account families derived one-to-one from registry rows (units, pools, insurers).
REGISTRY_FAMILIES = (FUND + ":", POOL + ":", PREMIUM_CLEARING + ":")


@dataclass(frozen=True)
class SyncReport:
    """What `accounts sync` opened, and what the books have that the registry no longer needs."""

    opened: list[AccountSpec]
    unexpected: list[str]
    result: CommitResult | None


def open_entry(spec: AccountSpec) -> data.Open:
    meta = data.new_metadata(ACCOUNTS_FILE, 0)
    meta.update(dict(spec.meta))
    return data.Open(meta, spec.opened, spec.name, [CURRENCY], None)


def plan_sync(
    registry: Registry, entries: list[data.Directive]
) -> tuple[list[AccountSpec], list[str]]:
    """Accounts to open (missing from the books) and chart accounts the registry no longer has."""
    opened = {e.account for e in entries if isinstance(e, data.Open)}
    required = required_accounts(registry)
    wanted = {spec.name for spec in required}
    missing = [spec for spec in required if spec.name not in opened]
    unexpected = sorted(
        name for name in opened if name not in wanted and name.startswith(REGISTRY_FAMILIES)
    )
    return missing, unexpected


def sync_accounts(
    main: Path, *, dry_run: bool = False, registry: Registry | None = None
) -> SyncReport:
    """Append the missing `open` directives to accounts.beancount; a second run opens nothing."""
    layout = require_ledger(main)
    registry = registry or load_registry(layout.registry)
    with LedgerWriter(layout.main) as session:
        missing, unexpected = plan_sync(registry, session.books().entries)
        result = None
        if missing:
            session.append_entries(ACCOUNTS_FILE, [open_entry(spec) for spec in missing])
            result = session.commit(dry_run=dry_run)
    return SyncReport(missing, unexpected, result)
