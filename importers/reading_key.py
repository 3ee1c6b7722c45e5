"""What reading a statement depends on besides the file's bytes: the layouts tried, the code
that reads and the libraries it reads with. A reading kept under this key
(`xtaccounts.reports.statement_cache`) is the reading the reader would make again; a changed
layout, importer, core module, Python or spreadsheet library is a new key. (Today's date, which
bounds the dates accepted, is checked on the kept reading itself.)"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Sequence
from pathlib import Path

import openpyxl
import xlrd

import xtaccounts
from importers.profiles import BankProfile


def reading_key(profiles: Sequence[BankProfile]) -> str:
    """The SHA-256 of the versions, the layouts `profiles` (as they print) and every source file
    of the importers and of `xtaccounts.core`."""
    digest = hashlib.sha256(
        f"xtaccounts {xtaccounts.__version__}; python {sys.version_info[:2]}; "
        f"openpyxl {openpyxl.__version__}; xlrd {xlrd.__VERSION__}\n".encode()
    )
    digest.update(repr(tuple(profiles)).encode())
    core = Path(xtaccounts.__file__).parent / "core"
    for source in (*sorted(Path(__file__).parent.glob("*.py")), *sorted(core.glob("*.py"))):
        content = source.read_bytes()
        digest.update(b"%s %d\n" % (source.name.encode(), len(content)))
        digest.update(content)
    return digest.hexdigest()
