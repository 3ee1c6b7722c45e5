"""`application`, `premium`, `policies`, `coverage`: elevator maintenance insurance.

Thin commands over `xtaccounts.insurance`. A refusal is printed one line per unmet condition
(with its figures) and exits 1; nothing is written then. Every writing command has --dry-run.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from xtaccounts.cli.output import emit, format_option, plain, render_table
from xtaccounts.cli.params import (
    DATE,
    MONEY,
    DateType,
    dry_run_option,
    ledger_path,
    report_day,
)
from xtaccounts.core.dates import HORIZON_DAYS
from xtaccounts.core.errors import XtError
from xtaccounts.core.i18n import N_, _
from xtaccounts.insurance import (
    buy_premium,
    cancel_policy,
    file_application,
    parse_inspection,
    post_notice,
    read_vote_file,
    record_objection,
    record_vote,
    renew_policy,
)
from xtaccounts.insurance.coverage import coverage_of
from xtaccounts.insurance.premiums import PremiumBooked
from xtaccounts.insurance.status import application_status, policy_rows_of, statuses_of
from xtaccounts.reading.ledger import open_ledger

as_of_option = click.option(
    "--as-of",
    "as_of",
    type=DATE,
    default=None,
    help=N_("截至此日（默认：账簿最后一笔分录的日期，若早于今天则为今天）。"),
)


def _written(result) -> list[str]:
    if result is None:
        return []
    return [str(path) for path in result.files]


def _split(values: tuple[str, ...]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


# -- application ----------------------------------------------------------------------------


@click.group("application")
def application_group() -> None:
    """由统筹账户支付保费的申请：申请、公示、异议、表决、列表、查看。"""


@application_group.command("file")
@click.option("--date", "day", type=DATE, required=True, help=N_("申请日。"))
@click.option(
    "--elevator",
    "elevators",
    multiple=True,
    required=True,
    help=N_("电梯注册代码（可重复此选项或用逗号分隔）。"),
)
@click.option("--pool", default=None, help=N_("付费的统筹账户（默认：电梯所属的统筹账户）。"))
@click.option("--households", "households", multiple=True, help=N_("申请的住户（3 户或以上）。"))
@click.option("--committee", is_flag=True, help=N_("由小区业主委员会申请。"))
@click.option("--property-company", default=None, help=N_("由受委托的物业服务企业申请。"))
@click.option(
    "--insurer", required=True, help=N_("保险公司编号（见保险公司登记 registry/insurers.toml）。")
)
@click.option("--premium", type=MONEY, default=None, help=N_("所填年保费（将核对）。"))
@click.option("--cover-start", type=DATE, required=True, help=N_("申请的保障起始日。"))
@click.option(
    "--cover-end",
    # a year of cover from a start as late as the input horizon allows
    type=DateType(horizon_days=2 * HORIZON_DAYS),
    default=None,
    help=N_("保障截止日（默认：一年）。"),
)
@click.option(
    "--inspection",
    "inspections",
    multiple=True,
    help=N_("随申请提交的检验报告：电梯编号=YYYY-MM-DD[:passed|failed]。"),
)
@click.option("--id", "app_id", default=None, help=N_("申请编号（默认：APP-<年>-<序号>）。"))
@dry_run_option
@format_option
@click.pass_context
def file_cmd(
    ctx: click.Context,
    day: dt.date,
    elevators: tuple[str, ...],
    pool: str | None,
    households: tuple[str, ...],
    committee: bool,
    property_company: str | None,
    insurer: str,
    premium: Decimal | None,
    cover_start: dt.date,
    cover_end: dt.date | None,
    inspections: tuple[str, ...],
    app_id: str | None,
    dry_run: bool,
    fmt: str,
) -> None:
    """提交申请（docs/rules.md §3.3）：3 户以上业主、业主委员会或其委托的物业服务企业。"""
    kinds = [bool(households), committee, property_company is not None]
    if sum(kinds) != 1:
        raise XtError(
            _("请写明申请人：--households H1,H2,H3、--committee 或 --property-company 三者之一")
        )
    if households:
        kind, applicants = "households", _split(households)
    elif committee:
        kind, applicants = "committee", []
    else:
        kind, applicants = "property_company", [property_company or ""]
    recorded = file_application(
        ledger_path(ctx),
        filed=day,
        elevators=_split(elevators),
        applicant_kind=kind,
        applicants=applicants,
        insurer=insurer,
        cover_start=cover_start,
        cover_end=cover_end,
        pool=pool,
        premium=premium,
        inspections=[parse_inspection(text) for text in inspections],
        app_id=app_id,
        dry_run=dry_run,
    )
    meta = recorded.entries[0].meta
    rows = [
        {"elevator": code, "premium": Decimal(amount)}
        for code, _sep, amount in (p.partition("=") for p in meta["premiums"].split())
    ]
    emit(
        "application file",
        rows,
        ["elevator", "premium"],
        fmt,
        {
            "application": recorded.detail["id"],
            "pool": meta["pool"],
            "applicants": meta["applicant_name"],
            "insurer": meta["insurer"],
            "tender": meta["tender"],
            "premium": meta["premium"],
            "cover": f"{meta['cover_start']}..{meta['cover_end']}",
            "dry_run": dry_run,
            "files": _written(recorded.result),
        },
    )


@application_group.command("notice")
@click.argument("app")
@click.option("--start", type=DATE, required=True, help=N_("公示首日（共 7 天：D 至 D+6）。"))
@dry_run_option
@format_option
@click.pass_context
def notice_cmd(ctx: click.Context, app: str, start: dt.date, dry_run: bool, fmt: str) -> None:
    """发布公示，并在 documents/notices/ 下生成 HTML 和 PDF。"""
    recorded = post_notice(ledger_path(ctx), app, start, dry_run=dry_run)
    content = recorded.detail["content"]
    emit(
        "application notice",
        [{"document": doc} for doc in recorded.documents],
        ["document"],
        fmt,
        {
            "application": app,
            "notice": f"{content.notice_start}..{content.notice_end}",
            "purchase_from": content.purchase_from,
            "pool": content.pool,
            "pool_balance": content.pool_balance,
            "balance_date": content.balance_date,
            "premium": content.premium,
            "dry_run": dry_run,
            "files": _written(recorded.result),
        },
    )


@application_group.command("object")
@click.argument("app")
@click.option("--date", "day", type=DATE, required=True, help=N_("收到异议的日期。"))
@click.option("--household", required=True, help=N_("提出异议的住户（须属于该统筹账户）。"))
@click.option(
    "--reason",
    required=True,
    help=N_("异议理由（身份证号、电话和卡号会被遮盖；请勿写姓名）。"),
)
@dry_run_option
@format_option
@click.pass_context
def object_cmd(
    ctx: click.Context, app: str, day: dt.date, household: str, reason: str, dry_run: bool, fmt: str
) -> None:
    """记录书面异议（须在公示期内）：申请转入业主表决。"""
    recorded = record_objection(ledger_path(ctx), app, day, household, reason, dry_run=dry_run)
    meta = recorded.entries[0].meta
    emit(
        "application object",
        [],
        [],
        fmt,
        {
            "application": app,
            "date": day,
            "household": household,
            "reason": meta["reason"],
            "next": "the owners' vote (application vote)",
            "dry_run": dry_run,
            "files": _written(recorded.result),
        },
    )


@application_group.command("vote")
@click.argument("app")
@click.option("--date", "day", type=DATE, required=True, help=N_("表决日。"))
@click.option(
    "--votes",
    "votes_file",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    required=True,
    help=N_("CSV 文件，每行 户号,表决意见（同意/反对/弃权，或 for/against/abstain）。"),
)
@dry_run_option
@format_option
@click.pass_context
def vote_cmd(
    ctx: click.Context, app: str, day: dt.date, votes_file: Path, dry_run: bool, fmt: str
) -> None:
    """记录书面异议后的业主表决；按民法典第二百七十八条判定结果。"""
    votes = read_vote_file(votes_file)
    recorded = record_vote(ledger_path(ctx), app, day, votes, dry_run=dry_run)
    t = recorded.detail["tally"]
    rows = [
        {"choice": "for", "households": t.households_for, "area_m2": t.area_for},
        {"choice": "against", "households": t.households_against, "area_m2": t.area_against},
        {"choice": "abstain", "households": t.households_abstain, "area_m2": t.area_abstain},
        {"choice": "took part", "households": t.households_voted, "area_m2": t.area_voted},
        {"choice": "all of the pool", "households": t.households_total, "area_m2": t.area_total},
    ]
    emit(
        "application vote",
        rows,
        ["choice", "households", "area_m2"],
        fmt,
        {
            "application": app,
            "date": day,
            "quorum": "met" if t.quorum else "not met",
            "outcome": "passed" if t.passed else "failed",
            "count": t.explain(),
            "document": recorded.documents[0],
            "dry_run": dry_run,
            "files": _written(recorded.result),
        },
    )


@application_group.command("list")
@as_of_option
@format_option
@click.pass_context
def list_cmd(ctx: click.Context, as_of: dt.date | None, fmt: str) -> None:
    """所有申请及其在 --as-of 当日所处的阶段。"""
    ledger = open_ledger(ledger_path(ctx))
    day = report_day(ledger.entries, as_of)
    statuses = statuses_of(ledger.insurance.state(day), day)
    rows = [
        {
            "application": s.application.id,
            "filed": s.application.filed,
            "pool": s.application.pool,
            "elevators": len(s.application.elevators),
            "premium": s.application.premium,
            "stage": s.stage,
            "detail": s.detail,
        }
        for s in statuses
    ]
    columns = ["application", "filed", "pool", "elevators", "premium", "stage", "detail"]
    emit("application list", rows, columns, fmt, {"as_of": day, "applications": len(rows)})


@application_group.command("show")
@click.argument("app")
@as_of_option
@format_option
@click.pass_context
def show_cmd(ctx: click.Context, app: str, as_of: dt.date | None, fmt: str) -> None:
    """查看一份申请：其记录；尚未购买的，购买还缺哪些条件。"""
    ledger = open_ledger(ledger_path(ctx))
    day = report_day(ledger.entries, as_of)
    state = ledger.insurance.state(day)
    status = application_status(state, app, day)
    a = status.application
    book = state.book
    rows = [{"date": a.filed, "record": "application", "detail": a.applicant_name}]
    notice = book.notice(app)
    if notice:
        rows.append(
            {"date": notice.start, "record": "notice", "detail": f"{notice.start}..{notice.end}"}
        )
    for o in book.objections.get(app, []):
        rows.append({"date": o.date, "record": "objection", "detail": f"{o.household}: {o.reason}"})
    for v in book.votes.get(app, []):
        rows.append(
            {"date": v.date, "record": "vote", "detail": "passed" if v.passed else "failed"}
        )
    for p in book.policies_of(app):
        rows.append(
            {
                "date": p.bought,
                "record": "policy",
                "detail": f"{p.id} {p.premium} {p.cover_start}..{p.cover_end}",
            }
        )
        c = book.cancellations.get(p.id)
        if c:
            rows.append(
                {"date": c.date, "record": "cancellation", "detail": f"{c.reason} ({c.refund})"}
            )
    rows += [{"date": day, "record": "unmet", "detail": str(r)} for r in status.reasons]
    emit(
        "application show",
        rows,
        ["date", "record", "detail"],
        fmt,
        {
            "application": a.id,
            "as_of": day,
            "pool": a.pool,
            "elevators": ",".join(a.elevators),
            "premium": a.premium,
            "cover": f"{a.cover_start}..{a.cover_end}",
            "stage": status.stage,
            "detail": status.detail,
        },
    )


# -- premium --------------------------------------------------------------------------------


@click.group("premium")
def premium_group() -> None:
    """由统筹账户支付的保费：购买、续保、退保。"""


def _emit_premium(command: str, booked: PremiumBooked, fmt: str, dry_run: bool) -> None:
    rows = [{"elevator": code, "amount": amount} for code, amount in booked.amounts.items()]
    emit(
        command,
        rows,
        ["elevator", "amount"],
        fmt,
        {
            "policy": booked.policy_id,
            "application": booked.application,
            "date": booked.day,
            "pool": booked.pool,
            "total": booked.total,
            "pool_before": booked.pool_before,
            "pool_after": booked.pool_after,
            "cover": f"{booked.cover_start}..{booked.cover_end}",
            "dry_run": dry_run,
            "files": _written(booked.result),
        },
    )


@premium_group.command("buy")
@click.argument("app")
@click.option("--date", "day", type=DATE, required=True, help=N_("购买日。"))
@click.option("--policy-no", default=None, help=N_("保险公司的保单号。"))
@dry_run_option
@format_option
@click.pass_context
def buy_cmd(
    ctx: click.Context, app: str, day: dt.date, policy_no: str | None, dry_run: bool, fmt: str
) -> None:
    """若 --date 当日各项条件都满足，由统筹账户为 APP 支付一年保费。"""
    booked = buy_premium(ledger_path(ctx), app, day, policy_no=policy_no, dry_run=dry_run)
    _emit_premium("premium buy", booked, fmt, dry_run)


@premium_group.command("renew")
@click.argument("policy")
@click.option("--date", "day", type=DATE, required=True, help=N_("续保日。"))
@click.option("--policy-no", default=None, help=N_("保险公司的保单号。"))
@dry_run_option
@format_option
@click.pass_context
def renew_cmd(
    ctx: click.Context, policy: str, day: dt.date, policy_no: str | None, dry_run: bool, fmt: str
) -> None:
    """为 POLICY 购买下一年的保障（在所申请的期间内）。"""
    booked = renew_policy(ledger_path(ctx), policy, day, policy_no=policy_no, dry_run=dry_run)
    _emit_premium("premium renew", booked, fmt, dry_run)


@premium_group.command("cancel")
@click.argument("policy")
@click.option("--date", "day", type=DATE, required=True, help=N_("保障的最后一天。"))
@click.option("--reason", required=True, help=N_("退保原因。"))
@dry_run_option
@format_option
@click.pass_context
def cancel_cmd(
    ctx: click.Context, policy: str, day: dt.date, reason: str, dry_run: bool, fmt: str
) -> None:
    """退保 POLICY；未到期保费（按天数比例）退回统筹账户。"""
    booked = cancel_policy(ledger_path(ctx), policy, day, reason, dry_run=dry_run)
    _emit_premium("premium cancel", booked, fmt, dry_run)


# -- reports --------------------------------------------------------------------------------

_DAYS = re.compile(r"^\s*(\d+)\s*d?\s*$", re.IGNORECASE)


class DaysType(click.ParamType):
    name = "days"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        match = _DAYS.match(str(value))
        if not match:
            raise XtError(
                _("--expiring-within：{value!r} 不是天数（例如 60d）").format(value=value)
            )
        return int(match.group(1))


@click.command("policies")
@click.option(
    "--expiring-within",
    type=DaysType(),
    default=None,
    help=N_("只列 N 天内到期的（如 60d）。"),
)
@as_of_option
@format_option
@click.pass_context
def policies_cmd(
    ctx: click.Context, expiring_within: int | None, as_of: dt.date | None, fmt: str
) -> None:
    """所有保单及其在 --as-of 当日的状态。"""
    ledger = open_ledger(ledger_path(ctx))
    day = report_day(ledger.entries, as_of)
    rows = [vars(r) for r in policy_rows_of(ledger.insurance.state(day), day, expiring_within)]
    columns = [
        "policy",
        "application",
        "pool",
        "elevators",
        "bought",
        "cover_start",
        "cover_end",
        "premium",
        "status",
        "days_left",
        "renewed_by",
    ]
    extra = {"as_of": day, "policies": len(rows)}
    if expiring_within is not None:
        extra["expiring_within_days"] = expiring_within
    emit("policies", rows, columns, fmt, extra)


@click.command("coverage")
@as_of_option
@click.option(
    "--by", type=click.Choice(["district", "community"]), default=None, help=N_("分组方式。")
)
@format_option
@click.pass_context
def coverage_cmd(ctx: click.Context, as_of: dt.date | None, by: str | None, fmt: str) -> None:
    """保险覆盖率指标（docs/rules.md §3.8）与目标的对比，以及背后的电梯明细。"""
    ledger = open_ledger(ledger_path(ctx))
    day = report_day(ledger.entries, as_of)
    result = coverage_of(ledger.registry, ledger.insurance.state, day)
    elevators = [vars(e) for e in result.elevators]
    elevator_columns = ["elevator", "place", "application", "status", "policy", "detail"]
    targets: list[dict[str, Any]] = [
        {
            "date": t.date,
            "target_percent": t.target,
            "eligible": t.eligible,
            "insured": t.insured,
            "percent": t.percent,
            "met": t.met,
        }
        for t in result.targets
    ]
    extra = {
        "as_of": day,
        "eligible": result.eligible,
        "insured": result.insured,
        "percent": result.percent,
        "targets": targets,
    }
    if by:
        rows = result.groups(by)
        columns = list(rows[0]) if rows else [by]
    else:
        rows, columns = elevators, elevator_columns
    if fmt == "json":
        if by:
            extra["elevators"] = elevators
        emit("coverage", rows, columns, fmt, extra)
        return
    if fmt == "csv":
        emit("coverage", rows, columns, fmt)
        return
    for key in ("as_of", "eligible", "insured", "percent"):
        click.echo(f"{key}: {plain(extra[key]) if extra[key] is not None else 'n/a'}")
    for t in targets:
        met = {True: "met", False: "NOT met", None: "n/a (no eligible elevator)"}[t["met"]]
        shown = f"{t['percent']}%" if t["percent"] is not None else "n/a"
        click.echo(
            f"target {t['date']}: ≥ {t['target_percent']}% — {t['insured']}/{t['eligible']} = "
            f"{shown}: {met}"
        )
    if rows:
        click.echo(render_table(rows, columns))
    if by and elevators:
        click.echo()
        click.echo(render_table(elevators, elevator_columns))


COMMANDS = (application_group, premium_group, policies_cmd, coverage_cmd)
