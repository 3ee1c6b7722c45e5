"""`init` and `demo build`: making ledgers."""

from __future__ import annotations

from pathlib import Path

import click

from xtaccounts.demo import build_demo
from xtaccounts.init_ledger import DEFAULT_TITLE, create_ledger, ledger_files


@click.command("init")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--title", default=DEFAULT_TITLE, show_default=True, help="Title shown in Fava.")
def init_cmd(directory: Path, title: str) -> None:
    """Create a new, empty, valid ledger in DIRECTORY with registry templates."""
    main = create_ledger(directory, ledger_files(title))
    click.echo(f"created {main}")
    click.echo(
        f"fill in {main.parent / 'registry'}, then: xtaccounts --ledger {main} accounts sync"
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
@click.option("--force", is_flag=True, help="Replace books there even if they are not the demo's.")
def demo_build_cmd(out: Path, force: bool) -> None:
    """Build the demo books (a small invented Xiangtan) with the project's own commands."""
    main = build_demo(out, force=force)
    click.echo(f"demo books at {main}")


COMMANDS = (init_cmd, demo_group)
