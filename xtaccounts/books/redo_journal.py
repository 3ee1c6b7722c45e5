"""The writer's redo journal, and finishing a commit a killed writer left half-applied.

`xtaccounts.books.writer` applies a commit by writing every new file beside its target as
`*.xt-tmp`,
recording the renames in a journal (`.xtaccounts.journal`), renaming, then removing the journal.
A journal found later means a writer was killed between its renames: `recover` rolls it forward
(under the ledger lock), and `settle_for_reading` does that for a reader before it loads the
books, so that nothing ever reports on half-written books. This module depends on nothing of
the books, so that both the writer and the ledger layout can use it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import filelock

from xtaccounts.core.errors import XtError

__all__ = [
    "JOURNAL_NAME",
    "LOCK_NAME",
    "LOCK_TIMEOUT",
    "TMP_SUFFIX",
    "LedgerLockedError",
    "fsync_dir",
    "inside",
    "recover",
    "settle_for_reading",
]

JOURNAL_NAME = ".xtaccounts.journal"
LOCK_NAME = ".xtaccounts.lock"
TMP_SUFFIX = ".xt-tmp"
LOCK_TIMEOUT = 30.0  # seconds a writer, or a reader finding a pending commit, waits for the lock


class LedgerLockedError(XtError):
    """Another writer held the ledger lock for longer than the timeout."""


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


def _journal_pairs(ledger_dir: Path, journal: Path) -> list[tuple[Path, Path]]:
    """The (tmp, target) pairs a journal names, checked to stay inside the ledger dir."""
    try:
        raw = json.loads(journal.read_text(encoding="utf-8"))
        pairs = [(ledger_dir / tmp, ledger_dir / target) for tmp, target in raw]
    except (ValueError, TypeError) as exc:
        raise XtError(f"unreadable write journal {journal}: {exc}") from exc
    for tmp, target in pairs:
        tmp_n, target_n = Path(os.path.normpath(tmp)), Path(os.path.normpath(target))
        if (
            not inside(tmp_n, ledger_dir)
            or not inside(target_n, ledger_dir)
            or tmp_n.name != target_n.name + TMP_SUFFIX
        ):
            raise XtError(f"write journal {journal} names a path it may not: {tmp} -> {target}")
    return pairs


def recover(ledger_dir: Path) -> bool:
    """Finish an interrupted commit; return whether one was rolled forward.

    Rolls a journal forward (renames each temporary file that still exists onto its target),
    removes the journal, then deletes every `*.xt-tmp` left under the ledger directory. Call it
    only while holding the ledger lock.
    """
    ledger_dir = Path(os.path.normpath(os.path.abspath(ledger_dir)))
    journal = ledger_dir / JOURNAL_NAME
    rolled = False
    if journal.exists():
        pairs = _journal_pairs(ledger_dir, journal)
        for tmp, target in pairs:
            if tmp.exists():
                os.replace(tmp, target)
        for directory in sorted({target.parent for _, target in pairs}):
            fsync_dir(directory)
        journal.unlink()
        fsync_dir(ledger_dir)
        rolled = True
    swept: set[Path] = set()
    for root, dirs, files in os.walk(ledger_dir):
        dirs[:] = [d for d in dirs if d != ".git"]
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
