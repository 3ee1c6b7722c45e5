"""`init` and `demo build`: making ledgers."""

from __future__ import annotations

from pathlib import Path

import click

from xtaccounts.books.change_note import current_note
from xtaccounts.books.init_ledger import DEFAULT_TITLE, create_ledger, ledger_files
from xtaccounts.core.i18n import N_, _
from xtaccounts.demo.books import build_demo


@click.command("init")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option(
    "--title", default=DEFAULT_TITLE, show_default=True, help=N_("在 Fava 中显示的标题。")
)
def init_cmd(directory: Path, title: str) -> None:
    """在 DIRECTORY 中新建一套空白、有效的账簿，附登记册模板和变更历史
    （以后的每次变更都有记录：`xtaccounts history`）。"""
    main = create_ledger(directory, ledger_files(title), history=current_note())
    click.echo(
        _("已创建 {main}（变更历史在 {history}）").format(
            main=main, history=main.parent / ".history"
        )
    )
    click.echo(
        _(
            "请填写 {registry}，用 `xtaccounts --ledger {main} history record --reason 填写登记册` "
            "记录，然后运行：xtaccounts --ledger {main} accounts sync"
        ).format(registry=main.parent / "registry", main=main)
    )


@click.group("demo")
def demo_group() -> None:
    """内置的演示账簿。"""


@demo_group.command("build")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("ledger"),
    show_default=True,
    help=N_("构建演示账簿的目录。"),
)
@click.option(
    "--force",
    is_flag=True,
    help=N_(
        "即使那里的账簿在构建后改动过也替换（旧账簿改名为 <out>.replaced-"
        "<时间> 保留在旁边，绝不删除）。"
    ),
)
@click.option("--dry-run", is_flag=True, help=N_("构建并比对，不写入。"))
def demo_build_cmd(out: Path, force: bool, dry_run: bool) -> None:
    """用本项目自己的命令构建演示账簿（一个虚构的小湘潭）。

    --out 处已有的账簿只有在是未改动过的早先构建时才会被替换。"""
    kept: list[Path] = []
    main = build_demo(out, force=force, dry_run=dry_run, kept=kept)
    click.echo(
        _("演示账簿在 {main}").format(main=main) + (_("（试运行：未写入）") if dry_run else "")
    )
    for aside in kept:
        click.echo(_("原有账簿未删除，已改名保留在 {aside}").format(aside=aside))


COMMANDS = (init_cmd, demo_group)
