"""记账凭证号: each transaction booked gets `voucher: "记-YYYY-MM-NNNN"` as the writer commits it.

Numbers run per month of the transaction's date, from 0001, in the order the transactions are
committed: a month's next number is one more than the highest that month has in the books, so
there are no gaps and no number is given twice; a number once written is never changed. A
backdated transaction takes its month's next number. Text that already carries a `voucher:` keeps
it (and the month's numbering goes on after it). The year books' carried opening
(`years/<Y>-opening.beancount`, kind "carry") is not appended through the main books and gets
none: it is the 上年结转 of the year's books, not a voucher. Rule V1 in docs/rules.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from beancount.core import data

from xtaccounts.core.vocabulary import META_VOUCHER

PREFIX = "记"
VOUCHER = re.compile(r"^记-(\d{4})-(\d{2})-(\d{4,})$")
# A transaction's first line: its date and its flag (`*`, `!`, `txn` or another flag letter).
_HEADER = re.compile(r"^(\d{4})-(\d{2})-\d{2}[ \t]+(?:txn\b|[*!&#?%PSTCURM](?=[ \t]|$))")
_META_LINE = re.compile(r"^[ \t]+([a-z][A-Za-z0-9_-]*):[ \t]*(.*?)[ \t]*$")

Month = tuple[int, int]


def voucher_number(year: int, month: int, number: int) -> str:
    """记-2025-03-0001."""
    return f"{PREFIX}-{year:04d}-{month:02d}-{number:04d}"


def parse_voucher(text: object) -> tuple[int, int, int] | None:
    """(year, month, number) of a voucher number, or None if `text` is not one."""
    if not isinstance(text, str):
        return None
    match = VOUCHER.match(text)
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2)), int(match.group(3))


def voucher_of(entry: data.Directive) -> str | None:
    """The voucher number a transaction carries, or None."""
    value = (entry.meta or {}).get(META_VOUCHER)
    return value if isinstance(entry, data.Transaction) and parse_voucher(value) else None


def highest_numbers(entries: Iterable[data.Directive]) -> dict[Month, int]:
    """The highest voucher number of every month in the books."""
    highest: dict[Month, int] = {}
    for entry in entries:
        if not isinstance(entry, data.Transaction):
            continue
        parsed = parse_voucher((entry.meta or {}).get(META_VOUCHER))
        if parsed is not None:
            key = (parsed[0], parsed[1])
            highest[key] = max(highest.get(key, 0), parsed[2])
    return highest


def number_text(text: str, highest: dict[Month, int]) -> str:
    """`text` (ledger text to append) with a `voucher:` line under every transaction's first line
    that has none; `highest` is updated with the numbers given."""
    if "\n" not in text and not _HEADER.match(text):
        return text
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        out.append(line)
        index += 1
        header = _HEADER.match(line)
        if header is None:
            continue
        has_voucher = False
        look = index
        while look < len(lines):
            meta = _META_LINE.match(lines[look])
            if meta is None:
                break
            if meta.group(1) == META_VOUCHER:
                has_voucher = True
                given = parse_voucher(meta.group(2).strip('"'))
                if given is not None:
                    key = (given[0], given[1])
                    highest[key] = max(highest.get(key, 0), given[2])
            look += 1
        if has_voucher:
            continue
        month = (int(header.group(1)), int(header.group(2)))
        highest[month] = highest.get(month, 0) + 1
        if not line.endswith("\n"):
            out[-1] = line + "\n"
        out.append(f'  {META_VOUCHER}: "{voucher_number(*month, highest[month])}"\n')
    return "".join(out)
