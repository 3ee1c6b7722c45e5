"""Tests of xtaccounts.books.load: loading the books, with and without staged appends."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pytest
from beancount import loader
from beancount.core import data

from xtaccounts.books import load as load_module
from xtaccounts.books.load import (
    LoadedBooks,
    _glob_matches,
    appended_content,
    appended_pieces,
    appended_text,
    error_key,
    format_error,
    load_books,
    staged_directive,
)

MAIN = """\
option "operating_currency" "CNY"

2024-01-01 open Assets:Bank CNY
2024-01-01 open Income:Deposits CNY

include "txns/deposits.beancount"
"""

DEPOSITS = """\
2024-01-02 * "Deposit" "first"
  Assets:Bank       100.00 CNY
  Income:Deposits  -100.00 CNY
"""

UNBALANCED = """\
2024-01-03 * "Deposit" "does not balance"
  Assets:Bank        10.00 CNY
  Income:Deposits    -9.00 CNY
"""

GOOD = """\
2024-01-04 * "Deposit" "second"
  Assets:Bank        20.00 CNY
  Income:Deposits   -20.00 CNY
"""


@pytest.fixture
def main(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A small ledger: main.beancount including txns/deposits.beancount."""
    monkeypatch.setenv("BEANCOUNT_DISABLE_LOAD_CACHE", "1")
    (tmp_path / "txns").mkdir()
    (tmp_path / "txns" / "deposits.beancount").write_text(DEPOSITS, encoding="utf-8")
    path = tmp_path / "main.beancount"
    path.write_text(MAIN, encoding="utf-8")
    return path


def narrations(books: LoadedBooks) -> list[str]:
    """Narrations of the books' transactions, in order."""
    return [e.narration for e in books.entries if isinstance(e, data.Transaction)]


def test_load_matches_beancount_loader(main: Path) -> None:
    books = load_books(main)
    entries, errors, options = loader.load_file(str(main))
    assert books.path == main
    assert books.errors == [] and errors == []
    assert [data.entry_sortkey(e) for e in books.entries] == [
        data.entry_sortkey(e) for e in entries
    ]
    assert books.options["include"] == options["include"]
    assert books.options["operating_currency"] == ["CNY"]


def test_load_reports_errors_like_beancount(main: Path) -> None:
    deposits = main.parent / "txns" / "deposits.beancount"
    deposits.write_text(DEPOSITS + UNBALANCED, encoding="utf-8")
    (main.parent / "main.beancount").write_text(MAIN + 'include "missing.beancount"\n')
    books = load_books(main)
    _, errors, _ = loader.load_file(str(main))
    assert sorted(map(error_key, books.errors)) == sorted(map(error_key, errors))
    assert len(books.errors) == 2


PADS = """\
2024-01-01 open Equity:Opening CNY
2024-01-01 open Assets:Cash CNY
2024-01-01 open Assets:Spare CNY
2024-01-01 pad Assets:Cash Equity:Opening
2024-01-05 balance Assets:Cash  50.00 CNY
2024-01-01 pad Assets:Spare Equity:Opening
2024-01-06 pad Assets:Bank Equity:Opening
2024-01-07 balance Assets:Bank  90.00 CNY
"""


@pytest.mark.parametrize("pads", [PADS, ""])
def test_padding_is_beancounts_with_and_without_pad_directives(main: Path, pads: str) -> None:
    """Beancount's padding (an entry inserted, an unused pad reported), or with no `pad`
    directive nothing inserted and nothing reported: the same entries and errors either way."""
    (main.parent / "main.beancount").write_text(MAIN + pads, encoding="utf-8")
    books = load_books(main)
    entries, errors, _ = loader.load_file(str(main))
    assert books.entries == entries
    assert sorted(map(error_key, books.errors)) == sorted(map(error_key, errors))
    assert len(errors) == (1 if pads else 0)  # the unused pad of Assets:Spare
    assert sum(e.flag == "P" for e in entries if isinstance(e, data.Transaction)) == (
        2 if pads else 0
    )


def test_the_cycle_collector_runs_again_after_a_load(
    main: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The load pauses it; it is on again after the load, and after a load that fails."""
    paused: list[bool] = []
    real = load_module.booking.book

    def book(*args: Any) -> Any:
        paused.append(not gc.isenabled())
        return real(*args)

    monkeypatch.setattr(load_module.booking, "book", book)
    assert gc.isenabled()
    load_books(main)
    assert paused == [True] and gc.isenabled()

    def broken(*args: Any) -> Any:
        raise RuntimeError("booking failed")

    monkeypatch.setattr(load_module.booking, "book", broken)
    with pytest.raises(RuntimeError):
        load_books(main)
    assert gc.isenabled()


def test_staged_entries_appear_with_future_line_numbers(main: Path) -> None:
    deposits = main.parent / "txns" / "deposits.beancount"
    books = load_books(main, {deposits: GOOD + UNBALANCED})
    assert narrations(books) == ["first", "does not balance", "second"]
    second = next(e for e in books.entries if getattr(e, "narration", "") == "second")
    assert second.meta["filename"] == str(deposits)
    assert second.meta["lineno"] == 4  # the file has three lines
    assert [error_key(e)[:2] for e in books.errors] == [(str(deposits), 7)]
    # Nothing was written.
    assert deposits.read_text(encoding="utf-8") == DEPOSITS


def test_staged_line_numbers_when_file_lacks_final_newline(main: Path) -> None:
    deposits = main.parent / "txns" / "deposits.beancount"
    deposits.write_text(DEPOSITS.rstrip("\n"), encoding="utf-8")
    books = load_books(main, {deposits: UNBALANCED})
    assert [error_key(e)[:2] for e in books.errors] == [(str(deposits), 4)]


def test_staged_new_file_is_loaded_as_if_included(main: Path) -> None:
    new = main.parent / "txns" / "2024" / "new.beancount"
    books = load_books(main, {new: GOOD})
    assert narrations(books) == ["first", "second"]
    assert str(new) in books.options["include"]
    assert books.errors == []
    assert not new.exists()


def test_staged_include_line_reaches_staged_new_file(main: Path) -> None:
    new = main.parent / "txns" / "new.beancount"
    books = load_books(main, {main: 'include "txns/new.beancount"\n', new: GOOD})
    assert narrations(books) == ["first", "second"]
    assert books.errors == []


def test_staged_include_of_file_already_included_is_a_duplicate(main: Path) -> None:
    deposits = main.parent / "txns" / "deposits.beancount"
    books = load_books(main, {main: 'include "txns/deposits.beancount"\n'})
    assert [e.message for e in books.errors] == [f'Duplicate filename parsed: "{deposits}"']


def test_glob_include_matches_staged_new_file(main: Path) -> None:
    main.write_text(MAIN.replace("txns/deposits.beancount", "txns/*.beancount"))
    new = main.parent / "txns" / "new.beancount"
    books = load_books(main, {new: GOOD, main: 'include "txns/new.beancount"\n'})
    assert [e.message for e in books.errors] == [f'Duplicate filename parsed: "{new}"']


@pytest.mark.parametrize("line", ['option "title" "x"', 'plugin "beancount.plugins.auto"'])
def test_staged_option_or_plugin_line_is_refused(main: Path, line: str) -> None:
    with pytest.raises(ValueError, match="may not contain"):
        load_books(main, {main: line + "\n"})


def test_staged_relative_path_is_refused(main: Path) -> None:
    with pytest.raises(ValueError, match="not absolute"):
        load_books(main, {Path("txns/deposits.beancount"): GOOD})


def test_appended_content() -> None:
    assert appended_content(b"", "a") == b"a\n"
    assert appended_content(b"x\n", "a\n") == b"x\na\n"
    assert appended_content(b"x", "a\n") == b"x\na\n"
    assert appended_content(b"x", "") == b"x"
    assert appended_content(b"", "\u6e58\n") == "\u6e58\n".encode()


def test_appended_text_is_what_appended_content_adds() -> None:
    for old in (b"", b"x", b"x\n"):
        for text in ("", "a", "a\n", "\u6e58\n"):
            added = appended_content(old, text)[len(old) :].decode()
            assert appended_text(old, text) == added
    text = "a\n"
    assert appended_text(b"x\n", text) is text  # not copied


@pytest.mark.parametrize("pieces", [[], [""], ["a"], ["a\n", ""], ["a\n", "b"], ["", "\u6e58\n"]])
def test_appended_pieces_are_the_appended_text_of_their_join(pieces: list[str]) -> None:
    for old in (b"", b"x", b"x\n"):
        given = list(pieces)
        assert "".join(appended_pieces(old, given)) == appended_text(old, "".join(pieces))
        assert given == pieces  # left as it was


def test_staged_directive() -> None:
    assert staged_directive(GOOD) is None
    assert staged_directive(GOOD + 'option "title" "t"\n') == 'option "title" "t"'


def test_error_key_and_format(main: Path) -> None:
    deposits = main.parent / "txns" / "deposits.beancount"
    deposits.write_text(DEPOSITS + UNBALANCED, encoding="utf-8")
    (err,) = load_books(main).errors
    filename, lineno, message = error_key(err)
    assert (filename, lineno) == (str(deposits), 4)
    assert format_error(err) == f"{deposits}:4: {message}"
    assert error_key(loader.LoadError(None, "boom")) == ("", 0, "boom")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("/l/txns/*.beancount", "/l/txns/a.beancount", True),
        ("/l/txns/*.beancount", "/l/txns/2024/a.beancount", False),
        ("/l/txns/**/*.beancount", "/l/txns/2024/a.beancount", True),
        ("/l/txns/**/*.beancount", "/l/txns/a.beancount", True),
        ("/l/txns/*.beancount", "/l/txns/.a.beancount", False),
        ("/l/txns/a.beancount", "/l/txns/a.beancount", True),
    ],
)
def test_glob_matches(pattern: str, path: str, expected: bool) -> None:
    assert _glob_matches(pattern, path) is expected
