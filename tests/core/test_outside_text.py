"""Text from outside the books (`admit_text`): personal data masked in every spelling, control and
bidirectional characters refused, HTML neutralised, identifiers left alone, idempotent."""

from __future__ import annotations

import sys
import time
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xtaccounts.core.outside_text import TextRefused, admit_text
from xtaccounts.core.privacy import mask_free_text, mask_name
from xtaccounts.registry import RegistryInvalid, load_registry


def admit(text: str, *names: str) -> str:
    return admit_text(text, field="--memo", names=names)


# -- personal data -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        # resident ID numbers: 18 digits, 17 + X (either case, full-width too), 15 digits
        ("身份证 430302199001011234", "身份证 430***********1234"),
        ("430302199001011234", "430***********1234"),
        ("43030219900101123X", "430***********123X"),
        ("43030219900101123x", "430***********123x"),
        ("４３０３０２１９９００１０１１２３Ｘ", "430***********123X"),
        ("旧证 430302900101123", "旧证 430********1123"),
        # mobile numbers in every spelling
        ("13812345678", "138****5678"),
        ("+8613812345678", "+86138****5678"),
        ("+86 138 1234 5678", "+86 138****5678"),
        ("0086-138-1234-5678", "0086-138****5678"),
        ("138-1234-5678", "138****5678"),
        ("138 1234 5678", "138****5678"),
        ("１３８１２３４５６７８", "138****5678"),
        ("電話 １３８－１２３４－５６７８", "電話 138****5678"),
        ("١٣٨١٢٣٤٥٦٧٨", "138****5678"),  # Arabic-Indic digits
        # landlines, as before
        ("座机0731-58231234", "座机0731-****1234"),
        # individuals' bank card numbers: 16-19 digits, grouped by spaces or dashes in fours
        ("卡号 6217002930001234567", "卡号 ****4567"),
        ("6217002930001234", "****1234"),
        ("6217 0029 3000 1234", "****1234"),
        ("6217-0029-3000-1234-567", "****4567"),
        ("4367421234567890", "****7890"),
    ],
)
def test_every_spelling_of_a_personal_number_is_masked(text: str, masked: str) -> None:
    assert admit(text) == masked
    assert mask_free_text(text) == masked


@pytest.mark.parametrize(
    ("text", "names", "masked"),
    [
        ("王小明 430302199001011234", (), "王** 430***********1234"),
        ("13812345678 王小明", (), "138****5678 王**"),
        ("王小明 电话 13812345678", (), "王** 电话 138****5678"),
        ("王小明的手机号13812345678", (), "王**的手机号138****5678"),
        ("退款给王小明13812345678", (), "退款给王**138****5678"),
        ("欧阳娜娜 138-1234-5678", (), "欧*** 138****5678"),
        ("姓名：赵六", (), "姓名：赵*"),
        ("联系人: 禤小明", (), "联系人: 禤**"),  # after a colon, any 2 to 4 Han characters
        ("业主王小明房屋灭失", (), "业主王**房屋灭失"),
        ("收款人 李四 付款", (), "收款人 李* 付款"),
        ("王小明 维修资金", ("王小明 13812345678",), "王** 维修资金"),  # the payer's name
        ("代缴 李𠮷 维修资金", ("李𠮷",), "代缴 李* 维修资金"),
    ],
)
def test_names_beside_a_number_after_a_label_or_given_are_masked(
    text: str, names: tuple[str, ...], masked: str
) -> None:
    assert admit(text, *names) == masked


@pytest.mark.parametrize(
    "text",
    [
        "房屋灭失 (拆除) 返还 维修资金",
        "保险费偏高，统筹账户余额有限，要求全体业主表决",
        "保险费太贵 138****5678",
        "电梯纳入既有住宅电梯更新改造，整机更换，原保单退保",
        "业主委员会委托书 湖湘业委〔2024〕3号",
        "湖湘花园业主委员会",
        "430***********1234 房屋灭失",
        "维修资金补交 N2024-0003",
        "流水号 202401010000123456",  # a serial: not shaped like a card or an ID
        "电梯 31104303201200000004",  # a 20-digit registration code
        "账户 1904021109200088821",  # a 19-digit account starting with 1: no card
        "2026-01-15 金额 1,234,567.89",
    ],
)
def test_ordinary_text_is_left_as_it_is(text: str) -> None:
    assert admit(text) == text


def test_a_payer_field_masks_the_name_in_it() -> None:
    assert mask_name("王小明 13812345678") == "王** 138****5678"
    assert mask_name("王小明/李四") == "王**/李*"
    assert mask_name("王小明（代缴）") == "王**（代缴）"
    assert mask_name("张三丰") == "张**"
    assert mask_name("湘潭湖湘置业有限公司") == "湘潭湖湘置业有限公司"
    payer = "王小明 +86 138 1234 5678"
    assert admit_text(payer, field="--payer", names=[payer]) == "王** +86 138****5678"


def test_identifiers_are_never_masked() -> None:
    for identifier in ("6217002930001234567", "N2024-0001", "430302199001011234", "ICBC2024001"):
        assert admit_text(identifier, field="--serial", mask=False) == identifier
    assert admit_text("PN<1>", field="--policy-no", mask=False) == "PN＜1＞"


# -- refusals ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "position", "codepoint"),
    [
        ("张三\x07", 3, "U+0007"),
        ("a\x1b[31mb", 2, "U+001B"),
        ("abc\u202edcba", 4, "U+202E"),
        ("\u2066x\u2069", 1, "U+2066"),
        ("a\u200fb", 2, "U+200F"),
        ("王\u200b小明", 2, "U+200B"),
        ("x\ufeffy", 2, "U+FEFF"),
        ("a\x85b", 2, "U+0085"),
        ("a\x7f", 2, "U+007F"),
        ("tag\U000e0041", 4, "U+E0041"),
    ],
)
def test_control_bidi_and_invisible_characters_are_refused(
    text: str, position: int, codepoint: str
) -> None:
    with pytest.raises(TextRefused) as caught:
        admit_text(text, field="--memo")
    message = str(caught.value)
    assert message.startswith("--memo：") and f"第 {position} 个字符" in message
    assert codepoint in message and "\n" not in message
    assert caught.value.position == position


def test_every_control_format_and_surrogate_character_is_refused() -> None:
    refused = 0
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        category = unicodedata.category(char)
        if category in ("Cf", "Cs") or (category == "Cc" and char not in "\t\n\r"):
            with pytest.raises(TextRefused):
                admit_text(f"a{char}b", field="x")
            refused += 1
    assert refused > 2000


def test_whitespace_is_collapsed_and_a_leading_bom_dropped() -> None:
    assert admit_text("\ufeff 维修资金\t补交\r\n N2024-0003　 ", field="x") == (
        "维修资金 补交 N2024-0003"
    )


# -- HTML --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "inert"),
    [
        ("<script>alert(1)</script>", "＜script＞alert(1)＜/script＞"),
        ("<img src=x onerror=alert(1)>", "＜img src=x onerror=alert(1)＞"),
        ("<svg onload=alert(1)>", "＜svg onload=alert(1)＞"),
        ('<a href="javascript:alert(1)">x</a>', "＜a href=＂javascript：alert(1)＂＞x＜/a＞"),
        ("JavaScript:alert(1)", "JavaScript：alert(1)"),
        ("\"'><b>q</b>", "＂＇＞＜b＞q＜/b＞"),
        ("`x` & y", "｀x｀ ＆ y"),
        ("&lt;script&gt;", "＆lt;script＆gt;"),
    ],
)
def test_html_is_neutralised_to_full_width_forms(text: str, inert: str) -> None:
    assert admit_text(text, field="x") == inert


_FRAGMENTS = (
    "王小明", "李四", "欧阳娜娜", " ", "：", "业主", "姓名", "电话", "给", "转账", "房屋灭失",
    "13812345678", "+86", "138-1234-5678", "138 1234 5678", "１３８１２３４５６７８",
    "430302199001011234", "43030219900101123X", "430302900101123", "6217002930001234567",
    "6217 0029 3000 1234", "0731-58231234", "138 - 1234 - 5678", "430302 19900101 1234",
    "(0731) 5823-1234", "138.1234.5678", "****1234", "138****5678", "*", "1", "-", "<", "&",
    '"', "'", "`", "javascript:", "X", "的", "保险费太贵", "\t", "\u3000",
)  # fmt: skip
_CLEAR = (
    "13812345678",
    "430302199001011234",
    "430302900101123",
    "6217002930001234567",
    "1234-5678",
    "1234 5678",
    "１３８１２３４５６７８",
    "58231234",
    "1234 - 5678",
    "1234.5678",
    "19900101 1234",
    "5823-1234",
)


def _joined(parts: list[str]) -> str:
    """Fragments one after the other, numbers kept apart (digits glued to digits would make
    another number)."""
    out = ""
    for part in parts:
        if (
            out
            and (out[-1].isdigit() or out[-1] in "*-+X")
            and (part[0].isdigit() or part[0] in "*-+X")
        ):
            out += "，"
        out += part
    return out


@settings(
    max_examples=400, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck)
)
@given(
    st.lists(st.sampled_from(_FRAGMENTS), max_size=8).map(_joined),
    st.lists(st.sampled_from(_FRAGMENTS), max_size=3).map(_joined),
)
def test_admitted_text_is_inert_masked_and_admitted_again_unchanged(text: str, name: str) -> None:
    admitted = admit_text(text, field="x", names=[name])
    assert admit_text(admitted, field="x", names=[name]) == admitted
    assert admit_text(admitted, field="x") == admitted
    assert not set(admitted) & set("<>&\"'`\t")
    assert "javascript:" not in admitted
    for clear in _CLEAR:
        assert clear not in admitted


# -- the registry ----------------------------------------------------------------------------


def test_registry_free_text_is_admitted_and_a_control_character_located(
    demo_registry_dir: Path,
) -> None:
    path = demo_registry_dir / "elevators.csv"
    text = path.read_text("utf-8")
    old = "湖南三洋电梯安装维保有限公司"
    assert old in text
    path.write_text(text.replace(old, "<b>维保</b> 王小明 13812345678", 1), "utf-8")
    registry = load_registry(demo_registry_dir)
    companies = {e.maintenance_company for e in registry.elevators.values()}
    assert "＜b＞维保＜/b＞ 王** 138****5678" in companies
    lines = path.read_text("utf-8").splitlines()
    line = next(n for n, row in enumerate(lines, 1) if "<b>维保</b>" in row)
    path.write_text(path.read_text("utf-8").replace("<b>维保</b>", "维保\u202e"), "utf-8")
    with pytest.raises(RegistryInvalid) as caught:
        load_registry(demo_registry_dir)
    assert f"elevators.csv:{line}: maintenance_company: 第 3 个字符是双向文本控制符 U+202E" in str(
        caught.value
    )


@pytest.mark.slow
def test_a_long_hostile_text_is_admitted_in_linear_time() -> None:
    """A statement cell may be large: masking and the name rules never go quadratic."""
    for text in (
        "王小明13812345678 " * 20_000,
        "业主王小明" * 30_000,
        "姓名：" + "王" * 100_000,
        "13812345678 王五转账 <b>" * 20_000,
    ):
        started = time.perf_counter()
        admitted = admit_text(text, field="摘要", names=["王小明"])
        assert time.perf_counter() - started < 10, len(text)
        assert "13812345678" not in admitted and "王小明" not in admitted and "<" not in admitted
