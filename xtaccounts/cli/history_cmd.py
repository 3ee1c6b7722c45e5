"""`history` (list, adopt, record), `backup` and `restore`: the books' recorded changes."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import click

from xtaccounts.books.change_note import CHANGE_TITLES, current_note
from xtaccounts.books.history import History, RecordedChange, Unrecorded
from xtaccounts.cli.output import report_format_option
from xtaccounts.cli.params import DATE, ledger_path
from xtaccounts.core.errors import XtError
from xtaccounts.core.i18n import N_

FILES_SHOWN = 8
STATUS = {"A": "新增", "M": "修改", "D": "删除", "T": "类型改变"}


def _relative_file(root: Path, file: str) -> str:
    """A --file given relative to the ledger directory, or as a path (absolute, or relative
    to the current directory) that lies in it: relative to the ledger directory."""
    given = Path(file)
    for candidate in (given, Path.cwd() / given):
        path = Path(os.path.abspath(candidate))
        if path == root or root in path.parents:
            return path.relative_to(root).as_posix() or "."
    return given.as_posix().strip("/")


def _when(change: RecordedChange) -> str:
    return change.when.strftime("%Y-%m-%d %H:%M:%S %z")


def change_json(change: RecordedChange) -> dict[str, Any]:
    return {
        "commit": change.commit,
        "when": change.when.isoformat(),
        "operator": change.operator,
        "system_user": change.system_user,
        "kind": change.kind,
        "command": change.command,
        "args": change.args,
        "reason": change.reason or None,
        "files": [{"status": status, "path": path} for status, path in change.files],
        "entries": change.entries,
        "entries_count": change.entries_count,
    }


def render_change(change: RecordedChange) -> list[str]:
    """One recorded change for a person, in Chinese."""
    kind = CHANGE_TITLES.get(change.kind, change.kind or "—")
    user = f"（系统用户 {change.system_user}）" if change.system_user else ""
    lines = [
        f"{_when(change)}  {change.commit[:10]}  {change.command}",
        f"  操作人：{change.operator}{user}    类型：{kind}",
    ]
    if change.args:
        lines.append(f"  参数：{change.args}")
    lines.append(f"  原因：{change.reason or '—'}")
    files = [f"{STATUS.get(status, status)} {path}" for status, path in change.files]
    more = f"；…共 {len(files)} 个文件" if len(files) > FILES_SHOWN else ""
    lines.append(f"  文件：{'；'.join(files[:FILES_SHOWN]) or '—'}{more}")
    if change.entries or change.entries_count:
        count = f"（共 {change.entries_count} 笔）" if change.entries_count is not None else ""
        shown = " ".join(change.entries)
        lines.append(f"  分录：{shown or '—'}{count}")
    return lines


def _unrecorded_lines(unrecorded: list[Unrecorded]) -> list[str]:
    if not unrecorded:
        return []
    lines = [f"未记录的修改（{len(unrecorded)} 个文件与最后一次记录的变更不一致）："]
    lines += [f"  {u.label}  {u.path}" for u in unrecorded]
    lines.append("  （xtaccounts audit 列出差异；xtaccounts history record --reason … 记录它们）")
    return [*lines, ""]


@click.group("history", invoke_without_command=True)
@click.option("--since", type=DATE, default=None, help=N_("只列 D 当日及以后记录的变更。"))
@click.option("--file", "file", default=None, help=N_("只列涉及此文件（或文件夹）的变更。"))
@click.option("--entry", default=None, help=N_("只列增加或删除此链接或编号的变更。"))
@report_format_option(N_("text 供人阅读，json 供程序读取。"))
@click.pass_context
def history_group(
    ctx: click.Context, since: dt.date | None, file: str | None, entry: str | None, fmt: str
) -> None:
    """账簿已记录的变更，最新的在前：时间、操作人、命令、原因、涉及的文件和分录；
    以及与最近一次记录的变更相比有何不同。"""
    if ctx.invoked_subcommand is not None:
        return
    from xtaccounts.books.layout import require_ledger
    from xtaccounts.books.outside_changes import outside_changes

    layout = require_ledger(ledger_path(ctx))
    history = History.of(layout.root)
    if history is None:
        raise XtError(
            f"{layout.root} 没有变更历史：用 `xtaccounts history adopt` 纳入"
            "（此后每次修改都被记录）"
        )
    relative = _relative_file(layout.root, file) if file else None
    changes = history.changes(since=since, file=relative, entry=(entry or "").lstrip("^") or None)
    unrecorded = outside_changes(layout.root) or []
    head = history.head()
    if fmt == "json":
        doc = {
            "command": "history",
            "ledger": str(layout.root),
            "head": head,
            "recorded": history.count(),
            "unrecorded": [{"path": u.path, "state": u.state} for u in unrecorded],
            "changes": [change_json(c) for c in changes],
        }
        click.echo(json.dumps(doc, ensure_ascii=False, indent=1))
        return
    lines = [
        f"账簿 {layout.root} 的变更历史：共记录 {history.count()} 次变更，"
        f"最新 {head[:10] if head else '—'}；列出 {len(changes)} 次",
        "",
        *_unrecorded_lines(unrecorded),
    ]
    for change in changes:
        lines += [*render_change(change), ""]
    click.echo("\n".join(lines).rstrip())


@history_group.command("adopt")
@click.option("--reason", default=None, help=N_("原因（如 启用变更历史）。"))
@click.pass_context
def adopt_cmd(ctx: click.Context, reason: str | None) -> None:
    """为已有账簿建立变更历史：各文件的现状作为第一次记录的变更。"""
    from xtaccounts.books.history_record import adopt_books

    done = adopt_books(ledger_path(ctx), current_note())
    click.echo(f"已纳入变更历史：{len(done.files)} 个文件，第一次记录 {done.head[:10]}")


@history_group.command("record")
@click.option("--reason", required=True, help=N_("这些文件在本工具之外被改动的原因。"))
@click.pass_context
def record_cmd(ctx: click.Context, reason: str) -> None:
    """把在本工具之外改动的文件（手工编辑、填好的登记册）记录为一次变更，附操作人和原因。"""
    from xtaccounts.books.history_record import record_outside_changes

    done = record_outside_changes(ledger_path(ctx), current_note())
    click.echo(f"已记录 {len(done.files)} 个文件的修改为变更 {done.head[:10]}：")
    for change in done.files:
        click.echo(f"  {change.label}  {change.path}")


@click.command("backup")
@click.argument("dest", type=click.Path(path_type=Path))
@click.pass_context
def backup_cmd(ctx: click.Context, dest: Path) -> None:
    """把完整的变更历史连同归档的原件复制到 DEST（另一磁盘上的新目录），并校验副本。"""
    from xtaccounts.books.history_copy import backup_history
    from xtaccounts.books.layout import require_ledger

    layout = require_ledger(ledger_path(ctx))
    done = backup_history(layout.main, dest, current_note())
    click.echo(
        f"备份已写入 {done.path} 并已核验：历史头 {done.head}，共 {done.changes} 次变更，"
        f"{done.originals} 个归档原件"
    )
    if done.unrecorded:
        click.echo(
            f"注意：{len(done.unrecorded)} 个文件的修改尚未记录，不在备份中："
            + "、".join(u.path for u in done.unrecorded[:10]),
            err=True,
        )
    if done.missing:
        click.echo(
            f"注意：{len(done.missing)} 个归档原件在账簿中已找不到，未能备份："
            + "、".join(done.missing[:10]),
            err=True,
        )


@click.command("restore")
@click.option("--to", "to", required=True, type=click.Path(path_type=Path), help=N_("一个新目录。"))
@click.option("--at", "at", default=None, help=N_("已记录的变更（默认：最近一次）。"))
@click.option(
    "--from",
    "source",
    type=click.Path(path_type=Path, exists=True, file_okay=False),
    default=None,
    help=N_("备份目录（默认：--ledger 账簿的变更历史）。"),
)
@click.option("--reason", default=None, help=N_("恢复账簿的原因。"))
@click.pass_context
def restore_cmd(
    ctx: click.Context, to: Path, at: str | None, source: Path | None, reason: str | None
) -> None:
    """把账簿恢复为某次已记录变更之后的样子，放到一个新目录中（绝不覆盖正在使用的账簿）。"""
    from xtaccounts.books.history_copy import restore_books

    done = restore_books(to, current_note(), live_main=ledger_path(ctx), backup=source, at=at)
    click.echo(
        f"已恢复到 {done.path}：记录的变更 {done.commit[:10]} 时的账簿（{done.files} 个文件，"
        f"与记录逐字节一致）；新目录的变更历史已记下这次恢复（{done.head[:10]}）"
    )


COMMANDS = (history_group, backup_cmd, restore_cmd)
