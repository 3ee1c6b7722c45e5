"""Reversals planned on the few entries the write snapshot locates (`ops.voucher_index`).

On a copy of the demo books given a month of receipts, claims and a reversal (the series of
`test_write_indexes`), every voucher of the open year and a sample of the closed years' is
reversed (dry runs: plain, moved to another household, with another amount) on a copy with the
write snapshot and on a copy without it: the same plans, the same words, and the vouchers the
index answers load no books. Then reversals are booked on both: the same bytes on disk.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from beancount.core import data

from tests.helpers import copy_books, snapshot
from tests.ops.test_write_indexes import NOTICES, STEPS, _outcome
from xtaccounts.books import writer
from xtaccounts.books.entries_at import read_entries_at
from xtaccounts.books.load import load_books
from xtaccounts.books.write_snapshot import load_snapshot
from xtaccounts.books.writer import format_entry
from xtaccounts.core.errors import XtError
from xtaccounts.ops.reversal import book_reversal
from xtaccounts.ops.voucher_index import VoucherIndex

DAY = dt.date(2026, 3, 2)


def _without_internals(entry: data.Directive) -> data.Directive:
    meta = {k: v for k, v in entry.meta.items() if not k.startswith("__")}
    if isinstance(entry, data.Transaction):
        postings = [
            p._replace(meta={k: v for k, v in (p.meta or {}).items() if not k.startswith("__")})
            for p in entry.postings
        ]
        return entry._replace(meta=meta, postings=postings)
    return entry._replace(meta=meta)


def _plan(main: Path, voucher: str, **kw: Any) -> tuple[str, Any]:
    try:
        booked = book_reversal(main, voucher, DAY, "测试冲销", dry_run=True, **kw)
    except XtError as exc:
        return "refused", str(exc).replace(str(main.parent) + "/", "")
    text = booked.result.text if booked.result is not None else {}
    return "planned", (
        [format_entry(e) for e in booked.plan.entries],
        {str(path.relative_to(main.parent)): t for path, t in text.items()},
    )


@pytest.fixture
def month(demo_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The demo books with the series of writes of `test_write_indexes` (its own snapshot)."""
    monkeypatch.setenv("XT_CACHE_DIR", str(tmp_path / "cache"))
    with (demo_copy.parent / "registry" / "payment_notices.csv").open("a", encoding="utf-8") as f:
        f.write(NOTICES)
    for _name, step, _loads in STEPS:
        _outcome(step, demo_copy)
    return demo_copy


def test_every_entry_reads_back_as_the_load_gives_it(month: Path) -> None:
    books = load_books(month)
    kept = load_snapshot(month)
    assert kept is not None
    entries = [e for e in books.entries if isinstance(e, data.Transaction | data.Custom)]
    locations = [(e.meta["filename"], e.meta["lineno"]) for e in entries]
    read = read_entries_at(month.parent, locations, list(kept.files))
    assert read is not None
    assert [_without_internals(e) for e in read] == [_without_internals(e) for e in entries]
    # Headings only: the same entries without their postings (a location asked whole too is
    # read whole).
    headings = read_entries_at(month.parent, locations[:1], list(kept.files), locations)
    assert headings is not None
    assert [_without_internals(e) for e in headings] == [
        _without_internals(
            e if n == 0 or not isinstance(e, data.Transaction) else e._replace(postings=[])
        )
        for n, e in enumerate(entries)
    ]
    # Outside the books, or a line that starts no entry: not read back.
    assert read_entries_at(month.parent, [("/etc/hostname", 1)], list(kept.files)) is None
    first = entries[-1]
    assert (
        read_entries_at(month.parent, [(first.meta["filename"], 10**6)], list(kept.files)) is None
    )


@pytest.mark.slow
def test_reversals_from_the_index_are_those_from_the_books(
    month: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    full = copy_books(month, tmp_path / "full")
    entries = load_books(month).entries
    vouchers = [str(e.meta["voucher"]) for e in entries if "voucher" in getattr(e, "meta", {})]
    open_year = [v for v in vouchers if v.startswith("记-2026")]
    older = [v for v in vouchers if not v.startswith("记-2026")]
    chosen = [*open_year, *older[:: max(1, len(older) // 25)], "记-2026-01-0999", "记-2026-13"]
    household = "C0002-B03-U1-102"
    loads: list[Path] = []
    real_load = writer.load_books
    monkeypatch.setattr(
        writer, "load_books", lambda *a, **k: loads.append(a[0]) or real_load(*a, **k)
    )
    answered = 0
    for voucher in chosen:
        for options in ({}, {"household": household}, {"amount": Decimal("1.00")}):
            loads.clear()
            got = _plan(month, voucher, **options)
            fast_loads = len(loads)
            with monkeypatch.context() as no_snapshot:
                no_snapshot.setattr(writer, "load_snapshot", lambda main: None)
                no_snapshot.setenv("XT_CACHE_DIR", str(tmp_path / "cache-full"))
                assert _plan(full, voucher, **options) == got, (voucher, options)
            if voucher in open_year and not options and got[0] == "planned":
                answered += fast_loads == 0
    assert answered >= len(open_year) // 2  # most of the open year's, with no load at all
    # Booked for real, on both copies: the same bytes.
    for voucher, options in (
        (open_year[0], {}),
        (open_year[1], {"household": household}),
        (open_year[0], {}),  # again: refused, it is reversed
    ):
        fast_result = _plan_booked(month, voucher, options)
        with monkeypatch.context() as no_snapshot:
            no_snapshot.setattr(writer, "load_snapshot", lambda main: None)
            no_snapshot.setenv("XT_CACHE_DIR", str(tmp_path / "cache-full"))
            assert _plan_booked(full, voucher, options) == fast_result, voucher
        assert snapshot(month.parent) == snapshot(full.parent), voucher
    kept = load_snapshot(month)
    assert kept is not None
    assert kept.fold(VoucherIndex) == VoucherIndex.of(load_books(month).entries).kept()


def _plan_booked(main: Path, voucher: str, options: dict[str, Any]) -> tuple[str, str]:
    try:
        booked = book_reversal(main, voucher, DAY, "测试冲销", **options)
    except XtError as exc:
        return "refused", str(exc).replace(str(main.parent) + "/", "")
    return "booked", booked.plan.voucher
