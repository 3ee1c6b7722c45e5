"""Claims of 待查明款项 items (xtaccounts.ops.claims) on small inline ledgers."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal as D
from pathlib import Path

import pytest

from tests.helpers import ICBC_NO, InlineBooks, InlineLoader
from xtaccounts.books.layout import LedgerLayout
from xtaccounts.books.links import item_id
from xtaccounts.core import chart
from xtaccounts.core.bank_statement import Statement, StatementLine
from xtaccounts.core.entries import number_of
from xtaccounts.ops import owner_deposits as deposits
from xtaccounts.ops.claims import (
    ClaimIndex,
    ClaimRefused,
    ClaimRequest,
    plan_claims,
    top_up_entry,
)
from xtaccounts.ops.classify import classify
from xtaccounts.registry import Registry, load_registry

BANK = "Assets:Bank-银行存款:ICBC-工商银行:Demand-活期8821"
NOTICES = {
    "registry/payment_notices.csv": "notice_no,household,amount,issued\n"
    "N2026-0001,C0001-B01-U1-101,500.00,2026-01-02\n"
    "N2026-0001,C0001-B01-U1-102,600.00,2026-01-02\n"
}
ITEMS = f"""
    2026-01-05 ! "湘潭某公司" "待查明来款 转账" ^1904021109200088821-S1
      kind: "suspense"
      serial: "S1"
      counterparty: "湘潭某公司"
      suspense_reason: "来款未注明缴款通知书编号"
      {BANK}  1000.00 CNY
      {chart.SUSPENSE}  -1000.00 CNY

    2026-01-06 ! "中国工商银行" "待查明付款 手续费" ^1904021109200088821-S2
      kind: "suspense"
      serial: "S2"
      {BANK}  -20.00 CNY
      {chart.SUSPENSE}  20.00 CNY

    2026-01-07 ! "李*" "待查明来款 缴款通知书 N2026-0001"
      kind: "deposit"
      notice: "N2026-0001"
      serial: "S3"
      payer: "李*"
      suspense_reason: "缴款通知书 N2026-0001 应缴 1100.00，实收 100.00，少 1000.00"
      {BANK}  100.00 CNY
      {chart.SUSPENSE}  -100.00 CNY
"""


@pytest.fixture
def books(inline_ledger: InlineLoader) -> InlineBooks:
    loaded = inline_ledger(ITEMS, files=NOTICES)
    assert loaded.errors == []
    return loaded


def registry_of(books: InlineBooks) -> Registry:
    return load_registry(LedgerLayout(books.main).registry)


def claim(item: str, amount: str, target: str, day: str = "2026-01-10") -> ClaimRequest:
    return ClaimRequest(item, dt.date.fromisoformat(day), D(amount), target, "测试")


def plan(books: InlineBooks, *requests: ClaimRequest) -> list:
    return plan_claims(registry_of(books), books.entries, requests, books.main.parent)


def test_every_item_has_an_id_and_what_it_still_holds(books: InlineBooks) -> None:
    index = ClaimIndex.of(books.entries)
    s3 = next(i for i in index.items.values() if i.meta("serial") == "S3")
    assert s3.id.startswith("sx-20260107-") and s3.id == item_id(s3.entry)  # no link: a digest
    assert {i.id: i.open for i in index.open_items()} == {
        "1904021109200088821-S1": D("1000.00"),
        "1904021109200088821-S2": D("-20.00"),  # a payment out: its own item
        s3.id: D("100.00"),
    }
    assert [i.id for i in index.waiting_for("N2026-0001")] == [s3.id]


def test_a_partial_claim_to_a_household_leaves_the_rest_open(books: InlineBooks) -> None:
    [txn] = plan(books, claim("S1", "400.00", "C0001-B01-U1-101"))
    assert txn.meta["kind"] == "deposit" and "1904021109200088821-S1" in txn.links
    suspense, income = txn.postings
    assert (suspense.account, number_of(suspense)) == (chart.SUSPENSE, D("400.00"))
    assert suspense.meta["claim"] == "1904021109200088821-S1"
    assert (income.account, number_of(income)) == (chart.DEPOSIT_INCOME, D("-400.00"))
    assert income.meta["households"] == "C0001-B01-U1-101=400.00"
    after = ClaimIndex.of([*books.entries, txn])
    assert after.items["1904021109200088821-S1"].open == D("600.00")


def test_a_claim_of_more_than_the_item_holds_is_refused(books: InlineBooks) -> None:
    with pytest.raises(ClaimRefused) as refused:
        plan(books, claim("S1", "700.00", "退回"), claim("S1", "400.00", "其他收入"))
    [problem] = refused.value.problems
    assert problem.column == "--amount"
    assert "1904021109200088821-S1 尚余 300.00，认领 400.00" in problem.message


def test_a_bank_fee_is_claimed_to_an_expense_and_clears_no_receipt(books: InlineBooks) -> None:
    [txn] = plan(books, claim("S2", "20.00", "手续费"))
    amounts = {p.account: number_of(p) for p in txn.postings}
    assert amounts == {chart.SUSPENSE: D("-20.00"), chart.OTHER_EXPENSE: D("20.00")}
    index = ClaimIndex.of([*books.entries, txn])
    assert index.items["1904021109200088821-S2"].open == 0
    assert index.items["1904021109200088821-S1"].open == D("1000.00")
    with pytest.raises(ClaimRefused, match="是付款"):
        plan(books, claim("S2", "20.00", "退回"))


def test_a_refund_pays_the_money_back_from_the_items_bank(books: InlineBooks) -> None:
    [txn] = plan(books, claim("S1", "1000.00", "refund"))
    assert txn.meta["kind"] == "claim"
    assert txn.payee == "湘潭某公司" and "退回付款人 湘潭某公司" in txn.narration
    assert {p.account: number_of(p) for p in txn.postings} == {
        chart.SUSPENSE: D("1000.00"),
        BANK: D("-1000.00"),
    }


def test_claims_to_a_notice_together_make_it_up_or_are_refused(books: InlineBooks) -> None:
    with pytest.raises(ClaimRefused, match=re.escape("尚欠 1100.00，认领合计 100.00")):
        plan(books, claim("S3", "100.00", "N2026-0001"))
    [txn] = plan(books, claim("S3", "100.00", "N2026-0001"), claim("S1", "1000.00", "N2026-0001"))
    assert txn.meta["kind"] == "deposit" and txn.meta["notice"] == "N2026-0001"
    claimed = [p.meta["claim"] for p in txn.postings if p.account == chart.SUSPENSE]
    assert len(claimed) == 2 and "1904021109200088821-S1" in claimed
    credits = [p.meta["households"] for p in txn.postings if p.account == chart.DEPOSIT_INCOME]
    assert credits == ["C0001-B01-U1-101=500.00 C0001-B01-U1-102=600.00"]
    s1 = ClaimIndex.of(books.entries).items["1904021109200088821-S1"].entry
    another = s1._replace(links=frozenset({"1904021109200088821-S9"}))  # one more receipt
    with pytest.raises(ClaimRefused, match="已于 2026-01-10 缴清"):
        plan_claims(
            registry_of(books),
            [*books.entries, txn, another],
            [claim("1904021109200088821-S9", "1000.00", "N2026-0001", "2026-01-11")],
            books.main.parent,
        )


def test_bad_requests_name_every_problem(books: InlineBooks) -> None:
    with pytest.raises(ClaimRefused) as refused:
        plan(
            books,
            claim("nothing-like-it", "1.00", "C0001-B01-U1-101"),
            claim("S1", "1.00", "月球"),
            claim("S1", "1.00", "退回", day="2026-01-01"),
        )
    columns = [p.column for p in refused.value.problems]
    assert columns == ["ITEM", "--to", "--date"]
    assert "早于款项" in refused.value.problems[2].message


def test_a_top_up_settles_the_notice_with_what_waits_in_suspense(books: InlineBooks) -> None:
    registry = registry_of(books)
    index = ClaimIndex.of(books.entries)
    waiting = index.waiting_for("N2026-0001")[0].id

    def top_up(amount: str):
        receipt = deposits.Receipt(BANK, dt.date(2026, 1, 9), D(amount), "N2026-0001", "S4")
        fallback = deposits._deposit_entry(registry, deposits.DepositIndex(), receipt, "x")
        assert fallback.flag == "!"  # alone, it is short
        return top_up_entry(registry, index, receipt, fallback)

    settled = top_up("1000.00")
    assert settled.flag == "*" and settled.meta["notice"] == "N2026-0001"
    amounts = [(p.account, number_of(p)) for p in settled.postings]
    assert amounts[:2] == [(BANK, D("1000.00")), (chart.SUSPENSE, D("100.00"))]
    assert settled.postings[1].meta["claim"] == waiting and waiting in settled.links
    assert sum((n for _, n in amounts), D(0)) == 0
    short = top_up("900.00")
    assert short.flag == "!"
    assert "待查明款项中已有该通知书来款 100.00" in short.meta["suspense_reason"]
    assert "合计少 100.00" in short.meta["suspense_reason"]


def test_claims_are_matched_by_id_never_first_in_first_out(
    inline_ledger: InlineLoader,
) -> None:
    books = inline_ledger(
        ITEMS
        + f"""
    2026-01-08 * "认领（手写，引用款项）" ^1904021109200088821-S1
      {chart.SUSPENSE}  300.00 CNY
      {chart.OTHER_INCOME}  -300.00 CNY

    2026-01-08 * "认领（引用不存在的款项）"
      {chart.SUSPENSE}  50.00 CNY
        claim: "1904021109200088821-NOPE"
      {chart.OTHER_INCOME}  -50.00 CNY

    2026-01-08 * "手写重分类（无引用）"
      {chart.SUSPENSE}  120.00 CNY
      {chart.OTHER_INCOME}  -120.00 CNY
    """,
        files=NOTICES,
    )
    index = ClaimIndex.of(books.entries)
    assert index.items["1904021109200088821-S1"].open == D("700.00")
    assert [(key, amount) for _, key, amount in index.unknown] == [
        ("1904021109200088821-NOPE", D("50.00"))
    ]
    assert [amount for _, amount in index.unlinked] == [D("120.00")]
    # The fee and the S3 receipt are untouched by claims that do not cite them.
    assert index.items["1904021109200088821-S2"].open == D("-20.00")


def test_two_transfers_in_one_statement_settle_the_notice(books: InlineBooks) -> None:
    def line(row: int, amount: str, serial: str) -> StatementLine:
        memo = "维修资金 N2026-0001"
        return StatementLine(
            row, dt.date(2026, 1, 20), None, D(amount), None, serial, memo, "李某", None, None
        )

    # The books' own 100.00 for the notice first takes part: pay it off elsewhere.
    [first_away] = plan(books, claim("S3", "100.00", "其他收入"))
    lines = (line(2, "300.00", "T1"), line(3, "800.00", "T2"), line(4, "5.00", "T3"))
    statement = Statement(
        Path("s.csv"), "ICBC", "icbc-corporate", ICBC_NO, "中心", "CNY", None, None, lines
    )
    planned = classify(registry_of(books), [*books.entries, first_away], statement).lines
    assert [p.status for p in planned] == ["suspense", "booked", "suspense"]
    settled = planned[1].entries[0]
    claims = [p.meta["claim"] for p in settled.postings if p.account == chart.SUSPENSE]
    assert claims == [f"{ICBC_NO}-T1"] and f"{ICBC_NO}-T1" in settled.links
    assert "缴款通知书 N2026-0001 已于 2026-01-20 缴清" in planned[2].reason


def test_a_reversed_item_nets_against_it_whatever_link_the_reversal_has(
    inline_ledger: InlineLoader,
) -> None:
    books = inline_ledger(
        ITEMS.replace(
            '      kind: "deposit"\n', '      kind: "deposit"\n      voucher: "记-2026-01-0003"\n'
        )
        + f"""
    2026-01-09 * "红字冲销 记-2026-01-0003" ^V-2026-01-0003
      kind: "reversal"
      reverses_voucher: "记-2026-01-0003"
      {BANK}  -100.00 CNY
      {chart.SUSPENSE}  100.00 CNY
    """,
        files=NOTICES,
    )
    index = ClaimIndex.of(books.entries)
    assert all(i.meta("serial") != "S3" for i in index.open_items())
    assert index.unlinked == [] and len(index.items) == 3


def test_a_reversed_deposit_on_a_notice_no_longer_pays_it(inline_ledger: InlineLoader) -> None:
    paid = f"""
    2026-01-08 * "何*" "交存 维修资金 缴款通知书 N2026-0001 (2户)"
      kind: "deposit"
      voucher: "记-2026-01-0004"
      notice: "N2026-0001"
      {BANK}  1100.00 CNY
      {chart.DEPOSIT_INCOME}  -1100.00 CNY
        unit: "C0001-B01-U1"
        households: "C0001-B01-U1-101=500.00 C0001-B01-U1-102=600.00"
    """
    reversed_ = f"""
    2026-01-09 * "冲销 交存" ^V-2026-01-0004
      kind: "reversal"
      reverses_voucher: "记-2026-01-0004"
      {BANK}  -1100.00 CNY
      {chart.DEPOSIT_INCOME}  1100.00 CNY
        unit: "C0001-B01-U1"
        households: "C0001-B01-U1-101=500.00 C0001-B01-U1-102=600.00"
    """
    before = inline_ledger(ITEMS + paid, files=NOTICES)
    assert ClaimIndex.of(before.entries).notices.paid("N2026-0001") == D("1100.00")
    after = inline_ledger(ITEMS + paid + reversed_, files=NOTICES)
    assert ClaimIndex.of(after.entries).notices.paid("N2026-0001") == D("0.00")
