"""Changes made outside the writer: the books' files that differ from the last recorded change.

A hand edit, a script or a restore by hand leaves the ledger's files different from what their
history (`xtaccounts.books.history`) last recorded. Every command that reads the books says so
before it runs (`cli/main.py`, on stderr, naming the files) and the audit reports each such file
as an error with its difference (`xtaccounts.audit.history`). A writer caught between its renames
and its history commit is not an outside change: when files differ, the check waits for the
ledger lock (as a reader finding a pending commit does), finishes a killed writer's commit if
one is pending, and looks again.
"""

from __future__ import annotations

from pathlib import Path

import filelock

from xtaccounts.books.history import History, Unrecorded
from xtaccounts.books.redo_journal import JOURNAL_NAME, LOCK_NAME, LOCK_TIMEOUT, recover

__all__ = ["describe", "outside_changes"]

SHOWN = 20


def outside_changes(root: Path, *, lock_timeout: float = LOCK_TIMEOUT) -> list[Unrecorded] | None:
    """The files of the books in `root` that differ from the last recorded change; None when
    the books have no history. Raises HistoryError when Git cannot tell."""
    history = History.of(root)
    if history is None:
        return None
    found = history.unrecorded()
    if not found:
        return found
    lock = filelock.FileLock(str(history.root / LOCK_NAME), timeout=lock_timeout)
    try:
        with lock:
            if (history.root / JOURNAL_NAME).exists():
                recover(history.root)  # a killed writer's commit: finished, and recorded
            return history.unrecorded()
    except (filelock.Timeout, OSError):
        return found  # a writer holds the lock too long, or this user may not take it


def describe(changes: list[Unrecorded], head: str | None) -> str:
    """The warning a command prints: which files differ from the last recorded change."""
    since = f"（{head[:12]}）" if head else ""
    lines = [
        f"注意：账簿有 {len(changes)} 个文件与最后一次记录的变更{since}不一致，"
        "是在本工具之外修改的，尚未记入变更历史："
    ]
    lines += [f"  {change.label}  {change.path}" for change in changes[:SHOWN]]
    if len(changes) > SHOWN:
        lines.append(f"  …另有 {len(changes) - SHOWN} 个")
    lines.append(
        "  核对后用 `xtaccounts history record --reason …` 记录，"
        "或用 `xtaccounts restore` 取回记录的样子；`xtaccounts audit` 列出差异。"
    )
    return "\n".join(lines)
