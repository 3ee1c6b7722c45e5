"""`audit`: every balance and rule re-verified, with evidence; `seal`: seal closed periods."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

import click

from xtaccounts.cli.output import emit, format_option, report_format_option
from xtaccounts.cli.params import ledger_path
from xtaccounts.core.dates import parse_date
from xtaccounts.core.errors import XtError
from xtaccounts.core.i18n import N_, _

if TYPE_CHECKING:
    from xtaccounts.audit import AuditReport


def _day(_ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    return parse_date(value, field=param.opts[0] if param.opts else "date")


def render_text(report: AuditReport) -> str:
    """The report for a person: one line per check, then each finding with its evidence."""
    lines = [
        _("{ledger} 截至 {as_of} 的审计：{verdict}（{errors} 个错误，{warnings} 个警告）").format(
            ledger=report.ledger,
            as_of=report.as_of,
            verdict=_("无问题") if report.ok else _("有问题"),
            errors=sum(c.errors for c in report.checks),
            warnings=sum(c.warnings for c in report.checks),
        ),
        "",
    ]
    for check in report.checks:
        status = _("通过") if check.errors == 0 else _("未通过")
        counts = ", ".join(f"{k} {v}" for k, v in sorted(check.counts.items()))
        extra = _("，{count} 个警告").format(count=check.warnings) if check.warnings else ""
        found = _("{count} 个错误").format(count=check.errors)
        lines.append(f"  [{status}] {check.name:<10} {found}{extra}  ({counts})")
    severity = {"error": _("错误"), "warning": _("警告")}
    for finding in report.findings:
        lines.append("")
        lines.append(
            f"{severity.get(finding.severity, finding.severity)} "
            f"{finding.check}/{finding.code}: {finding.message}"
        )
        if finding.expected is not None or finding.booked is not None:
            lines.append(
                "    "
                + _("应为 {expected}，账簿为 {booked}").format(
                    expected=finding.expected, booked=finding.booked
                )
            )
        for where in finding.entries:
            at = _("位置 {where}").format(where=where)
            lines.append(f"    {at}  {where.date or ''}  {where.what}".rstrip())
    return "\n".join(lines)


@click.command("audit")
@click.option(
    "--as-of", "as_of", callback=_day, help=N_("审计截至此日（默认：最后一笔分录的日期）。")
)
@report_format_option(N_("text 供人阅读，json 供存档和比对（docs/audit.md）。"))
@click.option("--strict", is_flag=True, help=N_("有警告时退出码也为 1。"))
@click.option(
    "--expect-seal",
    "expect_seal",
    default=None,
    metavar="HEAD",
    help=N_(
        "之前给出的封存链头（导出清单中的 seal.chain_head，至少 16 "
        "位十六进制）：账簿的封存链不再包含它时审计失败。"
    ),
)
@click.option(
    "--history-ref",
    "history_refs",
    multiple=True,
    help=N_("另处保存的历史头（一个提交）：它必须在账簿的变更历史中。"),
)
@click.option(
    "--manifest",
    "manifests",
    multiple=True,
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help=N_("导出或备份的 manifest.json：其中的历史头必须在变更历史中。"),
)
@click.pass_context
def audit_cmd(
    ctx: click.Context,
    as_of: dt.date | None,
    fmt: str,
    strict: bool,
    expect_seal: str | None,
    history_refs: tuple[str, ...],
    manifests: tuple[Path, ...],
) -> None:
    """从账簿重新核对每个余额和每条规则；有错误时退出码为 1（--strict：有警告时也是）。"""
    from xtaccounts.audit import run_audit  # the checks load only for this command

    if expect_seal is not None and not re.fullmatch(r"[0-9a-fA-F]{16,64}", expect_seal.strip()):
        raise XtError(
            _("--expect-seal {value!r}：应为 16 至 64 位十六进制的封存链值").format(
                value=expect_seal
            )
        )
    from importers import ledger_layouts, read_statement
    from xtaccounts.books.layout import LedgerLayout

    main = ledger_path(ctx)
    layouts = ledger_layouts(LedgerLayout(main).registry)
    refs = [(ref.strip(), "--history-ref") for ref in history_refs]
    refs += [(manifest_head(path), _("清单 {path}").format(path=path)) for path in manifests]
    report = run_audit(
        main,
        as_of,
        expect_seal=expect_seal,
        read_statement=lambda path: read_statement(path, layouts),
        history_refs=tuple(refs),
    )
    if fmt == "json":
        click.echo(
            json.dumps({"command": "audit", **report.as_json()}, ensure_ascii=False, indent=2)
        )
    else:
        click.echo(render_text(report))
    ctx.exit(0 if report.clean(strict) else 1)


def manifest_head(path: Path) -> str:
    """The `history_head` an export's or a backup's manifest.json records."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise XtError(
            _("--manifest {path} 无法读取：{error}").format(path=path, error=exc)
        ) from exc
    head = doc.get("history_head") if isinstance(doc, dict) else None
    if not isinstance(head, str) or not head:
        raise XtError(_("--manifest {path} 没有记录历史头（history_head）").format(path=path))
    return head


@click.command("seal")
@click.option("--through", "through", required=True, callback=_day, help=N_("封存的最后一天。"))
@click.option("--dry-run", is_flag=True, help=N_("只显示封存，不写入。"))
@format_option
@click.pass_context
def seal_cmd(ctx: click.Context, through: dt.date, dry_run: bool, fmt: str) -> None:
    """封存截至已结账期间末的每笔分录：摘要值记入账簿。"""
    from xtaccounts.audit.seal import seal_books

    report = seal_books(ledger_path(ctx), through, dry_run=dry_run)
    emit(
        "seal",
        [],
        [],
        fmt,
        {
            "through": report.through,
            "digest": report.digest,
            "entries": report.entries,
            "days": report.days,
            "file": report.file,
            "chain": report.chain,
            "dry_run": dry_run,
        },
    )


COMMANDS = (audit_cmd, seal_cmd)
