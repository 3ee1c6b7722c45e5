"""Where things live in a ledger directory, and how a new, empty ledger is laid out."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from xtaccounts.books.redo_journal import settle_for_reading
from xtaccounts.core.errors import XtError
from xtaccounts.core.i18n import _

DEFAULT_MAIN = Path("ledger/main.beancount")
ACCOUNTS_FILE = "accounts.beancount"
REGISTRY_DIR = "registry"
DOCUMENTS_DIR = "documents"
TXNS_DIR = "txns"
YEARS_DIR = "years"  # a year's own books, written by its close (`ops.close`)
_YEAR_BOOKS = re.compile(r"(\d{4})\.beancount")

MAIN_TEMPLATE = """\
; 湘潭市住宅专项维修资金 电梯维修保险试点 — the books (Beancount v3).
; Written by `xtaccounts init`; commands append to the included files through one locked writer.
; New files are included below by the writer, one line each.

option "title" "{title}"
option "operating_currency" "CNY"
; Fen-exact balance assertions: with two decimals, the default tolerance would let 0.01 through.
option "tolerance_multiplier" "0.4"
option "booking_method" "STRICT"

; The fund's own rules (whole fen, unit/pool metadata, no negative pool), checked on every load.
plugin "xtaccounts.plugins.fund_rules"
; The pilot's insurance rules (applications, notices, votes, purchases, double cover).
plugin "xtaccounts.plugins.insurance_rules"
; The pilot's pages in Fava (pools, coverage, applications, policies, spreads): docs/fava.md.
2000-01-01 custom "fava-extension" "xtaccounts.fava_ext"

include "accounts.beancount"
"""

ACCOUNTS_TEMPLATE = """\
; The chart of accounts. `xtaccounts accounts sync` appends the `open` directives the registry
; calls for; it never rewrites what is here.
"""


@dataclass(frozen=True)
class LedgerLayout:
    """The files of one ledger, from the path of its top-level file."""

    main: Path

    @property
    def root(self) -> Path:
        return self.main.parent

    @property
    def registry(self) -> Path:
        return self.root / REGISTRY_DIR

    @property
    def accounts(self) -> Path:
        return self.root / ACCOUNTS_FILE

    @property
    def documents(self) -> Path:
        return self.root / DOCUMENTS_DIR

    @staticmethod
    def txns_file(year: int, kind: str) -> str:
        """Relative path of one kind of transactions in one year: txns/2024/deposits.beancount."""
        return f"{TXNS_DIR}/{year:04d}/{kind}.beancount"


def resolve_main(ledger: str | os.PathLike[str] | None) -> Path:
    """The top-level ledger file: the option, else $XT_LEDGER, else ledger/main.beancount."""
    chosen = ledger or os.environ.get("XT_LEDGER") or DEFAULT_MAIN
    path = Path(chosen)
    if path.is_dir():
        path = path / "main.beancount"
    return path.resolve()


def year_book_file(year: int) -> str:
    """A year's own books, relative to the ledger dir: years/2025.beancount."""
    return f"{YEARS_DIR}/{year:04d}.beancount"


def year_opening_file(year: int) -> str:
    """The balances carried into a year's own books: years/2025-opening.beancount."""
    return f"{YEARS_DIR}/{year:04d}-opening.beancount"


def refuse_year_books(main: Path) -> None:
    """XtError if `main` is a year's own books (`years/<Y>.beancount` with its opening file,
    in books whose main file is beside `years/`): they are for looking at that year
    (bean-check, Fava, `serve`); the other commands read and write the whole books, whose
    registry and documents lie beside their main file."""
    year = _YEAR_BOOKS.fullmatch(main.name)
    root = main.parent.parent
    if year is None or root / year_book_file(int(year.group(1))) != main:
        return
    whole = root / "main.beancount"
    if whole.is_file() and (root / year_opening_file(int(year.group(1)))).is_file():
        raise XtError(
            _(
                "{path} 是 {year} 年单独的账簿（供 bean-check、Fava 与 xtaccounts serve "
                "只看这一年）；xtaccounts 的其他命令读写整套账簿：请用 --ledger {whole}"
            ).format(path=main, year=year.group(1), whole=whole)
        )


def require_ledger(main: Path) -> LedgerLayout:
    """The layout of an existing ledger, or a clear error when there is none.

    Every command reaches the books through here, so this is where a commit left half-applied
    by a killed writer is rolled forward before anything is read (`settle_for_reading`:
    under the writer's lock, or a refusal); a reader never reports on half-written books.
    """
    if not main.is_file():
        raise XtError(f"{main}: no ledger here (create one with `xtaccounts init DIR`)")
    settle_for_reading(main.parent)
    return LedgerLayout(main)
