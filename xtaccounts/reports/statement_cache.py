"""Archived statements read once per machine: a statement's reading kept in the cache directory
under the digest of its bytes and of what reading depends on (`importers.reading_key`).

An archived statement never changes (documents/ keeps what was imported, under its digest), yet
the export's 银行存款余额调节表 and `reconcile` read every one of an account's statements since the
first day, each time: at city scale, after five years, a twentieth of the export. A reading that
took long enough to be worth keeping (`KEEP_SECONDS`) is kept, checked on the way back (the
header and the body's digest; anything else is read again, never trusted), and outside the
books (`core.cache_dir`). The audit does not use it: it reads the files themselves.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import pickle
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from xtaccounts.core.bank_statement import Statement
from xtaccounts.core.cache_dir import cache_root

# A reading taking less than this is not kept: a small statement (the demo's, the tests') reads
# in a blink and the cache directory stays as it was.
KEEP_SECONDS = 0.01
SUBDIR = "statements"
_MAGIC = b"xtaccounts statement reading 1\n"
_DIGEST = hashlib.sha256().digest_size


class CachedStatementReader:
    """A `StatementReader` (path -> `Statement`) reading each file with `read` the first time
    only; `key`: what the reading depends on besides the bytes (`importers.reading_key`)."""

    def __init__(self, read: Callable[[Path], Statement], key: str) -> None:
        self.read = read
        self.key = key

    def __call__(self, path: Path) -> Statement:
        path = Path(path)
        try:
            content = path.read_bytes()
        except OSError:
            return self.read(path)  # the reader says what is wrong, as it would have
        kept = self._kept_at(content)
        statement = _read_kept(kept)
        if statement is None:
            started = time.perf_counter()
            statement = self.read(path)
            if time.perf_counter() - started >= KEEP_SECONDS:
                _keep(kept, statement)
        elif statement.path != path:  # the same statement read from another copy of the books
            statement = dataclasses.replace(statement, path=path)
        return statement

    def _kept_at(self, content: bytes) -> Path:
        name = hashlib.sha256(self.key.encode() + b"\n" + content).hexdigest()[:40]
        return cache_root() / SUBDIR / f"{name}.pickle"


def _read_kept(kept: Path) -> Statement | None:
    """The reading kept at `kept`, None if there is none or it is not whole."""
    try:
        raw = kept.read_bytes()
    except OSError:
        return None
    head = len(_MAGIC)
    body = raw[head + _DIGEST :]
    if raw[:head] != _MAGIC or hashlib.sha256(body).digest() != raw[head : head + _DIGEST]:
        return None
    try:
        statement = pickle.loads(body)
    except Exception:
        return None
    return statement if isinstance(statement, Statement) else None


def _keep(kept: Path, statement: Statement) -> None:
    """Write the reading whole or not at all; a cache that cannot be written is no error."""
    body = pickle.dumps(statement, protocol=pickle.HIGHEST_PROTOCOL)
    with contextlib.suppress(OSError):
        kept.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=kept.parent, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(_MAGIC + hashlib.sha256(body).digest() + body)
            os.replace(temporary, kept)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise


__all__ = ["KEEP_SECONDS", "CachedStatementReader"]
