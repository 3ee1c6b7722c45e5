"""Masking owners' names and phone numbers."""

from __future__ import annotations

import pytest

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
