"""Masking owners' names and phone numbers."""

from __future__ import annotations

import pytest

from xtaccounts.privacy import is_masked_name, mask_free_text, mask_name


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三丰", "张**"),
        ("欧阳娜娜", "欧***"),
        ("何*", "何*"),
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
    ("name", "ok"), [("张*", True), ("欧阳**", True), ("卢小明*", False), ("13812345678*", False)]
)
def test_what_counts_as_masked(name: str, ok: bool) -> None:
    assert is_masked_name(name) is ok
