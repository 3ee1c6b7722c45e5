"""Each distinct cell text converted once: a table's rows repeat the same summaries, 对方科目
and names thousands of times, and escaping them again for every row cost more than the rest
of writing the row."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


LIMIT = 1 << 12  # texts kept at most: a 明细账's summaries and 分户账's names are mostly distinct


class Memo(dict[str, T]):
    """text -> `convert(text)`, computed on the first look-up of each text (a dict look-up
    after that). One per table and writer: it lives as long as the table is being written.
    Once `limit` texts are kept it starts again empty (the repeated texts come back at once;
    the distinct ones would be held to the end of the table for nothing)."""

    def __init__(self, convert: Callable[[str], T], limit: int = LIMIT) -> None:
        super().__init__()
        self.convert = convert
        self.limit = limit

    def __missing__(self, text: str) -> T:
        if len(self) >= self.limit:
            self.clear()
        value = self[text] = self.convert(text)
        return value
