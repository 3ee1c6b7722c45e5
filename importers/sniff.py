"""What a statement file really is, told by its content and never by its name, and whether it
may be read at all.

Banks' files lie about their type: an "xls" that is tab-separated GB18030 text, a `.CSV` that is
an OLE workbook, an `.xls` that is really xlsx. `sniff` looks at the bytes and says which reader
to use and, for text, which encoding.

Before that, `read_file` refuses what is no statement file whatever its content: a FIFO, a
device, a directory or a socket (checked on the opened descriptor, opened without blocking) and a
file over `MAX_FILE_BYTES`. An xlsx (a ZIP) is refused when its central directory announces more
than `MAX_INFLATED_BYTES` once inflated, a member inflating more than `MAX_RATIO` times, or more
than `MAX_MEMBERS` members; `check_xlsx` then inflates every member once through a counter
before any XML parser sees it, so a directory that lies, XML with a DOCTYPE (entity expansion) or
more than `MAX_XML_ELEMENTS` elements is refused too. The figures are in README (Bank statements)
and docs/threat-model.md.
"""

from __future__ import annotations

import codecs
import copy
import io
import os
import re
import stat
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from xtaccounts.core.errors import XtError

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
UTF8_BOM = codecs.BOM_UTF8
SAMPLE_BYTES = 64 * 1024

MIB = 1024**2
MAX_FILE_BYTES = 64 * MIB  # any statement as stored: 100,000 lines of CSV are about 12 MiB
MAX_INFLATED_BYTES = 256 * MIB  # an xlsx's members once inflated, together
MAX_RATIO = 100  # a member's inflated size over its compressed size (real sheets: about 10)
RATIO_FROM_BYTES = MIB  # the ratio is checked on members inflating to more than this
MAX_MEMBERS = 1_000  # members of an xlsx (Excel writes about 10, plus one per sheet)
MAX_XML_ELEMENTS = 8_000_000  # elements in all of an xlsx's XML (100,000 lines: about 4 M)
CENTRAL_DIRECTORY = b"PK\x01\x02"  # the signature of each central directory entry
_CHUNK = MIB
_DOCTYPE = re.compile(rb"<\x00?!\x00?D\x00?O\x00?C\x00?T\x00?Y\x00?P\x00?E")
_NOT_REGULAR = (
    (stat.S_ISFIFO, "命名管道（FIFO）"),
    (stat.S_ISDIR, "目录"),
    (stat.S_ISCHR, "字符设备"),
    (stat.S_ISBLK, "块设备"),
    (stat.S_ISSOCK, "套接字"),
)

BINARY = "not a statement: binary data (neither an Excel workbook nor UTF-8/GB18030 text)"
UTF16 = "not a statement: UTF-16 text; save the statement as UTF-8 or GB18030 CSV, or as xls"

Kind = Literal["xls", "xlsx", "text"]


class ReadError(XtError):
    """A file or cell that cannot be read; `importers.reader` adds the file name.

    `row` is 1-based (0 when no row applies) and `field` names the column ("" when none).
    """

    def __init__(self, message: str, row: int = 0, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.row = row
        self.field = field


class LimitError(ReadError):
    """A file refused for what it is or what reading it would cost (no regular file, over a
    size, ratio, element or cell limit): a refusal to report, never "not a statement"."""


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
    head = read_file(path, head_only=True)
    whole = read_file(path) if head.startswith(ZIP_MAGIC) else None
    return sniff_bytes(head, whole)


# --- the file itself ---------------------------------------------------------------------------


def mib(size: int) -> str:
    """`3.0 GiB`, `64 MiB`, `1.5 MiB`: a size in the refusals."""
    if size >= 1024 * MIB:
        return f"{size / (1024 * MIB):.1f} GiB"
    return f"{size / MIB:.0f} MiB" if size % MIB == 0 else f"{size / MIB:.1f} MiB"


def _not_regular(mode: int) -> str:
    kind = next((name for test, name in _NOT_REGULAR if test(mode)), "特殊文件")
    return f"不是普通文件，而是{kind}：银行对账单只读普通文件，拒绝读取"


def too_large(size: int) -> str:
    """The refusal of a file of `size` bytes (over `MAX_FILE_BYTES`)."""
    return (
        f"文件大小 {mib(size)}（{size:,} 字节），超过对账单文件的上限 {mib(MAX_FILE_BYTES)}"
        f"（{MAX_FILE_BYTES:,} 字节）：拒绝读取"
    )


def regular_size(path: Path) -> int:
    """The size of the regular file at `path` (symlinks followed); ReadError for a FIFO, a
    device, a directory or a socket, OSError when it cannot be looked at."""
    info = os.stat(path)
    if not stat.S_ISREG(info.st_mode):
        raise LimitError(_not_regular(info.st_mode))
    return info.st_size


def read_file(path: Path, *, head_only: bool = False) -> bytes:
    """The bytes of a statement file (its first `SAMPLE_BYTES` only with `head_only`), read once.

    The path must be a regular file, checked before it is opened and again on the opened
    descriptor (opened non-blocking, so a path turned into a FIFO in between cannot block);
    a file over `MAX_FILE_BYTES` is refused before it is read, and one that grows past it while
    being read is refused too. ReadError for those; OSError when it cannot be opened or read.
    """
    regular_size(path)
    flags = os.O_RDONLY
    for name in ("O_NONBLOCK", "O_NOCTTY", "O_CLOEXEC"):  # POSIX; Windows has no FIFOs to fear
        flags |= getattr(os, name, 0)
    fd = os.open(path, flags)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise LimitError(_not_regular(info.st_mode))
        limit = SAMPLE_BYTES if head_only else MAX_FILE_BYTES
        if not head_only and info.st_size > limit:
            raise LimitError(too_large(info.st_size))
        chunks: list[bytes] = []
        total = 0
        want = min(info.st_size, limit) + 1  # one byte more tells a file larger than it says
        while total <= limit:
            chunk = os.read(fd, max(want - total, 64 * 1024))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if total > limit:
        if head_only:
            return data[:limit]
        raise LimitError(too_large(total))
    return data


# --- xlsx: a ZIP, refused before it is inflated ------------------------------------------------


def _is_xlsx(data: bytes) -> bool:
    """A ZIP holding an Excel workbook; ReadError when its central directory says it is a bomb."""
    _check_member_count(data)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except Exception:  # a damaged ZIP raises many kinds (NotImplementedError for its version)
        return False
    if not any(info.filename.startswith("xl/") for info in members):
        return False
    _check_directory(members)
    return True


def _check_member_count(data: bytes) -> None:
    # Every central directory entry starts with this signature: counted before zipfile reads
    # the directory into one object per entry.
    count = data.count(CENTRAL_DIRECTORY)
    if count > MAX_MEMBERS:
        raise LimitError(
            f"xlsx 压缩包有 {count:,} 个以上成员，超过上限 {MAX_MEMBERS:,} 个：拒绝读取"
        )


def _printable(name: str) -> str:
    """A member name as it may be shown: control and format characters as `?`, at most 80."""
    shown = "".join("?" if unicodedata.category(ch)[0] == "C" else ch for ch in name)
    return shown[:80]


def _check_directory(members: list[zipfile.ZipInfo]) -> None:
    """Refuse an xlsx by its central directory's figures, before anything is inflated."""
    limits = f"上限：解压后合计 {mib(MAX_INFLATED_BYTES)}，单个成员压缩比 {MAX_RATIO}:1"
    for info in members:
        size, packed = info.file_size, info.compress_size
        if size > RATIO_FROM_BYTES and size > MAX_RATIO * max(packed, 1):
            raise LimitError(
                f"xlsx 成员 {_printable(info.filename)} 由 {packed:,} 字节解压为 {size:,} 字节"
                f"（{mib(size)}），压缩比 {size / max(packed, 1):,.0f}:1；{limits}："
                "疑为压缩炸弹，拒绝读取"
            )
    total = sum(info.file_size for info in members)
    if total > MAX_INFLATED_BYTES:
        raise LimitError(
            f"xlsx 解压后合计 {total:,} 字节（{mib(total)}，{len(members):,} 个成员）；{limits}："
            "拒绝读取"
        )


def check_xlsx(data: bytes) -> None:
    """Refuse an xlsx that would cost more than the limits to read: its central directory's
    figures first, then each member inflated once through a counter (nothing kept), which must
    give exactly the size the directory announces, with no DOCTYPE and, in all, at most
    `MAX_XML_ELEMENTS` elements. zipfile's own reader then stops at the announced sizes, so the
    XML parser never sees more than was counted here."""
    _check_member_count(data)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            _check_directory(members)
            elements = 0
            for info in members:
                elements += _inflate_counted(archive, info, MAX_XML_ELEMENTS - elements)
    except ReadError:
        raise
    except Exception as exc:  # zipfile, zlib, bz2, lzma: damaged, encrypted, unsupported
        text = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise ReadError(f"xlsx 压缩包已损坏或无法解压（{text}）：拒绝读取") from None


def _inflate_counted(archive: zipfile.ZipFile, info: zipfile.ZipInfo, elements_left: int) -> int:
    """Inflate one member in chunks, counting; the number of XML elements it holds."""
    probe = copy.copy(info)
    probe.file_size = info.file_size + 1  # zipfile stops at the announced size: ask one more
    # zipfile would check the CRC on the byte past the announced size: checked below. zipfile
    # skips the check when CRC is None; typeshed types the attribute as int only.
    probe.CRC = None  # type: ignore[assignment]
    name = _printable(info.filename)
    inflated = elements = crc = 0
    tail = b""
    with archive.open(probe) as member:
        while chunk := member.read(_CHUNK):
            inflated += len(chunk)
            crc = zlib.crc32(chunk, crc)
            if inflated > info.file_size:
                raise LimitError(
                    f"xlsx 成员 {name} 的中央目录声明解压后 {info.file_size:,} 字节，实际解压"
                    "超过此数：目录与内容不符（疑为压缩炸弹），拒绝读取"
                )
            window = tail + chunk
            if _DOCTYPE.search(window):
                raise LimitError(
                    f"xlsx 成员 {name} 含 DOCTYPE 声明（Excel 不写，可用于实体膨胀）：拒绝读取"
                )
            # Opening and empty tags: each `<` that does not start `</` (comments and
            # declarations count too, which only errs on the safe side).
            elements += chunk.count(b"<") - chunk.count(b"</")
            if elements > elements_left:
                raise LimitError(
                    f"xlsx 的 XML 元素超过 {MAX_XML_ELEMENTS:,} 个的上限（于成员 {name}）：拒绝读取"
                )
            tail = window[-32:]
    if inflated != info.file_size:
        raise LimitError(
            f"xlsx 成员 {name} 的中央目录声明解压后 {info.file_size:,} 字节，实际 {inflated:,}"
            " 字节：目录与内容不符，拒绝读取"
        )
    if crc != info.CRC:
        raise ReadError(f"xlsx 成员 {name} 的 CRC-32 校验不符：压缩包已损坏，拒绝读取")
    return elements


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
