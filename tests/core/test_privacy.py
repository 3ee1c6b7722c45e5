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
    ["\u00a0", "\u3000", "\u2009", "\u202f", "\u2028", "\t", "\n", "\u200b", "\ufeff", "\xad"],
    ids=repr,
)
def test_numbers_are_masked_whatever_parts_their_digit_groups(space: str) -> None:
    # A bank's memo parts a number's groups with whatever its system writes; the import collapses
    # spaces before it masks, the export's and the pages' masking of such text does not.
    text = f"王小明{space}电话{space}138{space}1234{space}5678{space}卡号{space}" + space.join(
        ["6222", "0219", "0400", "1234"]
    )
    masked = mask_free_text(text, ["王小明"])
    digits = "".join(c for c in masked if c.isdigit())
    assert "12345678" not in digits and "62220219" not in digits, repr(masked)
    assert "138" in masked and "5678" in masked and "1234" in masked and "王**" in masked
    assert mask_free_text(masked) == masked


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
