"""The workbook's members written from a thread of their own: the same bytes in each member, and
a failure on either side raised to the caller, never a hang."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from xtaccounts.export.xlsx import _MemberWriter


def test_members_hold_their_pieces_in_order(tmp_path: Path) -> None:
    path = tmp_path / "a.zip"
    pieces = [bytes([n % 251]) * 70_000 for n in range(40)]  # more than the queue holds
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive, _MemberWriter(archive) as w:
        w.write("one.xml", pieces)
        w.write("empty.xml", [])
        w.write("two.xml", [b"<x/>"])
    with zipfile.ZipFile(path) as archive:
        assert archive.namelist() == ["one.xml", "empty.xml", "two.xml"]
        assert archive.read("one.xml") == b"".join(pieces)
        assert archive.read("empty.xml") == b""
        assert archive.read("two.xml") == b"<x/>"


def test_a_failure_making_the_pieces_reaches_the_caller(tmp_path: Path) -> None:
    def pieces() -> Iterator[bytes]:
        for _ in range(20):
            yield b"x" * 100_000
        raise ValueError("a bad cell")

    with (
        pytest.raises(ValueError, match="a bad cell"),
        zipfile.ZipFile(tmp_path / "a.zip", "w") as archive,
        _MemberWriter(archive) as w,
    ):
        w.write("one.xml", pieces())


def test_a_failure_writing_reaches_the_caller(tmp_path: Path) -> None:
    archive = zipfile.ZipFile(tmp_path / "a.zip", "w")
    archive.close()  # the thread's first open fails
    with pytest.raises(ValueError, match="closed"), _MemberWriter(archive) as w:
        for n in range(50):
            w.write(f"m{n}.xml", [b"x" * 100_000])
