"""The books' history (xtaccounts.books.history): every commit of the writer is a Git commit of
real ledger files, in the same lock; outside changes are found; the originals are stored as
digests only; a killed writer's change is recorded by the recovery."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import REPO
from xtaccounts.books import history as history_module
from xtaccounts.books import writer
from xtaccounts.books.change_note import (
    CHANGE_INIT,
    CHANGE_WRITER,
    ChangeNote,
    parse_message,
    recording_as,
)
from xtaccounts.books.history import (
    HISTORY_DIR,
    POINTER_PREFIX,
    History,
    HistoryError,
    clear_personal_data,
)
from xtaccounts.books.history_copy import backup_history, restore_books, verify_backup
from xtaccounts.books.history_record import adopt_books, record_outside_changes
from xtaccounts.books.init_ledger import start_history
from xtaccounts.books.outside_changes import outside_changes
from xtaccounts.books.writer import (
    JOURNAL_NAME,
    LOCK_NAME,
    HistoryNotRecorded,
    LedgerWriter,
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
ORIGINAL = "documents/Assets/Bank/2024-01-31.statement.csv"
# A bank's file as received: a payer's name, phone and card number in clear.
ORIGINAL_BYTES = (
    "日期,金额,对方户名,摘要\n2024-01-05,20.00,王小明,电话13812345678 卡6217002930001234567\n"
)


def txn(day: int, narration: str, link: str | None = None) -> str:
    links = f" ^{link}" if link else ""
    return textwrap.dedent(f"""\
        2024-01-{day:02d} * "Deposit" "{narration}"{links}
          Assets:Bank       20.00 CNY
          Income:Deposits  -20.00 CNY
        """)


@pytest.fixture(autouse=True)
def _no_cache_no_hook(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("BEANCOUNT_DISABLE_LOAD_CACHE", "1")
    yield
    writer._after_step = None


@pytest.fixture
def main(tmp_path: Path) -> Path:
    """A small ledger with its history (one recorded change: every file)."""
    root = tmp_path / "books"
    (root / "txns").mkdir(parents=True)
    (root / DEPOSITS_FILE).write_text(DEPOSITS, encoding="utf-8")
    (root / "main.beancount").write_text(MAIN, encoding="utf-8")
    start_history(root, ChangeNote("init", operator="会计甲"), CHANGE_INIT)
    return root / "main.beancount"


def books_files(root: Path) -> dict[str, bytes]:
    """The books' files (not the history, not the lock) with their bytes."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != LOCK_NAME and HISTORY_DIR not in p.relative_to(root).parts
    }


def all_objects(history: History) -> bytes:
    """Every object of the history's repository, uncompressed (blobs, trees, commits)."""
    return history.git("cat-file", "--batch-all-objects", "--batch", reader=True).stdout


def commit_two(main: Path) -> None:
    with LedgerWriter(main) as session:
        session.append(DEPOSITS_FILE, txn(3, "second", "R-0003"))
        session.append(NEW_FILE, txn(4, "interest", "R-0004"))
        session.commit()


# -- recording --------------------------------------------------------------------------------


def test_a_new_ledger_records_every_file_as_its_first_change(main: Path) -> None:
    history = History(main.parent)
    assert history.exists() and history.count() == 1
    (first,) = history.changes()
    assert first.kind == CHANGE_INIT and first.operator == "会计甲"
    assert {path for _, path in first.files} == {"main.beancount", DEPOSITS_FILE}
    assert history.unrecorded() == []
    # The work tree is named on every call, never stored: the books can be moved with it.
    assert "worktree" not in (history.git_dir / "config").read_text()


def test_each_commit_of_the_writer_is_one_change_with_its_note(main: Path) -> None:
    history = History(main.parent)
    with recording_as("deposit receive", "--payer", "王小明 13812345678", reason="补交 王小明"):
        commit_two(main)
    assert history.count() == 2 and history.unrecorded() == []
    change = history.changes()[0]
    assert change.kind == CHANGE_WRITER and change.command == "deposit receive"
    assert change.args == "--payer '王** 138****5678'"  # masked as the books mask a payer
    assert change.reason == "补交 王**"  # the payer's name, repeated in the reason, masked
    assert change.system_user and change.operator
    assert sorted(change.files) == [("A", NEW_FILE), ("M", "main.beancount"), ("M", DEPOSITS_FILE)]
    assert change.entries == ["^R-0003", "^R-0004"] and change.entries_count == 2
    # The recorded files are the books' files, byte for byte.
    for rel, content in books_files(main.parent).items():
        assert history.git("show", f"HEAD:{rel}", reader=True).stdout == content


def test_a_dry_run_or_a_refused_commit_records_nothing(main: Path) -> None:
    history = History(main.parent)
    with LedgerWriter(main) as session:
        session.append(DEPOSITS_FILE, txn(3, "dry"))
        session.commit(dry_run=True)
    with LedgerWriter(main) as session, pytest.raises(writer.WriteRefused):
        session.append(DEPOSITS_FILE, txn(3, "unbalanced").replace("-20.00", "-21.00"))
        session.commit()
    assert history.count() == 1 and history.unrecorded() == []


def test_a_file_edited_outside_the_writer_is_not_written_over(main: Path) -> None:
    deposits = main.parent / DEPOSITS_FILE
    deposits.write_text(DEPOSITS + "; edited by hand\n", encoding="utf-8")
    before = books_files(main.parent)
    with LedgerWriter(main) as session:
        session.append(DEPOSITS_FILE, txn(3, "second"))
        with pytest.raises(XtError, match=f"{DEPOSITS_FILE}（已修改）.*未写入任何内容"):
            session.commit()
    assert books_files(main.parent) == before
    # Another file of the books can be written; the edit stays an outside change.
    with LedgerWriter(main) as session:
        session.append(NEW_FILE, txn(4, "interest"))
        session.commit()
    history = History(main.parent)
    assert history.count() == 2
    assert [(u.path, u.state) for u in history.unrecorded()] == [(DEPOSITS_FILE, "modified")]
    assert NEW_FILE in {path for _, path in history.changes()[0].files}
    assert DEPOSITS_FILE not in {path for _, path in history.changes()[0].files}


def test_outside_changes_are_named_with_their_difference(main: Path) -> None:
    (main.parent / DEPOSITS_FILE).write_text(DEPOSITS.replace("first", "FIRST"), "utf-8")
    (main.parent / "notes.txt").write_text("a note\n", "utf-8")
    (main.parent / ".main.beancount.picklecache").write_bytes(b"cache")  # never part of books
    changes = outside_changes(main.parent)
    assert changes is not None
    assert [(u.path, u.state, u.label) for u in changes] == [
        ("notes.txt", "added", "新增"),
        (DEPOSITS_FILE, "modified", "已修改"),
    ]
    diff = History(main.parent).difference(changes[1])
    assert '-2024-01-02 * "Deposit" "first"' in diff
    assert '+2024-01-02 * "Deposit" "FIRST"' in diff


def test_recording_outside_changes_needs_a_reason_and_refuses_clear_personal_data(
    main: Path,
) -> None:
    notes = main.parent / "notes.txt"
    notes.write_text("业主 王小明 电话 13812345678\n", "utf-8")
    with pytest.raises(XtError, match="须说明原因"):
        record_outside_changes(main, ChangeNote("history record"))
    with pytest.raises(XtError, match=r"notes\.txt:1: 业主 王\*\* 电话 138\*\*\*\*5678"):
        record_outside_changes(main, ChangeNote("history record", reason="备注"))
    history = History(main.parent)
    assert history.count() == 1
    assert b"13812345678" not in all_objects(history)
    notes.write_text("业主 王* 电话 138****5678\n", "utf-8")
    done = record_outside_changes(main, ChangeNote("history record", reason="补记备注"))
    assert [u.path for u in done.files] == ["notes.txt"] and history.unrecorded() == []
    assert history.changes()[0].reason == "补记备注"
    with pytest.raises(XtError, match="无需记录"):
        record_outside_changes(main, ChangeNote("history record", reason="again"))


def test_books_without_a_history_are_adopted_once(tmp_path: Path) -> None:
    root = tmp_path / "old"
    (root / "txns").mkdir(parents=True)
    (root / DEPOSITS_FILE).write_text(DEPOSITS, encoding="utf-8")
    (root / "main.beancount").write_text(MAIN, encoding="utf-8")
    (root / "phones.txt").write_text("13812345678\n", "utf-8")
    with pytest.raises(XtError, match=r"phones\.txt:1"):
        adopt_books(root / "main.beancount", ChangeNote("history adopt"))
    assert not (root / HISTORY_DIR).exists()  # nothing half-made left
    (root / "phones.txt").unlink()
    done = adopt_books(root / "main.beancount", ChangeNote("history adopt", reason="启用"))
    history = History(root)
    assert history.count() == 1 and history.changes()[0].kind == "adopt"
    assert sorted(u.path for u in done.files) == ["main.beancount", DEPOSITS_FILE]
    with pytest.raises(XtError, match="已有变更历史"):
        adopt_books(root / "main.beancount", ChangeNote("history adopt"))
    # An adoption killed before its first change leaves a git directory without a head:
    # adopting again starts over.
    shutil.rmtree(root / HISTORY_DIR)
    History(root).create()
    adopt_books(root / "main.beancount", ChangeNote("history adopt"))
    assert History(root).count() == 1


def test_clear_personal_data_is_found_but_digests_are_not_numbers() -> None:
    assert clear_personal_data("a\n付款人 13812345678\n") == [(2, "付款人 138****5678")]
    digest = hashlib.sha256(b"x").hexdigest()  # 2d711642b726b04401627ca9fbac32f5c8530fb1...
    assert clear_personal_data(f"2023-02-02\t1\t{digest}\t03d3f5e809545593\n") == []


# -- the originals ---------------------------------------------------------------------------


def archive_original(main: Path, content: str = ORIGINAL_BYTES) -> None:
    with LedgerWriter(main) as session:
        session.put_standalone(ORIGINAL, content.encode("utf-8"))
        session.append(DEPOSITS_FILE, txn(5, "statement"))
        session.commit()


def test_an_original_is_stored_as_its_digest_never_its_bytes(main: Path) -> None:
    archive_original(main)
    history = History(main.parent)
    digest = hashlib.sha256(ORIGINAL_BYTES.encode()).hexdigest()
    assert history.git("show", f"HEAD:{ORIGINAL}", reader=True).stdout.decode() == (
        f"{POINTER_PREFIX}{digest}\n"
    )
    stored = all_objects(history)
    for clear in ("王小明", "13812345678", "6217002930001234567"):
        assert clear.encode() not in stored
    assert history.originals_in() == {digest: ORIGINAL}
    assert history.unrecorded() == []
    # A change to an original is a change of its digest.
    (main.parent / ORIGINAL).write_text(ORIGINAL_BYTES + "x\n", "utf-8")
    assert [(u.path, u.state) for u in history.unrecorded()] == [(ORIGINAL, "modified")]


def test_a_missing_digest_program_refuses_before_anything_is_written(
    main: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = history_module.shutil.which
    monkeypatch.setattr(
        history_module.shutil, "which", lambda name: None if name == "sha256sum" else real(name)
    )
    before = books_files(main.parent)
    with pytest.raises(HistoryError, match="sha256sum"):
        archive_original(main)
    assert books_files(main.parent) == before
    monkeypatch.setattr(history_module.shutil, "which", lambda name: None)
    with pytest.raises(HistoryError, match="找不到 git"):
        commit_two(main)
    monkeypatch.undo()
    assert books_files(main.parent) == before and History(main.parent).count() == 1


def test_a_history_that_fails_after_the_renames_leaves_the_change_and_says_so(
    main: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: History, *args: object, **kwargs: object) -> None:
        raise HistoryError("变更历史：git commit 失败（测试）")

    monkeypatch.setattr(History, "record_files", broken)
    with pytest.raises(HistoryNotRecorded, match=r"账簿已写入.*变更历史未能记录"):
        commit_two(main)
    assert "interest" in (main.parent / NEW_FILE).read_text("utf-8")  # the change stands
    assert not (main.parent / JOURNAL_NAME).exists()
    monkeypatch.undo()
    unrecorded = {u.path for u in History(main.parent).unrecorded()}
    assert unrecorded == {NEW_FILE, DEPOSITS_FILE, "main.beancount"}


# -- a killed writer --------------------------------------------------------------------------

CRASHER = """
import os, sys
from pathlib import Path
from xtaccounts.books import writer
from xtaccounts.books.change_note import recording_as

def crash(step):
    if step == sys.argv[2]:
        os._exit(9)

writer._after_step = crash
with recording_as("deposit receive", reason="killed"), writer.LedgerWriter(Path(sys.argv[1])) as s:
    s.append(sys.argv[3], sys.argv[4])
    s.append(sys.argv[5], sys.argv[6])
    s.commit()
"""


def crash_at(main: Path, step: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    args = [DEPOSITS_FILE, txn(3, "second"), NEW_FILE, txn(4, "interest")]
    done = subprocess.run(
        [sys.executable, "-c", CRASHER, str(main), step, *args],
        capture_output=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 9, done.stderr.decode()


@pytest.mark.parametrize("step", ["journal-written", "replaced:1", "history-recorded"])
def test_a_killed_writers_change_is_recorded_once_by_the_recovery(main: Path, step: str) -> None:
    crash_at(main, step)
    assert (main.parent / JOURNAL_NAME).exists()
    history = History(main.parent)
    assert history.count() == (2 if step == "history-recorded" else 1)
    assert recover(main.parent)
    assert history.count() == 2 and history.unrecorded() == []
    trailers = parse_message(history.read("log", "-1", "--format=%B"))
    assert trailers["Xt-Command"] == "deposit receive" and trailers["Xt-Reason"] == "killed"
    assert ("Xt-Recovered" in trailers) is (step != "history-recorded")


def test_a_lock_git_left_behind_is_cleared_under_the_ledger_lock(main: Path) -> None:
    (main.parent / HISTORY_DIR / "index.lock").write_bytes(b"")  # a git killed mid-commit
    commit_two(main)
    history = History(main.parent)
    assert history.count() == 2 and history.unrecorded() == []
    assert not (main.parent / HISTORY_DIR / "index.lock").exists()


# -- backup and restore -----------------------------------------------------------------------


def test_a_backup_is_verified_and_restores_any_change_byte_for_byte(
    main: Path, tmp_path: Path
) -> None:
    archive_original(main)
    first = books_files(main.parent)
    at = History(main.parent).head()
    assert at is not None
    commit_two(main)
    last = books_files(main.parent)
    note = ChangeNote("backup", operator="会计甲")
    done = backup_history(main, tmp_path / "backup", note)
    assert done.changes == 3 and done.originals == 1 and not done.missing
    doc = verify_backup(tmp_path / "backup")
    assert doc["history_head"] == History(main.parent).head()
    digest = hashlib.sha256(ORIGINAL_BYTES.encode()).hexdigest()
    assert (tmp_path / "backup" / "originals" / digest).read_bytes() == ORIGINAL_BYTES.encode()

    # The live books lost, restored from the backup alone: as the last change and as an earlier.
    os.rename(main.parent, tmp_path / "lost")
    restored = restore_books(
        tmp_path / "new", ChangeNote("restore"), live_main=main, backup=tmp_path / "backup"
    )
    assert books_files(tmp_path / "new") == last
    new = History(tmp_path / "new")
    assert new.unrecorded() == [] and new.changes()[0].kind == "restore"
    assert new.contains(doc["history_head"]) and restored.commit == doc["history_head"]
    restore_books(
        tmp_path / "earlier", ChangeNote("restore"), backup=tmp_path / "backup", at=at[:10]
    )
    assert books_files(tmp_path / "earlier") == first

    # A damaged backup is refused.
    original = tmp_path / "backup" / "originals" / digest
    original.write_bytes(b"tampered")
    with pytest.raises(XtError, match="备份已损坏"):
        verify_backup(tmp_path / "backup")


def test_restore_never_writes_over_anything(main: Path, tmp_path: Path) -> None:
    commit_two(main)
    before = books_files(main.parent)
    (tmp_path / "empty").mkdir()
    for target, message in (
        (tmp_path / "empty", "已存在"),
        (main.parent, "已存在"),
        (main.parent / "txns" / "new", "位于账簿目录之内"),
        (tmp_path, "已存在"),
    ):
        with pytest.raises(XtError, match=message):
            restore_books(target, ChangeNote("restore"), live_main=main)
    assert books_files(main.parent) == before
    assert not (main.parent / "txns" / "new").exists() and not any((tmp_path / "empty").iterdir())
    with pytest.raises(HistoryError, match="变更历史中没有"):
        restore_books(tmp_path / "x", ChangeNote("restore"), live_main=main, at="deadbeef")
    assert not (tmp_path / "x").exists()
