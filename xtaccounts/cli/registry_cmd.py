"""`registry`: check the master data, change it by command, list its recorded changes.

    xtaccounts registry check
    xtaccounts registry notice add FILE.csv|FILE.xlsx
    xtaccounts registry notice add --notice-no N --household H --amount A --date D
    xtaccounts registry tender add --id T --insurer I --from D --to D --band 10=2400.00 …
                                  --source 文号
    xtaccounts registry pilot set SETTING VALUE --source 文号 [--date D]
    xtaccounts registry history

Every change is validated as `registry check` validates, written under the books' lock and kept
in their history with what changed and why (`xtaccounts.books.registry_changes`); a refused
change writes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from xtaccounts.books.layout import require_ledger
from xtaccounts.cli.output import emit, format_option, plain, report_format_option
from xtaccounts.cli.params import DATE, MONEY, dry_run_option, ledger_path
from xtaccounts.core.errors import XtError
from xtaccounts.core.i18n import _
from xtaccounts.registry import RegistryInvalid, load_registry
from xtaccounts.registry.load import RegistryIssue


@click.group("registry")
def registry_group() -> None:
    """登记册：小区、幢、单元、住户、电梯、银行、保险公司。"""


@registry_group.command("check")
@format_option
@click.pass_context
def check_cmd(ctx: click.Context, fmt: str) -> None:
    """校验每个登记册文件（以及 registry/bank_layouts/ 中的银行格式）；每个问题列为
    文件:行: 字段: 说明。"""
    from importers.layout_files import REGISTRY_SUBDIR, check_ledger_layouts

    layout = require_ledger(ledger_path(ctx))
    layout_issues = [
        RegistryIssue(
            _relative(issue.file, layout.registry), issue.line, issue.field, issue.message
        )
        for issue in check_ledger_layouts(layout.registry)
    ]
    try:
        registry = load_registry(layout.registry)
        if layout_issues:
            raise RegistryInvalid(layout_issues)
    except RegistryInvalid as exc:
        issues = sorted({*exc.issues, *layout_issues})
        if fmt == "json":
            emit(
                "registry check",
                [plain(vars(i)) for i in issues],
                ["file", "line", "field", "message"],
                fmt,
                {"ok": False},
            )
            ctx.exit(1)
        raise RegistryInvalid(issues) from None
    rows = [{"table": k, "rows": v} for k, v in registry.counts().items()]
    own = sorted((layout.registry / REGISTRY_SUBDIR).glob("*.toml"))
    if own:
        rows.append({"table": REGISTRY_SUBDIR, "rows": len(own)})
    emit(
        "registry check",
        rows,
        ["table", "rows"],
        fmt,
        {"ok": True, "registry": str(layout.registry)},
    )


def _relative(file: str, registry: Path) -> str:
    """A layout file's name as the registry's other issues name theirs (from registry/)."""
    path = Path(file)
    return str(path.relative_to(registry)) if path.is_relative_to(registry) else file


# --- changes by command ----------------------------------------------------------------------


def _commit(ctx: click.Context, command: str, make: Any, dry_run: bool, fmt: str) -> None:
    """Write the change `make` computes (or only show it) and report it."""
    from xtaccounts.books.registry_changes import commit_registry_change

    change, _result = commit_registry_change(ledger_path(ctx), make, dry_run=dry_run)
    rows = [{"change": line} for line in change.details]
    status = _("未写入（--dry-run）") if dry_run else _("已写入并记入变更历史")
    extra = {
        "summary": change.summary,
        "files": [f"registry/{name}" for name in sorted(change.files)],
        "status": status,
        "dry_run": dry_run,
    }
    emit(command, rows, ["change"], fmt, extra)


def _table_rows(path: Path) -> list[tuple[int, list[str]]]:
    """The rows (file row number, cells) of the first non-empty sheet of a CSV (UTF-8 or
    GB18030) or xlsx/xls file, read with the statements' reader and its limits."""
    from importers.sniff import read_file, sniff_bytes
    from importers.table import read_table

    data = read_file(path)
    sheets = read_table(data, sniff_bytes(data[:65536], data))
    for sheet in sheets:
        if sheet.rows:
            return [(sheet.row_number(i), list(row)) for i, row in enumerate(sheet.rows)]
    return []


@registry_group.group("notice")
def notice_group() -> None:
    """缴款通知书 (payment notices): add them from the housing authority's list or one by one."""


@notice_group.command("add")
@click.argument("file", required=False, type=click.Path(path_type=Path))
@click.option("--notice-no", default=None, help="缴款通知书编号 (one notice by options).")
@click.option(
    "--household", "households", multiple=True, help="房屋编号; repeat with --amount for each."
)
@click.option("--amount", "amounts", type=MONEY, multiple=True, help="应缴金额 of each household.")
@click.option("--date", "day", type=DATE, default=None, help="开具日期 (issued).")
@dry_run_option
@format_option
@click.pass_context
def notice_add_cmd(
    ctx: click.Context,
    file: Path | None,
    notice_no: str | None,
    households: tuple[str, ...],
    amounts: tuple[Decimal, ...],
    day: dt.date | None,
    dry_run: bool,
    fmt: str,
) -> None:
    """Add payment notices: FILE.csv|FILE.xlsx as the housing authority exports them (columns
    notice_no, household, amount, issued or their Chinese names 通知书编号, 房屋编号, 金额,
    开具日期), or one notice with --notice-no, --household/--amount (repeated), --date. A notice
    already registered, an unknown household or a bad cell is refused; nothing is written."""
    from xtaccounts.registry.changes import add_notices, notices_from_table

    by_option = notice_no is not None or households or amounts or day is not None
    if file is not None and by_option:
        raise XtError(_("给出文件或 --notice-no 等选项，二者选一"))
    if file is not None:
        table = notices_from_table(file.name, _table_rows(file))
    else:
        if not (notice_no and households and day):
            raise XtError(_("逐份登记须给出 --notice-no、--household、--amount 和 --date"))
        if len(households) != len(amounts):
            raise XtError(
                _("--household 有 {households} 个、--amount 有 {amounts} 个：须对应").format(
                    households=len(households), amounts=len(amounts)
                )
            )
        header = ["notice_no", "household", "amount", "issued"]
        cells = [
            [notice_no, h, str(a), day.isoformat()]
            for h, a in zip(households, amounts, strict=True)
        ]
        table = notices_from_table(_("命令行"), [(0, header), *((0, c) for c in cells)])

    def make(directory: Path, files: Mapping[str, bytes | None]) -> Any:
        return add_notices(directory, files, table)

    _commit(ctx, "registry notice add", make, dry_run, fmt)


@registry_group.group("tender")
def tender_group() -> None:
    """招标结果 (tender results) in insurers.toml."""


@tender_group.command("add")
@click.option("--id", "tender_id", required=True, help="The tender's id (e.g. T2026-01).")
@click.option("--insurer", required=True, help="The insurer's id in insurers.toml.")
@click.option("--insurer-name", default=None, help="A new insurer's name (adds it).")
@click.option("--from", "period_start", type=DATE, required=True, help="First day covered.")
@click.option("--to", "period_end", type=DATE, required=True, help="Last day covered.")
@click.option(
    "--band", "bands", multiple=True, required=True, help="MAX_AGE=ANNUAL_PREMIUM, e.g. 10=2400.00."
)
@click.option("--max-age", type=int, default=None, help="Oldest elevator insured (years).")
@click.option("--source", default=None, help="The tender result's document number (文号).")
@dry_run_option
@format_option
@click.pass_context
def tender_add_cmd(
    ctx: click.Context,
    tender_id: str,
    insurer: str,
    insurer_name: str | None,
    period_start: dt.date,
    period_end: dt.date,
    bands: tuple[str, ...],
    max_age: int | None,
    source: str | None,
    dry_run: bool,
    fmt: str,
) -> None:
    """Record a tender result: insurer, period, premium bands by elevator age, its document."""
    from xtaccounts.registry.changes import add_tender, check_source

    cited = check_source(source)

    def make(directory: Path, files: Mapping[str, bytes | None]) -> Any:
        return add_tender(
            directory,
            files,
            tender_id=tender_id,
            insurer=insurer,
            period_start=period_start,
            period_end=period_end,
            bands=bands,
            max_age=max_age,
            source=cited,
            insurer_name=insurer_name,
        )

    _commit(ctx, "registry tender add", make, dry_run, fmt)


@registry_group.group("pilot")
def pilot_group() -> None:
    """试点设置 (pilot.toml), changed by the notice that changes them."""


@pilot_group.command("set")
@click.argument("setting")
@click.argument("value")
@click.option("--source", default=None, help="The notice that changes it (文号); required.")
@click.option("--date", "day", type=DATE, default=None, help="When the notice takes effect.")
@dry_run_option
@format_option
@click.pass_context
def pilot_set_cmd(
    ctx: click.Context,
    setting: str,
    value: str,
    source: str | None,
    day: dt.date | None,
    dry_run: bool,
    fmt: str,
) -> None:
    """Change one pilot setting (e.g. window_end 2026-12-31) citing the notice that changes
    it: refused without --source. The file's comments and layout are kept."""
    from xtaccounts.core.dates import today
    from xtaccounts.registry.changes import check_source, set_pilot

    cited = check_source(source)
    on = day or today()

    def make(directory: Path, files: Mapping[str, bytes | None]) -> Any:
        return set_pilot(directory, files, setting, value, cited, on)

    _commit(ctx, "registry pilot set", make, dry_run, fmt)


@registry_group.command("history")
@report_format_option("text for a person, json for a program.")
@click.pass_context
def history_cmd(ctx: click.Context, fmt: str) -> None:
    """The recorded changes of the registry, newest first: when, who, what and why."""
    import json

    from xtaccounts.books.registry_changes import registry_history
    from xtaccounts.cli.history_cmd import change_json, render_change

    changes = registry_history(ledger_path(ctx))
    if changes is None:
        raise XtError(_("账簿没有变更历史：用 `xtaccounts history adopt` 纳入"))
    if fmt == "json":
        doc = {"command": "registry history", "changes": [change_json(c) for c in changes]}
        click.echo(json.dumps(doc, ensure_ascii=False, indent=1))
        return
    lines = [_("登记册的变更历史：{count} 次").format(count=len(changes)), ""]
    for change in changes:
        lines += [*render_change(change), ""]
    click.echo("\n".join(lines).rstrip())


COMMANDS = (registry_group,)
