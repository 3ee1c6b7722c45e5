"""Builders shared by the tests and by `scripts/campaign`, imported from here only
(`from tests.helpers import ...`); no test module imports from another. No pytest or hypothesis
here, so the campaign runs from the demo's setup as well as the tests'; the fixtures live in the
conftest.py files.

- files: write a directory, snapshot it, run the command line (`xt`);
- base_books: the demo registry's bare books and text for them, the importer tests' base books;
- small_books: the insurance tests' small books, whose figures sit on the rules' edges;
- inline: a ledger written inline in a test (the project's header, the small registry);
- insurance: library calls the insurance tests share;
- statements: the importer tests' statements and the goldens beside them;
- serve: `xtaccounts serve` in a subprocess, the browser tests' Chromium.
"""

from __future__ import annotations

from tests.helpers.base_books import (
    CCB,
    ICBC,
    append,
    build_base,
    copy_books,
    deposit,
    fund_books,
    interest,
    loaded_demo_registry,
    make_bare_books,
    opening,
)
from tests.helpers.day_statements import bank_line, books_balance, write_icbc_day
from tests.helpers.files import (
    DEMO_LEDGER,
    REPO,
    child_processes,
    snapshot,
    without_history_warning,
    write_files,
    xt,
    zip_parts,
)
from tests.helpers.inline import (
    InlineBooks,
    InlineLoader,
    inline_template,
    load_inline,
    write_inline,
)
from tests.helpers.insurance import file_app, households, refused, rules, state
from tests.helpers.serve import (
    BROWSER_ARGS,
    CHROMIUM,
    CHROMIUM_MISSING,
    CHROMIUM_REASON,
    start_server,
    stop_server,
)
from tests.helpers.small_books import (
    BANK,
    EA,
    EC,
    ED,
    EE,
    EF,
    HOUSEHOLDS,
    enable_plugin,
    make_small_books,
    seed_pools,
    small_registry,
)
from tests.helpers.statements import (
    CCB_NO,
    GOLDEN_INPUTS,
    ICBC_NO,
    REGEN,
    SAMPLES,
    check_golden,
    demo_account_samples,
    golden_of,
    reader_samples,
    render,
    statement_files,
)

__all__ = [
    "BANK",
    "BROWSER_ARGS",
    "CCB",
    "CCB_NO",
    "CHROMIUM",
    "CHROMIUM_MISSING",
    "CHROMIUM_REASON",
    "DEMO_LEDGER",
    "EA",
    "EC",
    "ED",
    "EE",
    "EF",
    "GOLDEN_INPUTS",
    "HOUSEHOLDS",
    "ICBC",
    "ICBC_NO",
    "REGEN",
    "REPO",
    "SAMPLES",
    "InlineBooks",
    "InlineLoader",
    "append",
    "bank_line",
    "books_balance",
    "build_base",
    "check_golden",
    "child_processes",
    "copy_books",
    "demo_account_samples",
    "deposit",
    "enable_plugin",
    "file_app",
    "fund_books",
    "golden_of",
    "households",
    "inline_template",
    "interest",
    "load_inline",
    "loaded_demo_registry",
    "make_bare_books",
    "make_small_books",
    "opening",
    "reader_samples",
    "refused",
    "render",
    "rules",
    "seed_pools",
    "small_registry",
    "snapshot",
    "start_server",
    "state",
    "statement_files",
    "stop_server",
    "without_history_warning",
    "write_files",
    "write_icbc_day",
    "write_inline",
    "xt",
    "zip_parts",
]
