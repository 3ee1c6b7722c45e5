"""Masking owners' personal data: names and phone numbers never leave the books in clear.

A person's name keeps its first character (the surname) and masks the rest: 张三丰 → 张**, 李𠮷 →
李* (characters beyond the BMP, CJK extensions B to H, count as one character each).
Organisations (names ending in 公司, 银行, 委员会, ...) are not persons and stay as they are.
Mobile numbers keep their first three and last four digits: 13812345678 → 138****5678. An
account number keeps its last four digits: 6217002930001234 → ****1234. `mask_text` masks free
text (a memo): its phone numbers, and every occurrence of the names it is given (a statement
line's own counterparty written into the memo).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

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
# Han characters of the BMP (extension A and the unified block) and beyond it (extensions B-H,
# U+20000-U+3134F), and the middle dot of transcribed names.
_PERSON_NAME = re.compile(r"^[\u3400-\u9fff\U00020000-\U0003134f·]{2,5}$")
_SPACE = re.compile(r"\s")


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


def mask_text(text: str, names: Iterable[str | None] = ()) -> str:
    """Free text with phone numbers masked and each person's name in `names` replaced, wherever
    it occurs, by its masked form (`mask_name`); organisations' names are left as they are."""
    for name in names:
        name = (name or "").strip()
        if not name:
            continue
        masked = mask_name(name)
        if masked != name and name in text:
            text = text.replace(name, masked)
    return mask_phones(text)


def mask_account(number: str | None) -> str | None:
    """An account number reduced to its last four digits (``****1234``); None when empty."""
    digits = _SPACE.sub("", str(number or ""))
    if not digits:
        return None
    return digits if len(digits) <= 4 else "*" * 4 + digits[-4:]
