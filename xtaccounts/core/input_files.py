"""Reading a file someone handed us (a registry table, a vote or amounts file) safely.

A path given as input may name a FIFO, a device or a directory: reading it would block for
ever or never end (`/dev/zero`). `read_input_file` reads only regular files, checked before
the open and again on the opened descriptor (opened non-blocking, so a path swapped for a FIFO
in between cannot block), and refuses a file larger than `MAX_INPUT_BYTES`. Bank statements
have their own, tighter reader (`importers.sniff.read_file`).
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from xtaccounts.core.errors import XtError

__all__ = ["MAX_INPUT_BYTES", "NotARegularFile", "read_input_file", "toml_error_line"]

# A city's households.csv (300,000 rows) is about 25 MiB; ten times that is no honest input.
MAX_INPUT_BYTES = 256 * 1024 * 1024


class NotARegularFile(XtError):
    """The path is a FIFO, device, socket or directory, or the file is too large."""


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "目录"
    if stat.S_ISFIFO(mode):
        return "命名管道（FIFO）"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "设备文件"
    if stat.S_ISSOCK(mode):
        return "套接字"
    return "特殊文件"


def _check(path: Path, mode: int, size: int, limit: int) -> None:
    if not stat.S_ISREG(mode):
        raise NotARegularFile(f"{path}: 是{_kind(mode)}，不是普通文件：拒绝读取")
    if size > limit:
        raise NotARegularFile(f"{path}: 文件大小 {size:,} 字节，超过上限 {limit:,} 字节：拒绝读取")


def read_input_file(path: Path, *, limit: int = MAX_INPUT_BYTES) -> bytes:
    """The bytes of the regular file `path` (NotARegularFile otherwise, OSError when it cannot
    be opened, FileNotFoundError when it is missing)."""
    info = os.stat(path)
    _check(path, info.st_mode, info.st_size, limit)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        _check(path, info.st_mode, info.st_size, limit)
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = os.read(fd, 1024 * 1024)
            if not chunk:
                break
            total += len(chunk)
            if total > limit:
                _check(path, info.st_mode, total, limit)
            chunks.append(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks)


def toml_error_line(exc: Exception) -> int:
    """The line a `tomllib.TOMLDecodeError` names in its message (0: none)."""
    found = re.search(r"\(at line (\d+), column \d+\)", str(exc))
    return int(found.group(1)) if found else 0
