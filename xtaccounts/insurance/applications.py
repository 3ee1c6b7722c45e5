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
        raise XtError(f"--inspection {text!r}: expected CODE=YYYY-MM-DD[:passed|failed]")
    day_text, _, result = rest.partition(":")
    day = parse_date(day_text, field=f"--inspection {code.strip()}")
    result = result.strip().lower()
    if result not in ("", "passed", "failed", "合格", "不合格"):
        raise XtError(f"--inspection {text!r}: result must be passed or failed")
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
        return f"{place_name(registry, pool)} 业主 {len(doors)} 户（{'、'.join(doors)}）"
    community = registry.communities.get(applicants[0]) if applicants else None
    if kind == "committee" and community is not None:
        return f"{community.name}业主委员会"
    return f"{applicants[0] if applicants else ''}（受业主委员会委托的物业服务企业）"


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
    refuse_after_last_day(filed, "filing day")
    refuse_after_last_day(cover_start, "cover start")
    for report in inspections:
        refuse_after_last_day(report.inspected, f"inspection of {report.elevator}")
    main, registry = _open(main)
    codes = list(dict.fromkeys(code.strip() for code in elevators if code.strip()))
    reasons: list[Reason] = []
    if not codes:
        reasons.append(Reason("elevator", "name at least one elevator"))
    unknown = [c for c in codes if c not in registry.elevators]
    if unknown:
        reasons.append(
            Reason("elevator", f"unknown elevator(s) {', '.join(unknown)} (elevators.csv)")
        )
    known = [c for c in codes if c in registry.elevators]
    if pool is None and known:
        pool = pool_of_elevator(registry, known[0])
    pool = pool or ""
    if not is_pool(registry, pool):
        reasons.append(Reason("pool", f"{pool or '(none)'} is not a pool (a building or unit id)"))
    for code in known:
        if pool and pool_of_elevator(registry, code) != pool:
            reasons.append(
                Reason(
                    "elevator",
                    f"elevator {code} is paid by pool {pool_of_elevator(registry, code)}, "
                    f"not {pool} (one application, one pool)",
                )
            )
    if applicant_kind == "committee" and not applicants and is_pool(registry, pool):
        applicants = (community_of(registry, pool),)
    if applicant_kind == "property_company":
        try:  # a name typed in: admitted as the registry's names are
            field = "物业服务企业 (--property-company)"
            applicants = [admit_text(a, field=field) for a in applicants]
        except TextRefused as exc:
            reasons.append(Reason("applicants", str(exc)))
            applicants = []
    if applicant_kind not in APPLICANT_KINDS:
        reasons.append(Reason("applicants", f"applicant kind must be one of {APPLICANT_KINDS}"))
    elif is_pool(registry, pool):
        reasons.extend(applicant_reasons(registry, pool, applicant_kind, applicants, filed))
    if cover_start < filed:
        reasons.append(
            Reason("cover", f"the cover would start {cover_start}, before the filing day {filed}")
        )
    cover_end = cover_end or one_year_from(cover_start)
    years = cover_years(cover_start, cover_end)
    if years is None:
        reasons.append(
            Reason(
                "cover",
                f"cover {cover_start}..{cover_end} is not whole years (e.g. {cover_start}.."
                f"{one_year_from(cover_start)})",
            )
        )
    tender = None
    premiums: dict[str, Decimal] = {}
    if insurer not in registry.insurers:
        reasons.append(Reason("tender", f"unknown insurer {insurer} (insurers.toml)"))
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
                f"the stated premium {premium} differs from tender {tender.id}'s "
                f"{total} for these elevators' ages on {cover_start}",
            )
        )
    for report in inspections:
        if report.elevator not in codes:
            reasons.append(
                Reason(
                    "inspection", f"inspection report for {report.elevator}, not in the application"
                )
            )
        elif report.inspected > filed:
            reasons.append(
                Reason(
                    "inspection",
                    f"inspection report of {report.elevator} dated {report.inspected}, after the "
                    f"filing day {filed}",
                )
            )
    with LedgerWriter(main) as session:
        state = InsuranceState(registry, session.books().entries)
        if app_id is None:
            app_id = state.book.next_application_id(filed.year)
        elif not ID_PATTERN.fullmatch(app_id):
            reasons.append(Reason("id", f"application id {app_id!r}: capitals, digits and dashes"))
        if app_id in state.book.applications:
            reasons.append(Reason("id", f"application {app_id} exists already"))
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
    _, end, purchase_from = notice_days(start, registry.pilot.notice_days)
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
    refuse_after_last_day(start, "notice start")
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
                    f"{app_id} was noticed already ({existing.start}..{existing.end})",
                )
            )
        if start < app.filed:
            reasons.append(Reason("notice", f"{start} is before the filing day {app.filed}"))
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
    refuse_after_last_day(day, "objection day")
    main, registry = _open(main)
    with LedgerWriter(main) as session:
        state = InsuranceState(registry, session.books().entries)
        app = state.application(app_id)
        notice = state.book.notice(app_id)
        reasons = []
        if notice is None:
            reasons.append(Reason("notice", f"{app_id} has no notice yet: objections follow it"))
        elif not notice.start <= day <= notice.end:
            reasons.append(
                Reason(
                    "notice",
                    f"the notice ran {notice.start}..{notice.end}; a written objection is taken "
                    f"on those days, not on {day}",
                )
            )
        if household not in pool_households(registry, app.pool):
            reasons.append(
                Reason(
                    "household",
                    f"{household} is not a household of pool {app.pool} "
                    f"({place_name(registry, app.pool)})",
                )
            )
        text = stated_reason(
            reason,
            field="异议理由 (--reason)",
            missing="a written objection states its reason",
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
            problems.append(f"{where}:{number}: expected household,choice")
            continue
        household, choice_text = cells[0], cells[1]
        choice = parse_choice(choice_text)
        if choice is None:
            problems.append(
                f"{where}:{number}: {choice_text!r} is not for/against/abstain (同意/反对/弃权)"
            )
        elif household in votes:
            problems.append(f"{where}:{number}: {household} votes twice")
        else:
            votes[household] = choice
    if problems:
        raise XtError(f"vote file has {len(problems)} problem(s):\n" + "\n".join(problems))
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
    refuse_after_last_day(day, "vote day")
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
                    f"no written objection to {app_id} is recorded by {day}: the owners vote only "
                    "after one",
                )
            )
        if book.policies_of(app_id):
            reasons.append(Reason("vote", f"{app_id} is bought already"))
        members = pool_households(registry, app.pool)
        outside = sorted(h for h in votes if h not in members)
        if outside:
            reasons.append(
                Reason(
                    "household",
                    f"not households of pool {app.pool}: {', '.join(outside[:10])}"
                    + (f" … ({len(outside)} in all)" if len(outside) > 10 else ""),
                )
            )
        if not votes:
            reasons.append(Reason("vote", "the vote file holds no vote"))
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
