"""An application's life before the purchase: filing, the public notice, objections, the vote.

Each step checks its own rules first and, when one fails, raises `InsuranceRefused` listing
every unmet condition with its figures; nothing is written then. Otherwise it stages its
directives (and documents) through the writer, which re-loads the books with them, runs the
load-time rules and writes all-or-nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from beancount.core import data

from xtaccounts.books.layout import DOCUMENTS_DIR, require_ledger
from xtaccounts.books.writer import CommitResult, LedgerWriter, WriteSession
from xtaccounts.core.calendar import (
    ONE_DAY,
    age_years,
    cover_years,
    one_year_from,
    refuse_after_last_day,
)
from xtaccounts.core.dates import parse_date
from xtaccounts.core.errors import XtError
from xtaccounts.core.i18n import _
from xtaccounts.core.outside_text import TextRefused, admit_text
from xtaccounts.core.vocabulary import ZERO
from xtaccounts.insurance.checks import InsuranceState
from xtaccounts.insurance.directives import (
    APPLICANT_KINDS,
    APPLICATION,
    ID_PATTERN,
    INSPECTION,
    NOTICE,
    OBJECTION,
    VOTE,
    custom,
    format_amounts,
    insurance_file,
    join_ids,
    pending_documents,
)
from xtaccounts.insurance.notice import NoticeContent, NoticeElevator, render_html, render_pdf
from xtaccounts.insurance.rules import (
    Choice,
    InsuranceRefused,
    Reason,
    VoteTally,
    applicant_reasons,
    notice_days,
    parse_choice,
    quote,
    stated_reason,
    tally_votes,
    tender_on,
)
from xtaccounts.registry import Registry, load_registry
from xtaccounts.registry.load import read_text
from xtaccounts.registry.navigation import (
    community_of,
    elevator_place,
    is_pool,
    place_name,
    pool_households,
    pool_of_elevator,
)

NOTICES_DIR = f"{DOCUMENTS_DIR}/notices"
VOTES_DIR = f"{DOCUMENTS_DIR}/votes"


@dataclass(frozen=True)
class Recorded:
    """Directives recorded (or, for a dry run, that would be) and the documents written."""

    entries: tuple[data.Directive, ...]
    result: CommitResult | None
    documents: tuple[str, ...] = ()
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def dry_run(self) -> bool:
        return bool(self.result and self.result.dry_run)


def stage_records(session: WriteSession, entries: Sequence[data.Directive]) -> None:
    """Stage directives to txns/<year>/insurance.beancount by their date."""
    by_file: dict[str, list[data.Directive]] = defaultdict(list)
    for entry in entries:
        by_file[insurance_file(entry.date)].append(entry)
    for relpath, staged in by_file.items():
        session.append_entries(relpath, staged)


def _open(main: Path) -> tuple[Path, Registry]:
    layout = require_ledger(main)
    return layout.main, load_registry(layout.registry)


# -- filing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class InspectionReport:
    """A periodic inspection report that comes with an application."""

    elevator: str
    inspected: dt.date
    passed: bool = True
    report: str = ""


def parse_inspection(text: str) -> InspectionReport:
    """``CODE=YYYY-MM-DD`` or ``CODE=YYYY-MM-DD:failed`` (also ``:passed``, ``:REPORTNO``)."""
    code, sep, rest = text.strip().partition("=")
    if not sep:
        raise XtError(
            _("--inspection {text!r}：应为 电梯编号=YYYY-MM-DD[:passed|failed]").format(text=text)
        )
    day_text, _colon, result = rest.partition(":")
    day = parse_date(day_text, field=f"--inspection {code.strip()}")
    result = result.strip().lower()
    if result not in ("", "passed", "failed", "合格", "不合格"):
        raise XtError(
            _("--inspection {text!r}：检验结论须为 passed（合格）或 failed（不合格）").format(
                text=text
            )
        )
    return InspectionReport(code.strip(), day, result not in ("failed", "不合格"))


def applicant_name(registry: Registry, pool: str, kind: str, applicants: Sequence[str]) -> str:
    """How the notice names the applicants."""
    if kind == "households":
        rows = [
            registry.households[h] for h in dict.fromkeys(applicants) if h in registry.households
        ]
        doors = [
            f"{registry.units[r.unit].name}{r.door_no}室"
            if pool not in registry.units
            else f"{r.door_no}室"
            for r in rows
        ]
        return _("{place} 业主 {count} 户（{doors}）").format(
            place=place_name(registry, pool), count=len(doors), doors="、".join(doors)
        )
    community = registry.communities.get(applicants[0]) if applicants else None
    if kind == "committee" and community is not None:
        return _("{community}业主委员会").format(community=community.name)
    return _("{company}（受业主委员会委托的物业服务企业）").format(
        company=applicants[0] if applicants else ""
    )


def file_application(
    main: Path,
    *,
    filed: dt.date,
    elevators: Sequence[str],
    applicant_kind: str,
    applicants: Sequence[str],
    insurer: str,
    cover_start: dt.date,
    cover_end: dt.date | None = None,
    pool: str | None = None,
    premium: Decimal | None = None,
    inspections: Sequence[InspectionReport] = (),
    app_id: str | None = None,
    dry_run: bool = False,
) -> Recorded:
    """`application file`: record an application (and the inspection reports it brings).

    Refused, with every reason: unknown elevators or pool, elevators of another pool,
    applicants who may not apply (§3.3, on the filing day), an insurer without a tender to price
    it, elevators outside the tender's limits, a stated premium other than the tender's, a cover
    period that is not whole years from a start on or after the filing day.
    """
    refuse_after_last_day(filed, _("申请日"))
    refuse_after_last_day(cover_start, _("保障起始日"))
    for report in inspections:
        refuse_after_last_day(
            report.inspected, _("电梯 {code} 的检验日").format(code=report.elevator)
        )
    main, registry = _open(main)
    codes = list(dict.fromkeys(code.strip() for code in elevators if code.strip()))
    reasons: list[Reason] = []
    if not codes:
        reasons.append(Reason("elevator", _("须至少写明一部电梯")))
    unknown = [c for c in codes if c not in registry.elevators]
    if unknown:
        reasons.append(
            Reason(
                "elevator",
                _("电梯登记（registry/elevators.csv）中没有电梯 {code}").format(
                    code="、".join(unknown)
                ),
            )
        )
    known = [c for c in codes if c in registry.elevators]
    if pool is None and known:
        pool = pool_of_elevator(registry, known[0])
    pool = pool or ""
    if not is_pool(registry, pool):
        reasons.append(
            Reason(
                "pool",
                _("{pool} 不是统筹账户（应为幢或单元的编号）").format(pool=pool or _("（未写）")),
            )
        )
    for code in known:
        if pool and pool_of_elevator(registry, code) != pool:
            reasons.append(
                Reason(
                    "elevator",
                    _(
                        "电梯 {code} 由统筹账户 {paid_by} 付费，不是 {pool}"
                        "（一份申请只对应一个统筹账户）"
                    ).format(code=code, paid_by=pool_of_elevator(registry, code), pool=pool),
                )
            )
    if applicant_kind == "committee" and not applicants and is_pool(registry, pool):
        applicants = (community_of(registry, pool),)
    if applicant_kind == "property_company":
        try:  # a name typed in: admitted as the registry's names are
            field = _("物业服务企业（--property-company）")
            applicants = [admit_text(a, field=field) for a in applicants]
        except TextRefused as exc:
            reasons.append(Reason("applicants", str(exc)))
            applicants = []
    if applicant_kind not in APPLICANT_KINDS:
        reasons.append(
            Reason(
                "applicants",
                _("申请人类别须为 {kinds} 之一").format(kinds="、".join(APPLICANT_KINDS)),
            )
        )
    elif is_pool(registry, pool):
        reasons.extend(applicant_reasons(registry, pool, applicant_kind, applicants, filed))
    if cover_start < filed:
        reasons.append(
            Reason(
                "cover",
                _("保障起始日 {start} 早于申请日 {filed}").format(start=cover_start, filed=filed),
            )
        )
    cover_end = cover_end or one_year_from(cover_start)
    years = cover_years(cover_start, cover_end)
    if years is None:
        reasons.append(
            Reason(
                "cover",
                _("保障期 {start} 至 {end} 不是整年（例如 {start} 至 {example}）").format(
                    start=cover_start, end=cover_end, example=one_year_from(cover_start)
                ),
            )
        )
    tender = None
    premiums: dict[str, Decimal] = {}
    if insurer not in registry.insurers:
        reasons.append(
            Reason(
                "tender",
                _("保险公司登记（registry/insurers.toml）中没有保险公司 {insurer}").format(
                    insurer=insurer
                ),
            )
        )
    else:
        price_day = filed if tender_on(registry, insurer, filed) else cover_start
        offer = quote(registry, insurer, known, price_day, cover_start)
        tender = offer.tender
        reasons.extend(offer.reasons)
        premiums = offer.premiums
    total = sum(premiums.values(), ZERO)
    if premium is not None and tender is not None and premium != total:
        reasons.append(
            Reason(
                "premium",
                _(
                    "所填保费 {premium} 与招标 {tender} 按这些电梯在 {start} 的梯龄"
                    "所定的 {total} 不符"
                ).format(premium=premium, tender=tender.id, total=total, start=cover_start),
            )
        )
    for report in inspections:
        if report.elevator not in codes:
            reasons.append(
                Reason(
                    "inspection",
                    _("电梯 {code} 的检验报告：该电梯不在申请中").format(code=report.elevator),
                )
            )
        elif report.inspected > filed:
            reasons.append(
                Reason(
                    "inspection",
                    _("电梯 {code} 的检验报告日期 {inspected} 晚于申请日 {filed}").format(
                        code=report.elevator, inspected=report.inspected, filed=filed
                    ),
                )
            )
    with LedgerWriter(main) as session:
        state = InsuranceState(registry, session.books().entries)
        if app_id is None:
            app_id = state.book.next_application_id(filed.year)
        elif not ID_PATTERN.fullmatch(app_id):
            reasons.append(
                Reason(
                    "id",
                    _("申请编号 {app!r}：只能由大写字母、数字和连字符组成").format(app=app_id),
                )
            )
        if app_id in state.book.applications:
            reasons.append(Reason("id", _("申请 {app} 已存在").format(app=app_id)))
        if reasons:
            raise InsuranceRefused(f"application file {app_id}", reasons)
        assert tender is not None and years is not None
        entries: list[data.Directive] = [
            custom(
                APPLICATION,
                filed,
                app_id,
                pool=pool,
                elevators=join_ids(codes),
                applicant_kind=applicant_kind,
                applicants=join_ids(dict.fromkeys(applicants)),
                applicant_name=applicant_name(registry, pool, applicant_kind, applicants),
                insurer=insurer,
                tender=tender.id,
                premium=total,
                premiums=format_amounts(premiums),
                cover_start=cover_start,
                cover_end=cover_end,
            )
        ]
        for report in inspections:
            entries.append(
                custom(
                    INSPECTION,
                    filed,
                    report.elevator,
                    inspected=report.inspected,
                    result="passed" if report.passed else "failed",
                    application=app_id,
                    report=report.report,
                )
            )
        stage_records(session, entries)
        result = session.commit(dry_run=dry_run)
    return Recorded(tuple(entries), result, detail={"id": app_id, "premium": total})


# -- the notice -----------------------------------------------------------------------------


def notice_content(state: InsuranceState, app_id: str, start: dt.date) -> NoticeContent:
    registry = state.registry
    app = state.application(app_id)
    _start, end, purchase_from = notice_days(start, registry.pilot.notice_days)
    tender = registry.tenders.get(app.tender)
    balance_day = start - ONE_DAY
    elevators = tuple(
        NoticeElevator(
            code=code,
            place=elevator_place(registry, code),
            commissioned=registry.elevators[code].commissioned,
            age=age_years(registry.elevators[code].commissioned, app.cover_start),
            premium=app.premiums.get(code, ZERO),
        )
        for code in app.elevators
        if code in registry.elevators
    )
    return NoticeContent(
        application=app.id,
        organisation=registry.pilot.organisation,
        filed=app.filed,
        applicants=app.applicant_name or join_ids(app.applicants),
        pool=app.pool,
        pool_name=place_name(registry, app.pool),
        pool_level="单元" if app.pool in registry.units else "幢",
        elevators=elevators,
        insurer=registry.insurers[app.insurer].name
        if app.insurer in registry.insurers
        else app.insurer,
        tender=app.tender,
        tender_period=f"{tender.period_start}至{tender.period_end}" if tender else "",
        premium=app.premium,
        cover_start=app.cover_start,
        cover_end=app.cover_end,
        years=app.years,
        pool_balance=state.pool_available(app.pool, balance_day),
        balance_date=balance_day,
        notice_start=start,
        notice_end=end,
        purchase_from=purchase_from,
        vote_quorum=registry.pilot.vote_quorum,
        vote_majority=registry.pilot.vote_majority,
    )


def post_notice(main: Path, app_id: str, start: dt.date, *, dry_run: bool = False) -> Recorded:
    """`application notice APP --start D`: the 7-day notice (days D..D+6) and its document.

    Records an ``xt-notice`` and renders the 公示 to documents/notices/<APP>.html and .pdf, both
    written by the writer in the same all-or-nothing commit as the record.
    """
    refuse_after_last_day(start, _("公示开始日"))
    main, registry = _open(main)
    html_rel = f"{NOTICES_DIR}/{app_id}.html"
    pdf_rel = f"{NOTICES_DIR}/{app_id}.pdf"
    with LedgerWriter(main) as session:
        state = InsuranceState(registry, session.books().entries)
        app = state.application(app_id)
        reasons = []
        existing = state.book.notice(app_id)
        if existing is not None:
            reasons.append(
                Reason(
                    "notice",
                    _("{app} 已公示（{start} 至 {end}）").format(
                        app=app_id, start=existing.start, end=existing.end
                    ),
                )
            )
        if start < app.filed:
            reasons.append(
                Reason(
                    "notice",
                    _("{start} 早于申请日 {filed}").format(start=start, filed=app.filed),
                )
            )
        if reasons:
            raise InsuranceRefused(f"application notice {app_id}", reasons)
        content = notice_content(state, app_id, start)
        entry = custom(
            NOTICE,
            start,
            app_id,
            notice_end=content.notice_end,
            purchase_from=content.purchase_from,
            pool_balance=content.pool_balance,
            balance_date=content.balance_date,
            html=html_rel,
            pdf=pdf_rel,
        )
        stage_records(session, [entry])
        html_text = render_html(content)
        pdf_bytes = render_pdf(content)
        session.put_standalone(html_rel, html_text)
        session.put_standalone(pdf_rel, pdf_bytes)
        result = session.commit(dry_run=dry_run)
    return Recorded(
        (entry,),
        result,
        documents=(html_rel, pdf_rel),
        detail={"content": content, "html": html_text, "pdf": pdf_bytes},
    )


# -- objections and the vote ----------------------------------------------------------------


def record_objection(
    main: Path,
    app_id: str,
    day: dt.date,
    household: str,
    reason: str,
    *,
    dry_run: bool = False,
) -> Recorded:
    """`application object`: a written objection of a household of the pool, on a notice day."""
    refuse_after_last_day(day, _("异议日"))
    main, registry = _open(main)
    with LedgerWriter(main) as session:
        state = InsuranceState(registry, session.books().entries)
        app = state.application(app_id)
        notice = state.book.notice(app_id)
        reasons = []
        if notice is None:
            reasons.append(
                Reason("notice", _("{app} 尚未公示：异议须在公示期内提出").format(app=app_id))
            )
        elif not notice.start <= day <= notice.end:
            reasons.append(
                Reason(
                    "notice",
                    _("公示期为 {start} 至 {end}，书面异议只在这些日子受理，{day} 不受理").format(
                        start=notice.start, end=notice.end, day=day
                    ),
                )
            )
        if household not in pool_households(registry, app.pool):
            reasons.append(
                Reason(
                    "household",
                    _("{household} 不是统筹账户 {pool}（{place}）的住户").format(
                        household=household, pool=app.pool, place=place_name(registry, app.pool)
                    ),
                )
            )
        text = stated_reason(
            reason,
            field=_("异议理由（--reason）"),
            missing=_("书面异议须写明理由"),
            reasons=reasons,
        )
        if reasons:
            raise InsuranceRefused(f"application object {app_id}", reasons)
        entry = custom(OBJECTION, day, app_id, household=household, reason=text)
        stage_records(session, [entry])
        result = session.commit(dry_run=dry_run)
    return Recorded((entry,), result)


def parse_votes(text: str, where: str = "votes") -> dict[str, Choice]:
    """A vote file: CSV ``household,choice`` (a header row is optional), choice for / against /
    abstain or 同意 / 反对 / 弃权. Every bad line is reported; its cells are admitted
    (`admit_text`: a control character is refused, what is quoted back is masked and inert)."""
    votes: dict[str, Choice] = {}
    problems: list[str] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    for number, row in enumerate(reader, 1):
        try:
            cells = [admit_text(cell, field=f"{where}:{number}") for cell in row]
        except TextRefused as exc:
            problems.append(str(exc))
            continue
        if not any(cells):
            continue
        if number == 1 and cells[0].lower() in ("household", "户号", "房屋编号"):
            continue
        if len(cells) < 2:
            problems.append(
                _("{where}:{number}：应为 户号,表决意见").format(where=where, number=number)
            )
            continue
        household, choice_text = cells[0], cells[1]
        choice = parse_choice(choice_text)
        if choice is None:
            problems.append(
                _("{where}:{number}：{choice!r} 不是 同意/反对/弃权（for/against/abstain）").format(
                    where=where, number=number, choice=choice_text
                )
            )
        elif household in votes:
            problems.append(
                _("{where}:{number}：{household} 表决了两次").format(
                    where=where, number=number, household=household
                )
            )
        else:
            votes[household] = choice
    if problems:
        raise XtError(
            _("表决文件有 {count} 处问题：").format(count=len(problems))
            + "\n"
            + "\n".join(problems)
        )
    return votes


def read_vote_file(path: Path) -> dict[str, Choice]:
    return parse_votes(read_text(path), path.name)


def _vote_document(registry: Registry, votes: Mapping[str, Choice]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["household", "unit", "door_no", "area_m2", "choice"])
    for household in sorted(votes):
        row = registry.households[household]
        writer.writerow([household, row.unit, row.door_no, row.area_m2, votes[household].value])
    return out.getvalue()


def record_vote(
    main: Path,
    app_id: str,
    day: dt.date,
    votes: Mapping[str, Choice],
    *,
    dry_run: bool = False,
) -> Recorded:
    """`application vote`: the owners' vote after a written objection (§3.6), counted over every
    household of the pool with its registry area; the per-household choices are kept in
    documents/votes/<APP>-<date>.csv and the counts and outcome in an ``xt-vote``."""
    refuse_after_last_day(day, _("表决日"))
    main, registry = _open(main)
    doc_rel = f"{VOTES_DIR}/{app_id}-{day.isoformat()}.csv"
    with LedgerWriter(main) as session:
        state = InsuranceState(registry, session.books().entries)
        app = state.application(app_id)
        book = state.book
        reasons = []
        objections = [o for o in book.objections.get(app_id, []) if o.date <= day]
        if not objections:
            reasons.append(
                Reason(
                    "vote",
                    _(
                        "到 {day} 没有对 {app} 的书面异议记录：业主表决只在有书面异议之后进行"
                    ).format(day=day, app=app_id),
                )
            )
        if book.policies_of(app_id):
            reasons.append(Reason("vote", _("{app} 已购买").format(app=app_id)))
        members = pool_households(registry, app.pool)
        outside = sorted(h for h in votes if h not in members)
        if outside:
            reasons.append(
                Reason(
                    "household",
                    _("不是统筹账户 {pool} 的住户：{households}").format(
                        pool=app.pool, households="、".join(outside[:10])
                    )
                    + (
                        _(" …（共 {count} 户）").format(count=len(outside))
                        if len(outside) > 10
                        else ""
                    ),
                )
            )
        if not votes:
            reasons.append(Reason("vote", _("表决文件中没有表决")))
        if reasons:
            raise InsuranceRefused(f"application vote {app_id}", reasons)
        tally = tally_votes(members, votes, registry.pilot)
        entry = _vote_entry(app_id, day, tally, doc_rel)
        stage_records(session, [entry])
        document = _vote_document(registry, votes)
        session.put_standalone(doc_rel, document)
        # The load-time rules recount the document while the writer checks the commit.
        with pending_documents({main.parent / doc_rel: document.encode("utf-8")}):
            result = session.commit(dry_run=dry_run)
    return Recorded((entry,), result, documents=(doc_rel,), detail={"tally": tally})


def _vote_entry(app_id: str, day: dt.date, tally: VoteTally, document: str) -> data.Custom:
    return custom(
        VOTE,
        day,
        app_id,
        outcome=tally.outcome,
        quorum=tally.quorum_text,
        basis="民法典第二百七十八条",
        households_total=str(tally.households_total),
        area_total=str(tally.area_total),
        households_voted=str(tally.households_voted),
        area_voted=str(tally.area_voted),
        households_for=str(tally.households_for),
        area_for=str(tally.area_for),
        households_against=str(tally.households_against),
        area_against=str(tally.area_against),
        households_abstain=str(tally.households_abstain),
        area_abstain=str(tally.area_abstain),
        document=document,
    )
