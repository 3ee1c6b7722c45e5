"""Archived statements read once: each file's reading kept outside the books, by its content.

A statement in the books' documents never changes once archived, yet the export's and the
`reconcile` command's 银行存款余额调节表 read every one since the pilot's first day (at city scale
60 files, half a second at a quarter of the city). `CachedStatementReader` keeps each reading,
addressed by the file's bytes, the layouts it was read with and the reader's code: a file, a
layout or the code changed is read afresh. A file that cannot be read is not kept (its error is
raised each time). The audit does not use it: it reads every statement itself.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import pickle
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import importers
from importers.profiles import BankProfile
from importers.reader import read_statement
from importers.sniff import read_file
from xtaccounts import __version__
from xtaccounts.core import bank_statement
from xtaccounts.core.bank_statement import Statement
from xtaccounts.core.cache_dir import cache_root

CACHE_FORMAT = 1
CACHE_KEEP = 2_000  # readings kept (a city's five years hold about 60 statements)
SUBDIR = "statements"
# The code a kept reading depends on: editing any of it reads every statement afresh.
_CODE_FILES = ("reader.py", "sniff.py", "table.py", "profiles.py", "layout_files.py")


def _code_digest() -> bytes:
    h = hashlib.sha256(
        f"format {CACHE_FORMAT}; xtaccounts {__version__}; python {sys.version_info[:2]}\n".encode()
    )
    root = Path(importers.__file__).parent
    for path in (*(root / name for name in _CODE_FILES), Path(bank_statement.__file__)):
        data = path.read_bytes()
        h.update(b"%s %d\n" % (path.name.encode(), len(data)))
        h.update(data)
    return h.digest()


class CachedStatementReader:
    """A statement reader (`read_statement(path, layouts)`) whose readings are kept in
    `directory` (default: the cache's `statements/`) by the file's bytes, the layouts and the
    code."""

    def __init__(self, layouts: Sequence[BankProfile], directory: Path | None = None) -> None:
        self.layouts = tuple(layouts)
        self.directory = directory if directory is not None else cache_root() / SUBDIR
        h = hashlib.sha256(_code_digest())
        h.update(repr(self.layouts).encode("utf-8"))
        self._key = h.digest()
        self.read = 0  # files read afresh (the rest came from the cache)

    def __call__(self, path: Path) -> Statement:
        data = read_file(Path(path))
        name = hashlib.sha256(self._key + data).hexdigest()[:40]
        kept = self._kept(name)
        if kept is not None:
            return dataclasses.replace(kept, path=Path(path))
        statement = read_statement(Path(path), self.layouts, data=data)
        self.read += 1
        self._keep(name, statement)
        return statement

    def _file(self, name: str) -> Path:
        return self.directory / f"{name}.pickle"

    def _kept(self, name: str) -> Statement | None:
        try:
            kept = pickle.loads(self._file(name).read_bytes())
        except Exception:  # missing, unreadable or damaged: read the statement again
            return None
        return kept if isinstance(kept, Statement) else None

    def _keep(self, name: str, statement: Statement) -> None:
        """The reading written whole (a temporary file renamed) or not at all; a cache that
        cannot be written is only slower."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=self.directory)
            try:
                with os.fdopen(fd, "wb") as out:
                    pickle.dump(statement, out, protocol=pickle.HIGHEST_PROTOCOL)
                os.replace(tmp, self._file(name))
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
            self._prune()
        except OSError:
            pass

    def _prune(self, keep: int = CACHE_KEEP) -> None:
        """The most recently written readings kept, the others let go (files of this cache
        only)."""
        kept = list(self.directory.glob("*.pickle"))
        if len(kept) <= keep:
            return
        kept.sort(key=lambda p: p.stat().st_mtime, reverse=True)
        for old in kept[keep:]:
            with contextlib.suppress(OSError):
                old.unlink()


__all__ = ["CachedStatementReader"]
