"""The archived bank statements read beside the books' load, for the export's reconciliation.

The 银行存款余额调节表 reads every archived statement again (a city's five years: 60 files,
60,485 lines, about 1.2 s). They need nothing of the books, so a process of their own
(`core.side_process`) reads them while the export loads the books, and hands them over when
the reconciliation asks for the first. What it hands over is only kept in memory (the
eighth round's reason: a reading holds the banks' memos and payers' names in clear).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

from xtaccounts.books.write_snapshot import Signature, stat_signature
from xtaccounts.core.bank_statement import Statement
from xtaccounts.core.side_process import Inbox, SideProcess


def _signature(path: Path) -> Signature | None:
    """`stat_signature`, None when the file cannot be looked at."""
    try:
        return stat_signature(path)
    except OSError:
        return None


def _read_all(
    read: Callable[[Path], Statement], paths: Sequence[Path], inbox: Inbox
) -> dict[Path, tuple[Signature, Statement]]:
    """The side process's work: each file read, with its signature, unless it fails or
    changes while being read (it is read again by the export, which gives its error); none
    more once the export has ended."""
    found: dict[Path, tuple[Signature, Statement]] = {}
    for path in paths:
        if inbox.sender_gone():
            break
        before = _signature(path)
        try:
            statement = read(path)
        except Exception:  # the export reads it again and reports what is wrong
            continue
        if before is not None and _signature(path) == before:
            found[path] = (before, statement)
    return found


class StatementsReadBeside:
    """A reader of archived statements (`reports.bank_reconciliation.StatementReader`) whose
    `paths` are read now by a process of their own. A file asked for is taken from what it read
    (and let go) while the file is unchanged since; any other file, one it could not read, or
    all of them if it failed, is read here with `read`. A context manager: leaving it ends the
    process and lets go what was not asked for."""

    def __init__(self, read: Callable[[Path], Statement], paths: Sequence[Path]) -> None:
        self._read = read
        work = partial(_read_all, read, tuple(paths))
        self._side: SideProcess[dict[Path, tuple[Signature, Statement]]] = SideProcess(
            work, "xtaccounts-statements"
        )
        self._readings: dict[Path, tuple[Signature, Statement]] | None = None

    def __enter__(self) -> StatementsReadBeside:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.end()

    def __call__(self, path: Path) -> Statement:
        if self._readings is None:
            try:
                self._readings = self._side.result()
            except Exception:  # read here instead, as if never read beside
                self._readings = {}
        kept = self._readings.pop(path, None)
        if kept is not None and kept[0] == _signature(path):
            return kept[1]
        return self._read(path)

    def end(self) -> None:
        """The process ended and the readings not asked for let go (files asked for after are
        read here)."""
        self._readings = {}
        self._side.end()


__all__ = ["StatementsReadBeside"]
