"""The only module that writes ledger files.

A `LedgerWriter` takes a lock on the ledger directory and hands out a `WriteSession`. Text is
staged with `append` / `append_entries`; `commit` loads the books as they would be after the
change, refuses it if it adds any error, and otherwise applies it all-or-nothing: every new file
content is written to a `*.xt-tmp` beside its target and fsynced, a redo journal naming the
renames is made durable, the renames are done, and the journal is removed. A crash before the
journal leaves the books as they were (the temporary files are swept by the next session); a
crash after it is rolled forward by the next session (`recover`).

Books with a history (`xtaccounts.books.history`) get one history commit per commit, in the same
lock, after the renames and before the journal is removed (the journal names it, so a killed
writer's change is recorded by the recovery). A file the change would write that differs from
the last recorded change (edited outside the writer) is refused before anything is written. If
Git fails to record the change, the change stands (it was decided when the journal was written):
`HistoryNotRecorded` says so, and its files show as differing from the last recorded change
until `xtaccounts history record` records them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import pickle
import re
import stat
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path, PurePath
from types import TracebackType
from typing import Any, TypeVar

import filelock
from beancount.core import data
from beancount.parser import parser, printer

from xtaccounts.books.built_text import FORMAT_NUMBER, BuiltChunk, Read, plain_read, printed_of
from xtaccounts.books.change_note import CHANGE_WRITER, current_note, render_message
from xtaccounts.books.closed_periods import closed_write, closes_in
from xtaccounts.books.entries_at import Location, read_entries_at
from xtaccounts.books.fast_check import FastChange, fast_accept, place, snapshot_matches
from xtaccounts.books.history import History, HistoryError
from xtaccounts.books.load import (
    BeancountError,
    Directive,
    LoadedBooks,
    ParseCache,
    appended_pieces,
    error_key,
    format_error,
    load_books,
    staged_directive,
)
from xtaccounts.books.new_content import NewContent
from xtaccounts.books.redo_journal import (
    JOURNAL_NAME,
    LOCK_NAME,
    LOCK_TIMEOUT,
    TMP_SUFFIX,
    LedgerLockedError,
    journal_record,
    record_pending,
    recover,
    settle_for_reading,
)
from xtaccounts.books.redo_journal import fsync_dir as _fsync_dir
from xtaccounts.books.redo_journal import inside as _inside
from xtaccounts.books.voucher_numbers import highest_numbers, number_text
from xtaccounts.books.write_snapshot import (
    Fold,
    WriteSnapshot,
    build_snapshot,
    load_snapshot,
    save_snapshot,
)
from xtaccounts.core.entries import plain_units
from xtaccounts.core.errors import XtError
from xtaccounts.core.gc_pause import gc_paused
from xtaccounts.core.i18n import _
from xtaccounts.registry import Registry
from xtaccounts.registry.load import staged_registry

__all__ = [
    "JOURNAL_NAME",
    "LOCK_NAME",
    "TMP_SUFFIX",
    "Check",
    "CommitResult",
    "HistoryNotRecorded",
    "LedgerLockedError",
    "LedgerWriter",
    "WriteRefused",
    "WriteSession",
    "recover",
    "settle_for_reading",
]

NEW_FILE_MODE = 0o644
# Entries formatted and joined into one staged chunk at a time (`append_entries`)
ENTRIES_A_CHUNK = 1000
# The characters of each appended text looked at for the history's names of entries
NAMES_HEAD = 1 << 18
_INCLUDE_LINE = re.compile(r"^[ \t]*include\b", re.MULTILINE)
# An entry's first line, and what names it: its links (^...) or a custom directive's id.
_ENTRY_LINE = re.compile(r"^\d{4}-\d{2}-\d{2}[ \t]+(.*)$", re.MULTILINE)
_LINK = re.compile(r"\^[A-Za-z0-9\-_/.]+")
_CUSTOM_ID = re.compile(r'^custom\s+"[^"]*"\s+"([^"]+)"')

Check = Callable[[list[Directive], dict[str, Any]], list[BeancountError]]
F = TypeVar("F", bound=Fold)

# The parses of the ledger files, shared by every write session of this process.
_PARSED = ParseCache()

# Test hook: called after each step of applying a commit ("tmp-written", "journal-written",
# "replaced:<n>", "journal-removed"), so that tests can crash the writer between steps.
_after_step: Callable[[str], None] | None = None


class HistoryNotRecorded(XtError):
    """The change was written to the books, but their history could not record it."""

    def __init__(self, files: list[str], cause: HistoryError) -> None:
        self.files = files
        shown = "、".join(files[:5]) + (f" 等 {len(files)} 个文件" if len(files) > 5 else "")
        super().__init__(
            f"账簿已写入（{shown}），但变更历史未能记录这次修改：{cause}。"
            "这些文件将显示为“与最后记录的变更不一致”；排除原因后运行 "
            "`xtaccounts history record --reason …` 补记"
        )


class WriteRefused(XtError):
    """The change would add errors to the books; nothing was written.

    `headline`: the one line that says what the errors come from (a write into a closed period,
    `closed_periods`), shown instead of them; `errors` keeps them all."""

    def __init__(self, errors: list[str], headline: str | None = None) -> None:
        self.errors = errors
        self.headline = headline
        if headline:
            others = f"（另有 {len(errors)} 个由此引起的校验错误未列出）" if errors else ""
            super().__init__(headline + others)
            return
        more = _("；……（共 {count} 个）").format(count=len(errors)) if len(errors) > 3 else ""
        lines = "；".join(errors[:3]) + more
        super().__init__(
            _("写入被拒绝：这次修改会带来 {count} 个错误：{lines}").format(
                count=len(errors), lines=lines
            )
        )


@dataclass(frozen=True)
class CommitResult:
    """What a commit changed (or, for a dry run, would change)."""

    files: list[Path] = field(default_factory=list)
    entries_added: int = 0
    dry_run: bool = False
    text: Mapping[Path, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Written:
    """Bytes `start` to `end` of the file `path`, as a commit wrote them."""

    path: Path
    start: int
    end: int

    def read(self) -> bytes:
        with self.path.open("rb") as handle:
            handle.seek(self.start)
            return handle.read(self.end - self.start)


class _Texts(Mapping[Path, str]):
    """The text of each file a commit writes (or would write): appended text as it is (or in
    pieces, joined when asked for); once written, read back from the file when asked for (a
    100,000-line import's text is not held for a caller that never reads it); a file written
    whole decoded only when asked for (an import's archived statement is megabytes that no
    caller reads as text)."""

    def __init__(
        self, order: Sequence[Path], texts: Mapping[Path, bytes | list[str] | _Written]
    ) -> None:
        self._texts = {path: texts[path] for path in order}

    def written(self, path: Path, start: int, end: int) -> None:
        """The file's text is now bytes `start` to `end` of the file as written."""
        self._texts[path] = _Written(path, start, end)

    def __getitem__(self, path: Path) -> str:
        text = self._texts[path]
        if isinstance(text, _Written):
            text = text.read()
        if isinstance(text, list):
            return "".join(text)
        return text.decode("utf-8", errors="replace")

    def __iter__(self) -> Iterator[Path]:
        return iter(self._texts)

    def __len__(self) -> int:
        return len(self._texts)

    def __repr__(self) -> str:
        return repr(dict(self))


def _step(name: str) -> None:
    """Call the test hook, if any."""
    if _after_step is not None:
        _after_step(name)


def _write_durably(path: Path, content: bytes | NewContent, mode: int) -> None:
    """Write `content` to `path` (created or truncated) with `mode`, and fsync it (a
    `NewContent` piece by piece: its appended text is encoded as it is written)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, mode)
        for piece in content.pieces() if isinstance(content, NewContent) else (content,):
            view = memoryview(piece)
            while view:
                written = os.write(fd, view)
                view = view[written:]
        os.fsync(fd)
    finally:
        os.close(fd)


class LedgerWriter:
    """Context manager that locks the ledger directory and yields a `WriteSession`."""

    def __init__(
        self,
        main: Path,
        *,
        lock_timeout: float = LOCK_TIMEOUT,
        checks: Sequence[Check] = (),
    ) -> None:
        self.main = Path(os.path.normpath(os.path.abspath(main)))
        self.ledger_dir = self.main.parent
        self.lock_timeout = lock_timeout
        self.checks = tuple(checks)
        self._lock = filelock.FileLock(str(self.ledger_dir / LOCK_NAME), timeout=lock_timeout)
        self._session: WriteSession | None = None

    def __enter__(self) -> WriteSession:
        if self._session is not None:
            raise XtError("this LedgerWriter is already in use")
        try:
            self._lock.acquire()
        except filelock.Timeout as exc:
            raise LedgerLockedError(
                _("账簿 {ledger} 正被另一个写入者锁定（已等待 {seconds} 秒）").format(
                    ledger=self.ledger_dir, seconds=self.lock_timeout
                )
            ) from exc
        try:
            recover(self.ledger_dir)
        except BaseException:
            self._lock.release()
            raise
        self._session = WriteSession(self.main, self.checks)
        return self._session

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session, self._session = self._session, None
        if session is not None:
            session._close()
        self._lock.release()


class WriteSession:
    """Staged appends to ledger files, committed all-or-nothing; only valid under the lock."""

    def __init__(self, main: Path, checks: Sequence[Check] = ()) -> None:
        self.main = main
        self.ledger_dir = main.parent
        self._real_dir = Path(os.path.realpath(self.ledger_dir))
        self._checks = tuple(checks)
        self._books: LoadedBooks | None = None
        # Each file's parse, shared by the load before the change and the validating load
        # after it, and by later sessions of this process: unchanged files are parsed once.
        self._parsed = _PARSED
        self._check_errors: list[BeancountError] | None = None
        self._staged: dict[Path, list[str]] = {}
        # Beside each staged chunk, the entries it was formatted from (`append_entries`), or None.
        self._built: dict[Path, list[BuiltChunk | None]] = {}
        self._standalone: dict[Path, bytes] = {}
        self._entries_staged = 0
        self._entry_counts: dict[Path, int] = {}
        self._written: list[NewContent] = []  # the last commit's files, in its files' order
        # The write snapshot, once read, if it matches the books.
        self._snapshot: WriteSnapshot | None = None
        self._snapshot_read = False
        self._fold_kinds: dict[str, type[Fold]] = {}  # the folds asked for (`index`)
        # Those built from `_books` (no snapshot matched), pickled as the snapshot keeps them:
        # the snapshot then built from the same books takes them instead of building them again.
        self._folds_built: tuple[LoadedBooks, dict[str, bytes]] | None = None
        # A registry change's registry as it leaves it (`check_against_registry`).
        self._registry: tuple[Path, Registry] | None = None
        self._closed = False

    # -- reading --------------------------------------------------------------------------

    def books(self) -> LoadedBooks:
        """The books as they are now (loaded once per session)."""
        self._ensure_open()
        if self._books is None:
            self._books = load_books(self.main, parsed=self._parsed)
        return self._books

    def index(self, kind: type[F], *, read_only: bool = False) -> F:
        """The fold `kind` of the books as they are now (`write_snapshot.Fold`): the write
        snapshot's when the snapshot matches the books, which are then not loaded; else built
        from them. The caller's own copy: what it adds to it is not kept (the commit feeds the
        snapshot's fold the entries it writes, or builds it again with the books). `read_only`:
        the caller never changes it, and may share the copy the plugins read at the commit
        (`WriteSnapshot.read_fold`: decoded once)."""
        self._ensure_open()
        self._fold_kinds[kind.key()] = kind
        snapshot = self._matching_snapshot()
        fold = None
        if snapshot is not None:
            fold = snapshot.read_fold(kind) if read_only else snapshot.fold(kind)
        if fold is not None:
            return fold
        books = self.books()
        with gc_paused():
            fold = kind.of(books.entries)
            if snapshot is not None:  # kept from now on (a copy: the caller may change its own)
                snapshot.keep(fold)
            else:  # for the snapshot built from these books (a copy, as above)
                if self._folds_built is None or self._folds_built[0] is not books:
                    self._folds_built = (books, {})
                self._folds_built[1][kind.key()] = pickle.dumps(fold.kept(), protocol=5)
        return fold

    def entries_at(
        self, locations: Iterable[Location], headings: Iterable[Location] = ()
    ) -> list[Directive] | None:
        """The entries at `locations` (an index's: file and line), and the headings of those at
        `headings`, read back from the books' files alone (`books.entries_at`) while the write
        snapshot matches the books; None: ask `books()`."""
        self._ensure_open()
        snapshot = self._matching_snapshot()
        if snapshot is None:
            return None
        return read_entries_at(self.ledger_dir, locations, list(snapshot.files), headings)

    def settle(self) -> None:
        """Before a large change is staged: keep the write snapshot of the books as this session
        loaded them (when none on disk matched them) and let the books and their parses go, so
        that they and the change are not in memory together. The change is then checked against
        that snapshot; the books are loaded again only if something asks for them (`books()`,
        or a change the snapshot does not accept)."""
        self._ensure_open()
        if self._checks or self._books is None or self._matching_snapshot() is not None:
            return
        snapshot = self._snapshot_of(self._books)
        if snapshot is None:
            return
        self._snapshot = snapshot
        self._books = None
        self._parsed.release()

    def _snapshot_of(self, books: LoadedBooks) -> WriteSnapshot | None:
        """The write snapshot built from `books` (this session's load), with the folds asked
        for, those built from these books already taken as they are (`_folds_built`)."""
        built = self._folds_built
        pickled = built[1] if built is not None and built[0] is books else None
        self._folds_built = None
        return build_snapshot(books, self._parsed, folds=self._fold_kinds.values(), pickled=pickled)

    def _matching_snapshot(self) -> WriteSnapshot | None:
        """The books' write snapshot if it matches them (read once per change)."""
        if not self._snapshot_read:
            snapshot = load_snapshot(self.main)
            if snapshot is not None and snapshot_matches(snapshot, self.ledger_dir):
                self._snapshot = snapshot
            self._snapshot_read = True
        return self._snapshot

    # -- staging --------------------------------------------------------------------------

    def append(self, relpath: str | Path, text: str, *, entries: int | None = None) -> None:
        """Stage `text` to be appended to the ledger file `relpath` (relative to the ledger dir).

        `entries` is how many directives the text holds, when the caller knows (otherwise the
        text is parsed once to count them for the commit's report).
        """
        self._ensure_open()
        target = self._target(relpath)
        if not isinstance(text, str):
            raise TypeError(f"text must be str, not {type(text).__name__}")
        bad = staged_directive(text)
        if bad is not None or _has_include(text):
            raise XtError(f"appended text may not contain option/plugin/include lines: {target}")
        if not text:
            return
        if not text.endswith("\n"):
            text += "\n"
        self._staged.setdefault(target, []).append(text)
        self._built.setdefault(target, []).append(None)
        self._entries_staged += self._count_entries(text) if entries is None else entries

    def append_entries(self, relpath: str | Path, entries: Sequence[Directive]) -> None:
        """Stage directives, formatted as beancount's printer does, one blank line between them
        (`ENTRIES_A_CHUNK` at a time: a large import's entries' texts are not held beside
        their joined text)."""
        self._ensure_open()
        if not entries:
            return
        target = self._target(relpath)
        for start in range(0, len(entries), ENTRIES_A_CHUNK):
            some = entries[start : start + ENTRIES_A_CHUNK]
            # Whether each entry reads back as it is (`plain_read`), worked out once: its text
            # is then written from the metadata it found, and the fast path reads the entry
            # back from them (`built_text.as_parsed`) without going through the entry again.
            reads = tuple(map(plain_read, some))
            texts = [format_entry(entry, read) for entry, read in zip(some, reads, strict=True)]
            blank = self._needs_blank_line(target)
            text = ("\n" if blank else "") + "\n".join(texts)
            self.append(relpath, text, entries=len(some))
            # (a list of its own: the fast path lets each entry go once read back)
            self._built[target][-1] = BuiltChunk(blank, list(some), tuple(map(len, texts)), reads)

    def put_standalone(self, relpath: str | Path, content: str | bytes) -> None:
        """Stage the whole content of a file that the main ledger does not include.

        Such files (a year's own top-level file and its opening balances, a notice's HTML or
        PDF, an archived statement) are written, created or replaced, in the same
        all-or-nothing commit as the appends. Text gets a final newline; bytes are written as
        they are. The caller validates them; the writer refuses a file the main ledger includes.
        """
        self._ensure_open()
        target = self._target(relpath)
        if isinstance(content, str):
            content = (content if content.endswith("\n") else content + "\n").encode("utf-8")
        self._standalone[target] = content

    def check_against_registry(self, directory: Path, registry: Registry) -> None:
        """Check the change with the books' plugins reading `registry` for `directory`: the
        registry as the staged registry files leave it. The books are loaded again with it
        (never the fast path: the snapshot vouches for appended entries, not for a registry
        that every entry is checked against), and the change is refused if they then report
        an error they did not report before."""
        self._ensure_open()
        self._registry = (Path(directory), registry)

    # -- committing -----------------------------------------------------------------------

    def commit(self, *, dry_run: bool = False) -> CommitResult:
        """Validate the staged change and apply it atomically (or only report it, if dry_run).

        Raises `WriteRefused` if the books after the change have errors they did not have
        before (beancount's own and the writer's checks); nothing is written then.
        """
        self._ensure_open()
        if not self._staged and not self._standalone:
            return CommitResult(dry_run=dry_run)
        fast = self._fast_change() if self._registry is None else None
        if fast is not None:
            return self._commit_fast(*fast, dry_run=dry_run)

        before = self.books()
        closes = closes_in(before.entries)
        self._number_vouchers(before.entries)
        included = set(before.options["include"])
        for path in self._standalone:
            if str(path) in included or path in self._staged:
                raise XtError(f"{path} is part of the main books; it cannot be written whole")
        appended: dict[Path, str] = {path: "".join(chunks) for path, chunks in self._staged.items()}
        new_files = sorted(path for path in appended if not path.exists())
        for path in appended:
            if path.exists() and str(path) not in included:
                raise XtError(f"{path} exists but is not included by {self.main}")
        if new_files:
            includes = self._include_lines(new_files)
            main_text = appended.get(self.main, "")
            if main_text and not main_text.endswith("\n"):
                main_text += "\n"
            appended[self.main] = main_text + includes

        olds = {path: (path.read_bytes() if path.exists() else None) for path in appended}
        # Of the books before the change only their errors (and the checks' on them) are still
        # needed: let their entries go before the books after it are loaded, so that the two
        # are not in memory at once (`books()` loads them again if asked after this).
        if self._check_errors is None:
            self._check_errors = [
                e for check in self._checks for e in check(before.entries, before.options)
            ]
        before = LoadedBooks(before.path, [], before.errors, before.options)
        self._books = None
        with contextlib.ExitStack() as stack:
            if self._registry is not None:
                stack.enter_context(staged_registry(*self._registry))
            after = load_books(self.main, appended, parsed=self._parsed)
        new_errors = self._new_errors(before, after)
        if new_errors:
            raise WriteRefused(
                [format_error(err) for err in new_errors],
                closed_write(closes, self._staged_entries(), self.ledger_dir),
            )

        result = self._write({path: [text] for path, text in appended.items()}, olds, dry_run)
        if not dry_run:
            written = {path: c.whole() for path, c in zip(result.files, self._written, strict=True)}
            snapshot = build_snapshot(after, self._parsed, written, self._fold_kinds.values())
            if snapshot is not None:
                save_snapshot(snapshot)
        return result

    def _write(
        self, appended: dict[Path, list[str]], olds: dict[Path, bytes | None], dry_run: bool
    ) -> CommitResult:
        """Write a decided change (the appends, each a text in pieces, and the standalone
        files) all-or-nothing."""
        added = {path: appended_pieces(olds[path] or b"", text) for path, text in appended.items()}
        # (the appended text encoded only as it is written: `NewContent`)
        contents = {path: NewContent(olds[path] or b"", added[path]) for path in appended}
        texts: dict[Path, bytes | list[str] | _Written] = dict(added)
        del added
        for path, content in self._standalone.items():
            olds[path] = path.read_bytes() if path.exists() else None
            contents[path] = NewContent(b"", content)
            texts[path] = content  # (decoded if a caller asks for its text)
        # Write other files first and the main file last: its include lines name new files.
        files = sorted(contents, key=lambda p: (p == self.main, str(p)))
        written = _Texts(files, texts)
        del texts
        result = CommitResult(
            files=files, entries_added=self._entries_staged, dry_run=dry_run, text=written
        )
        if dry_run:
            return result

        for path in files:
            current = path.read_bytes() if path.exists() else None
            if current != olds[path]:
                raise XtError(f"{path} changed while the commit was being checked; try again")
        self._apply(files, contents, self._history_record(files, appended))
        for path in files:  # (what was written read back from the files if asked for)
            new = contents[path]
            assert new.size is not None  # written
            written.written(path, len(new.old), new.size)
        self._written = [contents[path] for path in files]
        self._staged.clear()
        self._built.clear()
        self._entries_staged = 0
        self._standalone.clear()
        self._registry = None
        self._books = None
        self._check_errors = None
        self._snapshot, self._snapshot_read = None, False
        return result

    def _fast_change(self) -> tuple[WriteSnapshot, FastChange] | None:
        """The staged change, if the books' write snapshot alone shows it adds no error
        (`fast_check`); None: the full load decides.

        The snapshot is the one kept on disk when it still describes the books; otherwise it
        is built from the books as this session loads them (the load the full check needs
        first anyway, often already made by the command): either way the books are not
        loaded a second time with the change when the snapshot accepts it."""
        if self._checks or any(path in self._staged for path in self._standalone):
            return None
        snapshot = self._matching_snapshot()
        if snapshot is None:
            snapshot = self._snapshot_of(self.books())
            if snapshot is None:
                return None
        # A file the books read is never written whole on the snapshot's word.
        if any(self._rel(path) in snapshot.files for path in self._standalone):
            return None
        new = frozenset(path for path in self._staged if not path.exists())
        change = fast_accept(
            snapshot, self.ledger_dir, self.main, self._staged, new, built=self._built
        )
        if change is None:
            return None
        if new:  # the top-level file includes the new files, as after a full check
            change.texts[self.main] = [self._include_lines(new)]
        return snapshot, change

    def _include_lines(self, new_files: Iterable[Path]) -> str:
        """The top-level file's lines that include new files, in the order of their paths."""
        return "".join(f'include "{self._rel(path)}"\n' for path in sorted(new_files))

    def _rel(self, path: Path) -> str:
        return path.relative_to(self.ledger_dir).as_posix()

    def _commit_fast(
        self, snapshot: WriteSnapshot, change: FastChange, *, dry_run: bool
    ) -> CommitResult:
        """Write a change `fast_check` accepted, and take it into the snapshot."""
        self._staged = {path: list(pieces) for path, pieces in change.texts.items()}
        self._built.clear()
        olds: dict[Path, bytes | None] = {
            path: path.read_bytes() if path.exists() else None for path in change.texts
        }
        if not all(
            snapshot.holds(self._rel(path), old)
            if old is not None
            else self._rel(path) not in snapshot.files
            for path, old in olds.items()
        ):
            raise XtError(_("账簿文件在校验这次修改期间被改动，未写入任何内容；请重试"))
        result = self._write(dict(change.texts), olds, dry_run)
        del olds
        if not dry_run:
            bases = self._took(snapshot, change, result.files)
            includes = self.main in change.texts
            # The files' contents and the appended text are not needed again: let them go
            # before the indexes are fed (a large import's year file and its 90 MB of text).
            self._written = []
            change.texts.clear()
            snapshot.add(place(change, bases))
            if includes:  # new files included: the snapshot's new name
                snapshot.main_digest = snapshot.files[self._rel(self.main)][1]
            save_snapshot(snapshot)
        return result

    def _took(
        self, snapshot: WriteSnapshot, change: FastChange, files: list[Path]
    ) -> dict[str, int]:
        """The written files' new digests into the snapshot; the lines before each appended
        text, as written, by file (no content of them held once this returns)."""
        bases: dict[str, int] = {}
        for path, content in zip(files, self._written, strict=True):
            pieces = change.texts.get(path)
            if pieces is not None:  # standalone files are not the books' files
                assert content.digest is not None and content.lines is not None  # written
                snapshot.took(self._rel(path), path, content.digest)
                added = sum(piece.count("\n") for piece in pieces)
                bases[os.path.abspath(path)] = content.lines - added
        return bases

    # -- internals ------------------------------------------------------------------------

    def _number_vouchers(self, entries: list[Directive]) -> None:
        """Give every staged transaction without one its month's next voucher number
        (`voucher_numbers`), continuing the highest number each month has in the books."""
        highest = highest_numbers(entries)
        for path, chunks in self._staged.items():
            self._staged[path] = [number_text(chunk, highest) for chunk in chunks]
        self._built.clear()

    def _ensure_open(self) -> None:
        """Refuse use of a session after its writer has been exited."""
        if self._closed:
            raise XtError("this write session is closed (the ledger lock was released)")

    def _close(self) -> None:
        """Drop anything staged and refuse further use."""
        self._staged.clear()
        self._built.clear()
        self._entries_staged = 0
        self._standalone.clear()
        self._closed = True

    def _target(self, relpath: str | Path) -> Path:
        """The absolute path of a ledger file given relative to the ledger dir, checked."""
        rel = PurePath(relpath)
        if str(relpath) == "" or rel.is_absolute() or rel.anchor:
            raise XtError(f"ledger file path must be relative to the ledger dir: {relpath}")
        if ".." in rel.parts:
            raise XtError(f"ledger file path may not contain '..': {relpath}")
        text = rel.as_posix()
        if any(ch in text for ch in '"\\\n\r'):
            raise XtError(
                f"ledger file path may not contain quotes, backslashes or newlines: {relpath!r}"
            )
        if "\0" in text:
            raise XtError(f"ledger file path may not contain a NUL character: {relpath!r}")
        if any(len(part.encode("utf-8")) > 255 for part in rel.parts) or len(text) > 1024:
            raise XtError(f"ledger file path is too long: {text[:60]!r}…")
        target = Path(os.path.normpath(self.ledger_dir / rel))
        if target == self.ledger_dir or not _inside(target, self.ledger_dir):
            raise XtError(f"ledger file path escapes the ledger dir: {relpath}")
        if target.name in (LOCK_NAME, JOURNAL_NAME) or target.name.endswith(TMP_SUFFIX):
            raise XtError(f"not a ledger file: {relpath}")
        if target.is_symlink():
            raise XtError(f"ledger file is a symbolic link, refusing to replace it: {relpath}")
        if not _inside(Path(os.path.realpath(target)), self._real_dir):
            raise XtError(f"ledger file path escapes the ledger dir: {relpath}")
        if target.exists() and not target.is_file():
            raise XtError(f"not a regular file: {relpath}")
        return target

    def _needs_blank_line(self, target: Path) -> bool:
        """Whether appending to `target` now should start with a blank line."""
        chunks = self._staged.get(target)
        if chunks:
            tail = chunks[-1][-2:].encode("utf-8")  # (its last two characters: enough)
        elif target.exists():
            with target.open("rb") as handle:
                handle.seek(max(0, target.stat().st_size - 2))
                tail = handle.read()
        else:
            tail = b""
        return bool(tail) and not tail.endswith(b"\n\n")

    def _staged_entries(self) -> list[Directive]:
        """The directives staged for appending, parsed (for the refusal's headline)."""
        return [
            entry
            for chunks in self._staged.values()
            for entry in parser.parse_string("".join(chunks))[0]
        ]

    @staticmethod
    def _count_entries(text: str) -> int:
        """How many directives a staged text holds."""
        entries, _errors, _options = parser.parse_string(text)
        return len(entries)

    def _new_errors(self, before: LoadedBooks, after: LoadedBooks) -> list[BeancountError]:
        """Errors of `after` (beancount's and the checks') that `before` does not have."""
        if self._check_errors is None:
            self._check_errors = [
                e for check in self._checks for e in check(before.entries, before.options)
            ]
        known = Counter(error_key(err) for err in [*before.errors, *self._check_errors])
        after_errors = [
            *after.errors,
            *(e for check in self._checks for e in check(after.entries, after.options)),
        ]
        new: list[BeancountError] = []
        for err in after_errors:
            key = error_key(err)
            if known[key] > 0:
                known[key] -= 1
            else:
                new.append(err)
        return new

    def _history_record(
        self, files: list[Path], appended: Mapping[Path, list[str]]
    ) -> dict[str, Any] | None:
        """The history commit this change is to make (None: the books have no history), checked
        before anything is written: Git is there, and no file the change writes differs from
        the last recorded change (an edit outside the writer would be recorded as its own)."""
        history = History.of(self.ledger_dir)
        if history is None:
            return None
        rels = [path.relative_to(self.ledger_dir).as_posix() for path in files]
        history.check_ready(rels)
        outside = history.unrecorded(rels)
        if outside:
            names = "、".join(f"{u.path}（{u.label}）" for u in outside)
            raise XtError(
                f"{names} 在最后一次记录的变更之后被本工具之外修改过：本命令要写这些文件，"
                "未写入任何内容。请先核对该修改（xtaccounts history），再用 "
                "`xtaccounts history record --reason …` 记录它，或用 `xtaccounts restore` "
                "取回记录的样子"
            )
        note = current_note()
        message = render_message(
            note,
            CHANGE_WRITER,
            entries=_entries_named(map(_head, appended.values())),
            entries_count=self._entries_staged,
        )
        return {
            "message": message,
            "operator": note.operator,
            "system_user": note.system_user,
            "files": rels,
        }

    def _apply(
        self,
        files: list[Path],
        contents: Mapping[Path, NewContent],
        history: dict[str, Any] | None = None,
    ) -> None:
        """Replace every file with its new content, all-or-nothing even across a crash, then
        record the change in the books' history (`history`: what `_history_record` made)."""
        journal = self.ledger_dir / JOURNAL_NAME
        not_recorded: HistoryError | None = None
        pairs = [(path.with_name(path.name + TMP_SUFFIX), path) for path in files]
        created_dirs: list[Path] = []
        journal_written = False
        try:
            for _tmp, path in pairs:
                created_dirs.extend(_make_parents(path.parent, self.ledger_dir))
            for tmp, path in pairs:
                mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else NEW_FILE_MODE
                _write_durably(tmp, contents[path], mode)
            for directory in sorted({p.parent for p in files} | {d.parent for d in created_dirs}):
                _fsync_dir(directory)
            _step("tmp-written")

            record = [
                [
                    tmp.relative_to(self.ledger_dir).as_posix(),
                    path.relative_to(self.ledger_dir).as_posix(),
                ]
                for tmp, path in pairs
            ]
            journal_tmp = journal.with_name(journal.name + TMP_SUFFIX)
            _write_durably(
                journal_tmp,
                json.dumps(journal_record(record, history), ensure_ascii=False).encode("utf-8"),
                0o644,
            )
            os.replace(journal_tmp, journal)
            _fsync_dir(self.ledger_dir)
            journal_written = True
            _step("journal-written")

            for index, (tmp, path) in enumerate(pairs):
                os.replace(tmp, path)
                _step(f"replaced:{index}")
            for directory in sorted({path.parent for path in files}):
                _fsync_dir(directory)
            if history is not None:
                try:
                    record_pending(self.ledger_dir, history, recovered=False)
                except HistoryError as exc:
                    not_recorded = exc
                _step("history-recorded")
            journal.unlink()
            _fsync_dir(self.ledger_dir)
            _step("journal-removed")
        except BaseException:
            with contextlib.suppress(Exception):
                if journal_written:
                    recover(self.ledger_dir)  # the change is decided: finish it
                else:
                    for tmp, _path in pairs:
                        tmp.unlink(missing_ok=True)
                    journal.with_name(journal.name + TMP_SUFFIX).unlink(missing_ok=True)
                    for directory in reversed(created_dirs):
                        directory.rmdir()
            raise
        if not_recorded is not None and history is not None:
            raise HistoryNotRecorded(list(history["files"]), not_recorded)


def _make_parents(directory: Path, ledger_dir: Path) -> list[Path]:
    """Create `directory` and its missing parents (inside the ledger dir); return those made."""
    missing: list[Path] = []
    current = directory
    while not current.exists() and current != ledger_dir:
        missing.append(current)
        current = current.parent
    created: list[Path] = []
    for path in reversed(missing):
        path.mkdir()
        created.append(path)
    return created


def _head(pieces: list[str], head: int = NAMES_HEAD) -> str:
    """The first `head` characters (or more) of a text in pieces, as one text."""
    taken: list[str] = []
    size = 0
    for piece in pieces:
        if size >= head:
            break
        taken.append(piece)
        size += len(piece)
    return "".join(taken)


def _entries_named(
    texts: Iterable[str], limit: int = 30, looked_at: int = 200, head: int = NAMES_HEAD
) -> list[str]:
    """What names the entries of appended text, for the history's list of entries touched:
    their links, a custom directive's id; at most `limit` names, from the first `looked_at`
    entries of the first `head` characters of each text (a 100,000-line import or a year's
    allocation is not read again for it)."""
    names: list[str] = []
    entries = 0
    for text in texts:
        for match in _ENTRY_LINE.finditer(text, 0, head):
            rest = match.group(1)
            custom = _CUSTOM_ID.match(rest)
            found = [custom.group(1)] if custom else _LINK.findall(rest)
            names.extend(name for name in found if name not in names)
            entries += 1
            if len(names) >= limit or entries >= looked_at:
                return names[:limit]
    return names


def _has_include(text: str) -> bool:
    """Whether a text holds an `include` line (the writer adds those itself)."""
    return "include" in text and _INCLUDE_LINE.search(text) is not None


# --- formatting entries ---------------------------------------------------------------------

_PRINTER = printer.EntryPrinter()
_FORMAT_NUMBER = FORMAT_NUMBER


def format_entry(entry: Directive, read: Read | None = None) -> str:
    """`beancount.parser.printer.format_entry(entry)`, the same text, faster for the shapes the
    commands write most (transactions with plain amounts and text, number or date metadata;
    balance assertions); anything else is left to the printer itself. `read`: the entry's
    `built_text.plain_read`, when known (its metadata are then printed from it)."""
    text: str | None = None
    if isinstance(entry, data.Transaction):
        text = _transaction_text(entry, read)
    elif isinstance(entry, data.Balance):
        text = _balance_text(entry)
    return _PRINTER(entry) if text is None else text


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _meta_text(meta: dict[str, Any] | None, prefix: str) -> str | None:
    """The printer's metadata lines, or None for a value it would print otherwise."""
    if not meta:
        return ""
    lines = []
    for key, value in meta.items():
        if key in ("filename", "lineno") or key.startswith("__"):
            continue
        if isinstance(value, str):
            lines.append(f'{prefix}{key}: "{_escape(value)}"\n')
        elif isinstance(value, bool):
            lines.append(f"{prefix}{key}: {'TRUE' if value else 'FALSE'}\n")
        elif isinstance(value, Decimal | dt.date):
            lines.append(f"{prefix}{key}: {value}\n")
        else:
            return None
    return "".join(lines)


def _printed_text(meta: dict[str, Any] | None, prefix: str) -> str:
    """`_meta_text` of metadata `plain_read` found printable as they are (text without quotes
    or backslashes, booleans, dates, numbers)."""
    lines = []
    for key, value in printed_of(meta):
        if isinstance(value, str):
            lines.append(f'{prefix}{key}: "{_escape(value)}"\n')
        elif isinstance(value, bool):
            lines.append(f"{prefix}{key}: {'TRUE' if value else 'FALSE'}\n")
        else:
            lines.append(f"{prefix}{key}: {value}\n")
    return "".join(lines)


def _transaction_text(entry: data.Transaction, read: Read | None = None) -> str | None:
    strings = []
    if entry.payee:
        strings.append(f'"{_escape(entry.payee)}"')
    if entry.narration:
        strings.append(f'"{_escape(entry.narration)}"')
    elif entry.payee:
        strings.append('""')
    strings.extend(f"#{tag}" for tag in sorted(entry.tags or ()))
    strings.extend(f"^{link}" for link in sorted(entry.links or ()))
    meta = _meta_text(entry.meta, "  ") if read is None else _printed_text(entry.meta, "  ")
    if meta is None:
        return None
    accounts, positions, metas = [], [], []
    for posting in entry.postings:
        units = plain_units(posting)
        if units is None:
            return None
        posting_meta = (
            _meta_text(posting.meta, "    ")
            if read is None
            else _printed_text(posting.meta, "    ")
        )
        if posting_meta is None:
            return None
        flag = f"{printer.render_flag(posting.flag)} " if posting.flag else ""
        accounts.append(flag + posting.account)
        positions.append(f"{_FORMAT_NUMBER(units.number, units.currency)} {units.currency}")
        metas.append(posting_meta)
    width_account = max(map(len, accounts)) if accounts else 1
    aligned, width_position = printer.align_position_strings(positions)
    width_position = max(1, width_position)
    parts = [f"{entry.date} {printer.render_flag(entry.flag)} {' '.join(strings)}\n", meta]
    for account, position, posting_meta in zip(accounts, aligned, metas, strict=True):
        parts.append(f"  {account:{width_account}}  {position:{width_position}}".rstrip() + "\n")
        parts.append(posting_meta)
    return "".join(parts)


def _balance_text(entry: data.Balance) -> str | None:
    number = entry.amount.number
    if entry.diff_amount or not isinstance(number, Decimal):
        return None
    meta = _meta_text(entry.meta, "  ")
    if meta is None:
        return None
    currency = entry.amount.currency
    tolerance = ""
    if entry.tolerance is not None:
        tolerance = f"~ {_FORMAT_NUMBER(entry.tolerance, currency)} "
    amount = _FORMAT_NUMBER(number, currency)
    return f"{entry.date} balance {entry.account:47} {amount} {tolerance}{currency}\n" + meta
