"""`export`: the statutory statements and their detail as files for the finance bureau."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from xtaccounts.cli.params import DATE, ledger_path
from xtaccounts.core.dates import parse_period
from xtaccounts.export import FORMATS, export_books, parse_formats


@click.command("export")
@click.option("--period", required=True, help="YYYY (a year, with 03表) or YYYY-MM (a month).")
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Directory to create (written whole or not at all).",
)
@click.option(
    "--format",
    "formats",
    default=",".join(FORMATS),
    show_default=True,
    help="Comma-separated: xlsx (one workbook), csv (UTF-8 BOM), json.",
)
@click.option("--replace", is_flag=True, help="Replace an existing --out directory whole.")
@click.option("--issued", type=DATE, default=None, help="报出日期 on the forms (default: today).")
@click.pass_context
def export_cmd(
    ctx: click.Context,
    period: str,
    out: Path,
    formats: str,
    replace: bool,
    issued: dt.date | None,
) -> None:
    """会住维01/02/03表 and the detail (pools, premiums, spread, allocations, disclosure,
    coverage) as xlsx/CSV/JSON with a manifest of SHA-256 and control totals."""
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
        click.echo(
            f"warning: the books have {result.books_errors} error(s); run bean-check", err=True
        )
    click.echo(f"exported {result.period.text} to {result.out}: {len(result.files)} file(s)")
    for file in result.files:
        click.echo(f"  {file['path']}  {file['sha256'][:16]}…")
    for check in result.checks:
        click.echo(f"  [{'ok' if check.ok else 'FAILED'}] {check.name}: {check.detail}")
    if result.history_head:
        click.echo(f"  history head (历史头，财政局留存): {result.history_head}")
    click.echo(f"  {result.seconds['total']:.2f} s")
    failed = [c.name for c in result.checks if not c.ok]
    if failed:
        raise click.ClickException(
            f"{len(failed)} tie-out check(s) failed (written anyway, see manifest.json): "
            + "; ".join(failed)
        )


COMMANDS = (export_cmd,)
