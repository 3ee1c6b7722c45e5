"""Masking owners' personal data: names, ID numbers, phone and card numbers never leave the
books in clear.

A person's name keeps its first character (the surname) and masks the rest: 张三丰 → 张**, 李𠮷 →
李* (characters beyond the BMP, CJK extensions B to H, count as one character each).
Organisations (names ending in 公司, 银行, 委员会, ...) are not persons and stay as they are.

`mask_free_text(text, names)` is the one function for free text (a memo, a reason, a payer
field's remainder). Digits of any script (full-width １３８…, Arabic-Indic, ...) are read as
ASCII digits to find the numbers; what it masks, and how:

- resident ID numbers: 18 digits (or 17 and X) and the old 15 digits, with a known province code
  and a real birth date, whole or in the groups people write (6-8-4, 6-4-4-4, 4-4-4-4-2; 6-6-3):
  the first three and last four characters kept, 430***********1234;
- mobile numbers, as ``13812345678``, ``+8613812345678``, ``+86 138 1234 5678``,
  ``138-1234-5678``, ``138 1234 5678``, ``138 - 1234 - 5678``, ``138.1234.5678``, ``1381 2345
  678`` or after a long-distance 0: the first three and last four digits, 138****5678 (a prefix
  kept as written);
- landlines (``0731-58231234``, ``(0731) 5823-1234``, ``+86 731 5823 1234``; an area code
  010-029 or 0310-0999 and a local number of 7 or 8 digits starting with 2-8): the area code
  and last four digits, 0731-****1234;
- individuals' bank card numbers, 16 to 19 digits (whole, in fours, or 6 and the rest) starting
  with a card network's digit (3, 4, 5, 6, 9, or 2221-2720): ****1234. Serials and dates
  (``202401010000123456``) do not start like a card and are left alone;
- names: each person's name in `names` wherever the text repeats it; a person-like word (2 to 4
  Han characters starting with a common surname) right before or after a masked number
  (``王小明 430***********1234``; words such as 电话, 身份证号 between them are skipped); and the
  word after a label (姓名, 业主, 户主, 户名, 联系人, 付款人, 收款人, 经办人, 申请人, 持卡人; after
  ``姓名：`` any 2 to 4 Han characters). Common words (转账, 房屋, 金额, ...) are never taken
  for names. A name nothing points to (an objection that says 王小明 反对) cannot be recognised.

A number's groups may be parted by one to three spaces (any space of a line, or an invisible
character), or by a dash, dot or tilde (one or two; full-width and typographic ones too) with
up to two spaces on either side. Tabs, line breaks and underscores always end a number: columns,
lines and file names are not one number. A period of two dates (``20211222_20211231``, in
statements' file names) is never part of a number. Where two readings of the same digits
overlap, both are masked as one (``****`` and the last four digits).

An account number keeps its last four digits: 6217002930001234 → ****1234 (`mask_account`).
Masking is idempotent: masked text is left as it is.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
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
_MASKED_NAME = re.compile(r"^[^\W\d_*]{1,2}\*+$")
# Han characters of the BMP (extension A and the unified block) and beyond it (extensions B-H,
# U+20000-U+3134F), and the middle dot of transcribed names.
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0003134f·"
_PERSON_NAME = re.compile(rf"^[{_HAN}]{{2,5}}$")
# How much of a run of Han characters beside a number is looked at: a name (up to 4) and the
# words around it (a long run is never a name as a whole).
_RUN_LIMIT = 24
_HAN_CHAR = re.compile(rf"[{_HAN}]")
_HAN_RUN = re.compile(rf"[{_HAN}]+")
_HAN_RUN_START = re.compile(rf"[{_HAN}]{{1,{_RUN_LIMIT}}}")
_SPACE = re.compile(r"\s")


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# -- numbers (found on the text with every digit read as ASCII) ----------------------------------

_OTHER_DIGIT = re.compile(r"(?![0-9])\d")
# The spaces a line may hold besides the space itself, and the invisible characters: read as a
# space between a number's digit groups. Tabs and line breaks stay boundaries (columns and lines
# are not one number).
_INLINE_SPACES = (
    "\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
)
_INVISIBLE = (
    "\xad\u034f\u061c\u180e\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\u206a\u206b\u206c\u206d\u206e"
    "\u206f\ufeff"
)
_FOLD = str.maketrans(
    {
        "Ｘ": "X",
        "ｘ": "x",
        "＋": "+",
        "－": "-",
        "‐": "-",
        "‑": "-",
        "‒": "-",
        "–": "-",
        "—": "-",
        "−": "-",
        "﹣": "-",
        "―": "-",
        "～": "~",
        "〜": "~",
        "．": ".",
        "（": "(",
        "）": ")",
        # A statement's memo may part a number's digit groups with any of them (the import
        # collapses spaces and refuses invisible characters first; the export's masking of the
        # banks' memos does neither).
        **dict.fromkeys(_INLINE_SPACES + _INVISIBLE, " "),
    }
)
# What may part a number's digit groups: one to three spaces, or a dash, dot or tilde (one or two
# of them: ``——``) with up to two spaces on either side (``138  1234  5678``, ``138 - 1234 -
# 5678``, ``138.1234.5678``). A tab, a line break or an underscore (file names) never does.
_GAP = r"(?: {1,3}| {0,2}[-.~]{1,2} {0,2})"
# Every pattern is looked for at every start where no digit stands before (a lookahead:
# overlapping candidates, so that a run of groups which is not one number does not hide one
# inside it; a masked name's ``*`` may stand before a number). The groupings are the ones
# people write: an ID whole, 6-8-4, 6-4-4-4 or 4-4-4-4-2 (18) and 6-6-3 (15); a card whole, in
# fours (and a short last group) or 6 and the rest; a mobile 3-4-4 (or 3-8, 7-4; 4-4-3 not
# before a decimal point: 1500 2300 450.00 are amounts), after +86, 0086, 86 or a long-distance
# 0; a landline's area code (010-029, 0310-0999, or after +86 or 0086 without its 0; never 00,
# the international prefix) and a local number of 7 or 8 digits starting with 2-8. A voucher's
# number (记-0840 3500 …) starts no phone.
_START = r"(?<!\d)"
_ABROAD = r"(?:\+86|0086)"  # China's country code, as dialled from abroad
_NOT_VOUCHER = r"(?<![记收付转]-)"
_ID18 = re.compile(
    rf"{_START}(?=((?:\d{{6}}{_GAP}?\d{{4}}{_GAP}?\d{{4}}{_GAP}?\d{{3}}"
    rf"|\d{{4}}{_GAP}?\d{{4}}{_GAP}?\d{{4}}{_GAP}?\d{{4}}{_GAP}?\d)[\dXx])(?![\dA-Za-z]))"
)
_ID15 = re.compile(rf"{_START}(?=(\d{{6}}{_GAP}?\d{{6}}{_GAP}?\d{{3}})(?!\d))")
_CARD = re.compile(
    rf"{_START}(?=((?:\d{{16,19}}|\d{{4}}(?:{_GAP}\d{{4}}){{3}}(?:{_GAP}\d{{1,3}})?"
    rf"|\d{{6}}{_GAP}\d{{10,13}}))(?!\d))"
)
_MOBILE = re.compile(
    rf"{_START}{_NOT_VOUCHER}(?=((?P<prefix>(?:{_ABROAD}|86){_GAP}?|0)?"
    rf"(?P<number>1[3-9]\d{_GAP}?\d{{4}}{_GAP}?\d{{4}}|1[3-9]\d\d{_GAP}\d{{4}}{_GAP}\d{{3}}(?!\.\d)))"
    r"(?!\d))"
)
_AREA = r"(?:[12]\d|[3-9]\d\d)"  # an area code without its 0
_LANDLINE = re.compile(
    rf"{_START}{_NOT_VOUCHER}(?=((?:(?P<abroad>{_ABROAD}{_GAP}?)\(?(?P<code>{_AREA})"
    rf"|\(?(?P<area>0{_AREA}))\)?{_GAP}?[2-8]\d{{2,3}}{_GAP}?\d{{4}})(?!\d))"
)
_TEN_DIGITS = re.compile(rf"\d(?:(?:{_GAP}|\){_GAP}?)?\d){{9}}")
_NOT_DIGIT = re.compile(r"[^\dXx]")
# A period of two dates (``20211222_20211231``, ``20240101-20240320``), as statements' file names
# carry them (the books read the period back from the recorded name): left as it is, whatever
# stands before it (``0731_20211222_20211231.csv`` is not a landline).
_DATE_RANGE = re.compile(r"(?<!\d)((?:19|20)\d{6})[-_]((?:19|20)\d{6})(?!\d)")
# Numbers already masked (by this module or by hand): anchors for the names next to them.
_MASKED_NUMBER = re.compile(r"\d{3}\*{4,}[\dXx]{4}|\*{4}\d{4}|0\d{2,3}-\*{4}\d{4}")
# Province codes of resident ID numbers (GB/T 2260; 71 Taiwan, 81 Hong Kong, 82 Macau).
_PROVINCES = frozenset(
    _words("11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63")
    + _words("64 65 71 81 82 83 91")
)

# -- names ---------------------------------------------------------------------------------------

SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段雷侯龙史陶黎"
    "贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧"
    "耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍"
    "华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏"
    "宗瞿桂全佟应臧闵苟邬边卞姬师仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝谌"
)
COMPOUND_SURNAMES = (
    "欧阳",
    "司马",
    "上官",
    "诸葛",
    "东方",
    "皇甫",
    "尉迟",
    "公孙",
    "慕容",
    "长孙",
    "令狐",
    "夏侯",
    "轩辕",
    "司徒",
    "端木",
    "宇文",
    "南宫",
    "西门",
    "独孤",
)
# Words that are never (part of) a name, though some start with a surname's character.
COMMON_WORDS = _words(
    "电话 手机 联系 号码 身份 证件 证号 卡号 账号 帐号 尾号 户名 转账 "
    "转入 转出 汇款 代缴 代付 代理 缴款 缴存 交存 补交 退款 返还 退保 "
    "退费 备注 摘要 房屋 灭失 拆除 维修 资金 保险 保单 保费 电梯 业主 "
    "户主 本人 其他 其它 利息 结息 定期 到期 存单 存入 支取 提前 销户 "
    "开户 申请 反对 同意 表决 异议 原因 理由 地址 单元 小区 号楼 大会 "
    "委员 方面 全体 共有 代表 签字 投票 费用 金额 收入 支出 款项 工资 "
    "来款 付款 收款 银行 公司 物业 通知 编号 流水 交易 发票 合同 协议 "
    "门牌 楼栋 管理 关于 时间 明细 应缴 应收 商贸 车位 文件 安装 万元 "
    "一致 多数 自行 权益 自治 经办 姓名 座机 还款 花园 家园 公寓 大厦 "
    "广场 新村 山庄 单号 订单 余额 余款 单位 房号 房款 房租 全额 全款 项目 农行 商户 施工 "
    "申报 应付 车库 查询"
)
# Words between a name and its number (王小明 电话 138…), skipped when looking for the name.
_CONNECTOR = (
    "联系电话|电话号码|联系方式|手机号码|手机号|电话|手机|座机|身份证号码|身份证号|身份证|"
    "证件号码|证件号|银行卡号|银行卡|卡号|账号|帐号|尾号|号码|联系|的|为|是"
)
_CONNECTOR_END = re.compile(rf"(?:{_CONNECTOR})+$")
_CONNECTOR_START = re.compile(rf"^(?:{_CONNECTOR})+")
_SEPARATORS = " :：,，、/()（）-;；"
# Words a name follows in a longer run (退款给王小明).
_LEAD_IN = re.compile(
    r"(?:给|由|向|与|和|及|付|交|缴|收|代|转账|汇款|还款|退款|付款|收款|缴款|姓名|业主|户主|户名|"
    r"联系人|付款人|收款人|经办人|申请人|持卡人)$"
)
_LABEL_WORD = re.compile(r"姓名|业主|户主|户名|联系人|付款人|收款人|经办人|申请人|持卡人")
# A label and what separates it from the name after it.
_LABEL = re.compile(r"(姓名|业主|户主|户名|联系人|付款人|收款人|经办人|申请人|持卡人) ?([:：]?) ?")
_NAME_LIST = re.compile(r"\s*[/、,，;；&＆]\s*|\s*和\s*|\s*及\s*|\s+")
_PARENTHESISED = re.compile(rf"^([{_HAN}]{{2,5}}) ?[（(][^）)]*[）)]$")


def is_organisation(name: str) -> bool:
    return name.strip().endswith(ORGANISATION_SUFFIXES)


def is_masked_name(name: str) -> bool:
    """A surname (one or two characters) followed only by asterisks: 张*, 欧阳**."""
    return bool(_MASKED_NAME.match(name))


def _ascii_digits(text: str) -> str:
    """`text` with every decimal digit as ASCII, full-width and typographic X, +, dashes, dots,
    tildes and brackets folded (`_FOLD`) and the other spaces of a line and the invisible
    characters read as a space, character for character (positions are unchanged)."""
    if text.isascii():
        return text
    text = _OTHER_DIGIT.sub(lambda m: str(unicodedata.decimal(m.group())), text)
    return text.translate(_FOLD)


def _birth_date(digits: str) -> bool:
    """`digits` (YYYYMMDD) is a day of 1900-2099."""
    try:
        day = dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return False
    return 1900 <= day.year <= 2099


def _is_id18(number: str) -> bool:
    return number[:2] in _PROVINCES and _birth_date(number[6:14])


def _is_id15(number: str) -> bool:
    return number[:2] in _PROVINCES and _birth_date("19" + number[6:12])


def _is_card(digits: str) -> bool:
    """16-19 digits starting as a card network's numbers do (not as a serial or a date)."""
    return 16 <= len(digits) <= 19 and (digits[0] in "34569" or 2221 <= int(digits[:4]) <= 2720)


_Span = tuple[int, int, str]


def _number_spans(norm: str) -> list[_Span]:
    """(start, end, masked form) of every personal number in `norm` (ASCII digits). Where two
    readings overlap (``单号 350102240115 138 1234 5678``: an ID of 6-6-3 or a mobile), both are
    masked as one: the one that holds the other, else ``****`` and the last four digits."""
    if not _TEN_DIGITS.search(norm):
        return []  # every number masked has ten digits or more
    period = bytearray(len(norm))
    for m in _DATE_RANGE.finditer(norm):  # a statement's period: never a phone or an ID
        if _birth_date(m.group(1)) and _birth_date(m.group(2)) and m.group(1) <= m.group(2):
            period[m.start() : m.end()] = b"\x01" * (m.end() - m.start())
    # (start, end, rank, masked): the rank orders readings of the very same digits
    found: list[tuple[int, int, int, str]] = []

    def reading(m: re.Match[str], rank: int, masked: str) -> None:
        start, end = m.span(1)
        if not any(period[start:end]):
            found.append((start, end, rank, masked))

    for m in _ID18.finditer(norm):
        number = _NOT_DIGIT.sub("", m.group(1))
        if _is_id18(number):
            reading(m, 0, number[:3] + "*" * 11 + number[-4:])
    for m in _CARD.finditer(norm):
        digits = _NOT_DIGIT.sub("", m.group(1))
        if _is_card(digits):
            reading(m, 1, "****" + digits[-4:])
    for m in _ID15.finditer(norm):
        number = _NOT_DIGIT.sub("", m.group(1))
        if _is_id15(number):
            reading(m, 2, number[:3] + "*" * 8 + number[-4:])
    for m in _MOBILE.finditer(norm):
        digits = _NOT_DIGIT.sub("", m.group("number"))
        reading(m, 3, f"{m.group('prefix') or ''}{digits[:3]}****{digits[-4:]}")
    for m in _LANDLINE.finditer(norm):
        digits = _NOT_DIGIT.sub("", m.group(1))
        area = m.group("area") or m.group("abroad") + m.group("code")
        reading(m, 4, f"{area}-****{digits[-4:]}")
    spans: list[_Span] = []
    for start, end, _rank, masked in sorted(found, key=lambda f: (f[0], -f[1], f[2])):
        if spans and start < spans[-1][1]:  # overlaps the reading before
            if end > spans[-1][1]:
                spans[-1] = (spans[-1][0], end, "")  # (masked below)
            continue
        spans.append((start, end, masked))
    return [
        (start, end, masked or "****" + _NOT_DIGIT.sub("", norm[max(start, end - 40) : end])[-4:])
        for start, end, masked in spans
    ]


_COMMON_WORD = re.compile("|".join(COMMON_WORDS))


def _is_common(word: str) -> bool:
    return _COMMON_WORD.search(word) is not None


def _surname_first(word: str) -> bool:
    if word[:2] in COMPOUND_SURNAMES:
        return len(word) >= 3
    return word[0] in SURNAMES


def _person_like(word: str, *, surname: bool = True) -> bool:
    """2-4 Han characters that may be a person's name: no common word, no organisation, and (by
    default) starting with a common surname."""
    return (
        2 <= len(word) <= 4
        and "·" not in word[:1]
        and not _is_common(word)
        and not is_organisation(word)
        and (not surname or _surname_first(word))
    )


def _pick(
    run: str, *, at_end: bool, surname: bool = True, loose: bool = False
) -> tuple[int, int] | None:
    """Where in a run of Han characters a name sits: the whole run, else its last (at_end) or
    first 3 or 2 characters when the rest of the run is a word that leads to a name (退款给,
    电话) or follows one (转账, 房屋灭失); `loose` (after a label) takes 3 characters otherwise."""
    if _person_like(run, surname=surname):
        return 0, len(run)
    options = []
    for length in (3, 2):
        if len(run) <= length:
            continue
        start = len(run) - length if at_end else 0
        word = run[start : start + length]
        if not _person_like(word, surname=surname):
            continue
        rest = run[:start] if at_end else run[length:]
        beside = (
            _CONNECTOR_END.search(rest) or _LEAD_IN.search(rest)
            if at_end
            else _CONNECTOR_START.match(rest) or rest.startswith(COMMON_WORDS)
        )
        if beside or loose:
            options.append((0 if beside else 1, -length, start, start + length))
    if not options:
        return None
    _, _, start, end = min(options)
    return start, end


def _name_before(text: str, end: int) -> tuple[int, int] | None:
    """The name ending just before `end` (separators and words such as 电话 skipped)."""
    for _ in range(2):
        while end > 0 and text[end - 1] in _SEPARATORS:
            end -= 1
        begin = end
        while begin > 0 and end - begin < _RUN_LIMIT and _HAN_CHAR.match(text, begin - 1):
            begin -= 1
        if begin == end:
            return None
        run = text[begin:end]
        connector = _CONNECTOR_END.search(run)
        if connector is not None:
            end = begin + connector.start()
            if end > begin:
                found = _pick(text[begin:end], at_end=True)
                return None if found is None else (begin + found[0], begin + found[1])
            continue  # only a connector: the name may stand before it
        found = _pick(run, at_end=True)
        return None if found is None else (begin + found[0], begin + found[1])
    return None


def _name_after(text: str, start: int) -> tuple[int, int] | None:
    """The name starting just after `start` (separators and words such as 电话 skipped)."""
    for _ in range(2):
        while start < len(text) and text[start] in _SEPARATORS:
            start += 1
        run = _HAN_RUN_START.match(text, start)
        if run is None:
            return None
        connector = _CONNECTOR_START.match(run.group())
        if connector is not None:
            start = run.start() + connector.end()
            if start < run.end():
                found = _pick(text[start : run.end()], at_end=False)
                return None if found is None else (start + found[0], start + found[1])
            continue
        found = _pick(run.group(), at_end=False)
        return None if found is None else (run.start() + found[0], run.start() + found[1])
    return None


def _context_names(text: str, anchors: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Names beside a (masked) number and after a label."""
    found: list[tuple[int, int]] = []
    for start, end in anchors:
        for span in (_name_before(text, start), _name_after(text, end)):
            if span is not None:
                found.append(span)
    run_ends: dict[int, int] = {}
    for m in _LABEL.finditer(text):
        start = m.end()
        if start not in run_ends:  # where the run of Han characters from `start` ends
            run = _HAN_RUN.match(text, start)
            if run is None:
                continue
            for i in range(run.start(), run.end()):
                run_ends[i] = run.end()
        words = text[start : run_ends[start]]
        if is_organisation(words):
            continue
        span = _pick(words, at_end=False, surname=not m.group(2), loose=True)
        if span is not None:
            found.append((start + span[0], start + span[1]))
    return found


def _field_names(name: str) -> list[tuple[int, int]]:
    """Where a name field (a payer) holds persons' names: the whole field, each of a list of
    names (王小明/李四), a name before a parenthesis (王小明（代缴）)."""
    if not name or is_organisation(name) or is_masked_name(name):
        return []
    if _PERSON_NAME.match(name):
        return [(0, len(name))]
    found = _PARENTHESISED.match(name)
    if found and not is_organisation(found.group(1)) and not _is_common(found.group(1)):
        return [found.span(1)]
    parts = [p for p in _NAME_LIST.split(name) if p]
    if len(parts) > 1 and all(_PERSON_NAME.match(p) and not _is_common(p) for p in parts):
        spans, at = [], 0
        for part in parts:
            at = name.index(part, at)
            spans.append((at, at + len(part)))
            at += len(part)
        return spans
    return []


def _masked(text: str, numbers: list[_Span], names: Iterable[tuple[int, int]]) -> str:
    """`text` with the numbers replaced by their masked forms and every name character but the
    first of each name replaced by ``*``."""
    chars = list(text)
    for start, end in names:
        chars[start + 1 : end] = "*" * max(0, end - start - 1)
    out: list[str] = []
    at = 0
    for start, end, masked in sorted(numbers):
        out.append("".join(chars[at:start]))
        out.append(masked)
        at = end
    out.append("".join(chars[at:]))
    return "".join(out)


def _name_tokens(names: Iterable[str | None]) -> list[str]:
    """The persons' names that the given name fields hold, longest first."""
    tokens: set[str] = set()
    for name in names:
        tokens.update(_tokens_of((name or "").strip()))
    return sorted(tokens, key=lambda t: (-len(t), t))


@functools.lru_cache(maxsize=4096)
def _tokens_of(name: str) -> tuple[str, ...]:
    """The persons' names one name field holds."""
    if not name:
        return ()
    norm = _ascii_digits(name)
    spans = _field_names(name) + _context_names(norm, [(s, e) for s, e, _ in _number_spans(norm)])
    tokens = (name[start:end] for start, end in spans)
    return tuple(t for t in tokens if len(t) >= 2 and not is_organisation(t))


def _mask(text: str, tokens: Iterable[str] = (), field_names: bool = False) -> str:
    """`text` masked, again until nothing more is found (a masked name may leave another one
    standing on its own beside a number), so that masking masked text changes nothing."""
    tokens = [t for t in tokens if t in text]
    for _ in range(10):
        masked = _mask_once(text, tokens, field_names)
        if masked == text:
            break
        text = masked
    return text


def _mask_once(text: str, tokens: list[str], field_names: bool) -> str:
    if not text:
        return text
    for token in tokens:  # the names given first: the rules below see what is left of the text
        text = text.replace(token, token[0] + "*" * (len(token) - 1))
    norm = _ascii_digits(text)
    if not (
        field_names
        or _TEN_DIGITS.search(norm)
        or _MASKED_NUMBER.search(norm)
        or _LABEL_WORD.search(text)
    ):
        return text  # nothing (more) to mask: the common case, quickly
    numbers = _number_spans(norm)
    anchors = [(s, e) for s, e, _ in numbers]
    taken = bytearray(len(norm))
    for start, end in anchors:
        taken[start:end] = b"\x01" * (end - start)
    for m in _MASKED_NUMBER.finditer(norm):
        if not any(taken[m.start() : m.end()]):
            anchors.append(m.span())
    spans = _context_names(norm, anchors)  # (a name beside a number across an odd space too)
    if field_names:
        spans += _field_names(text)
    return _masked(text, numbers, spans)


def mask_phones(text: str) -> str:
    """Mobile and landline numbers (and ID and card numbers) with their middle digits masked."""
    if not text:
        return text
    return _masked(text, _number_spans(_ascii_digits(text)), ())


def mask_name(name: str) -> str:
    """A payer field masked: a person's name to its surname (also 王小明 13812345678 → 王**
    138****5678, 王小明/李四, 王小明（代缴）); organisations and masked names unchanged."""
    name = name.strip()
    if not name or is_masked_name(name):
        return name
    if is_organisation(name):
        return mask_phones(name)
    if _PERSON_NAME.match(name):
        return name[0] + "*" * (len(name) - 1)
    return _mask(name, field_names=True)


def mask_free_text(text: str, names: Iterable[str | None] = ()) -> str:
    """Free text with personal numbers and names masked (see the module doc); each person's
    name held by the name fields `names` (a payer, a counterparty) is masked wherever it
    occurs."""
    return _mask(text, _name_tokens(names))


def mask_text(text: str, names: Iterable[str | None] = ()) -> str:
    """`mask_free_text` (kept under its older name)."""
    return mask_free_text(text, names)


def mask_account(number: str | None) -> str | None:
    """An account number reduced to its last four digits (``****1234``); None when empty."""
    digits = _SPACE.sub("", str(number or ""))
    if not digits:
        return None
    return digits if len(digits) <= 4 else "*" * 4 + digits[-4:]
