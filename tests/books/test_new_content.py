"""A file's new content written piece by piece is the content written whole."""

from __future__ import annotations

import hashlib

import pytest

from xtaccounts.books import new_content
from xtaccounts.books.new_content import NewContent


@pytest.mark.parametrize("old", [b"", b"2024-01-01 open Assets:Bank CNY\n", b"no newline"])
@pytest.mark.parametrize("added", ["", "交存 维修资金\n" * 7, b"%PDF-1.4\n\x00\xff"])
def test_pieces_are_the_whole_content_with_its_digest_and_lines(
    monkeypatch: pytest.MonkeyPatch, old: bytes, added: str | bytes
) -> None:
    monkeypatch.setattr(new_content, "SLICE", 5)  # slices that cut lines and characters apart
    content = NewContent(old, added)
    expected = old + (added if isinstance(added, bytes) else added.encode("utf-8"))
    assert content.digest is None and content.lines is None
    pieces = list(content.pieces())
    assert b"".join(pieces) == expected == content.whole()
    if isinstance(added, str) and added:
        assert len(pieces) > 2  # the text was encoded a slice at a time
    assert content.digest == hashlib.sha256(expected).hexdigest()
    assert content.lines == expected.count(b"\n")
