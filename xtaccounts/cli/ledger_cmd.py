"""`init` and `demo build`: making ledgers."""

from __future__ import annotations

from pathlib import Path

import click

from xtaccounts.books.change_note import current_note
from xtaccounts.books.init_ledger import DEFAULT_TITLE, create_ledger, ledger_files
from xtaccounts.demo.books import build_demo


@click.command("init")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--title", default=DEFAULT_TITLE, show_default=True, help="Title shown in Fava.")
def init_cmd(directory: Path, title: str) -> None:
    """Create a new, empty, valid ledger in DIRECTORY with registry templates, and its history
    (every later change recorded: `xtaccounts history`)."""
    main = create_ledger(directory, ledger_files(title), history=current_note())
    click.echo(f"created {main} (with its history in {main.parent / '.history'})")
    click.echo(
        f"fill in {main.parent / 'registry'}, record it with `xtaccounts --ledger {main} history "
        f"record --reason 填写登记册`, then: xtaccounts --ledger {main} accounts sync"
    )


@click.group("demo")
def demo_group() -> None:
    """The embedded demo books."""


@demo_group.command("build")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("ledger"),
    show_default=True,
    help="Directory to build the demo books in.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Replace books there even if they were changed since built (the old ones are kept "
    "beside them as <out>.replaced-<timestamp>, never deleted).",
)
@click.option("--dry-run", is_flag=True, help="Build and compare, write nothing.")
def demo_build_cmd(out: Path, force: bool, dry_run: bool) -> None:
    """Build the demo books (a small invented Xiangtan) with the project's own commands.

    Books already at --out are replaced only when they are an unchanged earlier build.
    """
    kept: list[Path] = []
    main = build_demo(out, force=force, dry_run=dry_run, kept=kept)
    click.echo(f"demo books at {main}" + (" (dry run: nothing written)" if dry_run else ""))
    for aside in kept:
        click.echo(f"原有账簿未删除，已改名保留在 {aside}")


COMMANDS = (init_cmd, demo_group)
