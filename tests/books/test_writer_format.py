"""The writer's fast entry formatting prints exactly what beancount's printer prints."""

from __future__ import annotations

from pathlib import Path

from beancount.parser import parser, printer

from xtaccounts.books.built_text import plain_read
from xtaccounts.books.load import load_books
from xtaccounts.books.writer import format_entry

ODD = """
2024-01-01 open Assets:A-甲 CNY
2024-01-01 open Assets:B CNY
2024-01-01 open Assets:Stock HOOL

2024-02-01 ! "只有付款人" ""
  Assets:A-甲  1.00 CNY
  Assets:B

2024-02-02 * "付款人 \\"引号\\" \\\\ 反斜杠" "摘要" #tag-b #tag-a ^link-2 ^link-1
  kind: "deposit"
  number: 12.5
  day: 2024-02-02
  flag: TRUE
  off: FALSE
  empty:
  ! Assets:A-甲  -1234567.89 CNY
    unit: "C0001-B01-U1"
    households: "a=1.00 b=2.00"
  Assets:B  1234567.89 CNY

2024-02-03 *
  Assets:A-甲  -0.00 CNY
  Assets:B  0 CNY

2024-02-04 * "price and cost"
  Assets:Stock  10 HOOL {5.00 CNY}
  Assets:A-甲  -50.00 CNY

2024-02-05 * "price"
  Assets:Stock  -1 HOOL @ 6.00 CNY
  Assets:A-甲  6.00 CNY

2024-02-06 balance Assets:A-甲  100.01 ~ 0.00 CNY
  statement: "a.csv"
2024-02-06 balance Assets:B  100 CNY
2024-02-07 note Assets:B "a note"
"""


def _check(entries: list) -> int:
    """Each entry printed the same, and the same again from its `plain_read` (as
    `append_entries` prints it) when it has one."""
    for entry in entries:
        text = printer.format_entry(entry)
        assert format_entry(entry) == text, entry
        read = plain_read(entry)
        if read is not None:
            assert format_entry(entry, read) == text, entry
    return len(entries)


def test_same_text_as_the_printer_on_odd_entries() -> None:
    entries, errors, _ = parser.parse_string(ODD)
    assert not errors
    assert _check(entries) == 11


def test_same_text_as_the_printer_on_the_demo_books(demo_books: Path) -> None:
    books = load_books(demo_books)
    assert _check(books.entries) > 300
    for path in sorted(demo_books.parent.rglob("*.beancount")):
        entries, _, _ = parser.parse_file(str(path))
        _check(entries)
