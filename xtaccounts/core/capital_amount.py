"""金额大写: an amount of yuan in the capital numerals vouchers and forms print (《支付结算办法》).

壹佰元整, 壹仟元零伍分, 壹拾万零贰佰叁拾元伍角整, 负伍分: a zero run inside the figure is one 零,
a whole yuan ends with 整, so does an amount ending in 角.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

DIGITS = "零壹贰叁肆伍陆柒捌玖"
_PLACES = ("仟", "佰", "拾", "")
_SECTIONS = ("", "万", "亿", "万亿")


def _group(value: int) -> str:
    """0 < value < 10000 in capitals, without leading zeros: 1005 -> 壹仟零伍."""
    text, zero = "", False
    for place, digit in zip(_PLACES, f"{value:04d}", strict=True):
        if digit == "0":
            zero = bool(text)
            continue
        if zero:
            text += "零"
            zero = False
        text += DIGITS[int(digit)] + place
    return text


def _integer(value: int) -> str:
    groups: list[int] = []
    while value:
        groups.append(value % 10000)
        value //= 10000
    if len(groups) > len(_SECTIONS):
        raise ValueError("amount too large for 大写")
    text, gap = "", False
    for index in reversed(range(len(groups))):
        group = groups[index]
        if group == 0:
            gap = bool(text)
            continue
        if text and (gap or group < 1000):
            text += "零"
        text += _group(group) + _SECTIONS[index]
        gap = False
    return text


def capital_amount(amount: Decimal) -> str:
    """`amount` (rounded half-up to the fen) in capitals: Decimal("1005.30") -> 壹仟零伍元叁角整."""
    fen = int(abs(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) * 100)
    sign = "负" if amount < 0 and fen else ""
    yuan, jiao, cents = fen // 100, fen // 10 % 10, fen % 10
    if fen == 0:
        return "零元整"
    text = _integer(yuan) + "元" if yuan else ""
    if jiao == 0 and cents == 0:
        return sign + text + "整"
    if jiao == 0:
        return sign + text + ("零" if yuan else "") + DIGITS[cents] + "分"
    text += DIGITS[jiao] + "角"
    return sign + text + (DIGITS[cents] + "分" if cents else "整")
