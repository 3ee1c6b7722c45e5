"""Text from outside the books, made safe to store: `admit_text`.

Every piece of free text that enters the books from outside (a statement's memo and payer, a
command option such as ``--payer``, ``--memo`` or ``--reason``, a vote file's cells, the
registry's names) goes through `admit_text` where it enters, once. In order, it

1. refuses (`TextRefused`, naming the field, the character's position and its code point)
   control characters (C0 other than tab, newline and CR; DEL; C1), bidirectional controls
   (U+200E, U+200F, U+061C, U+202A-U+202E, U+2066-U+2069), zero-width and other invisible
   format characters (U+200B-U+200D, U+2060-U+2064, U+FEFF, Unicode category Cf) and lone
   surrogates: they hide or reorder what a reader sees. A byte-order mark at the very start is
   dropped, not refused;
2. collapses whitespace (tabs, newlines, ideographic spaces, ...) to single spaces: one line;
3. masks personal data (`xtaccounts.core.privacy.mask_free_text`): ID, phone and card numbers, and
   names, including each person's name held by the name fields given as `names`;
4. neutralises HTML: ``< > & " ' ``` become their full-width forms ``＜ ＞ ＆ ＂ ＇ ｀``, and the
   colon of a ``javascript:`` (``vbscript:``, ``livescript:``) scheme becomes ``：``. No tag,
   attribute, entity or script link can be formed from the result, in any HTML context, escaped
   or not (Fava renders payee and narration unescaped); a later escaping leaves it unchanged and
   Chinese readers read it as written.

`admit_text(admit_text(x)) == admit_text(x)`. Identifiers (a notice, serial, certificate or
policy number) are admitted with ``mask=False``: refused and neutralised the same way, never
masked (they are not personal data, and the books match them).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable

from xtaccounts.core.errors import XtError
from xtaccounts.core.privacy import mask_free_text

__all__ = ["TextRefused", "admit_text", "shown_inert"]

# Characters refused anywhere (a BOM only inside the text): Cc but tab, LF and CR; every Cf of
# Unicode 15.1 (soft hyphen, bidirectional controls, zero-width characters, BOM, interlinear
# annotation, tags, ...); surrogates.
_REFUSED = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891"
    "\u08e2\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f\ud800-\udfff]"
)
_BIDI = frozenset("\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_HTML = str.maketrans({"<": "＜", ">": "＞", "&": "＆", '"': "＂", "'": "＇", "`": "｀"})
_TAGS = str.maketrans({"<": "＜", ">": "＞", "&": "＆"})
_SCRIPT_SCHEME = re.compile(r"(?i)((?:java|vb|live)\s?script\s?):")


class TextRefused(XtError):
    """Free text holding a character that is refused (see the module doc)."""

    def __init__(self, field: str, position: int, character: str) -> None:
        self.field = field
        self.position = position
        self.codepoint = ord(character)
        self.reason = (
            f"第 {position} 个字符是{_kind(character)} U+{self.codepoint:04X}，拒绝接收："
            "这类字符会隐藏、颠倒文字或操纵终端，请删去后重试"
        )
        super().__init__(f"{field}：{self.reason}")


def _kind(character: str) -> str:
    if character in _BIDI:
        return "双向文本控制符"
    category = unicodedata.category(character)
    if category == "Cc":
        return "控制字符"
    if category == "Cs":
        return "无效的代理码位"
    return "不可见的格式字符"


def _refused_at(text: str) -> int | None:
    """The index of the first refused character, or None."""
    found = _REFUSED.search(text)
    return found.start() if found else None


def admit_text(
    text: str, *, field: str, names: Iterable[str | None] = (), mask: bool = True
) -> str:
    """Text from outside the books, made safe to store (see the module doc).

    `field` names the text in a refusal (``--memo``, ``摘要``); `names` are name fields (a payer)
    whose persons' names are masked wherever the text repeats them; `mask=False` for
    identifiers. Raises TextRefused.
    """
    text = "" if text is None else str(text)
    bom = text.startswith("\ufeff")
    if bom:
        text = text[1:]
    at = _refused_at(text)
    if at is not None:
        raise TextRefused(field, at + 1 + bom, text[at])
    return _admitted(text, tuple(names) if mask else (), mask)


@functools.lru_cache(maxsize=1 << 12)
def _admitted(text: str, names: tuple[str | None, ...], mask: bool) -> str:
    """`admit_text` of a text with no refused character: worked out once per distinct text
    and names (a statement repeats its payers, a memo often repeats the payer's name)."""
    text = " ".join(text.split())
    if mask:
        text = mask_free_text(text, names)
    text = text.translate(_HTML)
    return _SCRIPT_SCHEME.sub(r"\1：", text) if ":" in text else text


def shown_inert(text: str, names: Iterable[str | None] = (), *, quotes: bool = True) -> str:
    """Text shown to a reader as admitted text would be, but never refused and its spacing
    kept (a line of a difference, an argument recorded after the fact): a refused character
    becomes U+FFFD, personal data is masked, markup neutralised (with `quotes=False` the
    quotes are kept: a line of the books, where they are Beancount's own, cannot open a tag
    without `<`)."""
    text = _REFUSED.sub("\ufffd", "" if text is None else str(text))
    text = mask_free_text(text, names).translate(_HTML if quotes else _TAGS)
    return _SCRIPT_SCHEME.sub(r"\1：", text) if ":" in text else text
