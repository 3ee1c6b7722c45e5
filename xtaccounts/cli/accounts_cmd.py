"""`accounts sync`: open what the registry calls for."""

from __future__ import annotations

import click

from xtaccounts.cli.output import emit, format_option
from xtaccounts.cli.params import ledger_path
from xtaccounts.core.i18n import N_
from xtaccounts.ops.accounts_sync import sync_accounts


@click.group("accounts")
def accounts_group() -> None:
    """科目表。"""


@accounts_group.command("sync")
@click.option("--dry-run", is_flag=True, help=N_("只显示将开设的科目，不写入。"))
@format_option
@click.pass_context
def sync_cmd(ctx: click.Context, dry_run: bool, fmt: str) -> None:
    """补记登记册需要而账簿缺少的 `open` 指令（可重复执行）。"""
    report = sync_accounts(ledger_path(ctx), dry_run=dry_run)
    rows = [{"account": spec.name, "opened": spec.opened} for spec in report.opened]
    rows += [
        {"account": name, "opened": "", "note": "not in registry"} for name in report.unexpected
    ]
    emit(
        "accounts sync",
        rows,
        ["account", "opened", "note"],
        fmt,
        {"opened": len(report.opened), "unexpected": len(report.unexpected), "dry_run": dry_run},
    )


COMMANDS = (accounts_group,)
