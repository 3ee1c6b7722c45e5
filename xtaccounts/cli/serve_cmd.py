"""`serve`: the books in Fava, read-only, with the pilot's pages, on loopback unless told
otherwise. The books are written by the other commands only (the writer's lock, validation and
journal); `--read-only` is always on and kept for scripts that pass it."""

from __future__ import annotations

import click

from xtaccounts.cli.params import ledger_path
from xtaccounts.core.i18n import _
from xtaccounts.core.progress import step
from xtaccounts.fava_ext.serve import bind, check_host, is_loopback, make_app


@click.command("serve")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; other than loopback with a warning (Fava has no login).",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=5000,
    show_default=True,
    help="Port to listen on (0: any free port, printed on start).",
)
@click.option(
    "--read-only",
    is_flag=True,
    help="Always on (kept for scripts that pass it): Fava's read-only mode, no editor saves, "
    "no uploads, no API writes; 账簿只能通过 xtaccounts 命令写入.",
)
@click.option("--no-gzip", is_flag=True, help="Send responses uncompressed.")
@click.pass_context
def serve_cmd(ctx: click.Context, host: str, port: int, read_only: bool, no_gzip: bool) -> None:
    """Start Fava, read-only, on the books (pages 统筹账户, 统筹账户明细, 收支表, ... under
    电梯保险试点)."""
    del read_only  # always read-only
    for warning in check_host(host):
        click.echo(warning, err=True)
    # Listen first: a busy port fails at once, not after the books have loaded (minutes for a
    # whole city); a browser that connects meanwhile waits for the first page.
    serving = bind(None, host, port)
    try:
        with step(_("启动 Fava：载入账簿")):
            app = make_app(
                ledger_path(ctx),
                gzip_responses=not no_gzip,
                loopback_hosts_only=is_loopback(host),
            )
    except BaseException:
        serving.server.stop()  # its worker threads would keep the process alive
        raise
    serving.server.wsgi_app = app
    ledgers = app.config["LEDGERS"]
    slug, ledger = next(iter(ledgers.items()))
    if ledger.errors:
        click.echo(
            f"warning: the books have {len(ledger.errors)} error(s); Fava lists them under Errors",
            err=True,
        )
    click.echo(f"Serving the books (read-only) on {serving.url}")
    click.echo("  只读：账簿只能通过 xtaccounts 命令写入（带锁、校验和日志）")
    if ledger.extensions.get_extension("PilotExtension") is not None:
        click.echo(f"  pilot pages: {serving.url}{slug}/extension/PilotExtension/")
    else:
        click.echo(
            '  no pilot pages: main.beancount lacks `2000-01-01 custom "fava-extension" '
            '"xtaccounts.fava_ext"` (docs/fava.md)'
        )
    click.echo("  Ctrl-C stops.")
    serving.serve()


COMMANDS = (serve_cmd,)
