"""An output directory written whole or not at all.

The files are written into a temporary directory beside the target (same file system), each
flushed to disk, and the directory is renamed into place only when everything is written. A
failure removes the temporary directory: nothing half-written is left.

An existing target is refused, unless `replace` is given: then it is replaced whole. On Linux
the two directories are swapped in one step (``renameat2`` with ``RENAME_EXCHANGE``), so a reader
sees the old export or the new one, never neither; the old one is then removed. Elsewhere the old
directory is renamed aside, the new one renamed in, and the old one removed (if the second rename
fails the old directory is put back). A new target is renamed in with ``RENAME_NOREPLACE`` where
available, so a directory that appeared meanwhile is not overwritten. A target that is not a
directory is always refused.
"""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from xtaccounts.errors import XtError

T = TypeVar("T")


def _fsync_tree(root: Path) -> None:
    for path in sorted(root.rglob("*")):
        if path.is_file():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
    _fsync_dir(root)


_AT_FDCWD = -100
_RENAME_NOREPLACE = 1
_RENAME_EXCHANGE = 2


def _renameat2(source: Path, target: Path, flags: int) -> bool:
    """`renameat2(2)` with `flags`; False where the platform or file system lacks it."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        call = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):  # pragma: no cover - an old C library
        return False
    result = call(_AT_FDCWD, os.fsencode(source), _AT_FDCWD, os.fsencode(target), flags)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):  # pragma: no cover
        return False
    raise OSError(code, os.strerror(code), str(target))


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _move_in(tmp: Path, target: Path) -> None:
    """Rename the finished `tmp` to the absent `target`, never over a directory that appeared."""
    try:
        if _renameat2(tmp, target, _RENAME_NOREPLACE):
            return
    except FileExistsError as exc:
        raise XtError(f"{target} appeared while the export was written; try again") from exc
    os.rename(tmp, target)


def _swap_in(tmp: Path, target: Path) -> None:
    """Replace the directory `target` by `tmp`, then remove the old one."""
    if _renameat2(tmp, target, _RENAME_EXCHANGE):
        shutil.rmtree(tmp, ignore_errors=True)  # tmp now holds the previous export
        return
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
    os.rename(target, old / "previous")
    try:
        os.rename(tmp, target)
    except BaseException:
        os.rename(old / "previous", target)
        shutil.rmtree(old, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)


def write_directory(target: Path, fill: Callable[[Path], T], *, replace: bool = False) -> T:
    """Run `fill(tmpdir)` and move its result to `target` atomically; return fill's result."""
    target = Path(os.path.abspath(target))
    existed = target.exists() or target.is_symlink()
    if existed:
        if not target.is_dir() or target.is_symlink():
            raise XtError(f"{target} exists and is not a directory; choose another --out")
        if not replace:
            raise XtError(f"{target} exists; choose a new --out or give --replace to replace it")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        result = fill(tmp)
        _fsync_tree(tmp)
        os.chmod(tmp, 0o755)
        if existed:  # decided before writing: a directory that appears meanwhile is kept
            _swap_in(tmp, target)
        else:
            _move_in(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _fsync_dir(target.parent)  # the rename itself reaches the disk
    return result
