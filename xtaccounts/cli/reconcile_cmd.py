"""`reconcile`: 银行存款余额调节表 of each bank account, month by month, from the archived
statements."""

from __future__ import annotations

import json

import click

from xtaccounts.cli.output import format_option
from xtaccounts.cli.params import ledger_path
from xtaccounts.core.dates import parse_period
from xtaccounts.core.errors import XtError
from xtaccounts.core.i18n import N_, _
from xtaccounts.export.period import export_period
from xtaccounts.reports.bank_reconciliation import UNBALANCED, Reconciliation


def _money(value: object) -> str:
    return "—" if value is None else f"{value:,.2f}"


def reconciliations(ctx: click.Context, period: str, account: str | None) -> list[Reconciliation]:
    """The 调节表 of the period, read with the importers' reader and the ledger's layouts."""
    from importers import ledger_layouts, read_statement
    from xtaccounts.books.layout import LedgerLayout
    from xtaccounts.export.detail import person_names, text_cleaner
    from xtaccounts.reading.ledger import open_ledger
    from xtaccounts.reports.bank_reconciliation import reconcile

    main = ledger_path(ctx)
    books = open_ledger(main)
    span = export_period(parse_period(period, field="--period").text)
    banks = sorted({b.account for b in books.registry.bank_accounts.values()})
    if account is not None:
        chosen = [
            b for b in books.registry.bank_accounts.values() if account in (b.account, b.account_no)
        ]
        if not chosen:
            raise XtError(
                _("--account {account!r}：银行账户登记中没有这个账户").format(account=account)
            )
        banks = [chosen[0].account]
    layouts = ledger_layouts(LedgerLayout(main).registry)
    return reconcile(
        main,
        books.entries,
        banks,
        lambda path: read_statement(path, layouts),
        span.start,
        span.end,
        text_cleaner(person_names(books.entries)),
    )


def as_json(r: Reconciliation) -> dict:
    def items(found: list) -> list[dict]:
        return [
            {
                "date": i.date.isoformat(),
                "amount": f"{i.amount:.2f}",
                "summary": i.summary,
                "reference": i.reference,
            }
            for i in found
        ]

    return {
        "account": r.account,
        "month_end": r.month_end.isoformat(),
        "status": r.status,
        "bank_balance": None if r.bank_balance is None else f"{r.bank_balance:.2f}",
        "book_balance": f"{r.book_balance:.2f}",
        "bank_in_not_booked": items(r.bank_in),
        "bank_out_not_booked": items(r.bank_out),
        "booked_in_not_bank": items(r.books_in),
        "booked_out_not_bank": items(r.books_out),
        "adjusted_bank": None if r.adjusted_bank is None else f"{r.adjusted_bank:.2f}",
        "adjusted_books": f"{r.adjusted_books:.2f}",
    }


@click.command("reconcile")
@click.option("--period", required=True, help=N_("YYYY 或 YYYY-MM：每月一张调节表。"))
@click.option("--account", default=None, help=N_("一个银行账户（账号或科目名）。"))
@format_option
@click.pass_context
def reconcile_cmd(ctx: click.Context, period: str, account: str | None, fmt: str) -> None:
    """银行存款余额调节表：账面余额与对账单余额、各项未达账项、调节后余额；
    某月不平时退出码为 1。"""
    found = reconciliations(ctx, period, account)
    if fmt == "json":
        click.echo(
            json.dumps(
                {"period": period, "reconciliations": [as_json(r) for r in found]},
                ensure_ascii=False,
                indent=1,
            )
        )
    else:
        for r in found:
            click.echo(
                f"{r.month_end}  {r.account}  [{r.status}]  银行 {_money(r.bank_balance)}  "
                f"账面 {_money(r.book_balance)}  调节后 {_money(r.adjusted_bank)} / "
                f"{_money(r.adjusted_books)}"
            )
            for label, found_items in (
                ("银行已收、企业未收", r.bank_in),
                ("银行已付、企业未付", r.bank_out),
                ("企业已收、银行未收", r.books_in),
                ("企业已付、银行未付", r.books_out),
            ):
                for item in found_items:
                    click.echo(
                        f"    {label} {item.date} {item.amount:,.2f} {item.summary} "
                        f"{item.reference}"
                    )
    if any(r.status == UNBALANCED for r in found):
        ctx.exit(1)


COMMANDS = (reconcile_cmd,)
