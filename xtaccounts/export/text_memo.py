"""Each distinct cell text converted once: a table's rows repeat the same summaries, 对方科目
and names thousands of times, and escaping them again for every row cost more than the rest
of writing the row."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class Memo(dict[str, T]):
    """text -> `convert(text)`, computed on the first look-up of each text (a dict look-up
    after that). One per table and writer: it lives as long as the table is being written."""

    def __init__(self, convert: Callable[[str], T]) -> None:
        super().__init__()
        self.convert = convert

    def __missing__(self, text: str) -> T:
        value = self[text] = self.convert(text)
        return value
