"""The command line in the users' language: the root option ``--lang``, click's own texts
("Usage:", "Options:", its usage errors) and the commands' help, all through `_()`.

click asks `gettext` for its texts; this module gives click a table of them in Chinese (wrapped
in `N_()`, so the English catalogue gives them back in English). The commands' help (their
docstrings and ``help=``) is written in Chinese and translated when the language is chosen:
`localise` walks the commands and sets each help to `_()` of its source text.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Iterator
from typing import Any

import click

from xtaccounts.core.i18n import (
    ENV_VAR,
    LANGUAGES,
    N_,
    UnknownLanguage,
    _,
    current_language,
    set_language,
)

# click's texts (click 8.1-8.x), English as click writes them -> Chinese.
CLICK_TEXTS: dict[str, str] = {
    "Usage:": N_("用法："),
    "Options": N_("选项"),
    "Commands": N_("命令"),
    "Positional arguments": N_("位置参数"),
    "Show this message and exit.": N_("显示本帮助并退出。"),
    "Show the version and exit.": N_("显示版本并退出。"),
    "%(prog)s, version %(version)s": N_("%(prog)s，版本 %(version)s"),
    "Aborted!": N_("已中止！"),
    "deprecated": N_("已弃用"),
    "Missing command.": N_("缺少命令。"),
    "Error: {message}": N_("错误：{message}"),
    "Try '{command} {option}' for help.": N_("用 '{command} {option}' 查看帮助。"),
    "Invalid value: {message}": N_("无效的值：{message}"),
    "Invalid value for {param_hint}: {message}": N_("{param_hint} 的值无效：{message}"),
    "Missing argument": N_("缺少参数"),
    "Missing option": N_("缺少选项"),
    "Missing parameter": N_("缺少参数"),
    "Missing {param_type}": N_("缺少{param_type}"),
    "Missing parameter: {param_name}": N_("缺少参数：{param_name}"),
    "No such option {name!r}.": N_("没有选项 {name!r}。"),
    "No such command {name!r}.": N_("没有命令 {name!r}。"),
    "unknown error": N_("未知错误"),
    "Could not open file {filename!r}: {message}": N_("无法打开文件 {filename!r}：{message}"),
    "Invalid start character for option ({option})": N_("选项的首字符无效（{option}）"),
    "Argument {name!r} takes {nargs} values.": N_("参数 {name!r} 需要 {nargs} 个值。"),
    "Option {name!r} does not take a value.": N_("选项 {name!r} 不带值。"),
    "Choose from:\n\t{choices}": N_("可选：\n\t{choices}"),
    "{value!r} is not a valid {number_type}.": N_("{value!r} 不是有效的{number_type}。"),
    "{value} is not in the range {range}.": N_("{value} 不在范围 {range} 内。"),
    "{value!r} is not a valid UUID.": N_("{value!r} 不是有效的 UUID。"),
    "file": N_("文件"),
    "directory": N_("目录"),
    "path": N_("路径"),
    "{name} {filename!r} does not exist.": N_("{name} {filename!r} 不存在。"),
    "{name} {filename!r} is a file.": N_("{name} {filename!r} 是文件。"),
    "{name} {filename!r} is a directory.": N_("{name} {filename!r} 是目录。"),
    "{name} {filename!r} is not readable.": N_("{name} {filename!r} 不可读。"),
    "{name} {filename!r} is not writable.": N_("{name} {filename!r} 不可写。"),
    "{name} {filename!r} is not executable.": N_("{name} {filename!r} 不可执行。"),
    "env var: {var}": N_("环境变量：{var}"),
    "default: {default}": N_("默认：{default}"),
    "required": N_("必填"),
    "(dynamic)": N_("（动态）"),
    "Repeat for confirmation": N_("再输入一次以确认"),
    "Error: The two entered values do not match.": N_("错误：两次输入的值不一致。"),
    "Error: invalid input": N_("错误：输入无效"),
    "Do you want to continue?": N_("是否继续？"),
    "Confirm the action without prompting.": N_("不提示，直接确认。"),
    "Press any key to continue...": N_("按任意键继续……"),
}
# click's texts with a singular and a plural (ngettext): the plural's English -> Chinese.
CLICK_PLURALS: dict[str, str] = {
    "Got unexpected extra arguments ({args})": N_("多余的参数（{args}）"),
    "Takes {nargs} values but {len} were given.": N_("需要 {nargs} 个值，实际给了 {len} 个。"),
    "(Did you mean one of: {possibilities}?)": N_("（是不是其中之一：{possibilities}？）"),
    "Option {name!r} requires {nargs} arguments.": N_("选项 {name!r} 需要 {nargs} 个参数。"),
    "{value!r} is not one of {choices}.": N_("{value!r} 不是 {choices} 之一。"),
    "{value!r} does not match the formats {formats}.": N_("{value!r} 不符合格式 {formats}。"),
    "{len_type} values are required, but {len_value} were given.": N_(
        "需要 {len_type} 个值，实际给了 {len_value} 个。"
    ),
}
CLICK_SINGULARS: dict[str, str] = {
    "Got unexpected extra argument ({args})": N_("多余的参数（{args}）"),
    "Takes {nargs} values but 1 was given.": N_("需要 {nargs} 个值，实际给了 1 个。"),
    "Did you mean {possibility}?": N_("是不是 {possibility}？"),
    "Option {name!r} requires an argument.": N_("选项 {name!r} 需要一个参数。"),
    "{value!r} is not {choice}.": N_("{value!r} 不是 {choice}。"),
    "{value!r} does not match the format {format}.": N_("{value!r} 不符合格式 {format}。"),
    "{len_type} values are required, but {len_value} was given.": N_(
        "需要 {len_type} 个值，实际给了 {len_value} 个。"
    ),
}

# The help of beangulp's own commands (`import extract`), English as beangulp writes it.
FOREIGN_HELP: dict[str, str] = {
    (
        "Extract transactions from documents.\n\n"
        "Walk the SRC list of files or directories and extract the ledger\n"
        "entries from each file identified by one of the configured\n"
        "importers.  The entries are written to the specified output file\n"
        "or to the standard output in Beancount ledger format in sections\n"
        "associated to the source document."
    ): N_(
        "从文档中提取交易。\n\n"
        "遍历 SRC 列出的文件或目录，从每个被所配置的导入器识别的文件中提取分录，\n"
        "以 Beancount 格式按来源文档分节写入指定的输出文件或标准输出。"
    ),
    "Existing Beancount ledger for de-duplication.": N_("用于去重的已有 Beancount 账簿。"),
    "Sort entries in reverse order.": N_("按倒序排列分录。"),
    "Stop processing at the first error.": N_("遇到第一个错误即停止处理。"),
    "Suppress all output.": N_("不输出任何内容。"),
}

_CLICK_MODULES = (
    "core",
    "decorators",
    "exceptions",
    "formatting",
    "parser",
    "types",
    "termui",
    "utils",
    "_termui_impl",
)


def click_gettext(message: str) -> str:
    """click's `gettext`: its English text in the language of this run."""
    chinese = CLICK_TEXTS.get(message)
    return message if chinese is None else _(chinese)


def click_ngettext(singular: str, plural: str, n: int) -> str:
    """click's `ngettext`."""
    chinese = CLICK_SINGULARS.get(singular) if n == 1 else CLICK_PLURALS.get(plural)
    if chinese is None:
        return singular if n == 1 else plural
    return _(chinese)


def patch_click() -> None:
    """Give click's modules our `gettext` and `ngettext` (they import them by name)."""
    import importlib

    for name in _CLICK_MODULES:
        try:
            module = importlib.import_module(f"click.{name}")
        except ImportError:  # a module of another click version
            continue
        if hasattr(module, "_"):
            module._ = click_gettext  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = click_ngettext  # type: ignore[attr-defined]


# -- the commands' help ----------------------------------------------------------------------

# The source text of each help, by the object (command or parameter) that shows it.
_SOURCES: dict[int, dict[str, str | None]] = {}


def source_text(text: str | None) -> str | None:
    """A help text as the catalogue holds it (docstrings without their indentation; another
    package's English by its Chinese)."""
    if not text:
        return text
    text = inspect.cleandoc(text)
    return FOREIGN_HELP.get(text, text)


def walk(
    command: click.Command, path: str = "xtaccounts", *, loaded_only: bool = False
) -> Iterator[tuple[str, Any]]:
    """(command path, object) for `command`, its parameters and, for a group, every command
    below it (a lazy group's imported first, unless `loaded_only`)."""
    load_all = getattr(command, "load_all", None)
    if load_all is not None and not loaded_only:
        load_all()
    yield path, command
    for param in command.params:
        yield path, param
    made = getattr(command, "_help_option", None)  # click >= 8.1.8 makes it once, when needed
    if made is not None:
        yield path, made
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            yield from walk(sub, f"{path} {name}", loaded_only=loaded_only)


_HELP_ATTRIBUTES = ("help", "short_help", "epilog")


def help_texts(root: click.Command) -> Iterator[tuple[str, str]]:
    """(command path, source text) of every help text under `root`."""
    for path, item in walk(root):
        sources = _SOURCES.get(id(item), {})
        for attribute in _HELP_ATTRIBUTES:
            text = sources.get(attribute, source_text(getattr(item, attribute, None)))
            if text:
                yield path, text


def path_type_name(kind: click.Path) -> str:
    """The metavar click gives a path parameter (it names it once, when the type is made)."""
    if kind.file_okay and not kind.dir_okay:
        return click_gettext("file")
    if kind.dir_okay and not kind.file_okay:
        return click_gettext("directory")
    return click_gettext("path")


def localise(root: click.Command, path: str = "xtaccounts") -> None:
    """Set every help text under `root` to its source text in the language of this run (of the
    commands of a lazy group, those imported so far: each is localised when it is imported)."""
    for _path, item in walk(root, path, loaded_only=True):
        if isinstance(getattr(item, "type", None), click.Path):
            item.type.name = path_type_name(item.type)
        sources = _SOURCES.setdefault(id(item), {})
        for attribute in _HELP_ATTRIBUTES:
            if attribute not in sources:
                sources[attribute] = source_text(getattr(item, attribute, None))
            text = sources[attribute]
            if text:
                setattr(item, attribute, _(text))


def choose_language(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    """The ``--lang`` callback: use `value` for this run (and the processes it starts)."""
    if value is None:
        return
    try:
        set_language(value)
    except UnknownLanguage:
        raise click.BadParameter(
            _("不支持的语言 {value}，可选：{languages}").format(
                value=value, languages="、".join(LANGUAGES)
            ),
            ctx=ctx,
            param=param,
        ) from None
    os.environ[ENV_VAR] = current_language()
    root = ctx.find_root().command
    localise(root)


def language_option(function: Any) -> Any:
    """The root option ``--lang zh|en``."""
    return click.option(
        "--lang",
        type=str,
        default=None,
        expose_value=False,
        is_eager=True,
        callback=choose_language,
        metavar="zh|en",
        help=N_("界面语言：zh（中文，默认）或 en（英文）；也可用环境变量 XTACCOUNTS_LANG。"),
    )(function)
