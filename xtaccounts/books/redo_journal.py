"""The writer's redo journal, and finishing a commit a killed writer left half-applied.

`xtaccounts.books.writer` applies a commit by writing every new file beside its target as
`*.xt-tmp`,
recording the renames in a journal (`.xtaccounts.journal`), renaming, recording the change in
the books' history (when they have one), then removing the journal. A journal found later means
a writer was killed between its renames or before the history recorded its change: `recover`
rolls it forward (under the ledger lock): the renames, then the history commit the journal
names, if the history does not hold it yet. `settle_for_reading` does that for a reader before
it loads the books, so that nothing ever reports on half-written books. This module depends on
nothing of the books but their history, so that both the writer and the ledger layout can use
it.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

import filelock

from xtaccounts.books.change_note import ChangeNote
from xtaccounts.books.history import HISTORY_DIR, History, HistoryError
from xtaccounts.core.errors import XtError

__all__ = [
    "JOURNAL_NAME",
    "LOCK_NAME",
    "LOCK_TIMEOUT",
    "TMP_SUFFIX",
    "LedgerLockedError",
    "fsync_dir",
    "inside",
    "journal_record",
    "record_pending",
    "recover",
    "settle_for_reading",
    "take_lock",
]

JOURNAL_NAME = ".xtaccounts.journal"
LOCK_NAME = ".xtaccounts.lock"
TMP_SUFFIX = ".xt-tmp"
LOCK_TIMEOUT = 30.0  # seconds a writer, or a reader finding a pending commit, waits for the lock


class LedgerLockedError(XtError):
    """Another writer held the ledger lock for longer than the timeout."""


def take_lock(ledger_dir: Path, *, timeout: float = LOCK_TIMEOUT) -> filelock.FileLock:
    """The ledger lock, acquired (release it when done); LedgerLockedError after `timeout`."""
    lock = filelock.FileLock(str(Path(ledger_dir) / LOCK_NAME), timeout=timeout)
    try:
        lock.acquire()
    except filelock.Timeout as exc:
        raise LedgerLockedError(
            f"账簿目录 {ledger_dir} 的锁被另一进程占用（已等 {timeout:g} 秒），请稍后再试"
        ) from exc
    return lock


def fsync_dir(directory: Path) -> None:
    """Make a directory's entries (creations, renames, removals) durable."""
    fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def inside(path: Path, directory: Path) -> bool:
    """Whether `path` is `directory` or below it (both absolute and normalised)."""
    return os.path.commonpath([path, directory]) == str(directory)


def journal_record(pairs: list[list[str]], history: dict[str, Any] | None = None) -> dict[str, Any]:
    """What a journal holds: the renames (tmp, target relative to the ledger dir) and, for
    books with a history, the change to record once they are done (message, operator, OS
    user, files)."""
    return {"renames": pairs, **({"history": history} if history else {})}


def _journal_pairs(
    ledger_dir: Path, journal: Path
) -> tuple[list[tuple[Path, Path]], dict[str, Any] | None]:
    """The (tmp, target) pairs a journal names, checked to stay inside the ledger dir, and the
    history commit it names (None: none; a journal of an older version is a bare list)."""
    try:
        raw = json.loads(journal.read_text(encoding="utf-8"))
        renames = raw["renames"] if isinstance(raw, dict) else raw
        pending = raw.get("history") if isinstance(raw, dict) else None
        pairs = [(ledger_dir / tmp, ledger_dir / target) for tmp, target in renames]
    except (ValueError, TypeError, KeyError) as exc:
        raise XtError(f"unreadable write journal {journal}: {exc}") from exc
    for tmp, target in pairs:
        tmp_n, target_n = Path(os.path.normpath(tmp)), Path(os.path.normpath(target))
        if (
            not inside(tmp_n, ledger_dir)
            or not inside(target_n, ledger_dir)
            or tmp_n.name != target_n.name + TMP_SUFFIX
        ):
            raise XtError(f"write journal {journal} names a path it may not: {tmp} -> {target}")
    return pairs, pending if isinstance(pending, dict) else None


def record_pending(ledger_dir: Path, pending: dict[str, Any], *, recovered: bool) -> None:
    """Record the change a journal names in the books' history. A `recovered` change (a
    killed writer's) is recorded unless the history holds it already (its files are as the
    history last recorded them). Raises HistoryError."""
    history = History.of(ledger_dir)
    if history is None:
        return
    files = [str(f) for f in pending.get("files", [])]
    if recovered and not history.unrecorded(files):
        return
    message = str(pending.get("message", ""))
    if recovered:
        message = message.rstrip("\n") + "\nXt-Recovered: 写入进程中途被终止，由下一个命令补记\n"
    note = ChangeNote(
        command="",
        operator=str(pending.get("operator", "")),
        system_user=str(pending.get("system_user", "")),
    )
    history.record_files(files, message, note)


def recover(ledger_dir: Path) -> bool:
    """Finish an interrupted commit; return whether one was rolled forward.

    Rolls a journal forward (renames each temporary file that still exists onto its target,
    then records the change in the books' history if the journal names one the history does not
    hold yet), removes the journal, then deletes every `*.xt-tmp` left under the ledger
    directory and the lock files a killed `git` left in the history. Call it only while holding
    the ledger lock.
    """
    ledger_dir = Path(os.path.normpath(os.path.abspath(ledger_dir)))
    journal = ledger_dir / JOURNAL_NAME
    rolled = False
    history = History.of(ledger_dir)
    if history is not None:
        history.clear_stale_locks()
    if journal.exists():
        pairs, pending = _journal_pairs(ledger_dir, journal)
        for tmp, target in pairs:
            if tmp.exists():
                os.replace(tmp, target)
        for directory in sorted({target.parent for _, target in pairs}):
            fsync_dir(directory)
        if pending is not None:
            # The books stand either way: a change the history cannot record now shows as
            # files that differ from the last recorded change (`history record` records it).
            with contextlib.suppress(HistoryError):
                record_pending(ledger_dir, pending, recovered=True)
        journal.unlink()
        fsync_dir(ledger_dir)
        rolled = True
    swept: set[Path] = set()
    for root, dirs, files in os.walk(ledger_dir):
        dirs[:] = [d for d in dirs if d not in (".git", HISTORY_DIR)]
        for name in files:
            if name.endswith(TMP_SUFFIX):
                os.unlink(os.path.join(root, name))
                swept.add(Path(root))
    for directory in sorted(swept):
        fsync_dir(directory)
    return rolled


def settle_for_reading(ledger_dir: Path, *, lock_timeout: float = LOCK_TIMEOUT) -> bool:
    """Before a reader loads the books: roll forward a pending commit; return whether one was.

    A journal in the ledger directory means a writer was killed between its renames: the files
    on disk are half the old books and half the new. The commit is finished here, under the
    writer's lock (`recover`), so that no reader reports on the half state. Without a journal
    nothing is locked. A writer that holds the lock meanwhile is waited for (it finishes its
    commit); refused (XtError) when the lock cannot be had within `lock_timeout` or the reader
    may not write the ledger directory (a read-only copy: its owner must run a command first).
    """
    ledger_dir = Path(os.path.normpath(os.path.abspath(ledger_dir)))
    journal = ledger_dir / JOURNAL_NAME
    if not os.path.lexists(journal):
        return False
    if not os.access(ledger_dir, os.W_OK | os.X_OK):
        raise XtError(
            f"账簿目录 {ledger_dir} 有一次未完成的写入（{JOURNAL_NAME}：写入进程中途被终止），"
            "本用户无权写该目录、无法先把它补完：拒绝读取半写的账簿；"
            "请有写权限的用户先运行任一命令（如 xtaccounts pools）"
        )
    lock = filelock.FileLock(str(ledger_dir / LOCK_NAME), timeout=lock_timeout)
    try:
        lock.acquire()
    except filelock.Timeout as exc:
        raise LedgerLockedError(
            f"账簿目录 {ledger_dir} 有一次未完成的写入（{JOURNAL_NAME}），"
            f"且锁被另一进程占用（已等 {lock_timeout:g} 秒）：拒绝读取半写的账簿，请稍后再试"
        ) from exc
    except OSError as exc:
        raise XtError(
            f"账簿目录 {ledger_dir} 有一次未完成的写入（{JOURNAL_NAME}），"
            f"但无法取得写锁（{exc.strerror or exc}）：拒绝读取半写的账簿"
        ) from exc
    try:
        return recover(ledger_dir)
    finally:
        lock.release()
