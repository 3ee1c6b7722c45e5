"""Text the writer formatted from entries, read back without parsing it.

`WriteSession.append_entries` formats directives itself (`writer.format_entry`). When every one
of them is of the shapes that formatter writes and Beancount's parser reads back unchanged
(`plain_read`), the fast path takes the entries as the parse of the voucher-numbered text would
give them (`as_parsed`): the same fields, metadata (``filename: "<string>"``, the line numbers, the
voucher number added first), postings and order. Anything else is parsed as before.
`tests/books/test_built_text.py` shows both give equal entries and the same text.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from beancount.core import data
from beancount.core.amount import Amount
from beancount.parser import printer

from xtaccounts.books.voucher_numbers import Month, parse_voucher, voucher_number
from xtaccounts.core.vocabulary import META_VOUCHER

__all__ = [
    "FORMAT_NUMBER",
    "BuiltChunk",
    "Printed",
    "Read",
    "as_parsed",
    "plain_read",
    "printed_of",
]

# How the formatter (and Beancount's printer) writes a number.
FORMAT_NUMBER = printer.EntryPrinter().dformat.format

PARSED_FILE = "<string>"  # the filename parser.parse_string gives its entries
_KEY = re.compile(r"[a-z][a-zA-Z0-9\-_]*")
_NAME = re.compile(r"[A-Za-z0-9\-_/.]+")  # a tag or link
_META_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_CURRENCY = re.compile(r"[A-Z][A-Z0-9'._-]{0,22}[A-Z0-9]")
_FLAGS = ("*", "!")

Printed = list[tuple[str, Any]]  # metadata as printed: key, value


# `plain_read`: how many metadata are printed of an entry, and of each of its postings
Read = tuple[int, tuple[int, ...]]


@dataclass(frozen=True)
class BuiltChunk:
    """A staged chunk of text made by `append_entries`: whether it starts with a blank line,
    its entries and the length of each one's text (joined by one newline); and `reads`, each
    entry's `plain_read` when the writer took it already (None: worked out when needed)."""

    blank: bool
    entries: Sequence[data.Directive]  # (the writer's own chunks: a list `as_parsed` may empty)
    lengths: tuple[int, ...]
    reads: tuple[Read | None, ...] | None = None


def _string(value: object) -> bool:
    """A string the formatter writes as it is and the parser reads back as it is."""
    return isinstance(value, str) and value.isprintable() and '"' not in value and "\\" not in value


def _number(value: object, currency: str) -> bool:
    """A number whose text, as the formatter writes it, reads back as the same Decimal,
    exponent and all."""
    return (
        isinstance(value, Decimal)
        and value.is_finite()
        and not (value.is_signed() and value.is_zero())
        and _reads_back(str(value), currency)
    )


@functools.lru_cache(maxsize=1 << 16)
def _reads_back(text: str, currency: str) -> bool:
    """Whether the formatter writes the number `text` (a Decimal's own) as `text`, followed by
    a currency the parser reads as it is."""
    return (
        _CURRENCY.fullmatch(currency) is not None and FORMAT_NUMBER(Decimal(text), currency) == text
    )


@functools.lru_cache(maxsize=1 << 10)
def _key(key: str) -> bool:
    return _KEY.fullmatch(key) is not None


def printed_of(meta: dict[str, Any] | None) -> Printed:
    """The metadata the formatter prints, in order (all but the file, line and ``__`` keys)."""
    return [
        (key, value)
        for key, value in (meta or {}).items()
        if key != "filename" and key != "lineno" and not key.startswith("__")
    ]


def _printed_count(meta: dict[str, Any] | None) -> int | None:
    """How many metadata the formatter prints (`printed_of`), if each key and value reads back
    as it is; None otherwise."""
    count = 0
    for key, value in (meta or {}).items():
        if key == "filename" or key == "lineno" or key.startswith("__"):
            continue
        if not _key(key):
            return None
        kind = type(value)
        if kind is str:
            if not _string(value):
                return None
        elif kind is bool or kind is dt.date:
            pass
        elif isinstance(value, Decimal):
            if not (value.is_finite() and _META_NUMBER.fullmatch(str(value))):
                return None
        elif not _string(value):
            return None
        count += 1
    return count


def plain_read(entry: data.Directive) -> Read | None:
    """If the formatter writes `entry` itself and the parser reads it back unchanged: how many
    metadata are printed of it and of each of its postings (`printed_of` gives them: counts
    are what is kept, beside each of an import's entries from formatting to the fast path);
    else None."""
    if isinstance(entry, data.Transaction):
        if (
            entry.flag not in _FLAGS
            or not _string(entry.narration)
            or not entry.narration
            or (entry.payee is not None and not (_string(entry.payee) and entry.payee))
            or not all(_NAME.fullmatch(name) for name in (*entry.tags, *entry.links))
        ):
            return None
        printed = _printed_count(entry.meta)
        if printed is None:
            return None
        postings = []
        for posting in entry.postings:
            units = posting.units
            if (
                posting.flag is not None
                or posting.cost is not None
                or posting.price is not None
                or not isinstance(units, Amount)
                or not _number(units.number, units.currency)
            ):
                return None
            own = _printed_count(posting.meta)
            if own is None:
                return None
            postings.append(own)
        return printed, tuple(postings)
    if isinstance(entry, data.Balance):
        amount = entry.amount
        tolerance = entry.tolerance
        printed = _printed_count(entry.meta)
        if (
            entry.diff_amount is None
            and _number(amount.number, amount.currency)
            and (tolerance is None or _number(tolerance, amount.currency))
            and printed is not None
        ):
            return printed, ()
    return None


def _meta(lineno: int, printed: Printed, filename: str = PARSED_FILE) -> dict[str, Any]:
    meta: dict[str, Any] = {"filename": filename, "lineno": lineno}
    meta.update(printed)
    return meta


def as_parsed(
    chunks: Sequence[str],
    built: Sequence[BuiltChunk],
    highest: dict[Month, int],
    filename: str = PARSED_FILE,
    *,
    release: bool = False,
) -> tuple[list[str], list[data.Directive]] | None:
    """The chunks of one file voucher-numbered (`voucher_numbers.number_text`), chunk by chunk
    (their text is the pieces joined), and the entries `parser.parse_string` gives for that
    text, without parsing it; `highest` is updated with the numbers given. None, and `highest`
    untouched, when an entry is not `plain`. `filename`: the name their metadata give (the
    parser's own by default; the file the text is appended to spares the caller renaming
    them). `release`: the chunks and their entries (lists) are the caller's to give up, so
    that a large change is not held twice: each entry is let go from its chunk once read back,
    and each chunk's text replaced by its numbered text once cut (`chunks` is then the pieces
    returned; untouched when None is returned)."""
    reads = [
        read
        for chunk in built
        for read in (chunk.reads if chunk.reads is not None else map(plain_read, chunk.entries))
    ]
    if None in reads:
        return None
    if any(
        len(text) != sum(chunk.lengths) + len(chunk.lengths) - 1 + chunk.blank
        for text, chunk in zip(chunks, built, strict=True)
    ):
        return None
    given = dict(highest)
    pieces: list[str] = []
    entries: list[data.Directive] = []
    line = 1
    read = iter(reads)
    for at_chunk, (text, chunk) in enumerate(zip(chunks, built, strict=True)):
        own_entries = chunk.entries if release and isinstance(chunk.entries, list) else None
        out: list[str] = []
        at = 0
        if chunk.blank:
            out.append("\n")
            at, line = 1, line + 1
        for index, (entry, length) in enumerate(zip(chunk.entries, chunk.lengths, strict=True)):
            own = text[at : at + length]
            at += length + 1
            if index:  # the blank line between two entries
                out.append("\n")
                line += 1
            own, entry = _numbered(own, entry, next(read), line, given, filename)
            out.append(own)
            entries.append(entry)
            line += own.count("\n")
            if own_entries is not None:  # the original let go now (the one read back kept)
                own_entries[index] = entry
        if own_entries is not None:
            own_entries.clear()
        pieces.append("".join(out))
        if release and isinstance(chunks, list):
            chunks[at_chunk] = pieces[-1]  # the text cut let go, its numbered text in its place
    text = own = ""
    highest.update(given)
    entries.sort(key=data.entry_sortkey)  # as the parser hands them out
    if release and isinstance(chunks, list):
        return chunks, entries
    return pieces, entries


def _numbered(
    text: str,
    entry: data.Directive,
    read: Read | None,
    line: int,
    highest: dict[Month, int],
    filename: str = PARSED_FILE,
) -> tuple[str, data.Directive]:
    """One entry's text with its voucher number (as `number_text` gives it) and the entry as
    the parser reads that text at `line` (`read`: what `plain_read` found printed of it)."""
    assert read is not None
    printed = printed_of(entry.meta)
    if isinstance(entry, data.Balance):
        return text, entry._replace(meta=_meta(line, printed, filename))
    assert isinstance(entry, data.Transaction)
    voucher = [value for key, value in printed if key == META_VOUCHER]
    month = (entry.date.year, entry.date.month)
    if voucher:
        parsed = parse_voucher(voucher[0])
        if parsed is not None:
            key = (parsed[0], parsed[1])
            highest[key] = max(highest.get(key, 0), parsed[2])
    else:
        highest[month] = highest.get(month, 0) + 1
        number = voucher_number(*month, highest[month])
        head = text.index("\n") + 1
        text = f'{text[:head]}  {META_VOUCHER}: "{number}"\n{text[head:]}'
        printed = [(META_VOUCHER, number), *printed]
    at = line + 1 + len(printed)
    postings = []
    # (built field by field: `_replace` costs twice as much, on every posting of an import)
    for posting, count in zip(entry.postings, read[1], strict=True):
        account, units, cost, price, flag, old = posting
        own = _meta(at, printed_of(old), filename)
        postings.append(type(posting)(account, units, cost, price, flag, own))
        at += 1 + count
    _old, date, flag, payee, narration, tags, links, _postings = entry
    meta = _meta(line, printed, filename)
    return text, type(entry)(meta, date, flag, payee, narration, tags, links, postings)
