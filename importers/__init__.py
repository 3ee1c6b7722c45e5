"""Bank statement importers: reading what Chinese banks really send.

`read_statement(path)` gives a `Statement` (account, period, lines oldest first, balance checked)
from an xls, xlsx or CSV/TSV file in any layout of `PROFILES` (the shipped TOML layouts, or a
ledger's own: `ledger_layouts`); `identify(path)` tells the layout cheaply, `diagnose(path)` which
layout came closest to a file none matches; `read_statement_file` is the `StatementReader` the
books' import is handed.
Problems are `StatementError`s naming the file, row and field. This package imports only
`xtaccounts.core`; of the package, only the command line and the demo (which plays the banks)
import it.
"""

from importers.layout_files import LayoutError, ledger_layouts, shipped_layouts
from importers.profiles import BankProfile
from importers.reader import diagnose, identify, read_statement, read_statement_file
from xtaccounts.core.bank_statement import Statement, StatementError, StatementLine

PROFILES = shipped_layouts()

__all__ = [
    "PROFILES",
    "BankProfile",
    "LayoutError",
    "Statement",
    "StatementError",
    "StatementLine",
    "diagnose",
    "identify",
    "ledger_layouts",
    "read_statement",
    "read_statement_file",
    "shipped_layouts",
]
