"""The archived statements read by a process of their own: the same readings, or read here."""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from pathlib import Path

import pytest

from tests.helpers import child_processes, zip_parts
from xtaccounts.books.documents import archived_statement_files, archived_statements
from xtaccounts.books.layout import LedgerLayout
from xtaccounts.core.errors import XtError
from xtaccounts.export import export_books
from xtaccounts.export.statements_beside import StatementsReadBeside

HERE = os.getpid()


class Reader:
    """Reads a file's text; counts the files it read in this process (the test's), and dies in
    the side process when told to."""

    def __init__(self, die_beside: bool = False) -> None:
        self.read_here: list[str] = []
        self.die_beside = die_beside

    def __call__(self, path: Path) -> tuple[str, str, str]:
        if os.getpid() == HERE:
            self.read_here.append(path.name)
        elif self.die_beside:
            os._exit(7)
        text = path.read_text("utf-8")
        if text.startswith("bad"):
            raise XtError(f"{path.name}: 第 1 行：不是对账单（测试）")
        return ("statement", path.name, text)


def _files(tmp_path: Path) -> list[Path]:
    paths = []
    for n, text in enumerate(["one", "two", "bad file", "four"]):
        path = tmp_path / f"{n}.csv"
        path.write_text(text, "utf-8")
        paths.append(path)
    return paths


def test_what_was_read_beside_is_what_is_read_here(tmp_path: Path) -> None:
    before = child_processes()
    paths = _files(tmp_path)
    reader = Reader()
    with StatementsReadBeside(reader, paths) as read:
        assert read(paths[0]) == ("statement", "0.csv", "one")
        assert read(paths[1]) == ("statement", "1.csv", "two")
        assert reader.read_here == []  # both read beside
        # A file that failed there is read here, which reports what is wrong with it.
        with pytest.raises(XtError, match="不是对账单"):
            read(paths[2])
        # A file changed since it was read beside is read again here.
        time.sleep(0.01)
        paths[3].write_text("four, changed", "utf-8")
        assert read(paths[3]) == ("statement", "3.csv", "four, changed")
        # Asked again (each reading is handed over once) or never listed: read here.
        assert read(paths[0]) == ("statement", "0.csv", "one")
        extra = tmp_path / "extra.csv"
        extra.write_text("extra", "utf-8")
        assert read(extra) == ("statement", "extra.csv", "extra")
    assert reader.read_here == ["2.csv", "3.csv", "0.csv", "extra.csv"]
    assert child_processes() == before


def test_when_the_process_dies_every_file_is_read_here(tmp_path: Path) -> None:
    before = child_processes()
    paths = _files(tmp_path)
    reader = Reader(die_beside=True)
    with StatementsReadBeside(reader, paths) as read:
        assert [read(p) for p in (paths[0], paths[1], paths[3])] == [
            ("statement", "0.csv", "one"),
            ("statement", "1.csv", "two"),
            ("statement", "3.csv", "four"),
        ]
    assert reader.read_here == ["0.csv", "1.csv", "3.csv"]
    assert child_processes() == before


def test_the_files_read_beside_are_the_archived_statements(tmp_path: Path) -> None:
    (tmp_path / "main.beancount").write_text("", "utf-8")
    documents = tmp_path / "documents"
    bank = documents / "Assets" / "Bank-银行存款" / "ICBC-工商银行" / "Demand-活期8821"
    for name in (
        bank / "2025-06-30.ICBC-8821-20250101-20250630.xls",
        bank / "notes.txt",
        documents / "notices" / "APP-2025-001.html",
        documents / "votes" / "APP-2025-001-2025-03-01.csv",
    ):
        name.parent.mkdir(parents=True, exist_ok=True)
        name.write_text("x", "utf-8")
    (bank / "2025-12-31.ICBC-8821-20250701-20251231.csv").mkdir()  # a folder, not a file
    found = archived_statement_files(LedgerLayout(tmp_path / "main.beancount"))
    assert found == [(bank / "2025-06-30.ICBC-8821-20250101-20250630.xls").resolve()]


def test_a_linked_account_folder_is_listed_as_the_reconciliation_finds_it(tmp_path: Path) -> None:
    (tmp_path / "main.beancount").write_text("", "utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "2025-06-30.ICBC-8821-20250101-20250630.xls").write_text("x", "utf-8")
    (elsewhere / "loop").symlink_to(elsewhere)  # a link back: walked once
    bank = tmp_path / "documents" / "Assets" / "Bank-银行存款" / "ICBC-工商银行"
    bank.mkdir(parents=True)
    (bank / "Demand-活期8821").symlink_to(elsewhere)
    layout = LedgerLayout(tmp_path / "main.beancount")
    account = "Assets:Bank-银行存款:ICBC-工商银行:Demand-活期8821"
    wanted = [s.path for s in archived_statements(layout, [account])]
    assert wanted and archived_statement_files(layout) == wanted


def test_the_export_reads_its_statements_beside_and_writes_what_it_wrote_reading_here(
    demo_books: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from importers import ledger_layouts, read_statement

    layouts = ledger_layouts(LedgerLayout(demo_books).registry)
    read_here: list[str] = []

    def reader(path: Path) -> object:
        if os.getpid() == HERE:
            read_here.append(path.name)
        return read_statement(path, layouts)

    day = dt.date(2026, 1, 15)
    beside, here = tmp_path / "beside", tmp_path / "here"
    export_books(demo_books, "2025", beside, issued=day, read_statement=reader)
    assert read_here == []  # every statement read beside the load
    monkeypatch.setattr(
        "xtaccounts.export.statements_beside._read_all", lambda read, paths, inbox: {}
    )
    export_books(demo_books, "2025", here, issued=day, read_statement=reader)
    assert len(read_here) >= 10  # every statement read here
    names = sorted(p.name for p in beside.iterdir())
    assert names == sorted(p.name for p in here.iterdir())
    assert "24-bank-reconciliation.csv" in names
    for name in names:
        if name == "manifest.json":
            a, b = (_manifest(d / name) for d in (beside, here))
            assert a == b
        elif name.endswith(".xlsx"):
            assert zip_parts(beside / name) == zip_parts(here / name)
        else:
            assert (beside / name).read_bytes() == (here / name).read_bytes(), name


def _manifest(path: Path) -> dict:
    """The manifest without what differs between two runs: when, and the workbook's digest
    (its zip records when each part was written)."""
    manifest = json.loads(path.read_text("utf-8"))
    manifest.pop("created")
    for entry in manifest["files"]:
        if entry["format"] == "xlsx":
            entry.pop("sha256")
    return manifest
