"""Entries read back from the books' files by where they are, without loading the books.

A command that needs a few entries of history (a reversal: the original and what refers to
it) finds where they are in an index of the write snapshot (`ops.voucher_index`) and reads
just those: each entry's lines (its first line and the indented lines under it) parsed alone.
That gives the entry the books' load gives (the same file and line in its meta) when the books
are plain (no pushed tags or metadata: the write snapshot is only kept for such books) and the
load changes nothing in it: every posting has its amount and no cost or price (Beancount's
booking fills in or converts nothing), and the plugins add nothing (the fund's own plugins
return the entries as they are). Anything else is not read back (None): the books are loaded.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from beancount.core import data
from beancount.parser import parser

from xtaccounts.core.entries import plain_units

__all__ = ["Location", "located", "read_entries_at"]

Location = tuple[str, int]  # an entry's `filename` and `lineno`, as the books' load gives them
_INDENTED = re.compile(r"[ \t]+\S")  # a line of the entry above it
_OWN_META = re.compile(r"[ \t]+[a-z][A-Za-z0-9_-]*:")  # the entry's own metadata (before postings)


def read_entries_at(
    ledger_dir: Path,
    locations: Iterable[Location],
    files_in_order: Sequence[str],
    headings: Iterable[Location] = (),
) -> list[data.Directive] | None:
    """The entries at `locations` (each once), in the books' order; None if one of them cannot
    be read back alone (see the module) or lies outside `ledger_dir`.

    `headings`: more entries of which only the heading is wanted (a transaction's first line
    and its own metadata: date, flag, payee, narration, tags, links, metadata; no postings):
    a year's close has tens of thousands of postings that a caller reading its day and period
    does not need parsed. A location in both is read whole.

    `files_in_order`: the books' files (relative to `ledger_dir`) in the order they are
    included, which orders entries of the same day, kind and line in different files as the
    load does. The caller vouches that the files are those the locations were taken from (the
    write snapshot matches the books)."""
    root = os.path.realpath(ledger_dir)
    order = {rel: n for n, rel in enumerate(files_in_order)}
    by_file: dict[str, dict[int, bool]] = {}  # file -> line -> whole (else: the heading)
    for filename, lineno in headings:
        by_file.setdefault(filename, {})[lineno] = False
    for filename, lineno in locations:
        by_file.setdefault(filename, {})[lineno] = True
    found: list[tuple[tuple[object, ...], data.Directive]] = []
    for filename, linenos in by_file.items():
        real = os.path.realpath(filename)
        if os.path.commonpath([root, real]) != root:
            return None
        rank = order.get(os.path.relpath(real, root))
        if rank is None:
            return None
        try:
            lines = Path(real).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            return None
        for lineno, whole in sorted(linenos.items()):
            entry = _entry_at(lines, filename, lineno, whole)
            if entry is None:
                return None
            found.append(((*data.entry_sortkey(entry), rank), entry))
    found.sort(key=lambda pair: pair[0])
    return [entry for _key, entry in found]


def _entry_at(
    lines: list[str], filename: str, lineno: int, whole: bool = True
) -> data.Directive | None:
    """The entry whose first line is `lineno` (counted from 1), as the load gives it (or only
    its heading: see `read_entries_at`)."""
    if not 0 < lineno <= len(lines) or lines[lineno - 1][:1] in ("", " ", "\t", ";"):
        return None
    end = lineno
    more = _INDENTED if whole else _OWN_META
    while end < len(lines) and more.match(lines[end]):
        end += 1
    entries, errors, _options = parser.parse_string("\n".join(lines[lineno - 1 : end]) + "\n")
    if errors or len(entries) != 1:
        return None
    (entry,) = entries
    if isinstance(entry, data.Transaction) and not all(map(plain_units, entry.postings)):
        return None
    return located(entry, filename, lineno - 1)


def located(entry: data.Directive, filename: str, shift: int) -> data.Directive:
    """`entry` (and its postings) named by `filename`, its lines moved down by `shift`."""

    def moved(meta: data.Meta) -> data.Meta:
        meta = dict(meta)
        meta["filename"] = filename
        if isinstance(meta.get("lineno"), int):
            meta["lineno"] += shift
        return meta

    if isinstance(entry, data.Transaction):
        postings = [p._replace(meta=moved(p.meta)) if p.meta else p for p in entry.postings]
        return entry._replace(meta=moved(entry.meta), postings=postings)
    return entry._replace(meta=moved(entry.meta))
