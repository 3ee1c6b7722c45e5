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

if TYPE_CHECKING:
    from xtaccounts.audit import AuditReport


def _day(_ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    return parse_date(value, field=param.opts[0] if param.opts else "date")


def render_text(report: AuditReport) -> str:
    """The report for a person: one line per check, then each finding with its evidence."""
    lines = [
        f"audit of {report.ledger} as of {report.as_of}: "
        + ("clean" if report.ok else "FINDINGS")
        + f" ({sum(c.errors for c in report.checks)} error(s), "
        f"{sum(c.warnings for c in report.checks)} warning(s))",
        "",
    ]
    for check in report.checks:
        status = "ok" if check.errors == 0 else "FAIL"
        counts = ", ".join(f"{k} {v}" for k, v in sorted(check.counts.items()))
        extra = f", {check.warnings} warning(s)" if check.warnings else ""
        lines.append(f"  [{status:>4}] {check.name:<10} {check.errors} error(s){extra}  ({counts})")
    for finding in report.findings:
        lines.append("")
        lines.append(
            f"{finding.severity.upper()} {finding.check}/{finding.code}: {finding.message}"
        )
        if finding.expected is not None or finding.booked is not None:
            lines.append(f"    expected {finding.expected}, booked {finding.booked}")
        for where in finding.entries:
            lines.append(f"    at {where}  {where.date or ''}  {where.what}".rstrip())
    return "\n".join(lines)


@click.command("audit")
@click.option("--as-of", "as_of", callback=_day, help="Audit as of this day (default: last entry).")
@report_format_option("text for a person, json for archiving and diffing (docs/audit.md).")
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too.")
@click.option(
    "--expect-seal",
    "expect_seal",
    default=None,
    metavar="HEAD",
    help="A seal chain head given out earlier (an export manifest's seal.chain_head, at least "
    "16 hex digits): the audit fails unless the books' chain still holds it.",
)
@click.option(
    "--history-ref",
    "history_refs",
    multiple=True,
    help="A history head held elsewhere (a commit): it must be in the books' history.",
)
@click.option(
    "--manifest",
    "manifests",
    multiple=True,
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="An export's or a backup's manifest.json: its history head must be in the history.",
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
    """Re-verify every balance and every rule from the books; exit 1 on an error (--strict:
    on a warning too)."""
    from xtaccounts.audit import run_audit  # the checks load only for this command

    if expect_seal is not None and not re.fullmatch(r"[0-9a-fA-F]{16,64}", expect_seal.strip()):
        raise XtError(
            f"--expect-seal {expect_seal!r}: 应为 16 至 64 位十六进制的封存链值 "
            "(a seal chain head: 16 to 64 hex digits)"
        )
    from importers import ledger_layouts, read_statement
    from xtaccounts.books.layout import LedgerLayout

    main = ledger_path(ctx)
    layouts = ledger_layouts(LedgerLayout(main).registry)
    refs = [(ref.strip(), "--history-ref") for ref in history_refs]
    refs += [(manifest_head(path), f"清单 {path}") for path in manifests]
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
        raise XtError(f"--manifest {path} 无法读取：{exc}") from exc
    head = doc.get("history_head") if isinstance(doc, dict) else None
    if not isinstance(head, str) or not head:
        raise XtError(f"--manifest {path} 没有记录历史头（history_head）")
    return head


@click.command("seal")
@click.option("--through", "through", required=True, callback=_day, help="Last day sealed.")
@click.option("--dry-run", is_flag=True, help="Show the seal; write nothing.")
@format_option
@click.pass_context
def seal_cmd(ctx: click.Context, through: dt.date, dry_run: bool, fmt: str) -> None:
    """Seal every entry up to a closed period's end: digests recorded in the books."""
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
