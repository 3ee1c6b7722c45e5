"""An output directory written whole or not at all.

The files are written into a temporary directory beside the target (same file system), each
flushed to disk, and the directory is renamed into place only when everything is written. A
failure removes the temporary directory: nothing half-written is left.

An existing target is refused unless it is an empty directory (nothing is lost) or `replace` is
given and the caller's `replaceable` check accepts it (for `export`: an earlier export, with its
manifest and nothing else, `manifest.earlier_export_problem`); a directory nobody vouches for is
never removed. On Linux the two directories are swapped in one step (``renameat2`` with
``RENAME_EXCHANGE``), so a reader sees the old export or the new one, never neither; the old one
is checked again and only then removed (changed meanwhile, it is swapped back and kept).
Elsewhere the old directory is renamed aside, checked again, the new one renamed in, and the old
one removed (if the second rename fails the old directory is put back). A new target is renamed
in with ``RENAME_NOREPLACE`` where available, so a directory that appeared meanwhile is not
overwritten. A target that is not a directory is always refused.
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

from xtaccounts.core.errors import XtError

T = TypeVar("T")
# A check of an existing directory before it is replaced: None when it may be, else the reason.
Replaceable = Callable[[Path], str | None]


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


def _is_empty(directory: Path) -> bool:
    with os.scandir(directory) as entries:
        return next(entries, None) is None


def _problem(directory: Path, replaceable: Replaceable | None) -> str | None:
    """Why `directory` may not be replaced (None: it may): it is empty, or `replaceable` says so."""
    if _is_empty(directory):
        return None
    if replaceable is None:
        return "它不是空目录"
    return replaceable(directory)


def _changed_meanwhile(target: Path, problem: str) -> XtError:
    return XtError(f"{target} 在导出期间被改动（{problem}）：没有替换，原目录保持原样")


def _swap_in(tmp: Path, target: Path, replaceable: Replaceable | None) -> None:
    """Replace the directory `target` by `tmp`, then remove the old one, checked once more."""
    if _renameat2(tmp, target, _RENAME_EXCHANGE):
        # tmp now holds the previous directory: removed only if it is still replaceable.
        problem = _problem(tmp, replaceable)
        if problem is not None:
            _renameat2(tmp, target, _RENAME_EXCHANGE)  # swap back: tmp is the new export again
            shutil.rmtree(tmp, ignore_errors=True)
            raise _changed_meanwhile(target, problem)
        shutil.rmtree(tmp, ignore_errors=True)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
    os.rename(target, old / "previous")
    try:
        problem = _problem(old / "previous", replaceable)
        if problem is not None:
            raise _changed_meanwhile(target, problem)
        os.rename(tmp, target)
    except BaseException:
        os.rename(old / "previous", target)
        shutil.rmtree(old, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)


def check_target(
    target: Path,
    *,
    replace: bool = False,
    replaceable: Replaceable | None = None,
    option: str = "--out",
) -> bool:
    """Whether `target` exists and may be replaced; XtError if it exists and may not be.

    An absent target: False. An empty directory: True. A directory with files: True only with
    `replace` and when `replaceable` finds nothing against it. Anything else is refused.
    """
    target = Path(os.path.abspath(target))
    if not (target.exists() or target.is_symlink()):
        parent = next(p for p in target.parents if p.exists() or p.is_symlink())
        if not parent.is_dir():
            raise XtError(f"{option} {target}：其上级 {parent} 不是目录，无法在其中创建目录")
        return False
    if target.is_symlink() or not target.is_dir():
        raise XtError(f"{option} {target} 已存在且不是目录：请换一个 {option}")
    if _is_empty(target):
        return True
    if not replace:
        offer = "，或用 --replace 替换本程序以前写的导出" if replaceable is not None else ""
        raise XtError(f"{option} {target} 已存在且不是空目录：请换一个新目录{offer}")
    problem = _problem(target, replaceable)
    if problem is not None:
        raise XtError(
            f"{option} {target} 不是本程序以前写的导出（{problem}）："
            "--replace 只替换以前的导出，拒绝替换"
        )
    return True


def write_directory(
    target: Path,
    fill: Callable[[Path], T],
    *,
    replace: bool = False,
    replaceable: Replaceable | None = None,
    option: str = "--out",
) -> T:
    """Run `fill(tmpdir)` and move its result to `target` atomically; return fill's result.

    An existing `target` is replaced only as `check_target` allows (an empty directory, or with
    `replace` one that `replaceable` accepts), and checked again just before it is removed.
    """
    target = Path(os.path.abspath(target))
    existed = check_target(target, replace=replace, replaceable=replaceable, option=option)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    except OSError as exc:
        raise XtError(
            f"{option} {target}：无法在 {target.parent} 中创建目录（{exc.strerror or exc}）"
        ) from exc
    try:
        result = fill(tmp)
        _fsync_tree(tmp)
        os.chmod(tmp, 0o755)
        if existed:  # decided before writing: a directory that appears meanwhile is kept
            _swap_in(tmp, target, replaceable)
        else:
            _move_in(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _fsync_dir(target.parent)  # the rename itself reaches the disk
    return result
