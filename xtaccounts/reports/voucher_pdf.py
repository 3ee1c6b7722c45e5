"""The vouchers of a period as a PDF, one 记账凭证 a page (A5 landscape, as the printed forms).

Each page: 记账凭证, the organisation, 日期 and 凭证号, 附件 N 张; a table of 摘要, 科目 (statutory
code and name, and the 明细科目), 借方金额, 贷方金额; the 合计 line in figures and in 大写; the
制单, 审核, 记账, 出纳 lines left blank to sign. A voucher longer than a page goes on over the next,
its header repeated. Chinese text in ReportLab's built-in STSong-Light CID font, as the notices
(no font file needed; a reader substitutes an installed CJK font, Noto CJK on Debian).
"""

from __future__ import annotations

import html
import io
from collections.abc import Sequence
from decimal import Decimal

from xtaccounts.core.capital_amount import capital_amount
from xtaccounts.reports.vouchers import Voucher

FONT = "STSong-Light"
TITLE = "记 账 凭 证"


def _money(amount: Decimal) -> str:
    return "" if amount == 0 else f"{amount:,.2f}"


def render_vouchers_pdf(vouchers: Sequence[Voucher], organisation: str, title: str) -> bytes:
    """The PDF of `vouchers` (`title` names the period in the document's properties)."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
    from reportlab.lib.pagesizes import A5, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import (
        PageBreak,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    base = ParagraphStyle("base", fontName=FONT, fontSize=9, leading=12, wordWrap="CJK")
    head = ParagraphStyle("head", parent=base, fontSize=17, leading=22, alignment=TA_CENTER)
    left = ParagraphStyle("left", parent=base, alignment=TA_LEFT)
    center = ParagraphStyle("center", parent=base, alignment=TA_CENTER)
    right = ParagraphStyle("right", parent=base, alignment=TA_RIGHT)
    cell = ParagraphStyle("cell", parent=base, fontSize=8.5, leading=11)
    number = ParagraphStyle("number", parent=cell, alignment=TA_RIGHT)
    red = ParagraphStyle("red", parent=number, textColor=colors.red)
    esc = html.escape
    width = landscape(A5)[0] - 24 * mm
    columns = [0.27, 0.25, 0.18, 0.15, 0.15]

    def amount(value: Decimal) -> Paragraph:
        return Paragraph(esc(_money(value)), red if value < 0 else number)

    story: list = []
    for index, voucher in enumerate(vouchers):
        if index:
            story.append(PageBreak())
        story.append(Paragraph(TITLE, head))
        story.append(Spacer(1, 1.5 * mm))
        # The first two rows (the voucher's number and date, the headings) repeat on every page
        # a long voucher takes.
        rows: list[list] = [
            [
                Paragraph(esc(organisation), left),
                "",
                Paragraph(f"{voucher.date:%Y年%m月%d日}", center),
                Paragraph(f"凭证号：{esc(voucher.number)}", right),
                "",
            ],
            [
                Paragraph(t, center)
                for t in ("摘要", "总账科目", "明细科目", "借方金额", "贷方金额")
            ],
        ]
        for line in voucher.lines:
            account = f"{line.code} {line.code_name}".strip() or line.account
            rows.append(
                [
                    Paragraph(esc(line.summary), cell),
                    Paragraph(esc(account), cell),
                    Paragraph(esc(line.detail), cell),
                    amount(line.debit),
                    amount(line.credit),
                ]
            )
        words = capital_amount(voucher.debit)
        rows.append(
            [
                Paragraph(f"合计（大写）：人民币{esc(words)}", cell),
                "",
                "",
                amount(voucher.debit),
                amount(voucher.credit),
            ]
        )
        table = Table(rows, colWidths=[width * c for c in columns], repeatRows=2)
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 1), (-1, -1), 0.5, colors.black),
                    ("BOX", (0, 1), (-1, -1), 1.2, colors.black),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("SPAN", (0, 0), (1, 0)),
                    ("SPAN", (3, 0), (4, 0)),
                    ("LEFTPADDING", (0, 0), (0, 0), 0),
                    ("RIGHTPADDING", (3, 0), (4, 0), 0),
                    ("SPAN", (0, len(rows) - 1), (2, len(rows) - 1)),
                    ("BACKGROUND", (0, 1), (-1, 1), colors.HexColor("#f2f2f2")),
                ]
            )
        )
        story.append(table)
        story.append(Spacer(1, 2 * mm))
        signs = Table(
            [
                [
                    Paragraph("制单：", left),
                    Paragraph("审核：", left),
                    Paragraph("记账：", left),
                    Paragraph("出纳：", left),
                    Paragraph(f"附件 {voucher.attachments} 张", right),
                ]
            ],
            colWidths=[width * 0.2] * 5,
        )
        signs.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0)]))
        story.append(signs)

    if not story:
        story.append(Paragraph("本期没有记账凭证", head))
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A5),
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=10 * mm,
        bottomMargin=10 * mm,
        title=f"记账凭证 {title}",
        author=organisation,
        creator="xtaccounts",
        invariant=1,
    )
    doc.build(story)
    return buffer.getvalue()
