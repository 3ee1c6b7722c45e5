"""The Chinese of a message for the pages.

The library's reasons and details say everything in Chinese, then the English they used to
say in full-width parentheses at the end (``…不足一年保费 3,200.00 元（差 100.56 元）（pool C0001…
short by 100.56 CNY)）``). A page shows the Chinese and keeps the whole message in a tooltip.
"""

from __future__ import annotations

import re

_LATIN_START = re.compile(r"[A-Za-z0-9\[(`'\"]")


def _tail_parenthetical(text: str) -> int | None:
    """Where the full-width parenthetical closing `text` opens, or None."""
    if not text.endswith("）"):
        return None
    depth = 0
    for i in range(len(text) - 1, -1, -1):
        if text[i] == "）":
            depth += 1
        elif text[i] == "（":
            depth -= 1
            if depth == 0:
                return i
    return None


def _english(part: str) -> bool:
    """A parenthetical in English: it begins with a Latin letter or a digit and has more Latin
    letters than CJK characters."""
    latin = sum(1 for c in part if c.isascii() and c.isalpha())
    cjk = sum(1 for c in part if "\u4e00" <= c <= "\u9fff")
    return bool(_LATIN_START.match(part)) and latin > cjk


def chinese(text: str) -> str:
    """`text` without the English parentheticals at its end (and within the Chinese part of
    each `；`-separated clause)."""
    clauses = []
    for clause in text.split("；"):
        while (start := _tail_parenthetical(clause)) is not None and start > 0:
            if not _english(clause[start + 1 : -1]):
                break
            clause = clause[:start].rstrip()
        clauses.append(clause)
    return "；".join(clauses)
