"""Where a command may write outside the books: never in, over or around the ledger directory.

Every command that writes files of its own outside the books (`export --out`, `import archive
-o`, `scripts/render_export`) passes its destination through `outside_books` first. The books
are written by `xtaccounts.books.writer` only; a destination that is the ledger directory, lies
inside it, or contains it is refused, so that a mistyped path (`--out L/txns --replace`) can never
replace or delete ledger files. Paths are compared as real paths (symbolic links resolved), so a
link that points into the books is refused as well.
"""

from __future__ import annotations

import os
from pathlib import Path

from xtaccounts.core.errors import XtError

__all__ = ["outside_books"]


def _real(path: str | os.PathLike[str]) -> Path:
    return Path(os.path.realpath(os.path.abspath(path)))


def _inside(path: Path, directory: Path) -> bool:
    return os.path.commonpath([path, directory]) == str(directory)


def ledger_dirs(main: str | os.PathLike[str]) -> list[Path]:
    """The real directories of the books of `main` (its own and, if `main` is a symbolic link,
    its target's)."""
    given = Path(os.path.abspath(main))
    dirs = [_real(given.parent), _real(given).parent]
    return list(dict.fromkeys(dirs))


def outside_books(
    destination: str | os.PathLike[str], main: str | os.PathLike[str], *, option: str = "--out"
) -> Path:
    """The absolute path of `destination`, refused (XtError) if its real path is the ledger
    directory of `main`, lies inside it or contains it."""
    target = Path(os.path.abspath(destination))
    real = _real(target)
    for ledger in ledger_dirs(main):
        if real == ledger:
            where = "就是账簿目录"
        elif _inside(real, ledger):
            where = "位于账簿目录之内"
        elif _inside(ledger, real):
            where = "包含账簿目录"
        else:
            continue
        raise XtError(
            f"{option} {destination} {where}（{ledger}）：拒绝写入，请选账簿目录之外的目录"
        )
    return target
