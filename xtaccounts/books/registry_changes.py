"""Writing a registry change: under the books' lock, through the writer, into the history.

The registry is part of the books (`registry/` beside `main.beancount`, kept in the books'
history). A change made by command (`xtaccounts.registry.changes`) is computed from the files as
they are once the lock is held, validated as `registry check` validates, and written by the
writer as whole files (temporary file, redo journal, atomic rename), so it cannot interleave
with another writer and a killed run leaves the registry as it was or as it was meant to be.
The history records it with the command, the operator and the reason: what changed and the
document it rests on. `registry_history` lists those changes.

The books' plugins check every entry against the registry (a notice's length against
`notice_days`, a purchase against the tender, a pool's members), so a registry change could
make the books report errors they did not report before. Such a change is refused like any
write that adds an error: the books are loaded with the changed registry and compared
(`WriteSession.check_against_registry`). Payment notices alone are the exception: no plugin reads
them (a deposit names its notice in metadata the import checks, not the books), and issuing them
is routine work that must not wait for a load of all the books.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from xtaccounts.books.change_note import current_note, recording_as
from xtaccounts.books.history import History, RecordedChange
from xtaccounts.books.layout import REGISTRY_DIR, require_ledger
from xtaccounts.books.writer import CommitResult, LedgerWriter
from xtaccounts.registry.changes import (
    NOTICES_FILE,
    RegistryChange,
    read_registry_files,
    validate_change,
)
from xtaccounts.registry.load import keep_changed_registry

__all__ = ["NOT_READ_BY_THE_BOOKS", "MakeChange", "commit_registry_change", "registry_history"]

MakeChange = Callable[[Path, Mapping[str, bytes | None]], RegistryChange]

# The registry files no plugin of the books reads: a change of these alone cannot change what
# the books report (tests/plugins/test_registry_reads.py shows the plugins report the same
# without them).
NOT_READ_BY_THE_BOOKS = frozenset({NOTICES_FILE})


def commit_registry_change(
    main: Path, make: MakeChange, *, dry_run: bool = False
) -> tuple[RegistryChange, CommitResult]:
    """Make the change `make` computes from the registry's files (read under the lock) and
    write it; the history's record of it gives its summary as the reason. With `dry_run`
    nothing is written."""
    layout = require_ledger(Path(main))
    with LedgerWriter(layout.main) as session:
        files = read_registry_files(layout.registry)
        change = make(layout.registry, files)
        for name, content in change.files.items():
            session.put_standalone(f"{REGISTRY_DIR}/{name}", content)
        if set(change.files) - NOT_READ_BY_THE_BOOKS:
            after = change.registry or validate_change(layout.registry, files, change.files)
            session.check_against_registry(layout.registry, after)
        note = current_note()
        reason = f"{note.reason}；{change.summary}" if note.reason else change.summary
        with recording_as(note.command, *note.args, reason=reason, operator=note.operator):
            result = session.commit(dry_run=dry_run)
        if not dry_run and result.files and change.registry is not None:
            # The registry was validated as the change leaves it: cached for the next command.
            keep_changed_registry(
                layout.registry, files, {**files, **change.files}, change.registry
            )
    return change, result


def registry_history(main: Path) -> list[RecordedChange] | None:
    """The recorded changes that touched the registry, newest first (None: no history)."""
    layout = require_ledger(Path(main))
    history = History.of(layout.root)
    if history is None:
        return None
    return history.changes(file=REGISTRY_DIR)
