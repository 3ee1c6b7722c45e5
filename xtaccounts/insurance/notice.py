"""The public notice (公示) of an application, as a printable HTML page and an A4 PDF.

Both are rendered from one `NoticeContent`: the pool, its elevators with their premiums, the
insurer and its tender, the pool's available balance, the cover period, the notice days and how
to object. The PDF uses ReportLab's built-in CID font STSong-Light (Adobe-GB1), so no font file
is needed; it is rendered with ``invariant=1``, so the same notice gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import html
import io
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from xtaccounts.core.money import format_money
from xtaccounts.registry.models import VOTE_MAJORITY, VOTE_QUORUM

TITLE = "关于使用住宅专项维修资金增值收益购买电梯维修保险的公示"
FONT = "STSong-Light"


@dataclass(frozen=True)
class NoticeElevator:
    code: str
    place: str
    commissioned: dt.date
    age: int
    premium: Decimal


@dataclass(frozen=True)
class NoticeContent:
    application: str
    organisation: str
    filed: dt.date
    applicants: str
    pool: str
    pool_name: str
    pool_level: str  # 幢 or 单元
    elevators: tuple[NoticeElevator, ...]
    insurer: str
    tender: str
    tender_period: str
    premium: Decimal
    cover_start: dt.date
    cover_end: dt.date
    years: int
    pool_balance: Decimal
    balance_date: dt.date
    notice_start: dt.date
    notice_end: dt.date
    purchase_from: dt.date
    vote_quorum: Fraction = VOTE_QUORUM  # pilot.toml's, for how to object
    vote_majority: Fraction = VOTE_MAJORITY


_ZH_DIGITS = "零一二三四五六七八九"


def _zh_number(n: int) -> str:
    """一 .. 九十九 for 1..99; larger numbers in digits."""
    if n < 10:
        return _ZH_DIGITS[n]
    if n >= 100:
        return str(n)
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _ZH_DIGITS[tens]) + "十" + (_ZH_DIGITS[ones] if ones else "")


def _zh_share(share: Fraction) -> str:
    """'三分之二' for 2/3."""
    return f"{_zh_number(share.denominator)}分之{_zh_number(share.numerator)}"


def _d(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _yuan(amount: Decimal) -> str:
    whole = format_money(amount)
    integer, _, cents = whole.partition(".")
    sign = "-" if integer.startswith("-") else ""
    digits = integer.lstrip("-")
    grouped = f"{int(digits):,}"
    return f"{sign}{grouped}.{cents} 元"


def paragraphs(c: NoticeContent) -> list[tuple[str, str]]:
    """The notice's text as (heading, body) pairs, shared by the HTML and the PDF."""
    majority = (
        "过半数" if c.vote_majority == Fraction(1, 2) else f"超过{_zh_share(c.vote_majority)}"
    )
    later = (
        f"共 {c.years} 年，按年购买；以后各年保险费按中标费率及电梯届时梯龄计算。"
        if c.years > 1
        else "共 1 年。"
    )
    return [
        (
            "申请事项",
            f"{c.applicants}于{_d(c.filed)}向{c.organisation}提出申请（申请编号 {c.application}），"
            f"使用{c.pool_name}（{c.pool_level}增值收益统筹账户，编号 {c.pool}）资金，"
            f"为下列电梯购买电梯维修保险（“保险+服务”）。",
        ),
        (
            "保险机构",
            f"{c.insurer}（公开招标中标，招标编号 {c.tender}，中标期间 {c.tender_period}）。",
        ),
        (
            "保险费与保险期间",
            f"首年保险费合计 {_yuan(c.premium)}；保险期间自{_d(c.cover_start)}至{_d(c.cover_end)}，"
            f"{later}",
        ),
        (
            "统筹账户余额",
            f"截至{_d(c.balance_date)}，本统筹账户可用余额为 {_yuan(c.pool_balance)}，"
            f"足以支付至少一年的保险费 {_yuan(c.premium)}。"
            if c.pool_balance >= c.premium
            else f"截至{_d(c.balance_date)}，本统筹账户可用余额为 {_yuan(c.pool_balance)}，"
            f"尚不足一年的保险费 {_yuan(c.premium)}，须待余额足额后方可购买。",
        ),
        (
            "公示期",
            f"{_d(c.notice_start)}至{_d(c.notice_end)}，"
            f"共 {(c.notice_end - c.notice_start).days + 1} 天。"
            f"公示期内无书面异议的，自{_d(c.purchase_from)}起由统筹账户支付保险费。",
        ),
        (
            "异议方式",
            f"本统筹账户范围内的业主如有异议，请于{_d(c.notice_end)}（含当日）前以书面形式"
            f"（注明房号、异议理由并签名）向{c.organisation}或物业服务中心提出。"
            "有书面异议的，转一般使用流程表决：参与表决的业主专有部分面积和人数均不少于本统筹账户"
            f"全体业主的{_zh_share(c.vote_quorum)}，并经参与表决的业主专有部分面积{majority}"
            f"且人数{majority}同意"
            "（《中华人民共和国民法典》第二百七十八条）。",
        ),
    ]


def elevator_rows(c: NoticeContent) -> list[list[str]]:
    header = ["电梯注册代码", "所在位置", "投入使用日期", "梯龄（年）", "年保险费（元）"]
    rows = [
        [e.code, e.place, e.commissioned.isoformat(), str(e.age), format_money(e.premium)]
        for e in c.elevators
    ]
    rows.append(["合计", "", "", "", format_money(c.premium)])
    return [header, *rows]


def render_html(c: NoticeContent) -> str:
    """The notice as a self-contained HTML page sized for A4."""
    esc = html.escape
    body = []
    for heading, text in paragraphs(c):
        body.append(f"<p><strong>{esc(heading)}：</strong>{esc(text)}</p>")
        if heading == "保险机构":
            rows = elevator_rows(c)
            table = ["<table>", "<tr>" + "".join(f"<th>{esc(h)}</th>" for h in rows[0]) + "</tr>"]
            for row in rows[1:]:
                table.append("<tr>" + "".join(f"<td>{esc(v)}</td>" for v in row) + "</tr>")
            table.append("</table>")
            body.append("\n".join(table))
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>{esc(TITLE)} {esc(c.application)}</title>
<style>
@page {{ size: A4; margin: 20mm; }}
body {{ font-family: "Noto Serif CJK SC", "Source Han Serif SC", "SimSun", serif;
        font-size: 12pt; line-height: 1.7; max-width: 170mm; margin: 0 auto; }}
h1 {{ font-size: 17pt; text-align: center; }}
.no {{ text-align: right; }}
table {{ border-collapse: collapse; width: 100%; margin: 0.5em 0 1em; font-size: 10.5pt; }}
th, td {{ border: 1px solid #333; padding: 2px 5px; }}
td:nth-child(4), td:nth-child(5) {{ text-align: right; }}
.sign {{ text-align: right; margin-top: 2em; }}
</style>
</head>
<body>
<h1>{esc(TITLE)}</h1>
<p class="no">编号：{esc(c.application)}</p>
{chr(10).join(body)}
<p class="sign">{esc(c.organisation)}<br>{esc(_d(c.notice_start))}</p>
</body>
</html>
"""


def render_pdf(c: NoticeContent) -> bytes:
    """The notice as an A4 PDF (Chinese text in the built-in STSong-Light CID font)."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER, TA_RIGHT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    base = ParagraphStyle("base", fontName=FONT, fontSize=11.5, leading=19, wordWrap="CJK")
    title = ParagraphStyle("title", parent=base, fontSize=16, leading=24, alignment=TA_CENTER)
    right = ParagraphStyle("right", parent=base, alignment=TA_RIGHT)
    cell = ParagraphStyle("cell", parent=base, fontSize=9.5, leading=13)
    esc = html.escape

    story = [Paragraph(esc(TITLE), title), Spacer(1, 4 * mm)]
    story.append(Paragraph(f"编号：{esc(c.application)}", right))
    for heading, text in paragraphs(c):
        story.append(Paragraph(f"<b>{esc(heading)}：</b>{esc(text)}", base))
        story.append(Spacer(1, 2 * mm))
        if heading == "保险机构":
            rows = [[Paragraph(esc(v), cell) for v in row] for row in elevator_rows(c)]
            table = Table(rows, colWidths=[48 * mm, 45 * mm, 28 * mm, 20 * mm, 29 * mm])
            table.setStyle(
                TableStyle(
                    [
                        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ]
                )
            )
            story.extend([table, Spacer(1, 3 * mm)])
    story.append(Spacer(1, 8 * mm))
    story.append(Paragraph(esc(c.organisation), right))
    story.append(Paragraph(esc(_d(c.notice_start)), right))

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
        title=f"{TITLE} {c.application}",
        author=c.organisation,
        subject=c.application,
        creator="xtaccounts",
        invariant=1,
    )
    doc.build(story)
    return buffer.getvalue()
