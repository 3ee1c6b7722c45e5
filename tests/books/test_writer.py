"""Tests of xtaccounts.books.writer: validated, locked, all-or-nothing appends to real ledger
files."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import stat
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from beancount import loader
from beancount.core import amount, data

from tests.helpers import REPO
from xtaccounts.books import writer
from xtaccounts.books.writer import (
    JOURNAL_NAME,
    LOCK_NAME,
    TMP_SUFFIX,
    CommitResult,
    LedgerLockedError,
    LedgerWriter,
    WriteRefused,
    recover,
)
from xtaccounts.core.errors import XtError

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

DEPOSITS_FILE = "txns/deposits.beancount"
NEW_FILE = "txns/2024/interest.beancount"


def txn(day: int, narration: str, number: str = "20.00", other: str | None = None) -> str:
    """A two-posting deposit transaction as text."""
    other = other if other is not None else f"-{number}"
    return textwrap.dedent(f"""\
        2024-01-{day:02d} * "Deposit" "{narration}"
          Assets:Bank       {number} CNY
          Income:Deposits   {other} CNY
        """)


def numbered(text: str, number: int = 1) -> str:
    """`text` as the writer commits it: with its voucher number under the first line."""
    head, _, rest = text.partition("\n")
    return f'{head}\n  voucher: "记-2024-01-{number:04d}"\n{rest}'


@pytest.fixture(autouse=True)
def _no_cache_no_hook(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No pickle cache beside the test ledgers; no crash hook left behind."""
    monkeypatch.setenv("BEANCOUNT_DISABLE_LOAD_CACHE", "1")
    yield
    writer._after_step = None


@pytest.fixture
def main(tmp_path: Path) -> Path:
    """A small ledger in tmp_path/books: main.beancount including txns/deposits.beancount."""
    root = tmp_path / "books"
    (root / "txns").mkdir(parents=True)
    (root / DEPOSITS_FILE).write_text(DEPOSITS, encoding="utf-8")
    path = root / "main.beancount"
    path.write_text(MAIN, encoding="utf-8")
    return path


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under root (but the lock file) with its bytes."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != LOCK_NAME
    }


def leftovers(root: Path) -> list[Path]:
    """Temporary files and journals a commit may leave behind."""
    return [p for p in root.rglob("*") if p.name.endswith(TMP_SUFFIX) or p.name == JOURNAL_NAME]


def assert_clean(main: Path) -> list[data.Directive]:
    """Load the books with beancount's own loader, assert no errors, return the entries."""
    entries, errors, _ = loader.load_file(str(main))
    assert errors == []
    return entries


def narrations(entries: list[data.Directive]) -> list[str]:
    """Narrations of the transactions, in order."""
    return [e.narration for e in entries if isinstance(e, data.Transaction)]


def posting(account: str, number: str) -> data.Posting:
    """A posting of a CNY amount."""
    return data.Posting(account, amount.Amount(Decimal(number), "CNY"), None, None, None, None)


def txn_entry(day: int, narration: str) -> data.Transaction:
    """A deposit of 5.00 as a directive."""
    postings = [posting("Assets:Bank", "5.00"), posting("Income:Deposits", "-5.00")]
    return data.Transaction(
        data.new_metadata("<test>", 0),
        dt.date(2024, 1, day),
        "*",
        "Deposit",
        narration,
        frozenset(),
        frozenset(),
        postings,
    )


# -- appending ---------------------------------------------------------------------------------


def test_commit_appends_exactly_the_text(main: Path) -> None:
    text = txn(3, "second")
    with LedgerWriter(main) as session:
        session.append(DEPOSITS_FILE, text)
        result = session.commit()
    target = main.parent / DEPOSITS_FILE
    assert target.read_text(encoding="utf-8") == DEPOSITS + numbered(text)
    assert main.read_text(encoding="utf-8") == MAIN
    assert result == CommitResult(
        files=[target], entries_added=1, dry_run=False, text={target: numbered(text)}
    )
    assert narrations(assert_clean(main)) == ["first", "second"]


def test_vouchers_run_per_month_continue_the_books_and_keep_given_ones(main: Path) -> None:
    with LedgerWriter(main) as session:
        session.append(DEPOSITS_FILE, txn(3, "a") + "\n" + txn(4, "b"))
        session.commit()
    with LedgerWriter(main) as session:
        given = txn(5, "given").replace("\n", '\n  voucher: "记-2024-01-0099"\n', 1)
        feb = txn(6, "feb").replace("2024-01-06", "2024-02-06")
        session.append(DEPOSITS_FILE, txn(9, "c") + "\n" + given + "\n" + feb)
        session.append(NEW_FILE, txn(2, "backdated"))
        session.commit()
        vouchers = {
            e.narration: e.meta.get("voucher")
            for e in session.books().entries
            if isinstance(e, data.Transaction)
        }
    assert vouchers == {
        "first": None,  # written before vouchers: it keeps none
        "a": "记-2024-01-0001",
        "b": "记-2024-01-0002",
        "c": "记-2024-01-0003",
        "given": "记-2024-01-0099",
        "feb": "记-2024-02-0001",
        "backdated": "记-2024-01-0100",
    }
    assert leftovers(main.parent) == []


def test_new_file_is_created_and_included(main: Path) -> None:
    text = txn(4, "interest")
    with LedgerWriter(main) as session:
        session.append(NEW_FILE, text)
        session.append(DEPOSITS_FILE, txn(3, "second"))
        result = session.commit()
        assert narrations(session.books().entries) == ["first", "second", "interest"]
    new = main.parent / NEW_FILE
    assert new.read_text(encoding="utf-8") == numbered(text)
    assert stat.S_IMODE(new.stat().st_mode) == 0o644
    include = f'include "{NEW_FILE}"\n'
    assert main.read_text(encoding="utf-8") == MAIN + include
    assert result.files == [new, main.parent / DEPOSITS_FILE, main]
    assert result.text[main] == include
    assert result.entries_added == 2
    assert narrations(assert_clean(main)) == ["first", "second", "interest"]


def test_many_appends_and_later_commit_to_the_new_file(main: Path) -> None:
    with LedgerWriter(main) as session:
        session.append(NEW_FILE, txn(4, "a"))
        session.append(NEW_FILE, txn(5, "b").rstrip("\n"))
        session.commit()
        session.append(NEW_FILE, txn(6, "c"))
        result = session.commit()
    assert result.files == [main.parent / NEW_FILE]  # already included: main untouched
    assert main.read_text(encoding="utf-8").count("include") == 2
    assert narrations(assert_clean(main)) == ["first", "a", "b", "c"]


def test_separator_newline_when_file_lacks_one(main: Path) -> None:
    target = main.parent / DEPOSITS_FILE
    target.write_text(DEPOSITS.rstrip("\n"), encoding="utf-8")
    with LedgerWriter(main) as session:
        session.append(DEPOSITS_FILE, txn(3, "second"))
        result = session.commit()
    assert result.text[target] == "\n" + numbered(txn(3, "second"))
    assert target.read_text(encoding="utf-8") == DEPOSITS + numbered(txn(3, "second"))
    assert_clean(main)


def test_append_entries_formats_with_blank_lines(main: Path) -> None:
    entries = [txn_entry(day, f"n{day}") for day in (3, 4)]
    with LedgerWriter(main) as session:
        session.append_entries(DEPOSITS_FILE, entries)
        session.append_entries(NEW_FILE, entries[:1])
        result = session.commit()
    appended = result.text[main.parent / DEPOSITS_FILE]
    assert appended.startswith('\n2024-01-03 * "Deposit" "n3"\n')
    assert '5.00 CNY\n\n2024-01-04 * "Deposit" "n4"\n' in appended
    assert result.text[main.parent / NEW_FILE].startswith("2024-01-03")
    assert narrations(assert_clean(main)) == ["first", "n3", "n3", "n4"]


def test_mode_of_existing_file_is_kept(main: Path) -> None:
    target = main.parent / DEPOSITS_FILE
    target.chmod(0o600)
    with LedgerWriter(main) as session:
        session.append(DEPOSITS_FILE, txn(3, "second"))
        session.commit()
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_nothing_staged_and_uncommitted_session(main: Path) -> None:
    before = snapshot(main.parent)
    with LedgerWriter(main) as session:
        assert session.commit() == CommitResult(files=[], entries_added=0, dry_run=False, text={})
        session.append(DEPOSITS_FILE, txn(3, "never committed"))
    assert snapshot(main.parent) == before
    with pytest.raises(XtError, match="closed"):
        session.append(DEPOSITS_FILE, txn(3, "too late"))


def test_dry_run_writes_nothing(main: Path) -> None:
    before = snapshot(main.parent)
    with LedgerWriter(main) as session:
        session.append(NEW_FILE, txn(4, "interest"))
        result = session.commit(dry_run=True)
    assert result.dry_run
    assert result.files == [main.parent / NEW_FILE, main]
    assert result.text[main.parent / NEW_FILE] == numbered(txn(4, "interest"))
    assert result.text[main] == f'include "{NEW_FILE}"\n'
    assert snapshot(main.parent) == before
    assert not (main.parent / "txns" / "2024").exists()


# -- refusals ----------------------------------------------------------------------------------


def assert_refused(main: Path, relpath: str, text: str, **kwargs: Any) -> WriteRefused:
    """Append text, expect WriteRefused, and check that no file changed."""
    before = snapshot(main.parent)
    dirs_before = sorted(p for p in main.parent.rglob("*") if p.is_dir())
    with LedgerWriter(main, **kwargs) as session:
        session.append(relpath, text)
        with pytest.raises(WriteRefused) as info:
            session.commit()
    assert snapshot(main.parent) == before
    assert sorted(p for p in main.parent.rglob("*") if p.is_dir()) == dirs_before
    assert leftovers(main.parent) == []
    return info.value


def test_unbalanced_transaction_is_refused(main: Path) -> None:
    refused = assert_refused(main, NEW_FILE, txn(3, "bad", "10.00", "-9.00"))
    target = main.parent / NEW_FILE
    assert len(refused.errors) == 1
    assert refused.errors[0].startswith(f"{target}:1: ")
    assert "does not balance" in refused.errors[0]


def test_breaking_a_balance_assertion_is_refused(main: Path) -> None:
    target = main.parent / DEPOSITS_FILE
    target.write_text(DEPOSITS + "\n2024-01-10 balance Assets:Bank 100.00 ~ 0.00 CNY\n")
    assert_clean(main)
    refused = assert_refused(main, DEPOSITS_FILE, txn(5, "one fen", "0.01"))
    assert len(refused.errors) == 1
    assert refused.errors[0].startswith(f"{target}:5: ")
    assert "Balance failed" in refused.errors[0]


def test_preexisting_error_does_not_block_a_valid_write(main: Path) -> None:
    target = main.parent / DEPOSITS_FILE
    target.write_text(DEPOSITS + txn(3, "old bad", "10.00", "-9.00"))
    _, errors, _ = loader.load_file(str(main))
    assert len(errors) == 1
    with LedgerWriter(main) as session:
        session.append(DEPOSITS_FILE, txn(4, "good"))
        session.commit()
    _, errors, _ = loader.load_file(str(main))
    assert len(errors) == 1
    # ...but a second error of the same kind is still refused.
    assert_refused(main, DEPOSITS_FILE, txn(5, "new bad", "10.00", "-9.00"))


def test_check_error_is_refused(main: Path) -> None:
    def no_large_deposits(entries: list[data.Directive], options: dict[str, Any]) -> list[Any]:
        return [
            loader.LoadError(e.meta, "deposit over 1000.00")
            for e in entries
            if isinstance(e, data.Transaction) and any(p.units.number > 1000 for p in e.postings)
        ]

    refused = assert_refused(
        main, DEPOSITS_FILE, txn(3, "large", "5000.00"), checks=[no_large_deposits]
    )
    assert refused.errors == [f"{main.parent / DEPOSITS_FILE}:4: deposit over 1000.00"]
    # A check's complaint about the books as they are does not block other writes.
    (main.parent / DEPOSITS_FILE).write_text(DEPOSITS + txn(3, "old large", "5000.00"))
    with LedgerWriter(main, checks=[no_large_deposits]) as session:
        session.append(DEPOSITS_FILE, txn(4, "small"))
        session.commit()


def test_existing_file_not_included_is_refused(main: Path) -> None:
    (main.parent / "stray.beancount").write_text("")
    with LedgerWriter(main) as session:
        session.append("stray.beancount", txn(3, "x"))
        with pytest.raises(XtError, match="not included"):
            session.commit()


def test_new_file_under_glob_include_is_refused_as_duplicate(main: Path) -> None:
    main.write_text(MAIN.replace(DEPOSITS_FILE, "txns/*.beancount"))
    refused = assert_refused(main, "txns/other.beancount", txn(3, "x"))
    assert "Duplicate filename parsed" in refused.errors[0]


@pytest.mark.parametrize(
    "relpath",
    [
        "../x.beancount",
        "txns/../../x.beancount",
        "/tmp/x.beancount",
        "",
        ".",
        "txns",
        LOCK_NAME,
        JOURNAL_NAME,
        "txns/a.beancount" + TMP_SUFFIX,
        'a"b.beancount',
    ],
)
def test_bad_paths_are_refused(main: Path, relpath: str) -> None:
    with LedgerWriter(main) as session, pytest.raises(XtError):
        session.append(relpath, txn(3, "x"))


def test_symlink_escaping_the_ledger_dir_is_refused(main: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (main.parent / "link").symlink_to(outside)
    (main.parent / "txns" / "alias.beancount").symlink_to(main.parent / DEPOSITS_FILE)
    with LedgerWriter(main) as session:
        with pytest.raises(XtError, match="escapes"):
            session.append("link/x.beancount", txn(3, "x"))
        with pytest.raises(XtError, match="symbolic link"):
            session.append("txns/alias.beancount", txn(3, "x"))


@pytest.mark.parametrize("line", ['include "x.beancount"', 'option "title" "x"', 'plugin "p"'])
def test_directive_lines_in_text_are_refused(main: Path, line: str) -> None:
    with LedgerWriter(main) as session, pytest.raises(XtError, match="may not contain"):
        session.append(DEPOSITS_FILE, line + "\n")


# -- locking -----------------------------------------------------------------------------------


def test_second_writer_times_out(main: Path) -> None:
    with LedgerWriter(main), pytest.raises(LedgerLockedError), LedgerWriter(main, lock_timeout=0.2):
        pass
    with LedgerWriter(main, lock_timeout=0.2) as session:
        assert session.books().errors == []


WORKER = """
import sys
from pathlib import Path
from xtaccounts.books.writer import LedgerWriter

main, tag = Path(sys.argv[1]), sys.argv[2]
for i in range(20):
    with LedgerWriter(main, lock_timeout=60) as session:
        session.append(sys.argv[3], (
            f'2024-02-01 * "Deposit" "{tag}-{i}"\\n'
            f'  Assets:Bank       1.00 CNY\\n'
            f'  Income:Deposits  -1.00 CNY\\n'
        ))
        session.commit()
"""


def run_python(code: str, *args: str) -> subprocess.Popen[bytes]:
    """Start a Python process running code with the repository importable."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "BEANCOUNT_DISABLE_LOAD_CACHE": "1"}
    return subprocess.Popen([sys.executable, "-c", code, *args], env=env, stderr=subprocess.PIPE)


def test_two_processes_append_concurrently(main: Path) -> None:
    procs = [run_python(WORKER, str(main), tag, NEW_FILE) for tag in ("p", "q")]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
    entries = assert_clean(main)
    names = narrations(entries)
    expected = {f"{tag}-{i}" for tag in ("p", "q") for i in range(20)}
    assert sorted(names) == sorted(["first", *expected])
    assert main.read_text(encoding="utf-8").count(f'include "{NEW_FILE}"') == 1
    text = (main.parent / NEW_FILE).read_text(encoding="utf-8")
    assert text.count("2024-02-01") == 40
    assert all(len(e.postings) == 2 for e in entries if isinstance(e, data.Transaction))
    assert leftovers(main.parent) == []


# -- crash safety ------------------------------------------------------------------------------

STEPS = [
    "tmp-written",
    "journal-written",
    "replaced:0",
    "replaced:1",
    "replaced:2",
    "journal-removed",
]


def stage_three_files(session: writer.WriteSession) -> None:
    """A change touching three files: an existing one, a new one, and main (its include)."""
    session.append(DEPOSITS_FILE, txn(3, "second"))
    session.append(NEW_FILE, txn(4, "interest"))


def state_after(main: Path, tmp_path: Path) -> dict[str, bytes]:
    """The files of the books once the change is committed, made on a copy."""
    copy = tmp_path / "copy"
    shutil.copytree(main.parent, copy)
    with LedgerWriter(copy / main.name) as session:
        stage_three_files(session)
        session.commit()
    return snapshot(copy)


CRASHER = """
import os, sys
from pathlib import Path
from xtaccounts.books import writer

def crash(step):
    if step == sys.argv[2]:
        os._exit(9)

writer._after_step = crash
with writer.LedgerWriter(Path(sys.argv[1])) as session:
    session.append(sys.argv[3], sys.argv[4])
    session.append(sys.argv[5], sys.argv[6])
    session.commit()
"""


def crash_at(main: Path, step: str) -> None:
    """Run the three-file commit in another process that dies (os._exit) after `step`."""
    args = [DEPOSITS_FILE, txn(3, "second"), NEW_FILE, txn(4, "interest")]
    proc = run_python(CRASHER, str(main), step, *args)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 9, err.decode()


@pytest.mark.parametrize("step", STEPS)
def test_killed_between_steps_recovers_to_before_or_after(
    main: Path, tmp_path: Path, step: str
) -> None:
    before = snapshot(main.parent)
    after = state_after(main, tmp_path)
    crash_at(main, step)

    had_journal = (main.parent / JOURNAL_NAME).exists()
    assert had_journal == (step not in ("tmp-written", "journal-removed"))
    if step == "tmp-written":
        assert len(leftovers(main.parent)) == 3
    assert recover(main.parent) is had_journal
    assert leftovers(main.parent) == []
    assert snapshot(main.parent) == (before if step == "tmp-written" else after)
    assert narrations(assert_clean(main))[-1] == ("first" if step == "tmp-written" else "interest")


def test_new_session_recovers_after_a_kill(main: Path, tmp_path: Path) -> None:
    after = state_after(main, tmp_path)
    crash_at(main, "replaced:0")
    assert (main.parent / JOURNAL_NAME).exists()
    with LedgerWriter(main) as session:
        assert session.books().errors == []
    assert snapshot(main.parent) == after
    assert leftovers(main.parent) == []


def test_recover_reports_roll_forward(main: Path, tmp_path: Path) -> None:
    assert recover(main.parent) is False
    crash_at(main, "journal-written")
    assert recover(main.parent) is True
    assert recover(main.parent) is False


class Boom(Exception):
    """Raised by the test hook."""


@pytest.mark.parametrize("step", STEPS)
def test_exception_between_steps_leaves_before_or_after(
    main: Path, tmp_path: Path, step: str
) -> None:
    before = snapshot(main.parent)
    after = state_after(main, tmp_path)

    def fail(name: str) -> None:
        if name == step:
            raise Boom(name)

    writer._after_step = fail
    with LedgerWriter(main) as session:
        stage_three_files(session)
        with pytest.raises(Boom):
            session.commit()
    writer._after_step = None
    assert leftovers(main.parent) == []
    assert snapshot(main.parent) == (before if step == "tmp-written" else after)
    assert not (step == "tmp-written" and (main.parent / "txns" / "2024").exists())
    assert_clean(main)


OPTION_LINE = 'option "operating_currency" "CNY"'


def test_standalone_files_are_written_whole_in_the_same_commit(main: Path) -> None:
    root = main.parent
    with LedgerWriter(main) as session:
        session.append(DEPOSITS_FILE, txn(4, "second"))
        session.put_standalone("years/2025.beancount", OPTION_LINE)
        result = session.commit()
    assert (root / "years/2025.beancount").read_text("utf-8") == OPTION_LINE + "\n"
    assert "years/2025.beancount" not in main.read_text("utf-8")  # not included by main
    assert len(result.files) == 2
    with LedgerWriter(main) as session:
        session.put_standalone("years/2025.beancount", "; replaced\n")
        session.commit()
    assert (root / "years/2025.beancount").read_text("utf-8") == "; replaced\n"


def test_a_file_of_the_main_books_cannot_be_written_whole(main: Path) -> None:
    before = {p: p.read_bytes() for p in main.parent.rglob("*.beancount")}
    with LedgerWriter(main) as session, pytest.raises(XtError, match="part of the main books"):
        session.put_standalone(DEPOSITS_FILE, "; gone\n")
        session.commit()
    assert {p: p.read_bytes() for p in main.parent.rglob("*.beancount")} == before


def test_binary_standalone_files_are_written_as_they_are(main: Path) -> None:
    pdf = b"%PDF-1.4\n\x00\xff binary"
    with LedgerWriter(main) as session:
        session.put_standalone("documents/notices/APP-1.pdf", pdf)
        session.commit()
    assert (main.parent / "documents/notices/APP-1.pdf").read_bytes() == pdf


def test_a_file_written_whole_is_decoded_only_when_its_text_is_asked(main: Path) -> None:
    """The commit's text of a file written whole is its content decoded (undecodable bytes
    replaced), worked out when asked for: an import's archived statement is megabytes."""
    pdf = b"%PDF-1.4\n\x00\xff binary"
    with LedgerWriter(main) as session:
        session.append(DEPOSITS_FILE, txn(3, "first"))
        session.put_standalone("documents/notices/APP-1.pdf", pdf)
        session.put_standalone("documents/notices/APP-1.html", "<p>通知</p>")
        result = session.commit()
    target = main.parent / "documents/notices/APP-1.pdf"
    assert result.text[target] == pdf.decode("utf-8", errors="replace")
    assert result.text[main.parent / "documents/notices/APP-1.html"] == "<p>通知</p>\n"
    assert result.text[main.parent / DEPOSITS_FILE] == numbered(txn(3, "first"))
    assert list(result.text) == result.files
    assert result.text == {path: result.text[path] for path in result.files}
