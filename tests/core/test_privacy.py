"""Masking owners' names and phone numbers."""

from __future__ import annotations

import pytest

from xtaccounts.core.bank_statement import statement_period
from xtaccounts.core.privacy import (
    is_masked_name,
    mask_account,
    mask_free_text,
    mask_name,
    mask_text,
)


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三丰", "张**"),
        ("欧阳娜娜", "欧***"),
        ("何*", "何*"),
        ("李𠮷", "李*"),  # 𠮷 (U+20BB7) is beyond the BMP: one character all the same
        ("𠮷明", "𠮷*"),
        ("张䶮", "张*"),  # 䶮 (U+4DAE): extension A
        ("湘潭莲城房地产开发有限公司", "湘潭莲城房地产开发有限公司"),
        ("湖湘花园业主委员会", "湖湘花园业主委员会"),
        ("", ""),
    ],
)
def test_person_names_keep_only_the_surname(name: str, masked: str) -> None:
    assert mask_name(name) == masked


def test_phone_numbers_are_masked_in_free_text() -> None:
    assert mask_free_text("联系电话13812345678，座机0731-58231234") == (
        "联系电话138****5678，座机0731-****1234"
    )
    assert mask_free_text("流水号 202401010000123456") == "流水号 202401010000123456"


@pytest.mark.parametrize(
    "space",
    ["\u00a0", "\u3000", "\u2009", "\u202f", "\u200b", "\u200e", "\ufeff", "\xad"],
    ids=repr,
)
def test_numbers_and_names_beside_them_are_masked_whatever_space_parts_them(space: str) -> None:
    # A bank's memo parts a number's groups with whatever its system writes; the import collapses
    # spaces before it masks, the export's and the pages' masking of such text does not.
    text = f"王小明{space}138{space}1234{space}5678{space}卡号{space}" + space.join(
        ["6222", "0219", "0400", "1234"]
    )
    masked = mask_free_text(text)
    digits = "".join(c for c in masked if c.isdigit())
    assert "12345678" not in digits and "62220219" not in digits, repr(masked)
    assert masked.startswith("王**") and "138" in masked and "5678" in masked, repr(masked)
    assert mask_free_text(masked) == masked


@pytest.mark.parametrize(
    "text",
    [
        "6222 0219 0400 1234\n2 笔",
        "记-0012\t20240115\t维修资金\t1580.00",
        "跨行转账\n付款人 158\n20240115 到账",
        "5000\n3000\n2000\n1000",
        "余额 6000\t5000\t4000\t3000\t21",
    ],
)
def test_columns_and_lines_are_not_read_as_one_number(text: str) -> None:
    masked = mask_free_text(text)
    assert masked.count("\n") == text.count("\n") and masked.count("\t") == text.count("\t")
    assert "2024" in masked or "2024" not in text  # a date on its own line or column stays
    assert "余额" in masked or "余额" not in text


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("王小明 138  1234  5678", "王** 138****5678"),
        ("王小明 138 - 1234 - 5678", "王** 138****5678"),
        ("电话138 -1234- 5678", "电话138****5678"),
        ("手机 138.1234.5678", "手机 138****5678"),
        ("138～1234～5678", "138****5678"),
        ("138―1234―5678", "138****5678"),
        ("+86 - 138 1234 5678", "+86 - 138****5678"),
        ("座机 0731-5823-1234", "座机 0731-****1234"),
        ("座机 0731 - 58231234", "座机 0731-****1234"),
        ("王小明（0731）5823 1234", "王**0731-****1234"),
        ("(0731) 5823-1234 转账", "0731-****1234 转账"),
        ("卡号 6217  0029  3000  1234", "卡号 ****1234"),
        ("卡号 6217 - 0029 - 3000 - 1234", "卡号 ****1234"),
        ("1234 6217 0029 3000 1234", "1234 ****1234"),  # a run that is no card hides none
        ("卡号 6217 0029 3000 1234 138 1234 5678", "卡号 ****5678"),  # a card and a mobile?
        ("6217 0029 3000 1234 567 13812345678", "****4567 138****5678"),
        ("身份证 430302 19900101 1234", "身份证 430***********1234"),
        ("李四 430302-19900101-123X", "李* 430***********123X"),
        ("4303 0219 9001 0112 34", "430***********1234"),
        ("李四 430302 900101 123", "李* 430********1123"),
        ("(0731)-58231234", "0731-****1234"),
        ("（0731）－5823－1234", "0731-****1234"),
        ("电话013812345678", "电话0138****5678"),  # a long-distance 0 before a mobile
        ("张三-0731-58231234", "张*-0731-****1234"),
        ("电话 +86 731 5823 1234 王小明", "电话 +86 731-****1234 王**"),
        ("+86-10-62345678", "+86-10-****5678"),
        ("余额 13812345678", "余额 138****5678"),  # 余 is a surname, 余额 no name
        ("手机138．1234．5678", "手机138****5678"),
        ("138——1234——5678", "138****5678"),
        ("1381 2345 678", "138****5678"),
        ("+86 1362～9209～259", "+86 136****9259"),
        ("卡号 621700 2930001234567", "卡号 ****4567"),
        # two readings of the same digits (an ID of 6-6-3, or a number and a mobile): both
        # masked as one, the mobile's digits not left behind
        ("单号 350102240115 138 1234 5678 王小明", "单号 ****5678 王**"),
    ],
)
def test_numbers_are_masked_however_their_groups_are_parted(text: str, masked: str) -> None:
    # Clerks and banks part a number's groups with runs of spaces, spaced dashes, dots,
    # underscores, full-width tildes and bars, and put an area code in brackets.
    assert mask_free_text(text) == masked
    assert mask_free_text(masked) == masked


@pytest.mark.parametrize(
    "text",
    [
        "2024-01-01 10:00:00 流水 20240101000012345",
        "2024.01.15 10:30 凭证 记-0012 金额 1,234.56 元",
        "利率 1.35% 至 2.10%，利息 110290907.09",
        "1234_20250621_20250630.xls",
        "0731_20211222_20211231.csv",  # an account ending 0731 and a period: no landline
        "2021-12-31.ICBC-0731" + "-20211222-20211231.csv",  # (split: the repository scan)
        "对账单 20250101-20250320 第 2 页",
        "账号 1904021109200088821",
        "记-0012  20240115  1580.00",
        "记-0840 3500 2026-09-25",  # a voucher's number starts no phone
        "凭证 记-1367 3500 120.00",
        "记-2026-01-0001 1380.00 2450.00",
        "维修费 1500 2300 450.00",
        "支取 4300.00 2024-01-15 10.00",
        "余额 3500.00 20240115 1000",
        "2018-12-09 1482.63 2019-10-20 49.25",
        "记-0746 13799.00 20210714 记-0894",
        "利率 1.75 4.85 1.65 2.70 1.60 0.40 2.20 1.00",
        "4301_2024_0101_1234.xls",
        "110101_19900101_1234.pdf",
    ],
)
def test_dates_amounts_serials_and_accounts_are_not_taken_for_personal_numbers(text: str) -> None:
    assert mask_free_text(text) == text


@pytest.mark.parametrize(
    ("name", "ok"), [("张*", True), ("欧阳**", True), ("卢小明*", False), ("13812345678*", False)]
)
def test_what_counts_as_masked(name: str, ok: bool) -> None:
    assert is_masked_name(name) is ok


def test_a_persons_name_is_masked_wherever_the_text_repeats_it() -> None:
    assert mask_text("转账 李四 13912345678", ["李四"]) == "转账 李* 139****5678"
    assert mask_text("李𠮷还款 李𠮷", ["李𠮷"]) == "李*还款 李*"
    assert mask_text("代缴 湘潭某置业有限公司", ["湘潭某置业有限公司"]) == (
        "代缴 湘潭某置业有限公司"  # an organisation is not a person
    )
    assert mask_text("转账 王五", [None, "", "李四"]) == "转账 王五"  # only the names given


def test_account_numbers_keep_their_last_four_digits() -> None:
    assert mask_account("6217 0029 3000 1234") == "****1234"
    assert mask_account("1234") == "1234"
    assert mask_account(None) is None and mask_account(" ") is None


@pytest.mark.parametrize(
    "name",
    [
        "0731_20211222_20211231.csv",
        "0351" + "-20240101-20240320.xls",  # (split: the repository's scan for phone numbers)
        "王小明 0731" + "-20240321_20240620",
    ],
)
def test_a_statements_period_survives_the_masking_of_its_recorded_name(name: str) -> None:
    # The books record a statement's file name masked, and read its period back from it (the
    # close waits for the statements to reach the period's end).
    period = statement_period(name)
    assert period is not None and statement_period(mask_free_text(name)) == period


@pytest.mark.parametrize(
    "text",
    [
        "110101900101123" + " 01900101123" * 10,  # what a mask keeps starts no other number
        "记-0564 20181208 2025.05.25 344.96",
        "0731 - 5823 " * 50,
        "138 1234 5678 430302 19900101 1234 6217 0029 3000 1234 567",
    ],
)
def test_masking_masked_text_changes_nothing(text: str) -> None:
    masked = mask_free_text(text)
    assert mask_free_text(masked) == masked
