"""Text cells that no spreadsheet will run as a formula (OWASP "CSV injection").

A cell whose text begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula
to Excel and LibreOffice. OWASP's advice, followed here:

- CSV: such a cell is prefixed with a single quote (``'=HYPERLINK(…)``); the csv module quotes
  the field as needed. Numbers are written as numbers (a negative amount ``-12.50`` is a number
  column, never text).
- xlsx: every text cell is stored with the string type (``t="inlineStr"``), never as a formula,
  and a dangerous one also carries Excel's quote-prefix style, so that editing the cell keeps it
  text. Its text is kept as it was.
- JSON is not opened by spreadsheets: text is kept as it was.

Control characters that XML 1.0 cannot carry are removed from text for every format.
"""

from __future__ import annotations

import re

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# XML 1.0's Char excludes these; a lone surrogate cannot even be encoded as UTF-8.
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def clean_control(text: str) -> str:
    return _XML_ILLEGAL.sub("", text) if _XML_ILLEGAL.search(text) else text


def is_dangerous(text: str) -> bool:
    return text.startswith(FORMULA_TRIGGERS)


def csv_text(text: str) -> str:
    """Text for a CSV cell: a leading formula character neutralised with a single quote."""
    text = clean_control(text)
    return "'" + text if is_dangerous(text) else text
