"""What a recorded change says about itself: the command, its arguments, who ran it and why.

Every change the books' history records (`xtaccounts.books.history`) carries a `ChangeNote`
in its commit message, as a block of trailers a program can read back (`parse_message`):

    deposit refund：房屋灭失

    Xt-Kind: writer
    Xt-Command: deposit refund
    Xt-Args: --household C0001-B01-U3-101 --amount 5000.00 --reason 房屋灭失
    Xt-Operator: 张*
    Xt-System-User: alice
    Xt-Reason: 房屋灭失
    Xt-Entries: ^APP-2025-002 …
    Xt-Entries-Count: 3

The command line sets the note of its run (`note_from_command_line`, in `cli/main.py`); library
code that books on its own behalf (the demo) names its steps with `recording_as`. Arguments and
reasons are masked as all text from outside is (`core.privacy.mask_free_text`, payers' names
with `mask_name`), so the history never holds an owner's name, ID or phone in clear. The
operator is the centre's staff member who answers for the change: kept as given (numbers in it
masked), since a masked name would no longer say who.
"""

from __future__ import annotations

import contextlib
import contextvars
import getpass
import os
import re
import shlex
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace

from xtaccounts.core.outside_text import shown_inert
from xtaccounts.core.privacy import mask_name

__all__ = [
    "CHANGE_ADOPT",
    "CHANGE_INIT",
    "CHANGE_RECORD",
    "CHANGE_RESTORE",
    "CHANGE_WRITER",
    "ChangeNote",
    "current_note",
    "note_from_command_line",
    "parse_message",
    "recording_as",
    "render_message",
    "system_user",
]

CHANGE_WRITER = "writer"  # a command's change, written by the writer
CHANGE_INIT = "init"  # a new ledger
CHANGE_ADOPT = "adopt"  # an existing ledger taken into the history
CHANGE_RECORD = "record"  # changes made outside the writer, recorded with a reason
CHANGE_RESTORE = "restore"  # books restored from the history into a new directory

CHANGE_TITLES = {
    CHANGE_WRITER: "命令写入",
    CHANGE_INIT: "新建账簿",
    CHANGE_ADOPT: "纳入历史",
    CHANGE_RECORD: "记录外部修改",
    CHANGE_RESTORE: "恢复",
}

# Options whose value is a person's name (a payer): masked as a name field is.
_NAME_OPTIONS = frozenset({"--payer"})
_REASON_OPTIONS = ("--reason",)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_TRAILER = re.compile(r"^(Xt-[A-Za-z-]+): ?(.*)$")
ENTRIES_SHOWN = 30
_NEEDS_QUOTES = re.compile(r"""[\s'"\\$`!*?;&|<>(){}\[\]#~]""")


def system_user() -> str:
    """The operating-system user running this process (its real uid's name)."""
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError, OSError):
        return getpass.getuser()


def one_line(text: str) -> str:
    """Text for one trailer line: control characters and line breaks as spaces, runs collapsed."""
    return " ".join(_CONTROL.sub(" ", text).split())


def inert(text: str, *, names: Sequence[str] = ()) -> str:
    """Text from the command line as the books would admit it (`core.outside_text`): on one
    line, personal data masked, markup neutralised; a character the books refuse (a
    bidirectional control, a zero-width space) is shown as U+FFFD instead of refusing the
    record of a change already made. `names`: persons' names (a payer's) masked wherever the
    text repeats them."""
    text = one_line(text.lstrip("\ufeff"))
    return shown_inert(text, names)


@dataclass(frozen=True)
class ChangeNote:
    """Who changed the books, with which command and arguments (masked), and why."""

    command: str
    args: tuple[str, ...] = ()
    operator: str = field(default_factory=system_user)
    system_user: str = field(default_factory=system_user)
    reason: str | None = None

    def masked(self) -> ChangeNote:
        """The note with its arguments, operator and reason masked (idempotent)."""
        names = names_in(self.args)
        return replace(
            self,
            args=mask_args(self.args),
            operator=inert(self.operator) or self.system_user,
            reason=inert(self.reason, names=names) if self.reason else None,
        )


def names_in(args: Sequence[str]) -> list[str]:
    """The values of the name options (--payer) among command-line arguments."""
    names: list[str] = []
    for n, arg in enumerate(args):
        option, eq, value = arg.partition("=")
        if eq and option in _NAME_OPTIONS:
            names.append(value)
        elif arg in _NAME_OPTIONS and n + 1 < len(args):
            names.append(args[n + 1])
    return names


def mask_args(args: Sequence[str]) -> tuple[str, ...]:
    """Command-line arguments with personal data masked (a name option's value as a name, every
    other argument as free text) and markup neutralised, as the books admit text."""
    out: list[str] = []
    names = names_in(args)
    name_next = False
    for arg in args:
        text = one_line(arg)
        option, eq, value = text.partition("=")
        if name_next:
            out.append(inert(mask_name(text)))
        elif eq and option in _NAME_OPTIONS:
            out.append(f"{option}={inert(mask_name(value))}")
        else:
            out.append(inert(text, names=names))
        name_next = text in _NAME_OPTIONS
    return tuple(out)


def reason_in(args: Sequence[str]) -> str | None:
    """The value of a command's --reason, if it was given."""
    for n, arg in enumerate(args):
        for option in _REASON_OPTIONS:
            if arg == option and n + 1 < len(args):
                return args[n + 1]
            if arg.startswith(option + "="):
                return arg[len(option) + 1 :]
    return None


def note_from_command_line(
    path: Sequence[str], args: Sequence[str], operator: str | None
) -> ChangeNote:
    """The note of one run of the command line: the command's path (``deposit refund``), its
    arguments, the operator (--operator / $XT_OPERATOR, else the OS user) and its --reason."""
    user = system_user()
    return ChangeNote(
        command=" ".join(path),
        args=tuple(args),
        operator=(operator or "").strip() or user,
        system_user=user,
        reason=reason_in(args),
    ).masked()


_CURRENT: contextvars.ContextVar[ChangeNote | None] = contextvars.ContextVar(
    "xtaccounts_change_note", default=None
)


def current_note() -> ChangeNote:
    """The note of the change being made now: the command line's, else a library call's."""
    note = _CURRENT.get()
    return note if note is not None else ChangeNote(command="（库调用 library call）")


def set_note(note: ChangeNote) -> None:
    """Make `note` the note of every change this process records from now on."""
    _CURRENT.set(note.masked())


@contextlib.contextmanager
def recording_as(
    command: str, *args: str, reason: str | None = None, operator: str | None = None
) -> Iterator[ChangeNote]:
    """Record the changes made inside the block as `command` (the demo names its steps so);
    the operator is the enclosing note's unless given."""
    outer = current_note()
    note = ChangeNote(
        command=inert(command),
        args=tuple(args),
        operator=operator or outer.operator,
        system_user=outer.system_user,
        reason=reason,
    ).masked()
    token = _CURRENT.set(note)
    try:
        yield note
    finally:
        _CURRENT.reset(token)


def _quoted(arg: str) -> str:
    """An argument as a shell would need it typed: quoted only when it must be."""
    return shlex.quote(arg) if not arg or _NEEDS_QUOTES.search(arg) else arg


def render_message(
    note: ChangeNote,
    kind: str,
    *,
    entries: Sequence[str] = (),
    entries_count: int | None = None,
    extra: Sequence[tuple[str, str]] = (),
) -> str:
    """The commit message of a change: a subject line, then the trailers."""
    note = note.masked()
    subject = one_line(note.command) + (f"：{note.reason}" if note.reason else "")
    trailers = [
        ("Xt-Kind", kind),
        ("Xt-Command", note.command),
        ("Xt-Args", " ".join(_quoted(a) for a in note.args)),
        ("Xt-Operator", note.operator),
        ("Xt-System-User", note.system_user),
    ]
    if note.reason:
        trailers.append(("Xt-Reason", note.reason))
    if entries:
        shown = list(entries[:ENTRIES_SHOWN])
        trailers.append(("Xt-Entries", " ".join(shown)))
    if entries_count is not None:
        trailers.append(("Xt-Entries-Count", str(entries_count)))
    trailers.extend(extra)
    body = "\n".join(f"{key}: {one_line(value)}" for key, value in trailers)
    return f"{subject or kind}\n\n{body}\n"


def parse_message(message: str) -> dict[str, str]:
    """The trailers of a commit message (`Xt-Command` ...), by key; the subject as `subject`."""
    lines = message.strip("\n").splitlines()
    found: dict[str, str] = {"subject": lines[0] if lines else ""}
    for line in lines[1:]:
        match = _TRAILER.match(line)
        if match:
            found[match.group(1)] = match.group(2)
    return found
