"""Bank statement importers: reading what Chinese banks really send.

`read_statement(path)` gives a `Statement` (account, period, lines oldest first, balance checked)
from an xls, xlsx or CSV/TSV file in any layout listed in `PROFILES`; `identify(path)` tells the
layout cheaply. Problems are `StatementError`s naming the file, row and field.
"""

from importers.profiles import PROFILES, BankProfile
from importers.statement import (
    Statement,
    StatementError,
    StatementLine,
    identify,
    read_statement,
)

__all__ = [
    "PROFILES",
    "BankProfile",
    "Statement",
    "StatementError",
    "StatementLine",
    "identify",
    "read_statement",
]
