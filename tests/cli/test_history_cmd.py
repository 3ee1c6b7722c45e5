"""The books' history through the real command line, on copies of the demo books: every
command's change recorded with who and why, hand edits named by the next command and by the
audit, backups restored byte for byte, the history head of an export checked by the audit."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import snapshot, without_history_warning, xt
from xtaccounts.books.change_note import ChangeNote
from xtaccounts.books.history import History
from xtaccounts.books.history_copy import restore_books

CCB_NO = "43050163620800001234"
EDITED = "main.beancount"
REFUND = (
    *("deposit", "refund", "--household", "C0001-B01-U1-101", "--amount", "1.00"),
    *("--date", "2026-01-26", "--account", CCB_NO),
)


def history_json(main: Path, *args: str) -> dict:
    done = xt(main, "history", "--format", "json", *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def hand_edit(main: Path) -> None:
    """A comment of main.beancount changed in an editor."""
    text = main.read_text("utf-8")
    edited = text.replace("; The pilot's pages in Fava", "; The pilot's pages (edited) in Fava")
    assert edited != text
    main.write_text(edited, "utf-8")


def test_the_demo_books_have_their_history(demo_books: Path) -> None:
    doc = history_json(demo_books)
    assert doc["unrecorded"] == [] and doc["head"] == History(demo_books.parent).head()
    changes = doc["changes"]
    assert len(changes) == doc["recorded"] >= 70
    assert changes[-1]["kind"] == "init" and changes[-1]["command"] == "demo build：init"
    refund = next(c for c in changes if c["command"] == "demo build：deposit refund")
    assert refund["reason"] == "房屋灭失 (拆除) 返还 维修资金"
    assert refund["operator"] and refund["system_user"]
    assert {f["path"] for f in refund["files"]} == {
        "main.beancount",
        "txns/2025/deposits.beancount",
    }
    # Filters: a file, an entry (its link or id), a day.
    allocations = history_json(demo_books, "--file", "txns/2025/allocations.beancount")["changes"]
    assert [c["command"] for c in allocations] == ["demo build：allocate"] * 2
    app = {c["command"] for c in history_json(demo_books, "--entry", "^APP-2024-001")["changes"]}
    assert {"demo build：file APP-2024-001", "demo build：buy APP-2024-001"} <= app
    assert "demo build：allocate" not in app and "demo build：file APP-2024-002" not in app
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    assert history_json(demo_books, "--since", tomorrow)["changes"] == []
    assert len(history_json(demo_books, "--since", "2020-01-01")["changes"]) == len(changes)


@pytest.mark.slow
def test_a_command_records_its_arguments_user_and_reason_masked(demo_copy: Path) -> None:
    done = xt(
        demo_copy,
        "--operator",
        "张会计",
        *REFUND,
        "--reason",
        "房屋灭失 业主王小明 电话13812345678",
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # nothing differs from the last recorded change
    change = history_json(demo_copy)["changes"][0]
    assert change["command"] == "deposit refund" and change["kind"] == "writer"
    assert change["operator"] == "张会计" and change["system_user"]
    assert change["reason"] == "房屋灭失 业主王** 电话138****5678"
    assert "--household C0001-B01-U1-101" in change["args"] and "13812345678" not in change["args"]
    assert {f["path"] for f in change["files"]} == {
        "main.beancount",
        "txns/2026/deposits.beancount",
    }
    text = xt(demo_copy, "history", "--file", "txns/2026/deposits.beancount")
    assert (
        "操作人：张会计" in text.stdout and "原因：房屋灭失 业主王** 电话138****5678" in text.stdout
    )


@pytest.mark.slow
def test_a_hand_edit_is_named_by_the_next_command_and_by_the_audit(demo_copy: Path) -> None:
    hand_edit(demo_copy)
    # The next command, reading: stderr names the file; its JSON on stdout stays clean.
    pools = xt(demo_copy, "pools", "--as-of", "2025-12-31", "--format", "json")
    assert pools.returncode == 0 and json.loads(pools.stdout)
    assert "尚未记入变更历史" in pools.stderr and f"已修改  {EDITED}" in pools.stderr
    # The audit: an error with the difference.
    audit = xt(demo_copy, "audit", "--format", "json")
    assert audit.returncode == 1
    doc = json.loads(audit.stdout)
    (finding,) = [f for f in doc["findings"] if f["severity"] == "error"]
    assert (finding["check"], finding["code"]) == ("history", "unrecorded-change")
    assert finding["entries"][0]["file"] == EDITED
    assert "-; The pilot's pages in Fava" in finding["message"]
    assert "+; The pilot's pages (edited) in Fava" in finding["message"]
    # A command that would write the edited file (a new file's include) is refused, nothing
    # written.
    before = snapshot(demo_copy.parent)
    refund = xt(demo_copy, *REFUND, "--reason", "房屋灭失")
    assert refund.returncode == 1 and f"{EDITED}（已修改）" in refund.stderr
    assert snapshot(demo_copy.parent) == before
    # Recorded with a reason: the audit is clean again and the history says who and why.
    record = xt(demo_copy, "--operator", "李会计", "history", "record", "--reason", "改注释")
    assert record.returncode == 0, record.stderr
    assert xt(demo_copy, "audit").returncode == 0
    change = history_json(demo_copy)["changes"][0]
    assert (change["kind"], change["operator"], change["reason"]) == ("record", "李会计", "改注释")
    assert change["files"] == [{"status": "M", "path": EDITED}]
    assert xt(demo_copy, *REFUND, "--reason", "房屋灭失").returncode == 0


@pytest.mark.slow
def test_a_backup_restored_into_a_new_directory_is_byte_identical_and_audits_clean(
    demo_copy: Path, tmp_path: Path
) -> None:
    before = snapshot(demo_copy.parent)
    backup = tmp_path / "other-disk" / "backup"
    done = xt(demo_copy, "backup", str(backup))
    assert done.returncode == 0, done.stderr
    assert "已核验" in done.stdout
    manifest = json.loads((backup / "manifest.json").read_text("utf-8"))
    assert manifest["history_head"] == History(demo_copy.parent).head()
    assert len(manifest["originals"]) == 30  # the demo's archived statements
    # The books are lost whole (their history with them); the backup brings them back.
    shutil.rmtree(demo_copy.parent)
    restored = tmp_path / "restored"
    done = xt(demo_copy, "restore", "--from", str(backup), "--to", str(restored))
    assert done.returncode == 0, done.stderr
    assert snapshot(restored) == before
    main = restored / demo_copy.name
    audit = xt(main, "audit", "--manifest", str(backup / "manifest.json"))
    assert audit.returncode == 0, audit.stdout
    assert History(restored).unrecorded() == []


@pytest.mark.slow
def test_the_mistaken_export_out_of_the_safety_issue_would_be_recoverable(
    demo_copy: Path, tmp_path: Path
) -> None:
    """`export --out L/txns --replace`, before destinations.outside_books refused it, replaced
    the books' transactions with an export. Done again here past the guard, the books come
    back from their own history."""
    from xtaccounts.core.atomic_directory import write_directory

    before = snapshot(demo_copy.parent)
    txns = demo_copy.parent / "txns"

    def export_files(root: Path) -> None:
        (root / "manifest.json").write_text("{}\n", "utf-8")

    write_directory(txns, export_files, replace=True, replaceable=lambda _: None)
    assert sorted(p.name for p in txns.iterdir()) == ["manifest.json"]  # the books' txns gone
    # The next command names what happened.
    pools = xt(demo_copy, "history")
    assert "已删除  txns/2025/deposits.beancount" in pools.stdout
    restored = tmp_path / "restored"
    done = xt(demo_copy, "restore", "--to", str(restored))
    assert done.returncode == 0, done.stderr
    assert snapshot(restored) == before
    assert xt(restored / demo_copy.name, "audit").returncode == 0


@pytest.mark.slow
def test_an_exports_history_head_is_checked_and_a_rewritten_history_is_found(
    demo_copy: Path, tmp_path: Path
) -> None:
    out = tmp_path / "export"
    done = xt(demo_copy, "export", "--period", "2025", "--out", str(out), "--format", "csv")
    assert done.returncode == 0, done.stderr
    history = History(demo_copy.parent)
    head = history.head()
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert manifest["history_head"] == head and manifest["history_unrecorded"] == []
    assert f"历史头（财政局留存）：{head}" in done.stdout
    assert xt(demo_copy, "audit", "--manifest", str(out / "manifest.json")).returncode == 0
    # A later change keeps the head in the history.
    assert xt(demo_copy, *REFUND, "--reason", "房屋灭失").returncode == 0
    assert xt(demo_copy, "audit", "--history-ref", str(head)).returncode == 0
    # The history rewritten from before the export on (the last changes replaced): found.
    assert head is not None
    history.git("reset", "--soft", f"{head}~2")
    history.git(
        "commit", "--quiet", "--no-verify", "-m", "rewritten",
        env={"GIT_AUTHOR_NAME": "x", "GIT_AUTHOR_EMAIL": "x@x", "GIT_COMMITTER_NAME": "x",
             "GIT_COMMITTER_EMAIL": "x@x"},
    )  # fmt: skip
    audit = xt(demo_copy, "audit", "--manifest", str(out / "manifest.json"), "--format", "json")
    assert audit.returncode == 1
    codes = [(f["check"], f["code"]) for f in json.loads(audit.stdout)["findings"]]
    assert ("history", "history-rewritten") in codes


def test_restore_refuses_a_target_that_exists_or_lies_in_the_books(
    demo_copy: Path, tmp_path: Path
) -> None:
    before = snapshot(demo_copy.parent)
    (tmp_path / "empty").mkdir()
    for target in (tmp_path / "empty", demo_copy.parent / "restored"):
        done = xt(demo_copy, "restore", "--to", str(target))
        assert done.returncode == 1 and "Traceback" not in done.stderr
        assert len(without_history_warning(done.stderr).strip().splitlines()) == 1
    assert snapshot(demo_copy.parent) == before
    assert not (demo_copy.parent / "restored").exists() and not any((tmp_path / "empty").iterdir())


def test_init_works_without_any_git_configuration(tmp_path: Path) -> None:
    """The history needs no user's Git configuration, and ignores a hostile one."""
    home = tmp_path / "home"
    home.mkdir()
    (home / ".gitconfig").write_text(
        "[user]\n\tuseConfigOnly = true\n[commit]\n\tgpgSign = true\n"
        "[core]\n\thooksPath = /nonexistent\n\tautocrlf = true\n",
        "utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "XT_")) and k != "USER"}
    env["HOME"] = str(home)
    done = subprocess.run(
        [sys.executable, "-m", "xtaccounts", "init", str(tmp_path / "books")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    history = History(tmp_path / "books")
    assert history.count() == 1 and history.unrecorded() == []
    assert history.changes()[0].kind == "init"


def test_restore_into_a_new_directory_keeps_the_history_of_the_restore(
    demo_copy: Path, tmp_path: Path
) -> None:
    at = history_json(demo_copy, "--file", "txns/2024/insurance.beancount")["changes"][0]
    done = restore_books(
        tmp_path / "then", ChangeNote("restore", reason="查账"), live_main=demo_copy,
        at=at["commit"][:12],
    )  # fmt: skip
    books = History(tmp_path / "then")
    change = books.changes()[0]
    assert change.kind == "restore" and change.reason == "查账"
    assert change.trailers["Xt-Restored-From"] == at["commit"] == done.commit
    assert books.unrecorded() == []
    # Later changes are not in the restored books.
    assert not (tmp_path / "then" / "seals.beancount").exists()
