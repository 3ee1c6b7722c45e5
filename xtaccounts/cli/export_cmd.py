"""`export`: the statutory statements and their detail as files for the finance bureau."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from xtaccounts.cli.output import books_errors_warning
from xtaccounts.cli.params import DATE, ledger_path
from xtaccounts.core.dates import parse_period
from xtaccounts.core.i18n import N_, _
from xtaccounts.export import FORMATS, export_books, parse_formats


@click.command("export")
@click.option("--period", required=True, help=N_("YYYY（一年，含03表）或 YYYY-MM（一个月）。"))
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help=N_("要创建的目录（要么完整写入，要么完全不写）。"),
)
@click.option(
    "--format",
    "formats",
    default=",".join(FORMATS),
    show_default=True,
    help=N_("逗号分隔：xlsx（一个工作簿）、csv（UTF-8 BOM）、json。"),
)
@click.option("--replace", is_flag=True, help=N_("整体替换已有的 --out 目录。"))
@click.option("--issued", type=DATE, default=None, help=N_("报表上的报出日期（默认：今天）。"))
@click.pass_context
def export_cmd(
    ctx: click.Context,
    period: str,
    out: Path,
    formats: str,
    replace: bool,
    issued: dt.date | None,
) -> None:
    """会住维01/02/03表及明细（统筹账户、保费、利差、分配、公开、保险覆盖率），导出为
    xlsx/CSV/JSON，附带 SHA-256 与控制总数的清单。"""
    period = parse_period(period, field="--period").text
    from importers import ledger_layouts, read_statement
    from xtaccounts.books.layout import LedgerLayout

    main = ledger_path(ctx)
    layouts = ledger_layouts(LedgerLayout(main).registry)
    result = export_books(
        main,
        period,
        out,
        parse_formats(formats),
        replace=replace,
        issued=issued,
        read_statement=lambda path: read_statement(path, layouts),
    )
    if result.books_errors:
        click.echo(books_errors_warning(result.books_errors), err=True)
    click.echo(
        _("已导出 {period} 到 {out}：{count} 个文件").format(
            period=result.period.text, out=result.out, count=len(result.files)
        )
    )
    for file in result.files:
        click.echo(f"  {file['path']}  {file['sha256'][:16]}…")
    for check in result.checks:
        status = _("通过") if check.ok else _("未通过")
        click.echo(f"  [{status}] {check.name}: {check.detail}")
    if result.history_head:
        click.echo("  " + _("历史头（财政局留存）：{head}").format(head=result.history_head))
    click.echo(f"  {result.seconds['total']:.2f} s")
    failed = [c.name for c in result.checks if not c.ok]
    if failed:
        raise click.ClickException(
            _("{count} 项勾稽检查未通过（仍已写出，见 manifest.json）：").format(count=len(failed))
            + "；".join(failed)
        )


COMMANDS = (export_cmd,)
