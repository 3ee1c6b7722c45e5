"""`registry check`: validate the master data."""

from __future__ import annotations

from pathlib import Path

import click

from xtaccounts.books.layout import require_ledger
from xtaccounts.cli.output import emit, format_option, plain
from xtaccounts.cli.params import ledger_path
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


COMMANDS = (registry_group,)
