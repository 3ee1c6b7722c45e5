"""`import`: bank statements into the books.

    xtaccounts import FILES... [--dry-run] [--no-archive] [--format table|json|csv]
    xtaccounts import run FILES...          (the same, by name)
    xtaccounts import identify FILES...     beangulp's own commands, with this ledger's importer
    xtaccounts import extract FILES... [-e LEDGER] [-o OUT]
    xtaccounts import archive FILES... [-o DIR] [-n]   (copies, never moves or overwrites)

The one-step form reads each file, classifies its lines, appends them through the writer (one
commit per file) and copies the original under documents/. A failing file prints one line
``FILE:ROW: FIELD: message`` on stderr, writes nothing, and makes the exit code 1; the other files
are imported all the same. A first argument that is not a subcommand name is a file of the
one-step form (a file called ``extract`` is ``xtaccounts import run extract``).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import beangulp
import click

from xtaccounts.cli.output import emit, format_option
from xtaccounts.cli.params import ledger_path
from xtaccounts.core.i18n import N_, _

ONE_STEP = "run"
WOULD_BOOK = "would_book"  # the dry run's count of lines it would book (never "booked")
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
        from xtaccounts.cli.beangulp_importer import StatementImporter

        self.importers = [StatementImporter(main)]
        self.hooks: list = []


@click.group("import", cls=ImportGroup, subcommand_metavar="FILES... | COMMAND [ARGS]...")
@click.pass_context
def import_group(ctx: click.Context) -> None:
    """把银行对账单导入账簿。

    \b
    xtaccounts import FILES... [--dry-run] [--no-archive] [--format table|json|csv]
        读取每个文件，记入其各行（每个文件一次提交），归档到 documents/ 下；
        与 `xtaccounts import run FILES...` 相同
    xtaccounts import identify|extract FILES...
        beangulp 自带的命令，使用本账簿的导入器
    xtaccounts import archive FILES... [-o DIR]
        复制（绝不移动、绝不覆盖）到 documents/ 或账簿之外的 DIR"""
    from beancount import loader

    # beangulp's extract loads --existing with beancount's loader: never with its pickle cache.
    loader.initialize(use_cache=False)
    ctx.obj = _Ingest(ledger_path(ctx))


@import_group.command(ONE_STEP)
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help=N_("只读取和分类，不写入也不复制。"))
@click.option("--no-archive", is_flag=True, help=N_("不把文件复制到 documents/ 下。"))
@format_option
@click.pass_context
def run_cmd(
    ctx: click.Context, files: tuple[Path, ...], dry_run: bool, no_archive: bool, fmt: str
) -> None:
    """导入对账单：逐行分类，经由写入器追加，并归档文件。"""
    from importers import ledger_layouts, read_statement_file
    from xtaccounts.books.layout import LedgerLayout
    from xtaccounts.ops.bank_statement_import import import_statements

    main = ledger_path(ctx)
    layouts = ledger_layouts(LedgerLayout(main).registry)
    report = import_statements(
        main,
        files,
        read=functools.partial(read_statement_file, profiles=layouts),
        dry_run=dry_run,
        archive=not no_archive,
    )
    rows = []
    details = []
    # A dry run books nothing: its count is what the import would book.
    booked_key = WOULD_BOOK if dry_run else "booked"
    for item in report.files:
        rows.append(
            {
                "file": str(item.path),
                "account_no": item.account_no,
                "period": item.period,
                "lines": item.lines,
                booked_key: item.booked,
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
    columns = [booked_key if c == "booked" else c for c in REPORT_COLUMNS]
    columns = columns if fmt == "table" else [*columns, "error"]
    if dry_run and fmt == "table":
        click.echo(_("试算（--dry-run）：以下是将会入账的结果，未写入任何内容"))
    emit("import", rows, columns, fmt, extra)
    if fmt == "table":
        for detail in details:
            click.echo(f"{detail['file']}:{detail['row']}: {detail['status']}: {detail['reason']}")
    for item in report.files:
        if item.error:
            click.echo(item.error, err=True)
    if not report.ok:
        ctx.exit(1)


def _copy_new(source: Path, target: Path) -> None:
    """Copy `source` to `target`, which must not exist yet (never written over), and fsync it."""
    from importers.sniff import read_file

    target.parent.mkdir(parents=True, exist_ok=True)
    content = read_file(source)
    with target.open("xb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())


@click.command("archive")
@click.argument("src", nargs=-1, type=click.Path(exists=True, resolve_path=True))
@click.option(
    "--destination",
    "-o",
    metavar="DIR",
    type=click.Path(exists=True, file_okay=False, resolve_path=True),
    help=N_("账簿之外的文档目录（默认：账簿的 documents/，经由写入器）。"),
)
@click.option("--overwrite", "-f", is_flag=True, hidden=True)
@click.option("--dry-run", "-n", is_flag=True, help=N_("只显示文件将去往何处。"))
@click.option("--failfast", "-x", is_flag=True, help=N_("遇到第一个错误即停止。"))
@click.option("--quiet", "-q", count=True, help=N_("少输出一些。"))
@click.pass_context
def archive_cmd(
    ctx: click.Context,
    src: tuple[str, ...],
    destination: str | None,
    overwrite: bool,
    dry_run: bool,
    failfast: bool,
    quiet: int,
) -> None:
    """归档对账单：把每个文件复制到 documents/<按科目分层的目录>/<日期>.<文件名>。

    与 beangulp 自带的 archive 不同，原件绝不移动，也绝不覆盖任何文件。不带 -o 时，
    副本经由
    写入器进入账簿的 documents/（与 `xtaccounts import` 归档相同：重名的加 -2、-3……；
    已归档的
    文件不再复制）。带 -o DIR（在账簿目录之外）时，目标已存在即为错误。
    只有每个文件都能读取时
    才会复制。"""
    from beangulp import archive as bg_archive
    from beangulp import exceptions as bg_exceptions
    from beangulp import utils as bg_utils

    from importers.sniff import read_file
    from xtaccounts.books.destinations import outside_books
    from xtaccounts.books.layout import require_ledger
    from xtaccounts.books.writer import LedgerWriter
    from xtaccounts.cli.beangulp_importer import reported
    from xtaccounts.core.errors import XtError
    from xtaccounts.ops.bank_statement_import import archive_target, statement_bank_account

    if overwrite:
        raise XtError("import archive 从不覆盖已有文件：不支持 --overwrite/-f")
    main = ledger_path(ctx)
    layout = require_ledger(main)
    if destination is not None:
        outside_books(destination, main, option="--destination/-o")
    importer = ctx.obj.importers[0]
    log = bg_utils.logger(-quiet, err=True)
    errors = bg_exceptions.ExceptionsTrap(log)
    found: list[tuple[Path, Any]] = []  # (file, its statement, or its -o target)
    targets: set[Path] = set()
    for filename in bg_utils.walk(src):
        log(f"* {filename}", nl=False)
        with errors:
            if not importer.identify(filename):
                log("")
                continue
            with reported(filename):
                if destination is None:
                    statement = importer.statement(filename)
                    statement_bank_account(importer.registry, statement)
                    found.append((Path(filename), statement))
                else:
                    target = Path(destination) / bg_archive.filepath(importer, filename)
                    if target in targets or os.path.lexists(target):
                        raise XtError(f"归档目标 {target} 已存在：不覆盖")
                    targets.add(target)
                    found.append((Path(filename), target))
            log(" OK", fg="green")
        if failfast and errors:
            break
    if errors:
        log("# 有错误：没有归档任何文件（原文件都在原处）")
        ctx.exit(1)
    if destination is not None:
        for source, target in found:
            log(f"  {source} -> {target}")
            if not dry_run:
                try:
                    _copy_new(source, target)
                except FileExistsError as exc:
                    raise XtError(f"{source}: 归档目标 {target} 已存在：不覆盖") from exc
        return
    with LedgerWriter(layout.main) as session:
        for source, statement in found:
            bank = statement_bank_account(importer.registry, statement)
            content = read_file(source)
            relpath, new = archive_target(layout, statement, bank, source, content)
            log(f"  {source} -> {relpath}" + ("" if new else "（已归档，不再复制）"))
            if new and not dry_run:
                session.put_standalone(relpath, content)
                session.commit()


@click.command("identify")
@click.argument("src", nargs=-1, type=click.Path(exists=True, resolve_path=True))
@click.option("--failfast", "-x", is_flag=True, help=N_("遇到第一个错误即停止。"))
@click.option("--verbose", "-v", is_flag=True, help=N_("同时显示每份对账单的账户。"))
@click.pass_context
def identify_cmd(ctx: click.Context, src: tuple[str, ...], failfast: bool, verbose: bool) -> None:
    """说明哪些文件是哪种格式的对账单；没有格式能读取的文件，说明最接近的格式以及文件缺少什
    么
    （缺少的列、不认识的表头词）。只有出错时退出码为 1（文件超出限制、带 -v 时账户未知）
    。"""
    from beangulp import exceptions as bg_exceptions
    from beangulp import utils as bg_utils

    importer = ctx.obj.importers[0]
    log = bg_utils.logger(1)
    errors = bg_exceptions.ExceptionsTrap(log)
    for filename in bg_utils.walk(src):
        log(f"* {filename}", nl=False)
        with errors:
            profile = importer.layout_of(filename)
            if profile is None:
                log("")
                log(f"  未识别：{importer.why_not(filename)}")
                continue
            account = importer.account(filename) if verbose else None
            log(" ... OK", fg="green")
            log(f"  格式 {profile.id}（{profile.bank_name}）")
            if account is not None:
                log(f"  {account}")
        if failfast and errors:
            break
    if errors:
        ctx.exit(1)


def _named_but_unread(ctx: click.Context, src: tuple[str, ...]) -> list[str]:
    """The files named on the command line (not found in a directory) that no layout reads,
    each reported on stderr with the reason."""
    importer = ctx.obj.importers[0]
    unread = []
    for name in src:
        if os.path.isfile(name) and not importer.identify(name):
            click.echo(f"* {name}\n  ERROR\n  {name}: {importer.why_not(name)}", err=True)
            unread.append(name)
    return unread


def _new_file_extract(extract: click.Command) -> click.Command:
    """beangulp's extract, whose -o must be a new file outside the books (its own opens any
    path for writing and would truncate a ledger file: `-o L/accounts.beancount`), and which
    exits 1 when a file named on the command line is no statement it can read (with the
    reason: the layout that came closest), as it does for any other error it prints."""
    original = extract.callback
    assert original is not None

    def callback(**kwargs: Any) -> Any:
        from beangulp import exceptions as bg_exceptions

        from xtaccounts.books.destinations import outside_books
        from xtaccounts.core.errors import XtError

        ctx = click.get_current_context()
        output = kwargs["output"]
        if output != "-":
            outside_books(output, ledger_path(ctx), option="--output/-o")
            if os.path.lexists(output):
                raise XtError(f"--output/-o {output} 已存在：extract 不覆盖文件，请换一个新文件名")
        try:
            unread = _named_but_unread(ctx, kwargs["src"])
        except bg_exceptions.Error as exc:
            raise XtError(str(exc)) from None
        kwargs["src"] = tuple(name for name in kwargs["src"] if name not in unread)
        if kwargs["src"]:
            try:
                _extract_to(original, kwargs)
            except SystemExit as exc:
                if exc.code:
                    ctx.exit(1)
                raise
        if unread:
            ctx.exit(1)

    params = [
        click.Option(
            ["--output", "-o"],
            type=click.Path(dir_okay=False, allow_dash=True),
            default="-",
            help=N_("账簿之外的新文件（绝不覆盖）；默认：标准输出。"),
        )
        if param.name == "output"
        else param
        for param in extract.params
    ]
    return click.Command(
        "extract", callback=callback, params=params, help=extract.help, short_help=None
    )


def _extract_to(original: Callable[..., Any], kwargs: dict[str, Any]) -> None:
    """Run beangulp's extract into standard output or into a new file (opened exclusively)."""
    from xtaccounts.core.errors import XtError

    output = kwargs["output"]
    if output == "-":
        kwargs["output"] = click.open_file("-", "w")  # standard output, kept open
        original(**kwargs)
        return
    try:
        handle = open(output, "x", encoding="utf-8")  # noqa: SIM115 - closed below
    except FileExistsError as exc:
        raise XtError(f"--output/-o {output} 已存在：extract 不覆盖文件，请换一个新文件名") from exc
    with handle:
        kwargs["output"] = handle
        original(**kwargs)


def _beangulp_commands() -> dict[str, click.Command]:
    commands = beangulp.Ingest([]).cli.commands
    return {
        "identify": identify_cmd,
        "extract": _new_file_extract(commands["extract"]),
        "archive": archive_cmd,
    }


for _command in _beangulp_commands().values():
    import_group.add_command(_command)

COMMANDS = (import_group,)
