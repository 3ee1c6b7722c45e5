"""Backups of the books' history, and the books restored from it into a new directory.

`backup_history(main, dest)` writes, whole or not at all, a directory holding

- ``history.bundle``: the whole history (`git bundle`, every recorded change),
- ``originals/<sha256>``: every archived original any change names (the history holds only
  their digests, `xtaccounts.books.history`), byte for byte,
- ``manifest.json``: the history's head, its number of changes, each file's SHA-256 and size,
  and the files that differed from the last recorded change (those are not in the backup).

It is verified before it is moved into place: the bundle is cloned into a scratch repository,
checked by `git fsck` and found to end at the head the manifest names, and each original copied
is read back and hashed. `restore_books(out, ...)` brings the books back, as any recorded change
left them, into a new directory (never over the live books, never over anything that exists):
from the live history or from a backup, the originals put back by digest, and the result
checked against the history (every file as recorded) before it is moved into place. The restored
books keep the whole history and record the restore itself as one more change.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xtaccounts import __version__
from xtaccounts.books.change_note import CHANGE_RESTORE, ChangeNote, render_message
from xtaccounts.books.destinations import outside_books
from xtaccounts.books.history import (
    ORIGINAL_ROOTS,
    History,
    HistoryError,
    Unrecorded,
    is_original,
    pointer_digest,
)
from xtaccounts.books.redo_journal import (
    recover,
    take_lock,
)
from xtaccounts.core.atomic_directory import write_directory
from xtaccounts.core.errors import XtError
from xtaccounts.core.file_digest import sha256_of

__all__ = ["BACKUP_MANIFEST", "BUNDLE", "Backup", "Restored", "backup_history", "restore_books"]

BUNDLE = "history.bundle"
ORIGINALS = "originals"
BACKUP_MANIFEST = "manifest.json"
_GENERATOR = f"xtaccounts {__version__} backup"


@dataclass(frozen=True)
class Backup:
    """What a backup holds."""

    path: Path
    head: str
    changes: int
    originals: int
    missing: list[str] = field(default_factory=list)
    unrecorded: list[Unrecorded] = field(default_factory=list)


@dataclass(frozen=True)
class Restored:
    """Books restored into a new directory."""

    path: Path
    commit: str
    files: int
    head: str


class _Originals:
    """Where an original's bytes are found by digest: a backup's originals/, the live books."""

    def __init__(self, backup: Path | None, live: Path | None) -> None:
        self.backup = backup
        self.live = live
        self._index: dict[str, Path] | None = None

    def find(self, digest: str, recorded: str) -> Path | None:
        candidates: list[Path] = []
        if self.backup is not None:
            candidates.append(self.backup / ORIGINALS / digest)
        if self.live is not None:
            candidates.append(self.live / recorded)
        for path in candidates:
            if path.is_file() and not path.is_symlink() and sha256_of(path) == digest:
                return path
        return self._live_index().get(digest)

    def _live_index(self) -> dict[str, Path]:
        """Every original of the live books by digest (read once, only when needed)."""
        if self._index is None:
            self._index = {}
            for root in ORIGINAL_ROOTS:
                folder = (self.live / root) if self.live is not None else None
                if folder is None or not folder.is_dir():
                    continue
                for path in sorted(folder.rglob("*")):
                    if path.is_file() and not path.is_symlink():
                        self._index.setdefault(sha256_of(path), path)
        return self._index


# -- backup ------------------------------------------------------------------------------------


def backup_history(main: Path, dest: Path, note: ChangeNote) -> Backup:
    """Write a verified backup of the history of the books of `main` into the new directory
    `dest` (absent or empty; outside the books)."""
    root = main.parent
    history = History.of(root)
    if history is None:
        raise XtError(f"{root} 没有变更历史：先用 `xtaccounts history adopt` 纳入，再备份")
    dest = outside_books(dest, main, option="DEST")
    lock = take_lock(root)
    try:
        recover(root)
        head = history.head()
        if head is None:
            raise XtError(f"{root} 的变更历史还没有记录任何变更")
        unrecorded = history.unrecorded()
        # Pack the loose objects the commits left (keeps the live history small).
        history.git("-c", "gc.auto=6700", "gc", "--auto", "--quiet")

        def fill(tmp: Path) -> Backup:
            history.git("bundle", "create", "--quiet", str(tmp / BUNDLE), "--all")
            wanted = history.originals_in(["--all"])
            found = _Originals(None, root)
            (tmp / ORIGINALS).mkdir()
            originals: list[dict[str, Any]] = []
            missing: list[str] = []
            for digest, recorded in sorted(wanted.items()):
                source = found.find(digest, recorded)
                if source is None:
                    missing.append(recorded)
                    continue
                target = tmp / ORIGINALS / digest
                target.write_bytes(source.read_bytes())
                originals.append(
                    {"sha256": digest, "bytes": target.stat().st_size, "path": recorded}
                )
            changes = history.count()
            manifest = {
                "generator": _GENERATOR,
                "created": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
                "operator": note.operator,
                "system_user": note.system_user,
                "ledger": str(root),
                "history_head": head,
                "changes": changes,
                "bundle": {
                    "path": BUNDLE,
                    "sha256": sha256_of(tmp / BUNDLE),
                    "bytes": (tmp / BUNDLE).stat().st_size,
                },
                "originals": originals,
                "originals_missing": missing,
                "unrecorded": [{"path": u.path, "state": u.state} for u in unrecorded],
            }
            (tmp / BACKUP_MANIFEST).write_text(
                json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
            )
            verify_backup(tmp)
            return Backup(dest, head, changes, len(originals), missing, unrecorded)

        return write_directory(dest, fill, option="DEST")
    finally:
        lock.release()


def read_manifest(backup: Path) -> dict[str, Any]:
    """A backup's manifest, checked to be one (XtError otherwise)."""
    path = backup / BACKUP_MANIFEST
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise XtError(f"{backup} 不是 xtaccounts 的备份：没有 {BACKUP_MANIFEST}") from exc
    except (OSError, ValueError) as exc:
        raise XtError(f"{path} 无法读取：{exc}") from exc
    if not isinstance(doc, dict) or not str(doc.get("generator", "")).endswith(" backup"):
        raise XtError(f"{path} 不是 xtaccounts backup 写的")
    return doc


def verify_backup(backup: Path) -> dict[str, Any]:
    """Check a backup against its manifest: the bundle's digest, the history it holds (cloned
    into a scratch repository, `git fsck`, ending at the head named), every original's digest.
    Return the manifest; XtError naming the first problem."""
    doc = read_manifest(backup)
    bundle = backup / BUNDLE
    record = doc.get("bundle") or {}
    if not bundle.is_file() or sha256_of(bundle) != record.get("sha256"):
        raise XtError(f"{bundle} 与 {BACKUP_MANIFEST} 记录的摘要不符：备份已损坏")
    with tempfile.TemporaryDirectory(prefix="xt-backup-check-") as scratch:
        check = History(Path(scratch))
        check.create()
        check.git("fetch", "--quiet", "--update-head-ok", str(bundle), "+refs/heads/*:refs/heads/*")
        check.git("fsck", "--no-progress", "--no-dangling", work_tree=False)
        head = check.head()
        if head != doc.get("history_head"):
            raise XtError(
                f"{bundle} 的历史头 {head} 与 {BACKUP_MANIFEST} 的 {doc.get('history_head')} "
                "不符：备份已损坏"
            )
    for item in doc.get("originals", []):
        path = backup / ORIGINALS / str(item.get("sha256"))
        if not path.is_file() or sha256_of(path) != item.get("sha256"):
            raise XtError(f"{path} 与 {BACKUP_MANIFEST} 记录的摘要不符：备份已损坏")
    return doc


# -- restore -----------------------------------------------------------------------------------


def restore_books(
    out: Path,
    note: ChangeNote,
    *,
    live_main: Path | None = None,
    backup: Path | None = None,
    at: str | None = None,
) -> Restored:
    """Restore the books, as the recorded change `at` (default: the last) left them, into the
    new directory `out`, from the history of the books of `live_main` or from `backup`."""
    out = Path(os.path.abspath(out))
    if os.path.lexists(out):
        raise XtError(f"--to {out} 已存在：恢复只写入新目录，从不覆盖任何东西")
    if live_main is not None and not live_main.is_file():
        live_main = None  # no live books there (lost, or never there): nothing to keep out of
    if live_main is not None:
        out = outside_books(out, live_main, option="--to")
    live_root = live_main.parent if live_main is not None else None
    if backup is not None:
        doc = verify_backup(backup)
        source = str(backup / BUNDLE)
        source_head = str(doc["history_head"])
    else:
        live = History.of(live_root) if live_root is not None else None
        if live is None:
            raise XtError(
                f"{live_root or '--ledger'} 没有变更历史可供恢复："
                "请用 --from 指定 `xtaccounts backup` 写的备份"
            )
        source = str(live.git_dir)
        source_head = live.head() or ""
        if not source_head:
            raise XtError(f"{live_root} 的变更历史还没有记录任何变更")

    def fill(tmp: Path) -> Restored:
        books = History(tmp)
        books.create()
        books.git("fetch", "--quiet", "--update-head-ok", source, "+refs/heads/*:refs/heads/*")
        commit = books.resolve(at) if at else books.resolve(source_head)
        books.git("reset", "--hard", "--quiet", commit)
        originals = put_back_originals(books, commit, _Originals(backup, live_root))
        if originals:
            # Git took the pointers it checked out for the files: shown the originals, the
            # clean filter gives the same pointers again, and the index their sizes.
            books.git("add", "--", *originals)
        differing = books.unrecorded()
        if differing:
            names = "、".join(u.path for u in differing[:5])
            raise HistoryError(f"恢复出的文件与记录的变更 {commit[:12]} 不符：{names}")
        files = len(books.read("ls-files", "-z").split("\0")) - 1
        extra = [("Xt-Restored-From", commit), ("Xt-Source-Head", source_head)]
        books.record_all(render_message(note, CHANGE_RESTORE, extra=extra), note, allow_empty=True)
        return Restored(out, commit, files, books.head() or "")

    return write_directory(out, fill, option="--to")


def put_back_originals(books: History, commit: str, found: _Originals) -> list[str]:
    """Replace each original's pointer, as checked out, by the original's bytes; return
    their paths."""
    listing = books.read("ls-tree", "-r", "-z", "--name-only", commit)
    missing: list[str] = []
    done: list[str] = []
    for rel in listing.split("\0"):
        if not rel or not is_original(rel):
            continue
        path = books.root / rel
        digest = pointer_digest(path.read_bytes())
        if digest is None:
            raise HistoryError(f"{rel}：历史中记录的不是原件摘要，历史已损坏")
        source = found.find(digest, rel)
        if source is None:
            missing.append(rel)
            continue
        path.write_bytes(source.read_bytes())
        done.append(rel)
    if missing:
        shown = "、".join(missing[:5]) + (f" 等 {len(missing)} 个" if len(missing) > 5 else "")
        raise XtError(
            f"找不到这些归档原件（按摘要）：{shown}；请用 --from 指定含原件的备份。未写入任何内容"
        )
    return done
