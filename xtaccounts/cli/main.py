"""The `xtaccounts` group: the --ledger option and library errors as one-line messages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from xtaccounts import __version__
from xtaccounts.errors import XtError
from xtaccounts.layout import resolve_main


class LibraryErrorGroup(click.Group):
    """A group that turns library errors into click errors (exit 1, message, no traceback)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except XtError as exc:
            raise click.ClickException(str(exc)) from exc


@click.group(cls=LibraryErrorGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--ledger",
    "ledger",
    type=click.Path(path_type=Path),
    envvar="XT_LEDGER",
    default=None,
    help="Top-level ledger file or its directory (default: $XT_LEDGER, ledger/main.beancount).",
)
@click.version_option(__version__, prog_name="xtaccounts")
@click.pass_context
def cli(ctx: click.Context, ledger: Path | None) -> None:
    """湘潭市住宅专项维修资金 电梯维修保险试点 — the books on Beancount."""
    ctx.obj = resolve_main(ledger)


def ledger_path(ctx: click.Context) -> Path:
    """The top-level ledger file chosen for this run."""
    return ctx.find_root().obj


def _register() -> None:
    from xtaccounts.cli import (
        accounts_cmd,
        allocate_cmd,
        audit_cmd,
        close_cmd,
        deposit_cmd,
        export_cmd,
        import_cmd,
        insurance_cmd,
        interest_cmd,
        ledger_cmd,
        pool_cmd,
        registry_cmd,
        reports_cmd,
        serve_cmd,
    )

    modules = (
        ledger_cmd,
        registry_cmd,
        accounts_cmd,
        deposit_cmd,
        interest_cmd,
        allocate_cmd,
        pool_cmd,
        close_cmd,
        reports_cmd,
        import_cmd,
        insurance_cmd,
        export_cmd,
        audit_cmd,
        serve_cmd,
    )
    for module in modules:
        for command in module.COMMANDS:
            cli.add_command(command)


_register()
