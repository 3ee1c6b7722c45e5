"""Recording what the writer did not write: books adopted into a history, outside changes.

`adopt_books` gives existing books (made before the history, or copied without it) their
history: one command, whose first change records every file as it is. `record_outside_changes`
records the files that differ from the last recorded change (a hand edit, a filled-in registry)
as one change, with the operator and the reason the person gives: the history then says who
changed them and why, instead of showing them as unexplained. Both work under the ledger lock
and refuse text that holds an owner's ID, phone or card number (or a name beside one) in clear:
the history never stores it (`history.clear_personal_data`); mask it in the file first.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from xtaccounts.books.change_note import CHANGE_ADOPT, CHANGE_RECORD, ChangeNote, render_message
from xtaccounts.books.history import History, Unrecorded, clear_personal_data
from xtaccounts.books.history import is_original as _is_original
from xtaccounts.books.layout import require_ledger
from xtaccounts.books.redo_journal import recover, take_lock
from xtaccounts.core.errors import XtError

__all__ = ["Recorded", "adopt_books", "record_outside_changes", "refuse_clear_text"]

SHOWN = 10


@dataclass(frozen=True)
class Recorded:
    """What a recording did: the new head and the files it recorded."""

    head: str
    files: list[Unrecorded]


def refuse_clear_text(root: Path, paths: list[str]) -> None:
    """Refuse (XtError) when a text file among `paths` holds personal data in clear, naming
    each place and how it would read masked. Originals (stored as digests) and binary files
    are not read."""
    problems: list[str] = []
    for rel in paths:
        path = root / rel
        if _is_original(rel) or not path.is_file():
            continue
        try:
            text = path.read_text("utf-8")
        except UnicodeDecodeError:
            continue
        problems += [f"{rel}:{line}: {masked[:80]}" for line, masked in clear_personal_data(text)]
    if problems:
        shown = "；".join(problems[:SHOWN])
        more = f"（另有 {len(problems) - SHOWN} 处）" if len(problems) > SHOWN else ""
        raise XtError(
            f"变更历史不存明文的个人信息（身份证号、手机号、卡号或其旁的姓名），这些文件有 "
            f"{len(problems)} 处：{shown}{more}（此处已遮蔽显示）。请先在文件中遮蔽它们，"
            "再记录；未记录任何内容"
        )


def adopt_books(main: Path, note: ChangeNote) -> Recorded:
    """Give the books of `main`, which have no history, one: every file is its first change."""
    layout = require_ledger(main)
    root = layout.root
    history = History(root)
    if history.exists() and history.head() is not None:
        raise XtError(f"{root} 已有变更历史（{history.git_dir}）：无需再纳入")
    lock = take_lock(root)
    try:
        recover(root)
        if os.path.lexists(history.git_dir):
            if history.head() is not None:
                raise XtError(f"{root} 已有变更历史（{history.git_dir}）：无需再纳入")
            shutil.rmtree(history.git_dir)  # an adoption killed before its first change
        history.create()
        try:
            files = history.unrecorded()  # every file of the books, as Git will record them
            refuse_clear_text(root, [f.path for f in files])
            history.record_all(render_message(note, CHANGE_ADOPT), note, allow_empty=True)
        except BaseException:
            shutil.rmtree(history.git_dir, ignore_errors=True)  # no half-made history left
            raise
        head = history.head() or ""
    finally:
        lock.release()
    return Recorded(head, files)


def record_outside_changes(main: Path, note: ChangeNote) -> Recorded:
    """Record every file that differs from the last recorded change as one change of `note`
    (which must give a reason). Refused when there is nothing to record."""
    if not (note.reason or "").strip():
        raise XtError("记录外部修改须说明原因：--reason …")
    layout = require_ledger(main)
    root = layout.root
    history = History.of(root)
    if history is None:
        raise XtError(f"{root} 没有变更历史：先用 `xtaccounts history adopt` 纳入")
    lock = take_lock(root)
    try:
        recover(root)
        changes = history.unrecorded()
        if not changes:
            raise XtError("没有与最后一次记录的变更不一致的文件：无需记录")
        refuse_clear_text(root, [c.path for c in changes if c.state != "deleted"])
        history.record_all(render_message(note, CHANGE_RECORD), note)
        head = history.head() or ""
    finally:
        lock.release()
    return Recorded(head, changes)
