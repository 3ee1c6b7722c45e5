"""Creating a new, empty, valid ledger with registry templates."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from xtaccounts.books.change_note import CHANGE_INIT, ChangeNote, render_message
from xtaccounts.books.history import History
from xtaccounts.books.layout import ACCOUNTS_FILE, ACCOUNTS_TEMPLATE, MAIN_TEMPLATE, REGISTRY_DIR
from xtaccounts.core.errors import XtError
from xtaccounts.core.outside_text import admit_text
from xtaccounts.registry.templates import registry_templates

DEFAULT_TITLE = "湘潭市住宅专项维修资金 电梯维修保险试点账簿"


def ledger_files(
    title: str = DEFAULT_TITLE, registry: dict[str, str] | None = None
) -> dict[str, str]:
    """Relative path -> content of a new ledger (the title admitted as text from outside, and no
    backslash to end Beancount's string early)."""
    title = admit_text(title, field="账簿标题 (--title)", mask=False).replace("\\", "＼")
    files = {
        "main.beancount": MAIN_TEMPLATE.format(title=title),
        ACCOUNTS_FILE: ACCOUNTS_TEMPLATE,
    }
    for name, text in (registry or registry_templates()).items():
        files[f"{REGISTRY_DIR}/{name}"] = text
    return files


def create_ledger(
    directory: Path, files: dict[str, str], *, history: ChangeNote | None = None
) -> Path:
    """Write a new ledger into `directory` (absent or empty) all at once; return its main file.

    The files are written into a temporary sibling directory that is renamed into place, so a
    failure leaves no half-made ledger. With `history` (the note of the command that makes
    it: `init`, `demo build`) the ledger gets its history too (`xtaccounts.books.history`),
    its files the first recorded change.
    """
    directory = directory.resolve()
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise XtError(
            f"{directory}: exists and is not an empty directory; init writes nothing here"
        )
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.init-", dir=directory.parent))
    try:
        for rel, text in files.items():
            target = staging / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        if history is not None:
            start_history(staging, history, CHANGE_INIT)
        os.chmod(staging, 0o755)
        if directory.exists():
            directory.rmdir()
        os.replace(staging, directory)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return directory / "main.beancount"


def start_history(directory: Path, note: ChangeNote, kind: str) -> History:
    """Give the books in `directory` a history whose first change records every file."""
    book = History(directory)
    book.create()
    book.record_all(render_message(note, kind), note, allow_empty=True)
    return book
