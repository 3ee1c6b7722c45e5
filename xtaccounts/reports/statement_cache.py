"""Archived statements read once per machine: what the reconciliation takes of a statement kept
in the cache directory under the digest of the file's bytes and of what reading depends on
(`importers.reading_key`).

An archived statement never changes (documents/ keeps what was imported), yet the export's
银行存款余额调节表 and `reconcile` read every one of an account's statements since the first day,
each time: at city scale, after five years, 60 files and 4 s of the export. So the reading is
kept, but only what the reconciliation uses (`reconciliation_reading`): each line's figures,
serial and memo, the memo with personal numbers and the counterparty's name masked as the import
masks it, the counterparty's name, account and bank left out. Owners' data never sits in clear
outside the books (docs/threat-model.md); hit or miss, the reader gives the same reduced reading.

A reading that took long enough to be worth keeping (`KEEP_SECONDS`) is kept; it is checked on
the way back (the header and the body's digest; a damaged entry is read again and kept anew,
never an error), and its dates against today's input range (a clock set back refuses what it
refused before). The audit does not use it: it reads the files themselves.
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

from xtaccounts.core.bank_statement import Statement, StatementLine
from xtaccounts.core.cache_dir import cache_root
from xtaccounts.core.dates import FLOOR, horizon
from xtaccounts.core.privacy import mask_free_text

# A reading taking less than this is not kept: a small statement is read again and costs
# nothing.
KEEP_SECONDS = 0.01
SUBDIR = "statements"
_MAGIC = b"xtaccounts statement reading 2\n"
_DIGEST = hashlib.sha256().digest_size


def reconciliation_reading(statement: Statement) -> Statement:
    """The statement as the reconciliation reads it: each line's memo masked (personal numbers,
    and the counterparty's name wherever it occurs), the counterparty's fields left out."""
    lines = tuple(
        line._replace(
            memo=mask_free_text(line.memo, (line.counterparty,)),
            counterparty=None,
            counterparty_account=None,
            counterparty_bank=None,
        )
        for line in statement.lines
    )
    return dataclasses.replace(statement, lines=lines)


class CachedStatementReader:
    """A `StatementReader` (path -> `Statement`, its `reconciliation_reading`) that parses each
    file once: `read_bytes` reads a file as the reader would (StatementError if it cannot),
    `read` parses those bytes, `key` is what the reading depends on besides them."""

    def __init__(
        self,
        read_bytes: Callable[[Path], bytes],
        read: Callable[[Path, bytes], Statement],
        key: str,
    ) -> None:
        self.read_bytes = read_bytes
        self.read = read
        self.key = key

    def __call__(self, path: Path) -> Statement:
        path = Path(path)
        content = self.read_bytes(path)
        kept = self._kept_at(content)
        statement = _read_kept(kept)
        if statement is None:
            started = time.perf_counter()
            statement = reconciliation_reading(self.read(path, content))
            if time.perf_counter() - started >= KEEP_SECONDS:
                _keep(kept, statement)
        elif statement.path != path:  # the same statement read from another copy of the books
            statement = dataclasses.replace(statement, path=path)
        return statement

    def _kept_at(self, content: bytes) -> Path:
        name = hashlib.sha256(self.key.encode() + b"\n" + content).hexdigest()[:40]
        return cache_root() / SUBDIR / f"{name}.pickle"


def _read_kept(kept: Path) -> Statement | None:
    """The reading kept at `kept`, None if there is none, it is not whole, or a date of it lies
    outside today's input range (the reader would refuse the file: let it say so)."""
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
    if not isinstance(statement, Statement) or not all(
        type(line) is StatementLine for line in statement.lines
    ):
        return None
    days = [d for d in (statement.period_start, statement.period_end) if d is not None]
    days += [line.date for line in statement.lines]
    if days and not FLOOR <= min(days) <= max(days) <= horizon():
        return None
    return statement


def _keep(kept: Path, statement: Statement) -> None:
    """Write the reading whole or not at all, readable by its owner only; a cache that cannot
    be written is no error."""
    body = pickle.dumps(statement, protocol=pickle.HIGHEST_PROTOCOL)
    with contextlib.suppress(OSError):
        kept.parent.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        kept.parent.mkdir(mode=0o700, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=kept.parent, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(_MAGIC + hashlib.sha256(body).digest() + body)
            os.replace(temporary, kept)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise


__all__ = ["KEEP_SECONDS", "CachedStatementReader", "reconciliation_reading"]
