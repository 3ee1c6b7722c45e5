"""`registry check`: validate the master data."""

from __future__ import annotations

import click

from xtaccounts.books.layout import require_ledger
from xtaccounts.cli.output import emit, format_option, plain
from xtaccounts.cli.params import ledger_path
from xtaccounts.registry import RegistryInvalid, load_registry


@click.group("registry")
def registry_group() -> None:
    """The registry: communities, buildings, units, households, elevators, banks, insurers."""


@registry_group.command("check")
@format_option
@click.pass_context
def check_cmd(ctx: click.Context, fmt: str) -> None:
    """Validate every registry file; list every problem as file:line: field: message."""
    layout = require_ledger(ledger_path(ctx))
    try:
        registry = load_registry(layout.registry)
    except RegistryInvalid as exc:
        if fmt == "json":
            emit(
                "registry check",
                [plain(vars(i)) for i in exc.issues],
                ["file", "line", "field", "message"],
                fmt,
                {"ok": False},
            )
            ctx.exit(1)
        raise
    rows = [{"table": k, "rows": v} for k, v in registry.counts().items()]
    emit(
        "registry check",
        rows,
        ["table", "rows"],
        fmt,
        {"ok": True, "registry": str(layout.registry)},
    )


COMMANDS = (registry_group,)
