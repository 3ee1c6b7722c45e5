"""Bank statement importers: reading what Chinese banks really send.

`read_statement(path)` gives a `Statement` (account, period, lines oldest first, balance checked)
from an xls, xlsx or CSV/TSV file in any layout listed in `PROFILES`; `identify(path)` tells the
layout cheaply; `read_statement_file` is the `StatementReader` the books' import is handed.
Problems are `StatementError`s naming the file, row and field. This package imports only
`xtaccounts.core`; of the package, only the command line and the demo (which plays the banks)
import it.
"""

from importers.profiles import PROFILES, BankProfile
from importers.reader import identify, read_statement, read_statement_file
from xtaccounts.core.bank_statement import Statement, StatementError, StatementLine

__all__ = [
    "PROFILES",
    "BankProfile",
    "Statement",
    "StatementError",
    "StatementLine",
    "identify",
    "read_statement",
    "read_statement_file",
]
