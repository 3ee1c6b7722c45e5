"""Loading the books once, optionally as they will be after staged appends.

`load_books` does what `beancount.loader.load_file` does (parse recursively, sort, book,
run the plugins with the ledger's pythonpath, validate) without the pickle cache, and can
load the books as they will be once some text has been appended to some files. The writer
validates a change this way before it touches a file.
"""

from __future__ import annotations

import copy
import fnmatch
import glob
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from beancount import loader
from beancount.core import data
from beancount.ops import validation
from beancount.parser import booking, parser
from beancount.parser import options as bc_options
from beancount.utils import encryption

from xtaccounts.core.gc_pause import gc_paused
from xtaccounts.core.i18n import _
from xtaccounts.core.progress import step

Directive = data.Directive
BeancountError = data.BeancountError

__all__ = [
    "BeancountError",
    "Directive",
    "LoadedBooks",
    "ParseCache",
    "appended_content",
    "appended_pieces",
    "appended_text",
    "error_key",
    "format_error",
    "load_books",
    "staged_directive",
]

_FORBIDDEN_IN_STAGED = re.compile(r"^[ \t]*(option|plugin)\b.*$", re.MULTILINE)


@dataclass(frozen=True)
class LoadedBooks:
    """The books as loaded: entries after plugins, all errors, the options map."""

    path: Path
    entries: list[Directive]
    errors: list[BeancountError]
    options: dict[str, Any]


def appended_content(old: bytes, text: str) -> bytes:
    """The bytes of a file whose content `old` gets `text` appended.

    A newline separates `old` from `text` if `old` lacks a final one, and `text` gets a final
    newline if it lacks one. The writer writes exactly these bytes.
    """
    return old + appended_text(old, text).encode("utf-8")


def appended_text(old: bytes, text: str) -> str:
    """What `appended_content` adds to `old`, as text (`text` itself when it adds nothing to
    it: a 100,000-line import's text is not copied again)."""
    return "".join(appended_pieces(old, [text]))  # (one text joined alone is itself)


def appended_pieces(old: bytes, pieces: list[str]) -> list[str]:
    """What `appended_content` adds to `old`, for a text in pieces (a new list: `pieces` is
    left as it is): a newline first if `old` lacks a final one, one last if the text does."""
    kept = [piece for piece in pieces if piece]
    if not kept:
        return []
    separator = ["\n"] if old and not old.endswith(b"\n") else []
    end = [] if kept[-1].endswith("\n") else ["\n"]
    return separator + kept + end


def staged_directive(text: str) -> str | None:
    """The first `option` or `plugin` line of `text`, which staged text may not contain."""
    if "option" not in text and "plugin" not in text:  # (a large import's text, searched fast)
        return None
    match = _FORBIDDEN_IN_STAGED.search(text)
    return match.group(0).strip() if match else None


def error_key(err: Any) -> tuple[str, int, str]:
    """(filename, lineno, message) of an error, for comparing sets of errors."""
    source = getattr(err, "source", None)
    filename = ""
    lineno = 0
    if isinstance(source, Mapping):
        filename = str(source.get("filename") or "")
        try:
            lineno = int(source.get("lineno") or 0)
        except (TypeError, ValueError):
            lineno = 0
    message = getattr(err, "message", err)
    return filename, lineno, str(message)


def format_error(err: Any) -> str:
    """`file:line: message` for an error."""
    filename, lineno, message = error_key(err)
    return f"{filename}:{lineno}: {message}"


def load_books(
    main: Path,
    staged: Mapping[Path, str] | None = None,
    *,
    parsed: ParseCache | None = None,
) -> LoadedBooks:
    """Load the books of `main`, with each text of `staged` appended to its (absolute) file.

    A staged file that does not exist yet is parsed as if it held only its text. Every
    entry's and error's line number is the one it will have once the text is appended. A
    staged file that no `include` reaches (staged include lines count) is loaded as if it
    were included. Staged text may not hold `option` or `plugin` lines (ValueError).

    `parsed`, a `ParseCache` shared by several loads (the writer's load before a change and
    its validating load after it), keeps each file's parse: a file unchanged on disk since
    (same inode, size, mtime and ctime) and with no staged text is not parsed again.
    """
    top = os.path.normpath(os.path.abspath(main))
    staged_texts: dict[str, str] = {}
    for path, text in (staged or {}).items():
        if not os.path.isabs(path):
            raise ValueError(f"staged path is not absolute: {path}")
        bad = staged_directive(text)
        if bad is not None:
            raise ValueError(f"staged text for {path} may not contain {bad!r}")
        staged_texts[os.path.normpath(path)] = text

    # Four stages of about equal weight at city scale: parsing, booking, plugins, validation.
    # The cycle collector is paused: its passes went through the millions of entries, postings
    # and amounts the load makes, none in a cycle (a sixth of the load's time); what the load
    # leaves goes to the oldest generation untraversed (`gc_paused`).
    with (
        gc_paused(keep=True),
        step(_("读取账簿") if staged is None else _("校验变更后的账簿"), total=4) as advance,
    ):
        entries, errors, options_map = _parse_recursive(top, staged_texts, parsed)
        entries.sort(key=data.entry_sortkey)
        advance()

        entries, balance_errors = booking.book(entries, options_map)
        errors.extend(balance_errors)
        advance()

        saved_pythonpath = list(sys.path)
        try:
            sys.path[0:0] = options_map.get("pythonpath", [])
            entries, errors = _run_transformations(entries, errors, options_map)
        finally:
            sys.path[:] = saved_pythonpath
        advance()

        errors.extend(validation.validate(entries, options_map, None, None))
        options_map["input_hash"] = loader.compute_input_hash(options_map["include"])
        advance()
    return LoadedBooks(path=Path(top), entries=entries, errors=errors, options=options_map)


class ParseCache:
    """Each file's parse (entries, errors, options) by path, while the file is unchanged.

    Parsed entries are not changed by booking, plugins or validation (they make new entries),
    so a later load may use them again; each load gets its own lists and options.
    """

    def __init__(self, max_entries: int = 3_000_000) -> None:
        self._files: dict[str, tuple[tuple[int, ...], tuple[Any, Any, Any]]] = {}
        self.max_entries = max_entries  # the oldest files' parses go beyond this many entries
        self._entries = 0

    @staticmethod
    def _signature(filename: str) -> tuple[int, ...]:
        st = os.stat(filename)
        return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)

    def parse_file(self, filename: str) -> tuple[list[Directive], list[BeancountError], dict]:
        """`parser.parse_file(filename)`, from the cache while the file is unchanged."""
        signature = self._signature(filename)
        cached = self._files.get(filename)
        if cached is None or cached[0] != signature:
            result = parser.parse_file(filename)
            if self._signature(filename) != signature:  # changed while being read
                return result
            self._forget(filename)
            cached = self._files[filename] = (signature, result)
            self._entries += len(result[0])
            while self._entries > self.max_entries and len(self._files) > 1:
                self._forget(next(iter(self._files)))
        src_entries, src_errors, src_options = cached[1]
        return list(src_entries), list(src_errors), copy.deepcopy(src_options)

    def signature_of(self, filename: str) -> tuple[int, ...] | None:
        """The stat signature of the file as it was when its kept parse was made (None: no
        parse kept)."""
        cached = self._files.get(filename)
        return cached[0] if cached is not None else None

    def release(self) -> None:
        """Let every kept parse go (the next load parses the files again)."""
        self._files.clear()
        self._entries = 0

    def _forget(self, filename: str) -> None:
        cached = self._files.pop(filename, None)
        if cached is not None:
            self._entries -= len(cached[1][0])


def _run_transformations(
    entries: list[Directive], errors: list[BeancountError], options_map: dict[str, Any]
) -> tuple[list[Directive], list[BeancountError]]:
    """`loader.run_transformations`, Beancount's balance assertions checked by
    `xtaccounts.core.balance_days.check_balance_assertions` (the same checks and errors, in linear
    time:
    Beancount's own is quadratic in the accounts when many are asserted, as after a year close),
    and its padding skipped for books without a `pad` directive (`books.padding`).
    """
    if options_map["plugin_processing_mode"] != "default":
        return loader.run_transformations(entries, errors, options_map, None)
    plugins = [
        (_IN_PLACE_OF.get(name, name), config)
        for name, config in (
            *loader.PLUGINS_PRE,
            *options_map["plugin"],
            *loader.PLUGINS_AUTO,
            *loader.PLUGINS_POST,
        )
    ]
    saved = options_map["plugin"], options_map["plugin_processing_mode"]
    options_map["plugin"], options_map["plugin_processing_mode"] = plugins, "raw"
    try:
        return loader.run_transformations(entries, errors, options_map, None)
    finally:
        options_map["plugin"], options_map["plugin_processing_mode"] = saved


# Beancount's own steps, and what `load_books` runs in their place.
_IN_PLACE_OF = {
    "beancount.ops.balance": "xtaccounts.core.balance_days",
    "beancount.ops.pad": "xtaccounts.books.padding",
}


def _parse_recursive(
    top: str, staged: dict[str, str], parsed: ParseCache | None = None
) -> tuple[list[Directive], list[BeancountError], dict[str, Any]]:
    """Parse `top` and its includes like `loader._parse_recursive`, reading staged files."""
    entries: list[Directive] = []
    errors: list[BeancountError] = []
    options_map: dict[str, Any] | None = None
    other_options: list[dict[str, Any]] = []
    seen: set[str] = set()
    stack: list[str] = [top]
    unreached_added = False

    while stack or not unreached_added:
        if not stack:
            # Staged files no include reaches are loaded as if included (new files).
            unreached_added = True
            stack.extend(sorted(set(staged) - seen))
            continue
        filename = os.path.normpath(stack.pop(0))
        is_top_level = options_map is None

        if filename in seen:
            errors.append(_load_error(f'Duplicate filename parsed: "{filename}"'))
            continue
        text = staged.get(filename)
        exists = os.path.exists(filename)
        if text is None and not exists:
            errors.append(_load_error(f'File "{filename}" does not exist'))
            continue
        seen.add(filename)

        if text is not None:
            old = Path(filename).read_bytes() if exists else b""
            if exists and encryption.is_encrypted_file(filename):
                raise ValueError(f"cannot append to an encrypted file: {filename}")
            src_entries, src_errors, src_options = parser.parse_string(
                appended_content(old, text), report_filename=filename
            )
        elif encryption.is_encrypted_file(filename):
            src_entries, src_errors, src_options = parser.parse_string(
                encryption.read_encrypted_file(filename), report_filename=filename
            )
        elif parsed is not None:
            src_entries, src_errors, src_options = parsed.parse_file(filename)
        else:
            src_entries, src_errors, src_options = parser.parse_file(filename)

        entries.extend(src_entries)
        errors.extend(src_errors)
        if is_top_level:
            options_map = src_options
        else:
            other_options.append(src_options)

        cwd = os.path.dirname(filename)
        for include in src_options["include"]:
            pattern = include if os.path.isabs(include) else os.path.join(cwd, include)
            matched = glob.glob(pattern, recursive=True)
            matched.extend(_staged_matches(pattern, staged, matched))
            if not matched:
                errors.append(_load_error(f'File glob "{include}" does not match any files'))
            for match in matched:
                stack.append(os.path.normpath(os.path.join(cwd, match)))

    if options_map is None:
        options_map = bc_options.OPTIONS_DEFAULTS.copy()
    options_map["include"] = sorted(seen)
    options_map = loader.aggregate_options_map(options_map, other_options)
    return entries, errors, options_map


def _staged_matches(pattern: str, staged: dict[str, str], matched: list[str]) -> list[str]:
    """Staged files not on disk yet that an include pattern will match once written."""
    already = {os.path.normpath(m) for m in matched}
    return [
        path
        for path in sorted(staged)
        if path not in already
        and not os.path.exists(path)
        and _glob_matches(os.path.normpath(pattern), path)
    ]


def _glob_matches(pattern: str, path: str) -> bool:
    """Whether `glob.glob(pattern, recursive=True)` would list `path` if it existed."""
    if not glob.has_magic(pattern):
        return pattern == path
    return _match_parts(pattern.split(os.sep), path.split(os.sep))


def _match_parts(pattern: list[str], parts: list[str]) -> bool:
    """Component-wise glob matching, with `**` for any number of directories."""
    if not pattern:
        return not parts
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        return any(
            _match_parts(rest, parts[i:])
            for i in range(len(parts) + 1)
            if not any(p.startswith(".") for p in parts[:i])
        )
    if not parts:
        return False
    name = parts[0]
    if glob.has_magic(head):
        if name.startswith(".") and not head.startswith("."):
            return False
        if not fnmatch.fnmatchcase(name, head):
            return False
    elif name != head:
        return False
    return _match_parts(rest, parts[1:])


def _load_error(message: str) -> BeancountError:
    """An error of the loading stage, like beancount's own."""
    return loader.LoadError(data.new_metadata("<load>", 0), message)
