"""The insurance records as `custom` directives in the books, and reading them back.

Every step of an application's life is one dated ``custom`` directive whose value is the id it
is about and whose metadata says the rest (strings, as docs/metadata.md asks: amounts with two
decimals, ISO dates, comma-separated id lists). They are written by the writer to
``txns/<year>/insurance.beancount`` like the money, so they are versioned with it, shown by Fava
and re-checked at load time by ``xtaccounts.plugins.insurance_rules``.

- ``xt-application`` APP (filed): pool, elevators, applicant_kind, applicants,
  applicant_name, insurer, tender, premium, premiums, cover_start, cover_end;
- ``xt-inspection`` CODE (recorded): inspected, result (passed/failed), application, report;
- ``xt-notice`` APP (first notice day): notice_end, purchase_from, pool_balance,
  balance_date, html, pdf;
- ``xt-objection`` APP (received): household, reason;
- ``xt-vote`` APP (held): outcome, quorum, the counts and areas, document;
- ``xt-policy`` POLICY (bought): application, pool, elevators, insurer, tender, premium,
  premiums, cover_start, cover_end, renews, policy_no;
- ``xt-cancellation`` POLICY (cancelled): application, reason, refund, refunds,
  unexpired_days, policy_days, cover_end.

The premium itself is a transaction (kind ``premium``, refunds kind ``premium-refund``) linked to
its application (``^APP-2024-001``), one posting per elevator with ``pool:``, ``application:``,
``elevator:`` and ``policy:``.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from functools import cached_property
from pathlib import Path
from typing import Any

from beancount.core import data

from xtaccounts.books.layout import LedgerLayout
from xtaccounts.core import chart
from xtaccounts.core.calendar import cover_years
from xtaccounts.core.dates import meta_day
from xtaccounts.core.i18n import _
from xtaccounts.core.money import format_money
from xtaccounts.core.vocabulary import (
    APPLICATION,
    CANCELLATION,
    CURRENCY,
    INSPECTION,
    KIND_PREMIUM,
    KIND_PREMIUM_REFUND,
    META_APPLICATION,
    META_KIND,
    META_POLICY,
    NOTICE,
    OBJECTION,
    POLICY,
    VOTE,
    ZERO,
)
from xtaccounts.core.vocabulary import INSURANCE_TYPES as TYPES
from xtaccounts.registry.models import VOTE_MAJORITY, VOTE_QUORUM, PilotConfig

FILE_KIND = "insurance"

APPLICANT_KINDS = ("households", "committee", "property_company")

# Ids: letters, digits and dashes (they become Beancount links).
ID_PATTERN = re.compile(r"[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*")
APP_ID = re.compile(r"APP-(\d{4})-(\d{3,})")


def insurance_file(day: dt.date) -> str:
    """The ledger file of the insurance records dated `day`: txns/2025/insurance.beancount."""
    return LedgerLayout.txns_file(day.year, FILE_KIND)


def join_ids(ids: Iterable[str]) -> str:
    return ",".join(ids)


def split_ids(value: object) -> tuple[str, ...]:
    return tuple(part.strip() for part in str(value or "").split(",") if part.strip())


def format_amounts(amounts: Mapping[str, Decimal]) -> str:
    """``"code=3200.00 code=2400.00"`` in the given order."""
    return " ".join(f"{key}={format_money(value)}" for key, value in amounts.items())


def parse_amounts(value: object) -> dict[str, Decimal]:
    result: dict[str, Decimal] = {}
    for part in str(value or "").split():
        key, sep, amount = part.partition("=")
        if not sep or not key:
            raise ValueError(f"{part!r} is not key=amount")
        result[key] = _decimal(amount)
    return result


def _decimal(value: object) -> Decimal:
    try:
        number = Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f"{value!r} is not a number") from exc
    if not number.is_finite():
        raise ValueError(f"{value!r} is not a finite number")
    return number


# -- the records ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Application:
    id: str
    filed: dt.date
    pool: str
    elevators: tuple[str, ...]
    applicant_kind: str
    applicants: tuple[str, ...]
    applicant_name: str
    insurer: str
    tender: str
    premium: Decimal
    premiums: dict[str, Decimal]
    cover_start: dt.date
    cover_end: dt.date
    entry: Any = field(default=None, compare=False, repr=False)

    @property
    def years(self) -> int:
        """Whole years of cover applied for (cover_end is the day before an anniversary)."""
        return cover_years(self.cover_start, self.cover_end) or 1


@dataclass(frozen=True)
class Inspection:
    elevator: str
    inspected: dt.date
    passed: bool
    source: str  # "registry" or the application id that brought the report
    report: str = ""


@dataclass(frozen=True)
class Notice:
    application: str
    start: dt.date
    end: dt.date
    purchase_from: dt.date
    pool_balance: Decimal | None
    html: str
    pdf: str
    entry: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Objection:
    application: str
    date: dt.date
    household: str
    reason: str
    entry: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class VoteTally:
    """The count of an owners' vote over a pool's households, and its outcome by Civil Code
    art. 278 (docs/rules.md §3.6), in exact arithmetic. The thresholds are pilot.toml's
    `vote_quorum` and `vote_majority` (2/3 and 1/2 unless a notice changes them); they are not
    counts, so the books do not record them (`TALLY_FIELDS`)."""

    households_total: int
    area_total: Decimal
    households_voted: int
    area_voted: Decimal
    households_for: int
    area_for: Decimal
    households_against: int
    area_against: Decimal
    households_abstain: int
    area_abstain: Decimal
    quorum_share: Fraction = field(default=VOTE_QUORUM, compare=False)
    majority_share: Fraction = field(default=VOTE_MAJORITY, compare=False)

    def _at_least(self, part: Decimal | int, whole: Decimal | int, share: Fraction) -> bool:
        return share.denominator * part >= share.numerator * whole

    def _more_than(self, part: Decimal | int, whole: Decimal | int, share: Fraction) -> bool:
        return share.denominator * part > share.numerator * whole

    @property
    def quorum_area(self) -> bool:
        return self._at_least(self.area_voted, self.area_total, self.quorum_share)

    @property
    def quorum_headcount(self) -> bool:
        return self._at_least(self.households_voted, self.households_total, self.quorum_share)

    @property
    def quorum(self) -> bool:
        """At least `quorum_share` (2/3) of the area AND of the households take part."""
        return self.quorum_area and self.quorum_headcount

    @property
    def majority_area(self) -> bool:
        return self._more_than(self.area_for, self.area_voted, self.majority_share)

    @property
    def majority_headcount(self) -> bool:
        return self._more_than(self.households_for, self.households_voted, self.majority_share)

    @property
    def passed(self) -> bool:
        """Quorum, then more than `majority_share` (1/2) of the participating area AND of the
        participants."""
        return self.quorum and self.majority_area and self.majority_headcount

    @property
    def outcome(self) -> str:
        return "passed" if self.passed else "failed"

    @property
    def quorum_text(self) -> str:
        return "met" if self.quorum else "not met"

    def explain(self) -> str:
        """'参与表决：4/6 户（66.67%，≥ 2/3），660.00/1000.00 m²（66.00%，< 2/3）；参与表决的户数
        或面积未达到规定比例' and, with a quorum, who was for against the same thresholds."""
        over = _("未超过")
        parts = [
            _(
                "参与表决：{voted}/{total} 户（{pct}，{sign} {share}），"
                "{area_voted}/{area_total} m²（{area_pct}，{area_sign} {share}）"
            ).format(
                voted=self.households_voted,
                total=self.households_total,
                pct=_pct(self.households_voted, self.households_total),
                sign="≥" if self.quorum_headcount else "<",
                share=self.quorum_share,
                area_voted=self.area_voted,
                area_total=self.area_total,
                area_pct=_pct(self.area_voted, self.area_total),
                area_sign="≥" if self.quorum_area else "<",
            )
        ]
        if self.quorum:
            parts.append(
                _(
                    "同意：{count}/{voted} 户（{pct}，{sign} {share}），"
                    "{area}/{area_voted} m²（{area_pct}，{area_sign} {share}）"
                ).format(
                    count=self.households_for,
                    voted=self.households_voted,
                    pct=_pct(self.households_for, self.households_voted),
                    sign=">" if self.majority_headcount else over,
                    share=self.majority_share,
                    area=self.area_for,
                    area_voted=self.area_voted,
                    area_pct=_pct(self.area_for, self.area_voted),
                    area_sign=">" if self.majority_area else over,
                )
            )
        else:
            parts.append(_("参与表决的户数或面积未达到规定比例"))
        return _("；").join(parts)


def _pct(part: Decimal | int, whole: Decimal | int) -> str:
    if not whole:
        return "n/a"
    return f"{(Decimal(part) * 100 / Decimal(whole)).quantize(Decimal('0.01'))}%"


# The counts an ``xt-vote`` records, in order (the thresholds come from pilot.toml).
TALLY_FIELDS = tuple(
    name
    for name in VoteTally.__dataclass_fields__
    if name not in ("quorum_share", "majority_share")
)


@dataclass(frozen=True)
class Vote:
    """An ``xt-vote``: its counts, and the outcome and quorum as recorded. `passed` and `quorum`
    are those of the counts, never the recorded words (the load-time rules report a record
    whose words differ)."""

    application: str
    date: dt.date
    tally: VoteTally
    outcome: str  # as recorded: passed / failed
    quorum_recorded: str  # as recorded: met / not met
    document: str = ""
    entry: Any = field(default=None, compare=False, repr=False)

    @property
    def passed(self) -> bool:
        return self.tally.passed

    @property
    def quorum(self) -> bool:
        return self.tally.quorum


@dataclass(frozen=True)
class Policy:
    id: str
    application: str
    bought: dt.date
    pool: str
    elevators: tuple[str, ...]
    insurer: str
    tender: str
    premium: Decimal
    premiums: dict[str, Decimal]
    cover_start: dt.date
    cover_end: dt.date
    renews: str = ""
    policy_no: str = ""
    entry: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Cancellation:
    policy: str
    application: str
    date: dt.date
    reason: str
    refund: Decimal
    entry: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class PolicyState:
    """A policy with its cancellation, if any."""

    policy: Policy
    cancellation: Cancellation | None

    @property
    def last_day(self) -> dt.date:
        """The last day the policy covers: its cover end, or the cancellation day."""
        if self.cancellation is not None:
            return min(self.policy.cover_end, self.cancellation.date)
        return self.policy.cover_end

    def in_force(self, day: dt.date) -> bool:
        return self.policy.cover_start <= day <= self.last_day


@dataclass
class InsuranceBook:
    """Every insurance record of the books, by what it is about."""

    applications: dict[str, Application] = field(default_factory=dict)
    inspections: dict[str, list[Inspection]] = field(default_factory=lambda: defaultdict(list))
    notices: dict[str, list[Notice]] = field(default_factory=lambda: defaultdict(list))
    objections: dict[str, list[Objection]] = field(default_factory=lambda: defaultdict(list))
    votes: dict[str, list[Vote]] = field(default_factory=lambda: defaultdict(list))
    policies: dict[str, Policy] = field(default_factory=dict)
    cancellations: dict[str, Cancellation] = field(default_factory=dict)
    premium_entries: dict[str, list[data.Transaction]] = field(
        default_factory=lambda: defaultdict(list)
    )
    # (entry, message) for records that could not be read, and ids defined twice.
    problems: list[tuple[Any, str]] = field(default_factory=list)

    def notice(self, app_id: str) -> Notice | None:
        notices = self.notices.get(app_id) or []
        return notices[0] if notices else None

    def policies_of(self, app_id: str) -> list[Policy]:
        """The policies bought under one application, by cover start."""
        return [s.policy for s in self.states_by_application.get(app_id, ())]

    def policy_states(self) -> list[PolicyState]:
        """Every policy with its cancellation, by purchase day."""
        return self._states

    @cached_property
    def _states(self) -> list[PolicyState]:
        return [
            PolicyState(p, self.cancellations.get(p.id))
            for p in sorted(self.policies.values(), key=lambda p: (p.bought, p.id))
        ]

    @cached_property
    def states_by_application(self) -> dict[str, list[PolicyState]]:
        result: dict[str, list[PolicyState]] = defaultdict(list)
        for state in sorted(self._states, key=lambda s: (s.policy.cover_start, s.policy.id)):
            result[state.policy.application].append(state)
        return dict(result)

    @cached_property
    def states_by_elevator(self) -> dict[str, list[PolicyState]]:
        result: dict[str, list[PolicyState]] = defaultdict(list)
        for state in self._states:
            for code in state.policy.elevators:
                result[code].append(state)
        return dict(result)

    def next_application_id(self, year: int) -> str:
        numbers = [
            int(m.group(2))
            for app_id in self.applications
            if (m := APP_ID.fullmatch(app_id)) and int(m.group(1)) == year
        ]
        return f"APP-{year:04d}-{max(numbers, default=0) + 1:03d}"


def _value(entry: data.Custom) -> str:
    if not entry.values:
        raise ValueError("has no value (the id it is about)")
    return str(entry.values[0].value if hasattr(entry.values[0], "value") else entry.values[0][0])


def _meta(entry: data.Custom, key: str, default: object = ...) -> Any:
    if key in entry.meta:
        return entry.meta[key]
    if default is ...:
        raise ValueError(f"has no {key}:")
    return default


def _bool_result(value: object) -> bool:
    text = str(value).strip().lower()
    if text in {"passed", "pass", "yes", "true", "合格"}:
        return True
    if text in {"failed", "fail", "no", "false", "不合格"}:
        return False
    raise ValueError(f"result {value!r} is neither passed nor failed")


def _read_application(entry: data.Custom) -> Application:
    app_id = _value(entry)
    premiums = parse_amounts(_meta(entry, "premiums", ""))
    return Application(
        id=app_id,
        filed=entry.date,
        pool=str(_meta(entry, "pool")),
        elevators=split_ids(_meta(entry, "elevators")),
        applicant_kind=str(_meta(entry, "applicant_kind")),
        applicants=split_ids(_meta(entry, "applicants")),
        applicant_name=str(_meta(entry, "applicant_name", "")),
        insurer=str(_meta(entry, "insurer")),
        tender=str(_meta(entry, "tender", "")),
        premium=_decimal(_meta(entry, "premium")),
        premiums=premiums,
        cover_start=meta_day(_meta(entry, "cover_start")),
        cover_end=meta_day(_meta(entry, "cover_end")),
        entry=entry,
    )


def _read_policy(entry: data.Custom) -> Policy:
    return Policy(
        id=_value(entry),
        application=str(_meta(entry, "application")),
        bought=entry.date,
        pool=str(_meta(entry, "pool")),
        elevators=split_ids(_meta(entry, "elevators")),
        insurer=str(_meta(entry, "insurer")),
        tender=str(_meta(entry, "tender", "")),
        premium=_decimal(_meta(entry, "premium")),
        premiums=parse_amounts(_meta(entry, "premiums", "")),
        cover_start=meta_day(_meta(entry, "cover_start")),
        cover_end=meta_day(_meta(entry, "cover_end")),
        renews=str(_meta(entry, "renews", "")),
        policy_no=str(_meta(entry, "policy_no", "")),
        entry=entry,
    )


def _read_tally(entry: data.Custom, pilot: PilotConfig | None) -> VoteTally:
    """The counts of an ``xt-vote`` (read in the order of TALLY_FIELDS), judged by the pilot's
    thresholds (today's when no pilot is given)."""

    def households(key: str) -> int:
        return int(str(_meta(entry, key)))

    def area(key: str) -> Decimal:
        return _decimal(_meta(entry, key))

    return VoteTally(
        households_total=households("households_total"),
        area_total=area("area_total"),
        households_voted=households("households_voted"),
        area_voted=area("area_voted"),
        households_for=households("households_for"),
        area_for=area("area_for"),
        households_against=households("households_against"),
        area_against=area("area_against"),
        households_abstain=households("households_abstain"),
        area_abstain=area("area_abstain"),
        quorum_share=VOTE_QUORUM if pilot is None else pilot.vote_quorum,
        majority_share=VOTE_MAJORITY if pilot is None else pilot.vote_majority,
    )


def _add(book: InsuranceBook, entry: data.Custom, pilot: PilotConfig | None = None) -> None:
    kind = entry.type
    if kind == APPLICATION:
        app = _read_application(entry)
        if app.id in book.applications:
            book.problems.append((entry, f"application {app.id} is filed twice"))
            return
        book.applications[app.id] = app
    elif kind == INSPECTION:
        book.inspections[_value(entry)].append(
            Inspection(
                elevator=_value(entry),
                inspected=meta_day(_meta(entry, "inspected")),
                passed=_bool_result(_meta(entry, "result")),
                source=str(_meta(entry, "application", "")) or "books",
                report=str(_meta(entry, "report", "")),
            )
        )
    elif kind == NOTICE:
        balance = _meta(entry, "pool_balance", None)
        book.notices[_value(entry)].append(
            Notice(
                application=_value(entry),
                start=entry.date,
                end=meta_day(_meta(entry, "notice_end")),
                purchase_from=meta_day(_meta(entry, "purchase_from")),
                pool_balance=None if balance is None else _decimal(balance),
                html=str(_meta(entry, "html", "")),
                pdf=str(_meta(entry, "pdf", "")),
                entry=entry,
            )
        )
    elif kind == OBJECTION:
        book.objections[_value(entry)].append(
            Objection(
                application=_value(entry),
                date=entry.date,
                household=str(_meta(entry, "household")),
                reason=str(_meta(entry, "reason", "")),
                entry=entry,
            )
        )
    elif kind == VOTE:
        tally = _read_tally(entry, pilot)
        book.votes[_value(entry)].append(
            Vote(
                application=_value(entry),
                date=entry.date,
                tally=tally,
                outcome=str(_meta(entry, "outcome")),
                quorum_recorded=str(_meta(entry, "quorum")),
                document=str(_meta(entry, "document", "")),
                entry=entry,
            )
        )
    elif kind == POLICY:
        policy = _read_policy(entry)
        if policy.id in book.policies:
            book.problems.append((entry, f"policy {policy.id} is recorded twice"))
            return
        book.policies[policy.id] = policy
    elif kind == CANCELLATION:
        policy_id = _value(entry)
        if policy_id in book.cancellations:
            book.problems.append((entry, f"policy {policy_id} is cancelled twice"))
            return
        book.cancellations[policy_id] = Cancellation(
            policy=policy_id,
            application=str(_meta(entry, "application", "")),
            date=entry.date,
            reason=str(_meta(entry, "reason", "")),
            refund=_decimal(_meta(entry, "refund", "0")),
            entry=entry,
        )


def read_insurance(
    entries: Iterable[data.Directive], pilot: PilotConfig | None = None
) -> InsuranceBook:
    """Every insurance record of the books; unreadable ones are listed in `problems`. Votes are
    judged by `pilot`'s quorum and majority (the registry's pilot.toml; today's when None)."""
    book = InsuranceBook()
    for entry in entries:
        if isinstance(entry, data.Custom) and entry.type in TYPES:
            try:
                _add(book, entry, pilot)
            except (ValueError, TypeError) as exc:
                book.problems.append((entry, f"{entry.type}: {exc}"))
        elif isinstance(entry, data.Transaction) and entry.meta.get(META_KIND) in (
            KIND_PREMIUM,
            KIND_PREMIUM_REFUND,
        ):
            policy = entry.meta.get(META_POLICY)
            if policy:
                book.premium_entries[str(policy)].append(entry)
    for notices in book.notices.values():
        notices.sort(key=lambda n: n.start)
    for objections in book.objections.values():
        objections.sort(key=lambda o: o.date)
    for votes in book.votes.values():
        votes.sort(key=lambda v: v.date)
    for inspections in book.inspections.values():
        inspections.sort(key=lambda i: i.inspected)
    return book


# -- documents of the records ----------------------------------------------------------------

_PENDING: ContextVar[Mapping[str, bytes] | None] = ContextVar("xt_pending_documents", default=None)


@contextmanager
def pending_documents(documents: Mapping[Path, bytes]) -> Iterator[None]:
    """Documents staged in the same commit as the records that name them (a vote's CSV).

    The writer checks a change by loading the books with it before it writes anything, so a
    document staged with its record is not on disk yet when the load-time rules read it: while
    this context is active, `read_document` returns these contents for their paths.
    """
    token = _PENDING.set(
        {**(_PENDING.get() or {}), **{os.path.abspath(p): c for p, c in documents.items()}}
    )
    try:
        yield
    finally:
        _PENDING.reset(token)


def read_document(path: Path) -> bytes | None:
    """A document's bytes: staged with its record (see `pending_documents`) or on disk; None
    if it is neither."""
    staged = (_PENDING.get() or {}).get(os.path.abspath(path))
    if staged is not None:
        return staged
    try:
        return path.read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


# -- building directives ----------------------------------------------------------------------


def custom(kind: str, day: dt.date, value: str, **meta: object) -> data.Custom:
    """A custom directive; metadata values that are None or empty are left out."""
    values = data.new_metadata(insurance_file(day), 0)
    for key, item in meta.items():
        if item is None or item == "":
            continue
        if isinstance(item, Decimal):
            item = format_money(item)
        elif isinstance(item, dt.date):
            item = item.isoformat()
        values[key] = str(item) if not isinstance(item, str) else item
    return data.Custom(values, day, kind, [(value, str)])


def premium_transaction(
    *,
    day: dt.date,
    kind: str,
    narration: str,
    payee: str,
    application: str,
    policy: str,
    pool: str,
    amounts: Mapping[str, Decimal],
    clearing: str,
    extra_meta: Mapping[str, object] | None = None,
) -> data.Transaction:
    """Dr the premium expense per elevator (tagged with its pool) / Cr the insurer's clearing.

    A refund passes negative amounts: the expense is credited back to the pool and the clearing
    account debited (the insurer owes it).
    """
    meta = data.new_metadata(insurance_file(day), 0)
    meta[META_KIND] = kind
    meta[META_APPLICATION] = application
    meta[META_POLICY] = policy
    for key, value in (extra_meta or {}).items():
        if value is not None and value != "":
            meta[key] = value if isinstance(value, str) else str(value)
    postings = [
        data.Posting(
            chart.PREMIUM_EXPENSE,
            data.Amount(amount, CURRENCY),
            None,
            None,
            None,
            {"pool": pool, "application": application, "elevator": code, "policy": policy},
        )
        for code, amount in amounts.items()
    ]
    total = sum(amounts.values(), ZERO)
    postings.append(data.Posting(clearing, data.Amount(-total, CURRENCY), None, None, None, None))
    return data.Transaction(
        meta, day, "*", payee, narration, frozenset(), frozenset({application}), postings
    )
