"""A file's new content as the writer writes it: what it held, then what a change adds.

A 100,000-line import appends 90 MB of text (UCS-2: its Chinese memos) that would be 67 MB more
as UTF-8 bytes, and as much again joined to the file's old bytes. `NewContent.pieces` encodes
the appended text a slice at a time as it is written, and takes the content's digest and its
count of lines on the way, so that the whole content never exists as one object in memory
(`whole` makes it, for the callers that need it: a full check's snapshot, a test).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence

__all__ = ["SLICE", "NewContent"]

SLICE = 1 << 20  # characters of appended text encoded at a time


class NewContent:
    """`old` (bytes, empty for a new file) followed by `added` (text, a text in pieces, or
    bytes as they are)."""

    def __init__(self, old: bytes, added: str | Sequence[str] | bytes) -> None:
        self.old = old
        self.added = added
        self.digest: str | None = None  # sha256 hex of the content, once `pieces` has run
        self.lines: int | None = None  # its newlines, likewise
        self.size: int | None = None  # its bytes, likewise

    def _raw(self) -> Iterator[bytes]:
        if self.old:
            yield self.old
        added = self.added
        if isinstance(added, bytes):
            if added:
                yield added
            return
        for text in (added,) if isinstance(added, str) else added:
            for start in range(0, len(text), SLICE):
                yield text[start : start + SLICE].encode("utf-8")

    def pieces(self) -> Iterator[bytes]:
        """The content's bytes, piece by piece; `digest` and `lines` are set once all have
        been taken."""
        hasher = hashlib.sha256()
        lines = size = 0
        for piece in self._raw():
            hasher.update(piece)
            lines += piece.count(b"\n")
            size += len(piece)
            yield piece
        self.digest, self.lines, self.size = hasher.hexdigest(), lines, size

    def whole(self) -> bytes:
        """The content as one bytes object."""
        return b"".join(self._raw())
