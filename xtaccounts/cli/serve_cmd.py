"""`serve`: the books in Fava, read-only, with the pilot's pages, on loopback unless told
otherwise. The books are written by the other commands only (the writer's lock, validation and
journal); `--read-only` is always on and kept for scripts that pass it."""

from __future__ import annotations

import click

from xtaccounts.cli.params import ledger_path
from xtaccounts.core.i18n import N_, _
from xtaccounts.core.progress import step
from xtaccounts.fava_ext.serve import bind, check_host, is_loopback, make_app


@click.command("serve")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help=N_("监听地址；非本机回环地址时给出警告（Fava 没有登录）。"),
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=5000,
    show_default=True,
    help=N_("监听端口（0：任一空闲端口，启动时显示）。"),
)
@click.option(
    "--read-only",
    is_flag=True,
    help=N_(
        "始终开启（为传入此选项的脚本保留）：Fava 只读模式，"
        "不能在编辑器保存、不能上传、不能经 API 写入；账簿只能通过 "
        "xtaccounts 命令写入。"
    ),
)
@click.option("--no-gzip", is_flag=True, help=N_("响应不压缩。"))
@click.pass_context
def serve_cmd(ctx: click.Context, host: str, port: int, read_only: bool, no_gzip: bool) -> None:
    """以只读方式启动 Fava 查看账簿（“电梯保险试点”下有 统筹账户、统筹账户明细、收支表
    等页面）。"""
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
            _("注意：账簿有 {count} 个错误；Fava 在 Errors 页列出").format(
                count=len(ledger.errors)
            ),
            err=True,
        )
    click.echo(_("正在以只读方式提供账簿：{url}").format(url=serving.url))
    click.echo("  " + _("只读：账簿只能通过 xtaccounts 命令写入（带锁、校验和日志）"))
    if ledger.extensions.get_extension("PilotExtension") is not None:
        pages = f"{serving.url}{slug}/extension/PilotExtension/"
        click.echo("  " + _("试点页面：{url}").format(url=pages))
    else:
        click.echo(
            "  "
            + _(
                '没有试点页面：main.beancount 缺少 `2000-01-01 custom "fava-extension" '
                '"xtaccounts.fava_ext"`（docs/fava.md）'
            )
        )
    click.echo("  " + _("按 Ctrl-C 停止。"))
    serving.serve()


COMMANDS = (serve_cmd,)
