"""Masking owners' personal data: names and phone numbers never leave the books in clear.

A person's name keeps its first character (the surname) and masks the rest: 张三丰 → 张**.
Organisations (names ending in 公司, 银行, 委员会, ...) are not persons and stay as they are.
Mobile numbers keep their first three and last four digits: 13812345678 → 138****5678.
"""

from __future__ import annotations

import re

ORGANISATION_SUFFIXES = (
    "公司",
    "银行",
    "分行",
    "支行",
    "中心",
    "委员会",
    "业委会",
    "局",
    "院",
    "厂",
    "店",
    "部",
    "所",
    "社",
    "处",
    "站",
    "集团",
    "合作社",
    "协会",
    "学校",
    "医院",
    "政府",
    "办事处",
)
_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)(0\d{2,3})[- ]?(\d{3,4})(\d{4})(?!\d)")
_MASKED_NAME = re.compile(r"^[^\W\d_*]{1,2}\*+$")
_PERSON_NAME = re.compile(r"^[\u3400-\u9fff·]{2,5}$")


def is_organisation(name: str) -> bool:
    return name.strip().endswith(ORGANISATION_SUFFIXES)


def is_masked_name(name: str) -> bool:
    """A surname (one or two characters) followed only by asterisks: 张*, 欧阳**."""
    return bool(_MASKED_NAME.match(name))


def mask_phones(text: str) -> str:
    """Mobile and landline numbers with their middle digits masked."""
    text = _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)
    return _LANDLINE.sub(lambda m: f"{m.group(1)}-****{m.group(3)}", text)


def mask_name(name: str) -> str:
    """A person's name masked to its surname; organisations and masked names unchanged."""
    name = name.strip()
    if not name or is_organisation(name) or is_masked_name(name):
        return name
    if _PERSON_NAME.match(name):
        return name[0] + "*" * (len(name) - 1)
    return mask_phones(name)


def mask_free_text(text: str) -> str:
    """Free text (a memo, a payer field) with phone numbers masked."""
    return mask_phones(text)
