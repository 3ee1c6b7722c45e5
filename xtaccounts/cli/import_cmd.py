"""`import`: bank statements into the books.

    xtaccounts import FILES... [--dry-run] [--no-archive] [--format table|json|csv]
    xtaccounts import run FILES...          (the same, by name)
    xtaccounts import identify FILES...     beangulp's own commands, with this ledger's importer
    xtaccounts import extract FILES... [-e LEDGER] [-o OUT]
    xtaccounts import archive FILES... [-o DIR] [-n]

The one-step form reads each file, classifies its lines, appends them through the writer (one
commit per file) and copies the original under documents/. A failing file prints one line
``FILE:ROW: FIELD: message`` on stderr, writes nothing, and makes the exit code 1; the other files
are imported all the same. A first argument that is not a subcommand name is a file of the
one-step form (a file called ``extract`` is ``xtaccounts import run extract``).
"""

from __future__ import annotations

import itertools
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import beangulp
import click

from xtaccounts.cli.main import ledger_path
from xtaccounts.cli.output import emit, format_option

ONE_STEP = "run"
PROGRESS_MIN_LINES = 20_000
REPORT_COLUMNS = [
    "file",
    "account_no",
    "period",
    "lines",
    "booked",
    "skipped",
    "suspense",
    "assertions",
    "archived",
    "status",
]


class ImportGroup(click.Group):
    """A group whose arguments, when the first is not one of its commands, go to `run`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = [ONE_STEP, *args]
        return super().parse_args(ctx, args)


class _Ingest:
    """What beangulp's commands expect as their context object."""

    def __init__(self, main: Path) -> None:
        from importers.beangulp_importer import StatementImporter

        self.importers = [StatementImporter(main)]
        self.hooks: list = []


class ProgressBar:
    """The reader's progress callback (lines read so far): a bar on stderr for long statements.

    The bar appears only when stderr is a terminal or more than `PROGRESS_MIN_LINES` lines have
    been read, so scripts see nothing for ordinary files (click draws no bar on a pipe, only
    the label). A count lower than the last one starts the next file's bar.
    """

    def __init__(self, label: str = "reading statement") -> None:
        self.label = label
        self._bar: Any = None
        self._done = 0

    def __call__(self, done: int) -> None:
        if done < self._done:
            self.close()
        if self._bar is None:
            if not (sys.stderr.isatty() or done > PROGRESS_MIN_LINES):
                self._done = done
                return
            self._bar = click.progressbar(
                itertools.count(), label=self.label, file=sys.stderr, show_pos=True
            ).__enter__()
        if done > self._done:
            self._bar.update(done - self._done)
        self._done = done

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None
        self._done = 0


@click.group("import", cls=ImportGroup, subcommand_metavar="FILES... | COMMAND [ARGS]...")
@click.pass_context
def import_group(ctx: click.Context) -> None:
    """Bank statements into the books.

    \b
    xtaccounts import FILES... [--dry-run] [--no-archive] [--format table|json|csv]
        reads each file, books its lines (one commit per file), archives it under documents/;
        the same as `xtaccounts import run FILES...`
    xtaccounts import identify|extract|archive FILES...
        beangulp's own commands with this ledger's importer
    """
    from beancount import loader

    # beangulp's extract loads --existing with beancount's loader: never with its pickle cache.
    loader.initialize(use_cache=False)
    ctx.obj = _Ingest(ledger_path(ctx))


@import_group.command(ONE_STEP)
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="Read and classify; write and copy nothing.")
@click.option("--no-archive", is_flag=True, help="Do not copy the files under documents/.")
@format_option
@click.pass_context
def run_cmd(
    ctx: click.Context, files: tuple[Path, ...], dry_run: bool, no_archive: bool, fmt: str
) -> None:
    """Import statements: classify each line, append through the writer, archive the file."""
    from xtaccounts.statement_import import import_statements

    bar = ProgressBar()
    try:
        report = import_statements(
            ledger_path(ctx), files, dry_run=dry_run, archive=not no_archive, progress=bar
        )
    finally:
        bar.close()
    rows = []
    details = []
    for item in report.files:
        rows.append(
            {
                "file": str(item.path),
                "account_no": item.account_no,
                "period": item.period,
                "lines": item.lines,
                "booked": item.booked,
                "skipped": item.skipped,
                "suspense": item.suspense,
                "assertions": item.assertions,
                "archived": item.archived,
                "status": "error" if item.error else ("dry-run" if dry_run else "ok"),
                "error": item.error,
            }
        )
        if item.plan is not None:
            for line in item.plan.lines:
                if line.status != "booked":
                    details.append(
                        {
                            "file": str(item.path),
                            "row": line.line.row,
                            "date": line.line.date,
                            "amount": Decimal(line.line.amount),
                            "status": line.status,
                            "rule": line.rule,
                            "reason": line.reason,
                        }
                    )
    extra: dict[str, Any] = {"dry_run": dry_run, "ok": report.ok}
    if fmt == "json":
        extra["lines"] = details
    columns = REPORT_COLUMNS if fmt == "table" else [*REPORT_COLUMNS, "error"]
    emit("import", rows, columns, fmt, extra)
    if fmt == "table":
        for line in details:
            click.echo(f"{line['file']}:{line['row']}: {line['status']}: {line['reason']}")
    for item in report.files:
        if item.error:
            click.echo(item.error, err=True)
    if not report.ok:
        ctx.exit(1)


def _beangulp_commands() -> dict[str, click.Command]:
    commands = beangulp.Ingest([]).cli.commands
    archive = commands["archive"]
    original = archive.callback
    assert original is not None

    def archive_callback(**kwargs: Any) -> Any:
        if kwargs.get("destination") is None:
            layout_main = ledger_path(click.get_current_context())
            documents = layout_main.parent / "documents"
            documents.mkdir(parents=True, exist_ok=True)
            kwargs["destination"] = str(documents)
        return original(**kwargs)

    mounted_archive = click.Command(
        "archive",
        callback=archive_callback,
        params=archive.params,
        help=(archive.help or "")
        + "\n\nWithout --destination the documents go under the ledger's documents/ folder.",
        short_help="Archive documents (move them under documents/).",
    )
    return {
        "identify": commands["identify"],
        "extract": commands["extract"],
        "archive": mounted_archive,
    }


for _command in _beangulp_commands().values():
    import_group.add_command(_command)

COMMANDS = (import_group,)
