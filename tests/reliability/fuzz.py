"""Hostile and broken input for the readers, shared by the fuzz tests and `scripts/campaign`.

Each `check_*` runs one reader on one input and returns ``"read"`` (accepted) or ``"refused"``
(the project's own error: an `XtError` such as `StatementError`, `RegistryInvalid`); anything
else (a crash) propagates, and so does a write (`Wrote`: the readers may not create or change a
file) and a hang (`Hang`: no answer within `HANG_SECONDS`, so CI fails instead of waiting).
`mutate_*` turn a real sample into a broken one with a seeded `random.Random`: truncated or
bit-flipped bytes, a ZIP member of an xlsx rewritten (huge numbers, NaN, formulas, broken XML),
an OLE sector smashed, text re-encoded (UTF-16, Latin-1, Shift-JIS, GBK), cells replaced.
"""

from __future__ import annotations

import contextlib
import io
import random
import signal
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

from importers.reader import identify, read_statement
from importers.sniff import SAMPLE_BYTES, sniff_bytes
from xtaccounts.core.errors import XtError
from xtaccounts.insurance.applications import parse_votes, read_vote_file
from xtaccounts.registry import load_registry

REPO = Path(__file__).resolve().parents[2]
SAMPLE_DIRS = (REPO / "tests" / "importers" / "samples",)


def statement_samples() -> list[Path]:
    """The real sample statements of the importer tests (every bank's layout)."""
    return sorted(
        p
        for directory in SAMPLE_DIRS
        for p in directory.iterdir()
        if p.is_file() and p.suffix.lower() in (".csv", ".xls", ".xlsx")
    )


# Cell values a hostile or broken export may carry.
NASTY_CELLS = (
    "9" * 400,
    "1e999999",
    "-1E-999999",
    "NaN",
    "nan",
    "inf",
    "-Infinity",
    "sNaN",
    "1,2,3.4.5",
    "１２３．４５",
    "=1/0",
    '=HYPERLINK("http://x","y")',
    "=cmd|' /C calc'!A0",
    "@SUM(A1:A9)",
    "+-+-1",
    "0x1F",
    "(1,000.00)",
    "99999999999999999999.999",
    "2024-02-30",
    "9999-12-31 25:61:61",
    "0000-00-00",
    "19000101",
    "\u202e1.00",
    "\x00",
    "\ufeff",
    "'",
    '"',
    "",
    " ",
    "张三 13812345678",
    "a" * 5000,
)


def _flip(data: bytes, rng: random.Random) -> bytes:
    if not data:
        return data
    buf = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        buf[rng.randrange(len(buf))] = rng.randrange(256)
    return bytes(buf)


def _truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(len(data) + 1)]


def _splice(data: bytes, rng: random.Random) -> bytes:
    at = rng.randrange(len(data) + 1)
    junk = rng.choice([rng.randbytes(rng.randint(1, 64)), rng.choice(NASTY_CELLS).encode(), b"\n"])
    cut = rng.randint(0, 16)
    return data[:at] + junk + data[at + cut :]


def _duplicate(data: bytes, rng: random.Random) -> bytes:
    if not data:
        return data
    start = rng.randrange(len(data))
    end = min(len(data), start + rng.randint(1, 512))
    return data[:end] + data[start:end] * rng.randint(1, 20) + data[end:]


BYTE_MUTATIONS: tuple[Callable[[bytes, random.Random], bytes], ...] = (
    _flip,
    _truncate,
    _splice,
    _duplicate,
)


def _mutate_zip(data: bytes, rng: random.Random) -> bytes:
    """Rewrite one member of an xlsx: bytes mutated, a number made hostile, or removed."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = [(info, archive.read(info)) for info in archive.infolist()]
    except Exception:  # a ZIP broken by an earlier mutation: any error of zipfile or zlib
        return _flip(data, rng)
    if not members:
        return data
    index = rng.randrange(len(members))
    info, content = members[index]
    choice = rng.randrange(4)
    if choice == 0:
        content = rng.choice(BYTE_MUTATIONS)(content, rng)
    elif choice == 1 and b"<v>" in content:
        parts = content.split(b"<v>")
        at = rng.randrange(1, len(parts))
        tail = parts[at].split(b"</v>", 1)
        nasty = rng.choice(NASTY_CELLS).encode("utf-8")
        parts[at] = nasty + (b"</v>" + tail[1] if len(tail) > 1 else b"")
        content = b"<v>".join(parts)
    elif choice == 2 and b"<c " in content:
        formula = rng.choice([b"<f>1/0</f>", b'<f>HYPERLINK("x")</f>', b"<f>" + b"(" * 500])
        content = content.replace(b"<v>", formula + b"<v>", 1)
    else:
        members.pop(index)
        info = None
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for other, body in members:
            archive.writestr(other, content if other is info else body)
    return out.getvalue()


def _mutate_ole(data: bytes, rng: random.Random) -> bytes:
    """Smash a 512-byte sector of an OLE workbook (header, FAT, directory or the stream)."""
    sectors = max(1, len(data) // 512)
    sector = rng.randrange(sectors)
    start = sector * 512 + rng.randrange(512)
    length = rng.choice([1, 4, 16, 512])
    junk = rng.choice([b"\xff" * length, b"\x00" * length, rng.randbytes(length)])
    return data[:start] + junk + data[start + length :]


def _text_of(data: bytes) -> str | None:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _mutate_text(data: bytes, rng: random.Random) -> bytes:
    """Replace cells, re-encode, or change the line ends of a text statement."""
    text = _text_of(data)
    if text is None:
        return _flip(data, rng)
    choice = rng.randrange(4)
    if choice == 0:
        lines = text.split("\n")
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(lines))
            sep = "\t" if "\t" in lines[at] else ","
            cells = lines[at].split(sep)
            cells[rng.randrange(len(cells))] = rng.choice(NASTY_CELLS)
            lines[at] = sep.join(cells)
        text = "\n".join(lines)
        return text.encode(rng.choice(["utf-8", "gb18030"]), errors="replace")
    if choice == 1:
        encoding = rng.choice(["utf-16", "utf-16-le", "latin-1", "shift_jis", "gbk", "big5"])
        return text.encode(encoding, errors="replace")
    if choice == 2:
        return text.replace("\n", rng.choice(["\r", "\r\r\n", "\n\n", "\x0b"])).encode("gb18030")
    lines = text.split("\n")
    rng.shuffle(lines)
    return "\n".join(lines).encode("gb18030")


def mutate_statement(data: bytes, rng: random.Random) -> bytes:
    """One to three mutations of a statement's bytes, aware of its container."""
    for _ in range(rng.randint(1, 3)):
        if data.startswith(b"PK\x03\x04") and rng.random() < 0.7:
            data = _mutate_zip(data, rng)
        elif data.startswith(b"\xd0\xcf\x11\xe0") and rng.random() < 0.6:
            data = _mutate_ole(data, rng)
        elif rng.random() < 0.5:
            data = _mutate_text(data, rng)
        else:
            data = rng.choice(BYTE_MUTATIONS)(data, rng)
    return data


def mutate_registry_file(data: bytes, rng: random.Random) -> bytes:
    """A registry CSV or TOML with cells, lines or bytes broken."""
    if rng.random() < 0.6:
        return _mutate_text(data, rng)
    return rng.choice(BYTE_MUTATIONS)(data, rng)


# --- the checks ----------------------------------------------------------------------------------


def _files(directory: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(directory)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in directory.rglob("*")
    }


class Wrote(AssertionError):
    """A reader created or changed a file."""


HANG_SECONDS = 10


class Hang(AssertionError):
    """A reader gave no answer within `HANG_SECONDS`."""


@contextlib.contextmanager
def answer_within(seconds: float) -> Iterator[None]:
    """Raise `Hang` in the block after `seconds` (SIGALRM: the main thread of a POSIX process)."""

    def alarm(signum: int, frame: object) -> None:
        raise Hang(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _refused_or_read(directory: Path, read: Callable[[], object]) -> str:
    before = _files(directory)
    try:
        with answer_within(HANG_SECONDS):
            read()
        outcome = "read"
    except XtError:
        outcome = "refused"
    if _files(directory) != before:
        raise Wrote(f"a reader wrote under {directory}")
    return outcome


def check_statement(data: bytes, suffix: str, directory: Path) -> str:
    """`sniff_bytes`, `identify` and `read_statement` on one file of `data`."""
    path = directory / f"statement{suffix}"
    path.write_bytes(data)

    def read() -> None:
        if data:
            with contextlib.suppress(XtError):
                sniff_bytes(data[:SAMPLE_BYTES], data)
        identify(path)
        read_statement(path)

    return _refused_or_read(directory, read)


def check_registry(files: dict[str, bytes], directory: Path) -> str:
    """`load_registry` on a registry directory holding `files`."""
    for name, content in files.items():
        (directory / name).write_bytes(content)
    return _refused_or_read(directory, lambda: load_registry(directory))


def check_votes(data: bytes, directory: Path) -> str:
    """The vote-file reader, on a file and on its text."""
    path = directory / "votes.csv"
    path.write_bytes(data)

    def read() -> None:
        read_vote_file(path)
        text = _text_of(data)
        if text is not None:
            parse_votes(text)

    return _refused_or_read(directory, read)
