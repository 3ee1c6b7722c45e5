"""The books' history: every recorded change of the ledger directory, kept by Git.

The ledger directory is the work tree of a Git repository whose git directory is
``<ledger>/.history`` (ignored by the project's own repository, so neither disturbs the other).
The `git` program is run with that git directory and work tree named on every call, with no
global or system configuration (author and committer are given per call), so it works on a
machine where nobody configured Git.

- **Each change the writer commits is a history commit** (`record_files`), made in the same lock
  after the atomic renames and named in the writer's redo journal, so a killed writer's change is
  recorded by the recovery that rolls it forward. Only the files the writer wrote are committed.
- **Changes made outside the writer** (a hand edit, a script) are what `git status` shows:
  the work tree differs from the last recorded change (`unrecorded`). They are recorded only
  when someone says why (`record_all`, `xtaccounts history record --reason`).
- **Personal data never enters the history in clear.** The books' text is masked where it enters
  (`core.outside_text`); the one exception is the banks' statement files archived as received
  under ``documents/<account>/`` (the originals). Git stores those through a clean filter as a
  pointer, ``xtaccounts-original sha256:<digest>``, never their bytes: the history pins each
  original by its digest and a change to one shows as a changed digest. `backup` copies the
  originals beside the history and `restore` puts them back by digest
  (`xtaccounts.books.history_copy`). Text recorded from outside the writer is checked for
  personal data in clear first (`clear_personal_data`) and refused if it holds any.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import shutil
import socket
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from xtaccounts.books.change_note import ChangeNote, parse_message
from xtaccounts.core.errors import XtError
from xtaccounts.core.outside_text import shown_inert
from xtaccounts.core.privacy import mask_free_text

__all__ = [
    "HISTORY_DIR",
    "ORIGINAL_ROOTS",
    "POINTER_PREFIX",
    "History",
    "HistoryError",
    "RecordedChange",
    "Unrecorded",
    "clear_personal_data",
    "is_original",
]

HISTORY_DIR = ".history"
BRANCH = "main"
# The banks' files as received: archived under documents/<account as folders>/ (an account's
# first component is one of Beancount's five roots). Everything else under documents/ (notices,
# vote tallies) is the tool's own output, made from masked data.
ORIGINAL_ROOTS = tuple(
    f"documents/{root}" for root in ("Assets", "Liabilities", "Equity", "Income", "Expenses")
)
POINTER_PREFIX = "xtaccounts-original sha256:"
FILTER = "xt-original"
# The clean filter: a file's bytes in, its pointer out; any failure (no sha256sum, a short
# digest) stops Git (the filter is `required`), so an original is never stored as it is. A
# checkout writes the pointer as it is (`cat`); `restore` then puts the original in its place.
# (Git expands `%` in a filter command, so the command has no `%` but printf's `%s`.)
CLEAN_COMMAND = (
    "h=$(sha256sum) || exit 1; set -- $h; h=$1; "
    'case "$h" in *[!0-9a-f]*|"") exit 1;; esac; '
    f"printf '{POINTER_PREFIX}%s\\n' \"$h\""
)
# Never part of the books: the writer's lock, journal and temporary files, Beancount's cache.
EXCLUDED = (
    f"/{HISTORY_DIR}/",
    "/.xtaccounts.lock",
    "/.xtaccounts.journal",
    "*.xt-tmp",
    "*.picklecache",
)
# Attributes: none from the books' own .gitattributes files (info/attributes comes first), no
# end-of-line or encoding conversion (the history keeps the bytes), the originals filtered.
ATTRIBUTES = (
    "* !filter !diff !merge -text !ident !working-tree-encoding !eol",
    *(f"/{root}/** filter={FILTER}" for root in ORIGINAL_ROOTS),
)
GIT_TIMEOUT = 600.0
_HASHES = re.compile(r"\b[0-9a-fA-F]{32,}\b")
_STALE_LOCKS = ("index.lock", "HEAD.lock", "config.lock", "packed-refs.lock", "shallow.lock")


class HistoryError(XtError):
    """Git could not do what the history needed (not installed, a damaged repository, ...)."""


def is_original(relpath: str) -> bool:
    """Whether a path (relative to the ledger directory) is an archived original."""
    return any(relpath.startswith(root + "/") for root in ORIGINAL_ROOTS)


def clear_personal_data(text: str) -> list[tuple[int, str]]:
    """(line number, the line as masking would make it) of every line of `text` that holds an
    owner's ID, phone or card number or a name beside one in clear (`mask_free_text` would
    change it); digests (32 or more hex digits) are not numbers."""
    found: list[tuple[int, str]] = []
    for number, line in enumerate(text.splitlines(), 1):
        plain = _HASHES.sub("#", line)
        masked = mask_free_text(plain)
        if masked != plain:
            found.append((number, masked))
    return found


@dataclass(frozen=True)
class Unrecorded:
    """A file that differs from the last recorded change."""

    path: str
    state: str  # "modified", "added" or "deleted"

    @property
    def label(self) -> str:
        return {"modified": "已修改", "added": "新增", "deleted": "已删除"}[self.state]


@dataclass(frozen=True)
class RecordedChange:
    """One change of the history, as `history` lists it."""

    commit: str
    when: dt.datetime
    author: str
    trailers: dict[str, str]
    files: list[tuple[str, str]] = field(default_factory=list)  # (A/M/D, path)

    @property
    def kind(self) -> str:
        return self.trailers.get("Xt-Kind", "")

    @property
    def command(self) -> str:
        return self.trailers.get("Xt-Command", self.trailers.get("subject", ""))

    @property
    def args(self) -> str:
        return self.trailers.get("Xt-Args", "")

    @property
    def operator(self) -> str:
        return self.trailers.get("Xt-Operator", self.author)

    @property
    def system_user(self) -> str:
        return self.trailers.get("Xt-System-User", "")

    @property
    def reason(self) -> str:
        return self.trailers.get("Xt-Reason", "")

    @property
    def entries(self) -> list[str]:
        return self.trailers.get("Xt-Entries", "").split()

    @property
    def entries_count(self) -> int | None:
        text = self.trailers.get("Xt-Entries-Count", "")
        return int(text) if text.isdigit() else None


def _git_program() -> str:
    program = shutil.which("git")
    if program is None:
        raise HistoryError("找不到 git 程序：变更历史需要 Git（apt-get install git）")
    return program


def _identity(name: str, user: str) -> dict[str, str]:
    """Author and committer for one commit: the operator, at the OS user's address."""
    email = f"{user or 'xtaccounts'}@{socket.gethostname() or 'localhost'}"
    return {
        "GIT_AUTHOR_NAME": name or user or "xtaccounts",
        "GIT_AUTHOR_EMAIL": email,
        "GIT_COMMITTER_NAME": user or "xtaccounts",
        "GIT_COMMITTER_EMAIL": email,
    }


class History:
    """The history of the books in `root` (the ledger directory)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(os.path.normpath(os.path.abspath(root)))
        self.git_dir = self.root / HISTORY_DIR

    @classmethod
    def of(cls, root: Path) -> History | None:
        """The history of the books in `root`, or None when they have none."""
        history = cls(root)
        return history if history.exists() else None

    def exists(self) -> bool:
        return (self.git_dir / "HEAD").is_file()

    # -- running git ----------------------------------------------------------------------

    def _environment(self, extra: dict[str, str] | None, reader: bool) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
        env.update(
            GIT_CONFIG_NOSYSTEM="1",
            GIT_CONFIG_GLOBAL=os.devnull,
            GIT_TERMINAL_PROMPT="0",
            GIT_LITERAL_PATHSPECS="1",
            LC_ALL="C",
            LANG="C",
        )
        if reader:
            env["GIT_OPTIONAL_LOCKS"] = "0"  # a reader never takes the index lock
        env.update(extra or {})
        return env

    def git(
        self,
        *args: str,
        input: bytes | None = None,
        env: dict[str, str] | None = None,
        check: bool = True,
        reader: bool = False,
        work_tree: bool = True,
    ) -> subprocess.CompletedProcess[bytes]:
        """Run `git` on this history; raise HistoryError (with Git's message) on a failure
        unless `check` is false."""
        command = [
            _git_program(),
            f"--git-dir={self.git_dir}",
            *([f"--work-tree={self.root}"] if work_tree else []),
            "-c", "core.quotePath=false",
            "-c", "core.autocrlf=false",
            "-c", "core.safecrlf=false",
            "-c", "core.fsmonitor=false",
            "-c", f"core.hooksPath={os.devnull}",
            "-c", "core.looseCompression=1",
            # Objects, references and the index on disk before git returns: the writer removes
            # its journal after the history commit, and a power cut must not then leave a
            # history whose last objects are empty files.
            "-c", "core.fsync=committed,index",
            "-c", "core.fsyncMethod=fsync",
            "-c", "commit.gpgSign=false",
            "-c", "gc.auto=0",
            "-c", "gc.autoDetach=false",
            "-c", "advice.detachedHead=false",
            "-c", f"safe.directory={self.root}",
            "-c", f"safe.directory={self.git_dir}",
            "-c", f"filter.{FILTER}.clean={CLEAN_COMMAND}",
            "-c", f"filter.{FILTER}.smudge=cat",
            "-c", f"filter.{FILTER}.required=true",
            *args,
        ]  # fmt: skip
        try:
            done = subprocess.run(
                command,
                input=input,
                capture_output=True,
                env=self._environment(env, reader),
                timeout=GIT_TIMEOUT,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise HistoryError(f"变更历史：git {args[0]} 无法运行：{exc}") from exc
        if check and done.returncode != 0:
            message = done.stderr.decode("utf-8", "replace").strip().splitlines()
            detail = "; ".join(message[-3:]) or f"exit {done.returncode}"
            raise HistoryError(f"变更历史：git {args[0]} 失败（{self.git_dir}）：{detail}")
        return done

    def read(self, *args: str, reader: bool = True) -> str:
        """What a reading git command prints, as text."""
        return self.git(*args, reader=reader).stdout.decode("utf-8", "replace")

    # -- making one -----------------------------------------------------------------------

    def create(self) -> None:
        """Make the git directory (no commit yet): configured, with the books' exclusions and
        the originals' filter. Refused when there is one already."""
        if os.path.lexists(self.git_dir):
            raise HistoryError(f"{self.git_dir} 已存在：账簿已有变更历史")
        self.git("init", "--quiet", f"--initial-branch={BRANCH}", "--template=")
        # Git wrote the work tree's absolute path into the config: name it on every call
        # instead, so that the ledger directory can be moved or copied with its history.
        self.git("config", "--unset", "core.worktree", check=False)
        info = self.git_dir / "info"
        info.mkdir(exist_ok=True)
        (info / "exclude").write_text("\n".join(EXCLUDED) + "\n", encoding="utf-8")
        (info / "attributes").write_text("\n".join(ATTRIBUTES) + "\n", encoding="utf-8")
        (self.git_dir / "description").write_text(
            "xtaccounts: the history of the books in the directory above\n", encoding="utf-8"
        )

    # -- recording ------------------------------------------------------------------------

    def check_ready(self, paths: Iterable[str] = ()) -> None:
        """Refuse (HistoryError) before anything is written when a change could not be
        recorded: no git, or no sha256sum for an original among `paths`."""
        _git_program()
        if any(is_original(p) for p in paths) and shutil.which("sha256sum") is None:
            raise HistoryError("找不到 sha256sum 程序：无法为归档原件记录摘要")

    def record_files(self, paths: Sequence[str], message: str, note: ChangeNote) -> None:
        """Commit the current content of `paths` (relative to the ledger dir), and only theirs,
        as one change with `message`."""
        self.git("add", "--", *paths)
        self.git(
            "commit", "--quiet", "--no-verify", "--allow-empty", "--cleanup=verbatim",
            "-F", "-", "--", *paths,
            input=message.encode("utf-8"),
            env=_identity(note.operator, note.system_user),
        )  # fmt: skip

    def record_all(self, message: str, note: ChangeNote, *, allow_empty: bool = False) -> None:
        """Commit every difference of the work tree (new, changed and deleted files)."""
        self.git("add", "--all")
        self.git(
            "commit", "--quiet", "--no-verify", "--cleanup=verbatim",
            *(["--allow-empty"] if allow_empty else []),
            "-F", "-",
            input=message.encode("utf-8"),
            env=_identity(note.operator, note.system_user),
        )  # fmt: skip

    def clear_stale_locks(self) -> list[str]:
        """Remove Git's lock files left by a killed commit. Call it holding the ledger lock:
        every git command that takes such a lock runs under it, so any found now is stale."""
        removed: list[str] = []
        candidates = [self.git_dir / name for name in _STALE_LOCKS]
        heads = self.git_dir / "refs" / "heads"
        if heads.is_dir():
            candidates.extend(heads.glob("*.lock"))
        for path in candidates:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed.append(path.name)
        return removed

    # -- reading --------------------------------------------------------------------------

    def head(self) -> str | None:
        """The last recorded change's commit, or None before the first."""
        done = self.git("rev-parse", "--verify", "--quiet", "HEAD", check=False, reader=True)
        text = done.stdout.decode().strip()
        return text if done.returncode == 0 and text else None

    def unrecorded(self, paths: Sequence[str] | None = None) -> list[Unrecorded]:
        """The files that differ from the last recorded change (of `paths`, if given)."""
        args = ["status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames"]
        if paths is not None:
            if not paths:
                return []
            args += ["--", *paths]
        out = self.git(*args, reader=True).stdout.decode("utf-8", "replace")
        found: list[Unrecorded] = []
        for record in out.split("\0"):
            if len(record) < 4:
                continue
            code, path = record[:2], record[3:]
            if code == "??":
                state = "added"
            elif "D" in code:
                state = "deleted"
            else:
                state = "modified"
            found.append(Unrecorded(path, state))
        return sorted(found, key=lambda u: u.path)

    def difference(self, change: Unrecorded, max_lines: int = 40) -> list[str]:
        """What differs in one unrecorded file, as diff lines (masked, markup neutralised), at
        most `max_lines`."""
        if change.state == "added":
            path = self.root / change.path
            if is_original(change.path):
                return ["+（归档原件，内容不列出）"]
            try:
                lines = ["+" + line for line in path.read_text("utf-8").splitlines()]
            except (UnicodeDecodeError, OSError):
                lines = [f"+（二进制文件，{path.stat().st_size} 字节）"]
        else:
            text = self.read(
                "diff", "--no-ext-diff", "--no-color", "--unified=1", "HEAD", "--", change.path
            )
            lines = [line for line in text.splitlines() if not line.startswith(("diff ", "index "))]
        shown = [shown_inert(line, quotes=False) for line in lines[:max_lines]]
        if len(lines) > max_lines:
            shown.append(f"…（另有 {len(lines) - max_lines} 行）")
        return shown

    def contains(self, commit: str) -> bool:
        """Whether `commit` is a recorded change of this history (the head or before it)."""
        if not re.fullmatch(r"[0-9a-fA-F]{4,64}", commit):
            return False
        known = self.git(
            "rev-parse", "--verify", "--quiet", f"{commit}^{{commit}}", check=False, reader=True
        )
        if known.returncode != 0:
            return False
        full = known.stdout.decode().strip()
        done = self.git("merge-base", "--is-ancestor", full, "HEAD", check=False, reader=True)
        return done.returncode == 0

    def resolve(self, commit: str) -> str:
        """The full name of a recorded change given by (a prefix of) its commit."""
        if not re.fullmatch(r"[0-9a-fA-F]{4,64}", commit) or not self.contains(commit):
            raise HistoryError(f"变更历史中没有 {commit}（用 xtaccounts history 查看记录的变更）")
        return self.read("rev-parse", "--verify", f"{commit}^{{commit}}").strip()

    def changes(
        self,
        *,
        since: dt.date | None = None,
        file: str | None = None,
        entry: str | None = None,
    ) -> list[RecordedChange]:
        """The recorded changes, newest first: since a day, touching a file (or a folder), or
        adding or removing the text of an entry's link or id (Git's pickaxe)."""
        if self.head() is None:
            return []
        args = [
            "log",
            "--no-color",
            "--no-ext-diff",
            "--no-renames",
            "--name-status",
            "--format=%x1e%H%x1f%aI%x1f%an%x1f%B%x1f",
        ]
        if since is not None:
            args.append(f"--since={since.isoformat()}T00:00:00")
        if entry:
            args.append(f"-S{entry}")
        args.append("HEAD")
        if file:
            args += ["--", file]
        out = self.read(*args)
        changes: list[RecordedChange] = []
        for record in out.split("\x1e")[1:]:
            commit, when, author, message, rest = record.split("\x1f", 4)
            files = []
            for line in rest.strip("\n").splitlines():
                status, _, path = line.partition("\t")
                if path:
                    files.append((status[:1], path))
            changes.append(
                RecordedChange(
                    commit, dt.datetime.fromisoformat(when), author, parse_message(message), files
                )
            )
        return changes

    def count(self) -> int:
        """How many changes are recorded."""
        if self.head() is None:
            return 0
        return int(self.read("rev-list", "--count", "HEAD").strip() or 0)

    def originals_in(self, commits: Sequence[str] = ("--all",)) -> dict[str, str]:
        """Digest -> a path it was recorded at, for every original of the given commits."""
        listing = self.read("rev-list", "--objects", *commits)
        named: dict[str, str] = {}
        for line in listing.splitlines():
            name, _, path = line.partition(" ")
            if path and is_original(path):
                named.setdefault(name, path)
        if not named:
            return {}
        out = self.git(
            "cat-file", "--batch", input="".join(f"{n}\n" for n in named).encode(), reader=True
        ).stdout
        digests: dict[str, str] = {}
        for name, path in named.items():
            header, _, out = out.partition(b"\n")
            _, kind, size = header.decode().split()
            content, out = out[: int(size)], out[int(size) + 1 :]
            if kind != "blob":
                continue  # a folder of originals
            digest = pointer_digest(content)
            if digest is None:
                raise HistoryError(f"{path}：记录的不是原件摘要（{name[:12]}），历史已损坏")
            digests.setdefault(digest, path)
        return digests


def pointer_digest(content: bytes) -> str | None:
    """The SHA-256 an original's pointer names, or None when `content` is not a pointer."""
    text = content.decode("ascii", "replace").strip()
    if not text.startswith(POINTER_PREFIX):
        return None
    digest = text[len(POINTER_PREFIX) :]
    return digest if re.fullmatch(r"[0-9a-f]{64}", digest) else None
