"""The 公示 as a document: HTML and an A4 PDF whose text (read back with pdftotext) says what
the notice must say."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import EC, ED, file_app, households, refused, snapshot
from xtaccounts.books.writer import LedgerWriter, WriteRefused, WriteSession
from xtaccounts.core.errors import XtError
from xtaccounts.insurance import post_notice
from xtaccounts.insurance.notice import render_pdf

D = dt.date.fromisoformat

EXPECTED = [
    "关于使用住宅专项维修资金增值收益购买电梯维修保险的公示",
    "APP-2025-001",
    "金泉小区2栋",  # the pool
    "C0001-B02",
    "幢增值收益统筹账户",
    EC,
    ED,
    "某财产保险股份有限公司",  # the insurer
    "招标编号T1",
    "首年保险费合计6,400.00元",
    "3200.00",
    "可用余额为10,000.00元",  # the pool's balance on the day before the notice
    "2025年3月8日至2027年3月7日",  # the cover period
    "共2年",
    "2025年3月1日至2025年3月7日，共7天",  # the notice days
    "自2025年3月8日起",
    "以书面形式",  # how to object
    "第二百七十八条",
    "湘潭市物业专项维修资金管理中心",
]


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture
def noticed(books: Path) -> tuple[Path, object]:
    file_app(books, "APP-2025-001", [EC, ED], households("C0001-B02-U1", "101", "102", "201"),
             "2025-02-20", "2025-03-08", "2027-03-07")  # fmt: skip
    return books, post_notice(books, "APP-2025-001", D("2025-03-01"))


def test_the_pdf_is_a4_and_says_what_the_notice_must_say(noticed) -> None:
    books, recorded = noticed
    pdf = books.parent / "documents" / "notices" / "APP-2025-001.pdf"
    assert pdf.read_bytes() == recorded.detail["pdf"]
    assert shutil.which("pdftotext"), "pdftotext (Debian poppler-utils) is needed"
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, check=True, text=True
    ).stdout
    squashed = _squash(text)
    missing = [item for item in EXPECTED if _squash(item) not in squashed]
    assert not missing, text
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, check=True, text=True).stdout
    assert "(A4)" in info


def test_the_html_says_the_same_and_the_notice_is_recorded(noticed) -> None:
    books, recorded = noticed
    html = (books.parent / "documents" / "notices" / "APP-2025-001.html").read_text("utf-8")
    squashed = _squash(html)
    assert all(_squash(item) in squashed for item in EXPECTED)
    assert "size: A4" in html
    entry = recorded.entries[0]
    assert entry.type == "xt-notice" and entry.date == D("2025-03-01")
    assert entry.meta["notice_end"] == "2025-03-07" and entry.meta["purchase_from"] == "2025-03-08"
    assert entry.meta["pdf"] == "documents/notices/APP-2025-001.pdf"


def test_the_pdf_is_the_same_bytes_every_time_and_a_second_notice_is_refused(noticed) -> None:
    books, recorded = noticed
    assert render_pdf(recorded.detail["content"]) == recorded.detail["pdf"]
    exc = refused(books, post_notice, "APP-2025-001", D("2025-03-10"))
    assert "已公示（2025-03-01 至 2025-03-07）" in str(exc)


def test_a_dry_run_or_a_failed_commit_leaves_no_document(
    books: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file_app(books, "APP-2025-001", [EC], households("C0001-B02-U1", "101", "102", "201"),
             "2025-02-20", "2025-03-08")  # fmt: skip
    dry = post_notice(books, "APP-2025-001", D("2025-03-01"), dry_run=True)
    assert dry.result is not None and dry.result.dry_run
    assert not (books.parent / "documents").exists()

    def fail(self, *, dry_run: bool = False):  # type: ignore[no-untyped-def]
        raise XtError("disk full")

    monkeypatch.setattr(WriteSession, "commit", fail)
    with pytest.raises(XtError, match="disk full"):
        post_notice(books, "APP-2025-001", D("2025-03-01"))
    assert not (books.parent / "documents").exists()


def test_a_crash_during_the_commit_leaves_no_pdf(books: Path) -> None:
    """The PDF is written by the writer with the notice, in one journalled commit: a process
    killed after the temporary files are written (before the journal) leaves no PDF, and the
    next writer session sweeps the temporary files."""
    file_app(books, "APP-2025-001", [EC], households("C0001-B02-U1", "101", "102", "201"),
             "2025-02-20", "2025-03-08")  # fmt: skip
    before = snapshot(books.parent)
    script = f"""
import datetime as dt, os
from pathlib import Path
import xtaccounts.books.writer as writer
from xtaccounts.insurance import post_notice

def crash(step):
    if step == "tmp-written":
        os._exit(3)

writer._after_step = crash
post_notice(Path({str(books)!r}), "APP-2025-001", dt.date(2025, 3, 1))
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 3, result.stderr
    notices = books.parent / "documents" / "notices"
    assert not (notices / "APP-2025-001.pdf").exists()
    assert not (notices / "APP-2025-001.html").exists()
    with LedgerWriter(books):
        pass  # sweeps the temporary files
    assert snapshot(books.parent) == before


def test_a_commit_the_books_refuse_leaves_no_pdf(
    books: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import xtaccounts.insurance.applications as applications

    file_app(books, "APP-2025-001", [EC], households("C0001-B02-U1", "101", "102", "201"),
             "2025-02-20", "2025-03-08")  # fmt: skip
    before = snapshot(books.parent)
    # A notice whose recorded end the load-time rules reject: the writer refuses the commit.
    monkeypatch.setattr(
        applications, "notice_days", lambda start, days: (start, start, start + dt.timedelta(1))
    )
    with pytest.raises(WriteRefused, match="notice of APP-2025-001 from 2025-03-01 runs to"):
        post_notice(books, "APP-2025-001", D("2025-03-01"))
    assert snapshot(books.parent) == before
