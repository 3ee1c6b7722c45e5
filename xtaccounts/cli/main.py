"""The `xtaccounts` group: the --ledger option, and every error as one line (never a traceback).

A library error (`XtError`) is its own message, exit 1. An OS error (a path that is a file, a
directory where a file should be, no permission, a read-only file system) is one line naming
the path and the system's reason, exit 1. Anything else is a bug: one line "内部错误：…" naming
the log file that holds the traceback (masked like any free text), exit 1. Ctrl-C: one line, exit
130. click's own usage errors keep their behaviour (exit 2).
"""

from __future__ import annotations

import atexit
import datetime as dt
import errno
import gc
import importlib
import os
import sys
import traceback
from pathlib import Path
from typing import Any

import click

from xtaccounts import __version__
from xtaccounts.books.change_note import note_from_command_line, set_note
from xtaccounts.books.layout import refuse_year_books, resolve_main
from xtaccounts.cli.language import language_option, localise, patch_click
from xtaccounts.core.cache_dir import cache_root
from xtaccounts.core.errors import XtError
from xtaccounts.core.i18n import N_, _

patch_click()

ERROR_LOG = "errors.log"


def error_log_path() -> Path:
    """errors.log in the cache directory (`core.cache_dir`)."""
    return cache_root() / ERROR_LOG


def _masked(text: str) -> str:
    from xtaccounts.core.privacy import mask_free_text

    return mask_free_text(text)


def os_error_message(exc: OSError) -> str:
    """One line: the path(s) and the system's reason."""
    paths = [str(p) for p in (exc.filename, exc.filename2) if p is not None]
    reason = exc.strerror or str(exc) or type(exc).__name__
    where = " -> ".join(paths)
    if where:
        return _("文件系统错误：{where}：{reason}").format(where=where, reason=reason)
    return _("文件系统错误：{reason}").format(reason=reason)


def log_unexpected(exc: BaseException, argv: list[str]) -> tuple[Path, str | None]:
    """Append the traceback of `exc` to the error log (masked); (its path, why it could not be
    written or None)."""
    path = error_log_path()
    text = "".join(traceback.format_exception(exc))
    stamp = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    record = f"--- {stamp} xtaccounts {__version__}: {' '.join(argv)}\n{text}\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8", errors="replace") as handle:
            handle.write(_masked(record))
    except OSError as failure:
        return path, failure.strerror or str(failure)
    return path, None


# Commands that read no existing books (init, demo, restore) or say themselves what differs
# from the last recorded change (history): no warning before them.
_NO_OUTSIDE_CHECK = frozenset({"init", "demo", "restore", "history"})
# Commands that may be given a year's own books (`serve`: Fava, read-only, on that year) or that
# do not read the books given (`init`, `demo`); every other command refuses a year's books.
_ANY_BOOKS = frozenset({"serve", "init", "demo"})
_ARGS_KEY = "xtaccounts.command_args"


class LibraryErrorGroup(click.Group):
    """A group that turns every error into one line on stderr and a non-zero exit."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        # The command and its arguments as typed, for the note of the change it records.
        ctx.meta.setdefault(_ARGS_KEY, list(args))
        return super().resolve_command(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except XtError as exc:
            raise click.ClickException(str(exc)) from exc
        except KeyboardInterrupt:
            click.echo(_("已中断（Ctrl-C）"), err=True)
            raise click.exceptions.Exit(130) from None
        except OSError as exc:
            if exc.errno == errno.EPIPE:
                raise  # click's own handling: output to a closed pipe ends quietly
            raise click.ClickException(_masked(os_error_message(exc))) from exc
        except Exception as exc:
            path, failure = log_unexpected(exc, sys.argv)
            detail = _masked(" ".join(f"{type(exc).__name__}: {exc}".split()))[:300]
            where = (
                _("详情见 {path}").format(path=path)
                if failure is None
                else _("日志 {path} 无法写入：{failure}").format(path=path, failure=failure)
            )
            raise click.ClickException(
                _("内部错误：{detail}（{where}）").format(detail=detail, where=where)
            ) from exc


# Each command's module under xtaccounts.cli, imported only when the command is resolved (it
# runs, or its help is shown): `deposit receive` imports neither Fava nor the export nor the
# audit. In the order of `xtaccounts --help`'s list (click sorts it by name).
COMMAND_MODULES = {
    "init": "ledger_cmd",
    "demo": "ledger_cmd",
    "registry": "registry_cmd",
    "accounts": "accounts_cmd",
    "deposit": "deposit_cmd",
    "claim": "claim_cmd",
    "time-deposit": "time_deposit_cmd",
    "interest": "interest_cmd",
    "allocate": "allocate_cmd",
    "pool": "pool_cmd",
    "close": "close_cmd",
    "reverse": "correct_cmd",
    "reopen": "correct_cmd",
    "pools": "reports_cmd",
    "units": "reports_cmd",
    "households": "reports_cmd",
    "import": "import_cmd",
    "application": "insurance_cmd",
    "premium": "insurance_cmd",
    "policies": "insurance_cmd",
    "coverage": "insurance_cmd",
    "export": "export_cmd",
    "audit": "audit_cmd",
    "seal": "audit_cmd",
    "history": "history_cmd",
    "backup": "history_cmd",
    "restore": "history_cmd",
    "serve": "serve_cmd",
    "vouchers": "vouchers_cmd",
    "reconcile": "reconcile_cmd",
}


def _freeze_at_exit() -> None:
    """Have the interpreter's exit skip its last cycle collection over what the run made.

    At exit Python walks every object still alive (a city's registry rows, the write snapshot)
    looking for cycles to free: about a tenth of a write's time, for memory the process gives
    back anyway. Objects in cycles are then not finalised at exit; the commands close and
    flush what they write themselves (`books.writer`, `core.atomic_directory`)."""
    global _FREEZE_REGISTERED
    if not _FREEZE_REGISTERED:
        atexit.register(gc.freeze)
        _FREEZE_REGISTERED = True


_FREEZE_REGISTERED = False


class CommandGroup(LibraryErrorGroup):
    """The root group: its commands are imported when resolved (click's lazy group), each
    module's `COMMANDS` added at once and their help put in the language of the run."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *COMMAND_MODULES})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMAND_MODULES:
            self._load(COMMAND_MODULES[cmd_name])
        return self.commands.get(cmd_name)

    def main(self, *args: Any, **kwargs: Any) -> Any:
        _freeze_at_exit()
        return super().main(*args, **kwargs)

    def load_all(self) -> None:
        """Import every command (for what lists them all: the help catalogue, the tests)."""
        for module in dict.fromkeys(COMMAND_MODULES.values()):
            self._load(module)

    def _load(self, name: str) -> None:
        module = importlib.import_module(f"xtaccounts.cli.{name}")
        for command in module.COMMANDS:
            if command.name not in self.commands:
                self.add_command(command)
                localise(command, f"xtaccounts {command.name}")


@click.group(cls=CommandGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--ledger",
    "ledger",
    type=click.Path(path_type=Path),
    envvar="XT_LEDGER",
    default=None,
    help=N_("账簿的主文件或其目录（默认：$XT_LEDGER，否则 ledger/main.beancount）。"),
)
@click.option(
    "--operator",
    envvar="XT_OPERATOR",
    default=None,
    help=N_("对本次运行记入账簿历史的变更负责的人（默认：$XT_OPERATOR，否则操作系统用户）。"),
)
@click.option(
    "--quiet",
    "-q",
    is_flag=True,
    help=N_("不显示进度条（进度条只在标准错误输出是终端时显示）。"),
)
@language_option
@click.version_option(__version__, prog_name="xtaccounts")
@click.pass_context
def cli(ctx: click.Context, ledger: Path | None, operator: str | None, quiet: bool) -> None:
    """湘潭市住宅专项维修资金 电梯维修保险试点账簿（Beancount）。"""
    from xtaccounts.cli.progress import install

    install(ctx, quiet)
    ctx.obj = resolve_main(ledger)
    path, args = command_path(ctx, ctx.meta.get(_ARGS_KEY, []))
    if operator is not None:
        from xtaccounts.core.outside_text import admit_text

        operator = admit_text(operator, field="--operator", mask=False)
    set_note(note_from_command_line(path, args, operator))
    if not {"-h", "--help"} & set(args):
        if not path or path[0] not in _ANY_BOOKS:
            refuse_year_books(ctx.obj)
        if path and path[0] not in _NO_OUTSIDE_CHECK:
            warn_outside_changes(ctx.obj)


def command_path(ctx: click.Context, tokens: list[str]) -> tuple[list[str], list[str]]:
    """The command's names (``deposit refund``) and its arguments, from what was typed."""
    command: click.Command = cli
    path: list[str] = []
    while tokens and isinstance(command, click.Group):
        sub = command.get_command(ctx, tokens[0])
        if sub is None:
            break
        path.append(tokens[0])
        tokens = tokens[1:]
        command = sub
    return path, list(tokens)


def warn_outside_changes(main: Path) -> None:
    """On stderr: the books' files that differ from the last recorded change, if any."""
    if not main.is_file():
        return  # the command says there are no books
    from xtaccounts.books.history import History
    from xtaccounts.books.outside_changes import describe, outside_changes

    try:
        changes = outside_changes(main.parent)
    except XtError as exc:
        click.echo(_("注意：无法检查账簿的变更历史：{error}").format(error=exc), err=True)
        return
    if changes:
        click.echo(describe(changes, History(main.parent).head()), err=True)


localise(cli)
