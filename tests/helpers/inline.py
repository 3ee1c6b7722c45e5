"""Ledgers written inline in a test, in the spirit of beancount's `loader.load_doc`: the test's
text, dedented, goes below the project's own header (options, the fund's and the insurance
plugins) in main.beancount, beside the small books' registry (`small_books.small_registry`)
and, unless asked otherwise, its chart of accounts; the books are then loaded as every command
loads them (`xtaccounts.books.load.load_books`). The `inline_ledger` fixture (tests/conftest.py)
wraps this."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from beancount.core.data import Directive

from tests.helpers.files import write_files
from tests.helpers.small_books import small_registry
from xtaccounts.books.init_ledger import create_ledger, ledger_files
from xtaccounts.books.load import LoadedBooks, load_books
from xtaccounts.ops.accounts_sync import sync_accounts


@dataclass(frozen=True)
class InlineBooks:
    """An inline ledger as loaded: its main.beancount and what `load_books` gave."""

    main: Path
    loaded: LoadedBooks

    @property
    def entries(self) -> list[Directive]:
        return self.loaded.entries

    @property
    def errors(self) -> list[Any]:
        return self.loaded.errors

    @property
    def options(self) -> dict[str, Any]:
        return self.loaded.options

    @property
    def messages(self) -> list[str]:
        """The errors' messages, in order."""
        return [e.message for e in self.loaded.errors]


# What the `inline_ledger` fixture gives: text (and `chart=`) in, the loaded books out.
InlineLoader = Callable[..., InlineBooks]


def inline_template(directory: Path, *, chart: bool = True) -> Path:
    """New books in `directory` with the small registry and, if `chart`, the accounts it calls
    for (`accounts sync`), and nothing else: their main.beancount."""
    main = create_ledger(directory, ledger_files(registry=small_registry()))
    if chart:
        sync_accounts(main)
    return main


def write_inline(
    template: Path, target: Path, text: str, files: dict[str, str] | None = None
) -> Path:
    """Copy the books of `template` to the directory `target`, add `files` (path relative to the
    ledger directory -> content) and write `text`, dedented, at the end of their main.beancount:
    its main.beancount."""
    shutil.copytree(template.parent, target)
    write_files(target, files or {})
    main = target / template.name
    body = textwrap.dedent(text).strip("\n")
    main.write_text(main.read_text("utf-8") + "\n" + body + "\n", "utf-8")
    return main


def load_inline(main: Path) -> InlineBooks:
    """Load inline books as the commands do."""
    return InlineBooks(main, load_books(main))
