"""The commands' indexes kept in the write snapshot (issue 23, docs/writes.md).

Over a series of real writes on a copy of the demo books (receipts matched, duplicated, short,
typed by hand and then imported, in a closed period, with a serial of a closed year; a
reversal; claims to a household, to a notice, to an account, refunded, in a closed period), two
copies get the same commands: one with the write snapshot, one without it (every command loads
the books, as before). They give the same results, the same words and the same bytes on disk;
after each write the indexes the snapshot keeps equal those rebuilt from the books; and the
receipts and claims the snapshot can answer load no books at all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import copy_books, snapshot
from xtaccounts.books import write_snapshot, writer
from xtaccounts.books.fast_check import snapshot_matches
from xtaccounts.books.load import load_books
from xtaccounts.books.write_snapshot import load_snapshot
from xtaccounts.core.errors import XtError
from xtaccounts.ops import claims
from xtaccounts.ops import owner_deposits as deposits
from xtaccounts.ops.premium_index import PremiumIndex
from xtaccounts.ops.reversal import book_reversal
from xtaccounts.ops.voucher_index import VoucherIndex

ICBC = "1904021109200088821"
NOTICES = """\
N2026-T001,C0002-B03-U1-101,1000.00,2026-01-05
N2026-T002,C0002-B03-U1-102,2000.00,2026-01-05
N2026-T003,C0002-B03-U1-201,3000.00,2026-01-05
N2026-T004,C0002-B03-U1-202,400.00,2026-01-05
"""
OLD_SERIAL = "ICBC20250201000032"  # a statement line of 2025, a closed year
OLD_ITEM = "ICBC20240520000078"  # a receipt of 2024 still in 待查明
FOLDS = (deposits.DepositIndex, claims.SuspenseItems, VoucherIndex, PremiumIndex)  # +NoticePayments


def _receipt(day: str, amount: str, notice: str | None = None, serial: str | None = None,
             payer: str | None = None) -> deposits.Receipt:  # fmt: skip
    return deposits.Receipt(ICBC, dt.date.fromisoformat(day), Decimal(amount), notice, serial,
                            payer)  # fmt: skip


def _claim(item: str, day: str, amount: str, target: str) -> claims.ClaimRequest:
    return claims.ClaimRequest(item, dt.date.fromisoformat(day), Decimal(amount), target, "测试")


def _receive(*receipts: deposits.Receipt) -> Callable[[Path], object]:
    def run(main: Path) -> object:
        report = deposits.book_deposits(main, list(receipts))
        return [(line.status, line.reason) for line in report.lines]

    return run


def _claims(*requests: claims.ClaimRequest) -> Callable[[Path], object]:
    def run(main: Path) -> object:
        return [(t.narration, t.postings) for t in claims.book_claims(main, list(requests)).entries]

    return run


def _reverse(serial: str, day: str) -> Callable[[Path], object]:
    """Reverse the deposit with `serial` (its voucher read from the books)."""

    def run(main: Path) -> object:
        entries = load_books(main).entries
        voucher = next(
            e.meta["voucher"] for e in entries if getattr(e, "meta", {}).get("serial") == serial
        )
        booked = book_reversal(main, voucher, dt.date.fromisoformat(day), "测试冲销")
        return booked.plan.voucher

    return run


# (what it is, the command, the loads of the books it takes with the snapshot: 0, the snapshot
# answers all; 1, the command reads the books for what the snapshot does not hold (a closed
# year's serial, a refund's bank account, a closed period's closes); 2, the writer's full check
# loads the books before and after the change (a write into a closed period, or the first to a
# new file); None: not counted)
STEPS: list[tuple[str, Callable[[Path], object], int | None]] = [
    ("a notice paid", _receive(_receipt("2026-02-01", "1000.00", "N2026-T001", "T-S1", "张三")),
     None),  # the first write: no snapshot yet
    ("paid again", _receive(_receipt("2026-02-02", "1000.00", "N2026-T001", "T-S2")), 0),
    ("serial again", _receive(_receipt("2026-02-02", "1000.00", "N2026-T001", "T-S1")), 0),
    ("short", _receive(_receipt("2026-02-03", "1999.00", "N2026-T002", "T-S3", "王五")), 0),
    ("typed", _receive(_receipt("2026-02-03", "3000.00", "N2026-T003", None, "李四")), 0),
    ("typed, then its line",
     _receive(_receipt("2026-02-03", "3000.00", "N2026-T003", "T-S4", "李四")), 0),
    ("typed twice", _receive(_receipt("2026-02-03", "3000.00", "N2026-T003", None, "李四")), 0),
    ("closed period", _receive(_receipt("2025-06-01", "5.00", None, "T-S5")), 2),
    ("serial of a closed year", _receive(_receipt("2026-02-04", "5.00", None, OLD_SERIAL)), 1),
    ("a notice paid in a closed year",
     _receive(_receipt("2026-02-04", "449859.60", "N2024-0001", "T-S9")), 1),
    ("one notice twice in a batch",
     _receive(_receipt("2026-02-05", "400.00", "N2026-T004", "T-S6"),
              _receipt("2026-02-05", "400.00", "N2026-T004", "T-S7")), 0),
    ("reversal", _reverse("T-S1", "2026-02-06"), None),
    ("owed again", _receive(_receipt("2026-02-07", "1000.00", "N2026-T001", "T-S8")), 0),
    ("claim short of the notice", _claims(_claim("T-S3", "2026-02-08", "1999.00", "N2026-T002")),
     0),
    # (the year's first claim starts a new file: checked on the fast path too, no load)
    ("claim to a household", _claims(_claim("T-S3", "2026-02-08", "1000.00",
                                            "C0002-B03-U1-102")), 0),
    ("claim of a paid notice", _claims(_claim("T-S2", "2026-02-08", "1000.00", "N2026-T004")),
     0),
    ("claim to an account", _claims(_claim("T-S2", "2026-02-09", "1000.00", "其他收入")), 0),
    ("claim of a closed year's item",
     _claims(_claim(OLD_ITEM, "2026-02-09", "1000.00", "其他收入")), 0),
    ("claim over", _claims(_claim("T-S2", "2026-02-09", "0.01", "其他收入")), 0),
    ("claim refunded", _claims(_claim("T-S7", "2026-02-10", "400.00", "退回")), 1),
    ("claim to a notice paid in a closed year",
     _claims(_claim("ICBC20240508000032", "2026-02-10", "100.00", "N2024-0001")), 1),
    ("claim in a closed period",
     _claims(_claim("ICBC20240508000032", "2025-12-30", "1.00", "其他收入")), 1),
]  # fmt: skip


def _outcome(step: Callable[[Path], object], main: Path) -> tuple[str, Any]:
    try:
        return "done", step(main)
    except XtError as exc:
        return "refused", str(exc).replace(str(main.parent) + "/", "")


@pytest.mark.slow
@pytest.mark.parametrize("tail_limit", [write_snapshot.TAIL_LIMIT, 3], ids=["tail", "folded-in"])
def test_indexes_from_the_snapshot_give_what_the_books_give(
    demo_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tail_limit: int
) -> None:
    """The folds' tail (entries written since they were pickled) kept beside them, and folded
    in every few entries: the same indexes either way."""
    monkeypatch.setattr(write_snapshot, "TAIL_LIMIT", tail_limit)
    monkeypatch.setenv("XT_CACHE_DIR", str(tmp_path / "cache"))
    with (demo_copy.parent / "registry" / "payment_notices.csv").open("a", encoding="utf-8") as f:
        f.write(NOTICES)
    fast = copy_books(demo_copy, tmp_path / "fast")
    full = copy_books(demo_copy, tmp_path / "full")
    loads: list[Path] = []
    real_load = writer.load_books

    def counted(main: Path, *args: Any, **kwargs: Any) -> Any:
        loads.append(main)
        return real_load(main, *args, **kwargs)

    monkeypatch.setattr(writer, "load_books", counted)
    results: dict[str, tuple[str, Any]] = {}
    for name, step, answered in STEPS:
        loads.clear()
        results[name] = got = _outcome(step, fast)
        if answered is not None:
            assert len(loads) == answered, name
        with monkeypatch.context() as no_snapshot:
            no_snapshot.setattr(writer, "load_snapshot", lambda main: None)
            # (its own cache: the snapshot it keeps would otherwise serve the other copy)
            no_snapshot.setenv("XT_CACHE_DIR", str(tmp_path / "cache-full"))
            assert _outcome(step, full) == got, name
        assert snapshot(fast.parent) == snapshot(full.parent), name
        kept = load_snapshot(fast)
        assert kept is not None and snapshot_matches(kept, fast.parent), name
        entries = load_books(fast).entries
        for kind in FOLDS:
            assert kept.fold(kind) == kind.of(entries).kept(), (name, kind)
    # The steps did what their names say.
    assert results["a notice paid"] == ("done", [(deposits.BOOKED, "")])
    assert "已于 2026-02-01 缴清，流水号 T-S1" in results["paid again"][1][0][1]
    assert results["serial again"][1][0][0] == deposits.SKIPPED
    assert "少 1.00" in results["short"][1][0][1]
    assert "手工入账" in results["typed, then its line"][1][0][1]
    assert results["typed twice"][1][0][0] == deposits.SKIPPED
    assert results["closed period"][0] == "refused"
    assert (
        "流水号 ICBC20250201000032 已于 2025-02-01" in results["serial of a closed year"][1][0][1]
    )
    assert "N2024-0001 已于 2024-" in results["a notice paid in a closed year"][1][0][1]
    assert [s for s, _ in results["one notice twice in a batch"][1]] == [
        deposits.BOOKED,
        deposits.SUSPENSE,
    ]
    assert results["owed again"] == ("done", [(deposits.BOOKED, "")])
    assert "尚欠 2000.00" in results["claim short of the notice"][1]
    assert results["claim to a household"][0] == "done"
    assert "已于 2026-02-05 缴清" in results["claim of a paid notice"][1]
    assert results["claim to an account"][0] == "done"
    assert results["claim of a closed year's item"][0] == "done"
    assert "尚余 0.00" in results["claim over"][1]
    assert results["claim refunded"][0] == "done"
    assert "N2024-0001 已于 2024-" in results["claim to a notice paid in a closed year"][1]
    assert "已结账" in results["claim in a closed period"][1]


def test_a_snapshot_without_the_index_gets_it_from_the_books(
    demo_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A snapshot kept by a process that did not know the index: the command builds it from
    the books once, and the writer keeps it from then on."""
    monkeypatch.setenv("XT_CACHE_DIR", str(tmp_path / "cache"))
    deposits.book_deposits(demo_copy, [_receipt("2026-02-01", "5.00", None, "T-A")])
    snapshot = load_snapshot(demo_copy)
    assert snapshot is not None
    snapshot.folds.clear()
    from xtaccounts.books.write_snapshot import save_snapshot

    save_snapshot(snapshot)
    loads: list[Path] = []
    real_load = writer.load_books
    monkeypatch.setattr(
        writer, "load_books", lambda *a, **k: loads.append(a[0]) or real_load(*a, **k)
    )
    deposits.book_deposits(demo_copy, [_receipt("2026-02-02", "5.00", None, "T-B")])
    assert len(loads) == 1  # the command's, to build the index; the write itself was fast
    kept = load_snapshot(demo_copy)
    assert kept is not None and kept.fold(deposits.DepositIndex) is not None
    loads.clear()
    report = deposits.book_deposits(demo_copy, [_receipt("2026-02-03", "5.00", None, "T-B")])
    assert loads == [] and report.lines[0].status == deposits.SKIPPED


# --- the folds on their own -----------------------------------------------------------------

BANK = "Assets:Bank-银行存款:ICBC-工商银行:Demand-活期8821"


def _entries(text: str) -> list[Any]:
    from beancount.parser import parser

    entries, errors, _options = parser.parse_string(text)
    assert not errors
    return entries


def _deposit(day: str, voucher: str, notice: str, serial: str, amount: str = "100.00") -> str:
    return f"""\
{day} * "交存"
  voucher: "{voucher}"
  kind: "deposit"
  notice: "{notice}"
  serial: "{serial}"
  {BANK}  {amount} CNY
  Income:Deposit-交存收入  -{amount} CNY
"""


def _reversal(day: str, voucher: str, amount: str = "100.00") -> str:
    return f"""\
{day} * "红字冲销"
  kind: "reversal"
  reverses_voucher: "{voucher}"
  {BANK}  -{amount} CNY
  Income:Deposit-交存收入  {amount} CNY
"""


def test_notice_payments_give_the_same_answers_whatever_the_order() -> None:
    from xtaccounts.ops.notice_payments import NoticePayments

    entries = _entries(
        _deposit("2026-01-02", "V1", "N1", "S1")
        + _reversal("2026-01-03", "V1")
        + _deposit("2026-01-04", "V2", "N1", "S2")
        + _deposit("2026-01-05", "V3", "N2", "S3", "60.00")
    )
    rebuilt = NoticePayments.of(entries)
    fed = NoticePayments.of(reversed(entries))
    assert fed == rebuilt
    paid = rebuilt.paid_by("N1")
    assert paid is not None and (paid.date, paid.serial) == (dt.date(2026, 1, 4), "S2")
    assert rebuilt.paid("N1") == Decimal("100.00") and rebuilt.paid("N2") == Decimal("60.00")
    assert rebuilt.last_paid("N1") == dt.date(2026, 1, 4)
    kept = rebuilt.kept_after(dt.date(2026, 1, 4))  # N1 paid on or before the day: a digest
    assert not kept.answers("N1") and kept.answers("N2") and kept.answers("N3")
    kept.add(_entries(_deposit("2026-02-01", "V4", "N1", "S4"))[0])
    assert kept == rebuilt.kept_after(dt.date(2026, 1, 4))  # (asked of the books in any case)


def test_notice_payments_are_pickled_in_columns_and_come_back_equal() -> None:
    """The payments are kept in columns (`NoticePayments.__getstate__`): pickled and read back
    they are equal, dates and all, whatever the texts; a text that holds the columns' separator
    keeps the index as objects."""
    import pickle

    from xtaccounts.ops.notice_payments import NoticePayments

    entries = _entries(
        _deposit("2026-01-02", "V1", "N1", "S1")
        + _reversal("2026-01-03", "V1")
        + _deposit("2026-01-04", "V2", "N1", "S2", "-0.00")
        + _deposit("2026-01-05", "V3", "N2", "S3", "60.10")
        + _deposit("2026-01-05", "V4", "N3", "S\x1f4", "7.5")
    )
    for index in (
        NoticePayments(),
        NoticePayments.of(entries[:4]),
        NoticePayments.of(entries).kept_after(dt.date(2026, 1, 2)),
        NoticePayments.of(entries),
    ):
        state = index.__getstate__()
        odd = any("\x1f" in p.serial for paid in index.payments.values() for p in paid)
        assert ("columns" in state) != odd
        again = pickle.loads(pickle.dumps(index, protocol=5))
        assert again == index and again.reversals == index.reversals
        for notice, paid in index.payments.items():
            for mine, theirs in zip(again.payments[notice], paid, strict=True):
                assert [str(x) for x in mine] == [str(x) for x in theirs]
        assert pickle.loads(pickle.dumps(again)) == index


def test_the_deposit_index_is_pickled_in_columns_and_comes_back_equal() -> None:
    """The serials and receipt keys are kept in columns (`DepositIndex.__getstate__`): read
    back they are equal, days and accounts shared; a payer holding the separator keeps the
    index as objects."""
    import pickle

    typed = _deposit("2026-01-06", "V5", "N3", "S5").replace('  serial: "S5"\n', "")
    texts = [
        _deposit("2026-01-02", "V1", "N1", "S1"),
        _deposit("2026-01-05", "V3", "N2", "S3", "60.10"),
        typed,
        typed.replace('  kind: "deposit"\n', '  kind: "deposit"\n  payer: "李\x1f四"\n'),
    ]
    for text, columns in (("", True), ("".join(texts[:3]), True), ("".join(texts), False)):
        index = deposits.DepositIndex.of(_entries(text) if text else [])
        if text:
            assert index.keys and index.serials
        assert ("columns" in index.__getstate__()) == columns
        again = pickle.loads(pickle.dumps(index, protocol=5))
        assert again == index
        for (account, _serial), day in again.serials.items() if columns else ():
            assert account is write_snapshot.shared(account) and day is write_snapshot.shared(day)
        assert {str(k) for k in again.keys} == {str(k) for k in index.keys}


def test_the_deposit_index_answers_only_what_it_keeps() -> None:
    close = """\
2025-12-31 * "结转"
  kind: "close"
  period: "2025"
"""
    entries = _entries(
        _deposit("2025-06-01", "V1", "N1", "OLD")
        + close
        + _deposit("2026-01-05", "V2", "N2", "NEW")
    )
    full = deposits.DepositIndex.of(entries)
    kept = full.kept()
    assert isinstance(kept, deposits.DepositIndex) and kept.closed_through == dt.date(2025, 12, 31)
    bank = BANK

    def receipt(day: str, serial: str | None, notice: str | None = None) -> deposits.Receipt:
        return deposits.Receipt(bank, dt.date.fromisoformat(day), Decimal("1.00"), notice, serial)

    assert full.answers(receipt("2025-06-01", "X"))  # the whole index answers everything
    assert not kept.answers(receipt("2025-12-30", "X"))  # dated in the closed period
    assert not kept.answers(receipt("2026-02-01", "OLD"))  # a serial of before the close
    assert not kept.answers(receipt("2026-02-01", "X", "N1"))  # a notice paid before it
    assert kept.answers(receipt("2026-02-01", "NEW", "N2"))
    assert kept.duplicate(receipt("2026-02-01", "NEW")) == full.duplicate(
        receipt("2026-02-01", "NEW")
    )
    assert "2026-01-05" in kept.duplicate(receipt("2026-02-01", "NEW"))


def test_a_claim_booked_before_its_item_makes_the_kept_items_stale() -> None:
    claim = """\
2026-01-03 * "认领"
  kind: "claim"
  Liabilities:Suspense-待查明款项  50.00 CNY
    claim: "ITEM-1"
  Income:Other-其他收入  -50.00 CNY
"""
    item = f"""\
2026-01-04 ! "待查明" ^ITEM-1
  kind: "deposit"
  {BANK}  50.00 CNY
  Liabilities:Suspense-待查明款项  -50.00 CNY
"""
    fold = claims.SuspenseItems.of(_entries(claim))
    assert not fold.stale
    fold.add(_entries(item)[0])
    assert fold.stale  # `of` would match them: the snapshot drops it and rebuilds it
    rebuilt = claims.SuspenseItems.of(_entries(claim + item))
    assert rebuilt.items["ITEM-1"].open == 0 and not rebuilt.stale
