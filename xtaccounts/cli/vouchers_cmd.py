"""`vouchers`: the 记账凭证 of a period, printed as PDF (or listed)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from xtaccounts.books.destinations import outside_books
from xtaccounts.cli.output import format_option
from xtaccounts.cli.params import ledger_path
from xtaccounts.core.capital_amount import capital_amount
from xtaccounts.core.dates import parse_period
from xtaccounts.core.i18n import N_
from xtaccounts.export.period import export_period
from xtaccounts.reports.voucher_pdf import render_vouchers_pdf
from xtaccounts.reports.vouchers import ledger_vouchers


def write_file(path: Path, content: bytes) -> None:
    """Write `path` whole or not at all (a temporary file beside it, then renamed)."""
    tmp = path.with_name(f".{path.name}.xt-tmp")
    try:
        tmp.write_bytes(content)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


@click.command("vouchers")
@click.option("--period", required=True, help=N_("YYYY 或 YYYY-MM：日期在其中的凭证。"))
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help=N_("要写入的 PDF（在账簿之外）；不给出时列出凭证。"),
)
@format_option
@click.pass_context
def vouchers_cmd(ctx: click.Context, period: str, out: Path | None, fmt: str) -> None:
    """记账凭证：期间内的每张凭证（日期、凭证号、摘要、科目、借/贷、合计及大写、附件），
    输出为待签字的 PDF（--out）或列出。"""
    main = ledger_path(ctx)
    span = export_period(parse_period(period, field="--period").text)
    vouchers, organisation, _ = ledger_vouchers(main, span.start, span.end)
    if out is not None:
        target = outside_books(out, main, option="--out")
        write_file(target, render_vouchers_pdf(vouchers, organisation, span.label))
        click.echo(f"记账凭证 {span.label}：{len(vouchers)} 张，已写入 {target}")
        return
    rows = [
        {
            "date": v.date.isoformat(),
            "voucher": v.number,
            "summary": v.summary,
            "debit": f"{v.debit:.2f}",
            "credit": f"{v.credit:.2f}",
            "capital": capital_amount(v.debit),
            "attachments": v.attachments,
            "lines": [
                {
                    "code": line.code,
                    "account": f"{line.code_name} {line.detail}".strip(),
                    "debit": f"{line.debit:.2f}",
                    "credit": f"{line.credit:.2f}",
                }
                for line in v.lines
            ],
        }
        for v in vouchers
    ]
    if fmt == "json":
        import json

        click.echo(
            json.dumps({"period": span.text, "vouchers": rows}, ensure_ascii=False, indent=1)
        )
        return
    for row in rows:
        click.echo(
            f"{row['date']}  {row['voucher']}  {row['debit']:>14}  附件{row['attachments']}  "
            f"{row['summary']}"
        )
    click.echo(f"共 {len(rows)} 张")


COMMANDS = (vouchers_cmd,)
