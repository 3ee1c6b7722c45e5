"""What a statement file really is, told by its content and never by its name.

Banks' files lie about their type: an "xls" that is tab-separated GB18030 text, a `.CSV` that is
an OLE workbook, an `.xls` that is really xlsx. `sniff` looks at the bytes and says which reader
to use and, for text, which encoding.
"""

from __future__ import annotations

import codecs
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from xtaccounts.errors import XtError

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
UTF8_BOM = codecs.BOM_UTF8
SAMPLE_BYTES = 64 * 1024

BINARY = "not a statement: binary data (neither an Excel workbook nor UTF-8/GB18030 text)"
UTF16 = "not a statement: UTF-16 text; save the statement as UTF-8 or GB18030 CSV, or as xls"

Kind = Literal["xls", "xlsx", "text"]


class ReadError(XtError):
    """A file or cell that cannot be read; `importers.statement` adds the file name.

    `row` is 1-based (0 when no row applies) and `field` names the column ("" when none).
    """

    def __init__(self, message: str, row: int = 0, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.row = row
        self.field = field


@dataclass(frozen=True)
class Sniffed:
    kind: Kind
    encoding: str | None = None  # text only: "utf-8-sig", "utf-8" or "gb18030"


def sniff_bytes(head: bytes, whole: bytes | None = None) -> Sniffed:
    """Tell the kind of a file from its first bytes (`whole` lets a ZIP be opened to check it)."""
    if not head:
        raise ReadError("not a statement: the file is empty")
    if head.startswith(OLE_MAGIC):
        return Sniffed("xls")
    if head.startswith(ZIP_MAGIC):
        if whole is not None and not _is_xlsx(whole):
            raise ReadError("not a statement: a ZIP archive that is not an Excel workbook")
        return Sniffed("xlsx")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ReadError(UTF16)
    if head.startswith(b"%PDF"):
        raise ReadError("not a statement: a PDF; export the statement as xls, xlsx or CSV")
    if head.startswith(UTF8_BOM):
        _check_text(head[len(UTF8_BOM) :], "utf-8")
        return Sniffed("text", "utf-8-sig")
    if b"\x00" in head:
        raise ReadError(_nul_reason(head))
    for encoding in ("utf-8", "gb18030"):
        if _decodes(head, encoding, final=len(head) < SAMPLE_BYTES):
            _check_text(head, encoding)
            return Sniffed("text", encoding)
    raise ReadError(BINARY)


def sniff(path: Path) -> Sniffed:
    """Tell the kind of the file at `path`; ReadError when it is no statement at all."""
    with open(path, "rb") as handle:
        head = handle.read(SAMPLE_BYTES)
    whole = path.read_bytes() if head.startswith(ZIP_MAGIC) else None
    return sniff_bytes(head, whole)


def _is_xlsx(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return any(name.startswith("xl/") for name in archive.namelist())
    except Exception:  # a damaged ZIP raises many kinds (NotImplementedError for its version)
        return False


def _nul_reason(head: bytes) -> str:
    # UTF-16 without BOM: every other byte of ASCII text is a NUL.
    even, odd = head[0::2], head[1::2]
    if len(head) >= 8 and (even.count(0) > 0.3 * len(even) or odd.count(0) > 0.3 * len(odd)):
        return UTF16
    return BINARY


def _decodes(data: bytes, encoding: str, *, final: bool) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    try:
        decoder.decode(data, final=final)
    except UnicodeDecodeError:
        return False
    return True


def _check_text(data: bytes, encoding: str) -> None:
    text = codecs.getincrementaldecoder(encoding)("replace").decode(data, final=False)
    controls = sum(1 for ch in text if ch < " " and ch not in "\t\r\n\x0c")
    if controls > max(2, len(text) // 100):
        raise ReadError(BINARY)
