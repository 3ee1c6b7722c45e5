"""What reading a statement depends on besides the file's bytes: the layouts tried and the code
that reads. A reading kept under this key (`xtaccounts.reports.statement_cache`) is the reading
the reader would make again; a changed layout, importer or version of xtaccounts is a new key."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import xtaccounts
from importers.profiles import BankProfile

# The code a statement's lines are made by, besides the importers themselves.
_CORE = ("core/bank_statement.py", "core/outside_text.py", "core/privacy.py", "core/money.py")


def reading_key(profiles: Sequence[BankProfile]) -> str:
    """The SHA-256 of the layouts `profiles` (as they print) and of every source file of the
    importers and of the statement's own types."""
    digest = hashlib.sha256(f"xtaccounts {xtaccounts.__version__}\n".encode())
    digest.update(repr(tuple(profiles)).encode())
    sources = sorted(Path(__file__).parent.glob("*.py"))
    core = Path(xtaccounts.__file__).parent
    for source in (*sources, *(core / name for name in _CORE)):
        content = source.read_bytes()
        digest.update(b"%s %d\n" % (source.name.encode(), len(content)))
        digest.update(content)
    return digest.hexdigest()
