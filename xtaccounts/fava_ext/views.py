"""What the pilot's Fava pages show, computed from the library's own functions.

`PilotViews` holds one `Ledger` (Fava's load of the books and the registry) and computes each
page's rows on first use for a day, then keeps them: the heavy part runs once per load and day,
a request only filters and slices rows. Everything shown is masked (`xtaccounts.core.privacy`).
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_DOWN, Decimal
from functools import cached_property, partial
from typing import Any, TypeVar

from beancount.core import data

from xtaccounts.books.positions import Positions, ids_of
from xtaccounts.core import chart
from xtaccounts.core.calendar import add_months
from xtaccounts.core.entries import number_of
from xtaccounts.core.money import grouped_money
from xtaccounts.core.privacy import mask_free_text, mask_name
from xtaccounts.core.vocabulary import (
    KIND_ALLOCATION,
    KIND_LEGACY,
    META_CERTIFICATE,
    META_KIND,
    META_SPREAD_RECEIPTS,
    ZERO,
)
from xtaccounts.export.period import Period
from xtaccounts.fava_ext.hashes import entry_hash
from xtaccounts.fava_ext.income_view import IncomePage, book_years, income_page
from xtaccounts.fava_ext.pool_view import PoolPage, balance_points, pool_page
from xtaccounts.insurance.checks import InsuranceHistory, InsuranceState

# `elevators_of` is the KPI's own list of elevators on one day; `coverage_of()` computes it for
# the target dates and the day asked; the chart needs it for each of its dates too.
from xtaccounts.insurance.coverage import (
    COUNTED,
    Coverage,
    ElevatorCoverage,
    coverage_of,
    elevators_of,
    percent,
)
from xtaccounts.insurance.rules import quote
from xtaccounts.insurance.status import STAGE_NAMES, policy_rows_of, statuses_of
from xtaccounts.reading.day import ShownDay, shown_day
from xtaccounts.reading.ledger import Ledger
from xtaccounts.registry import Registry
from xtaccounts.registry.navigation import (
    elevator_place,
    index_pools,
    place_name,
    pool_elevators,
)
from xtaccounts.reports.balances import pool_available, pool_level_of
from xtaccounts.reports.pool_ledger import PoolMovement, pool_ledger, pool_movements

T = TypeVar("T")

# The rules' names (insurance/rules.py) as the pages say them.
RULE_LABELS = {
    "unit_fund": "维修资金",
    "management": "物业管理",
    "maintenance": "维保",
    "inspection": "定期检验",
    "warranty": "质保期",
    "pool_balance": "统筹账户余额",
    "tender": "招标",
    "insurer_limits": "承保条件",
    "elevator": "电梯",
    "window": "试点期",
    "notice": "公示",
    "vote": "业主表决",
    "applicants": "申请人",
    "cover": "保障期",
    "premium": "保费",
    "overlap": "重复投保",
    "closed_period": "已结账期间",
}
STAGE_LABELS = STAGE_NAMES
COVERAGE_LABELS = {"insured": "已投保", "uninsured": "符合条件未投保", "ineligible": "不符合条件"}
POLICY_STATUS_LABELS = {
    "in force": "保障中",
    "future": "未起保",
    "expired": "已到期",
    "cancelled": "已退保",
}
SOURCE_LABELS = {"demand": "活期结息", "time": "定期到期", "early": "定期提前支取"}
ALLOCATION_LABELS = {KIND_ALLOCATION: "按积数分配", KIND_LEGACY: "历史利差一次性转入"}


def rule_label(rule: str) -> str:
    return RULE_LABELS.get(rule, rule)


# -- 统筹账户 -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ElevatorEligibility:
    code: str
    place: str
    premium: Decimal | None
    status: str  # insured / eligible / ineligible
    policy: str
    reasons: list[tuple[str, str]]  # (label, message)

    @property
    def label(self) -> str:
        return {"insured": "已投保", "eligible": "符合条件", "ineligible": "不符合条件"}[
            self.status
        ]


@dataclass(frozen=True)
class PoolDetails:
    """What a pools page row shows beyond its balance: computed only for the rows shown."""

    name: str
    level: str
    account: str
    premium: Decimal | None
    years: Decimal | None
    # The §3.4 checks of the pool's elevators.
    check_elevators: Callable[[], list[ElevatorEligibility]] = field(compare=False, repr=False)


@dataclass(frozen=True)
class PoolRow:
    """One pool on the pools page. What every row needs (the filters, the count and the total:
    district, community, balance) is read for every pool; the rest (`details`: its name,
    account, a year's premium and the years it pays for, its elevators' checks) when the row is
    shown, since a page shows 100 rows of thousands."""

    pool: str
    district: str
    community: str
    community_name: str
    balance: Decimal
    describe: Callable[[], PoolDetails] = field(compare=False, repr=False)

    @cached_property
    def details(self) -> PoolDetails:
        return self.describe()

    @property
    def name(self) -> str:
        return self.details.name

    @property
    def level(self) -> str:
        return self.details.level

    @property
    def account(self) -> str:
        return self.details.account

    @property
    def premium(self) -> Decimal | None:
        return self.details.premium

    @property
    def years(self) -> Decimal | None:
        return self.details.years

    @cached_property
    def elevators(self) -> list[ElevatorEligibility]:
        return self.details.check_elevators()


@dataclass(frozen=True)
class PoolsView:
    as_of: dt.date
    rows: list[PoolRow]
    insurer: str

    @cached_property
    def districts(self) -> list[str]:
        return sorted({r.district for r in self.rows})

    @cached_property
    def communities(self) -> list[tuple[str, str]]:
        return sorted({(r.community, r.community_name) for r in self.rows})

    def select(self, district: str | None, community: str | None) -> list[PoolRow]:
        return [
            r
            for r in self.rows
            if (not district or r.district == district)
            and (not community or r.community == community)
        ]


def _default_insurer(registry: Registry, day: dt.date) -> str:
    """The insurer whose tender covers `day`, else the one with the latest tender."""
    tenders = sorted(registry.tenders.values(), key=lambda t: (t.period_end, t.id))
    covering = [t for t in tenders if t.period_start <= day <= t.period_end]
    chosen = covering or tenders
    if chosen:
        return chosen[-1].insurer
    return sorted(registry.insurers)[0] if registry.insurers else ""


@dataclass(frozen=True)
class _PoolsOnDay:
    """What the rows of one day share: the registry, the books up to the day, who insures
    each pool and each elevator."""

    registry: Registry
    state: InsuranceState
    day: dt.date
    insurer_of_pool: dict[str, str]
    insured_by: dict[str, str]
    default: str

    def details(self, pool: str, available: Decimal) -> PoolDetails:
        """A pool's row as shown: its name, level and account (`pool_balances`' own), a
        year's premium of its elevators on the day, by the insurer's tender covering the day,
        else by its latest (what a year would cost after the tender; None: the tender refuses
        it), and the years its balance pays for."""
        registry = self.registry
        insurer = self.insurer_of_pool.get(pool, self.default)
        codes = pool_elevators(registry, pool)
        priced_by = quote(registry, insurer, codes, self.day, self.day, or_latest=True).premiums
        premiums = [(code, priced_by.get(code)) for code in codes]
        priced = any(premium is not None for _, premium in premiums)
        total = sum((premium for _, premium in premiums if premium is not None), ZERO)
        years = None
        if priced and total > 0:
            years = (available / total).quantize(Decimal("0.1"), rounding=ROUND_DOWN)
        return PoolDetails(
            name=place_name(registry, pool),
            level="楼栋" if pool_level_of(registry, pool) == "building" else "单元",
            account=chart.pool_account(registry, pool),
            premium=total if priced else None,
            years=years,
            check_elevators=partial(
                _pool_elevators,
                registry,
                self.state,
                pool,
                available,
                insurer,
                premiums,
                self.insured_by,
                self.day,
            ),
        )


def pools_view(
    registry: Registry, state: InsuranceState, positions: Positions, day: dt.date
) -> PoolsView:
    """Every pool on `day`: balance (`pool_available`, the `pools --as-of` figure), a year's
    premium of its elevators, years it pays for, and each elevator's eligibility (§3.4, as
    `coverage` checks it) with the reasons; `state` is the books up to `day`. Only the balance,
    district and community are read for every pool; the rest when a row is shown."""
    book = state.book
    insurer_of_pool: dict[str, str] = {}
    for app in sorted(book.applications.values(), key=lambda a: (a.filed, a.id)):
        insurer_of_pool[app.pool] = app.insurer
    insured_by: dict[str, str] = {}
    for s in book.policy_states():
        if s.in_force(day):
            for code in s.policy.elevators:
                insured_by[code] = s.policy.id
    default = _default_insurer(registry, day)
    on_day = _PoolsOnDay(registry, state, day, insurer_of_pool, insured_by, default)
    rows = []
    for balance in pool_available(registry, positions, day):
        community = registry.communities[balance.community]
        rows.append(
            PoolRow(
                pool=balance.pool,
                district=community.district,
                community=community.id,
                community_name=community.name,
                balance=balance.available,
                describe=partial(on_day.details, balance.pool, balance.available),
            )
        )
    return PoolsView(day, rows, default)


def _pool_elevators(
    registry: Registry,
    state: InsuranceState,
    pool: str,
    available: Decimal,
    insurer: str,
    premiums: list[tuple[str, Decimal | None]],
    insured_by: dict[str, str],
    day: dt.date,
) -> list[ElevatorEligibility]:
    """Each elevator of a pool on `day`: insured, or eligible (§3.4, as `coverage` checks it)
    or not, with the reasons."""
    elevators = []
    for code, premium in premiums:
        policy = insured_by.get(code, "")
        if policy:
            elevators.append(
                ElevatorEligibility(
                    code, elevator_place(registry, code), premium, "insured", policy, []
                )
            )
            continue
        # The pool's condition for this elevator alone, at the premium shown for it.
        reasons = state.eligibility(
            [code],
            pool,
            insurer,
            day,
            day,
            stated={code: premium or ZERO},
            available=available,
        ).reasons
        elevators.append(
            ElevatorEligibility(
                code,
                elevator_place(registry, code),
                premium,
                "ineligible" if reasons else "eligible",
                "",
                [(rule_label(r.rule), mask_free_text(r.message)) for r in reasons],
            )
        )
    return elevators


# -- 保险覆盖率 -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CoveragePoint:
    date: dt.date
    eligible: int
    insured: int
    percent: Decimal | None


@dataclass(frozen=True)
class CoverageView:
    as_of: dt.date
    result: Coverage
    series: list[CoveragePoint]

    def groups(self, by: str) -> list[dict]:
        return self.result.groups(by)

    @cached_property
    def elevators(self) -> list[ElevatorCoverage]:
        """The elevators behind the KPI, masked: a detail may quote a cancellation's reason."""
        return [replace(e, detail=mask_free_text(e.detail)) for e in self.result.elevators]


STEPS = {"month": 1, "quarter": 3}


def coverage_dates(registry: Registry, day: dt.date, step: str = "quarter") -> list[dt.date]:
    """Month ends (or quarter ends) from the pilot window's start to `day` (or the window's
    end, if earlier), the target dates, and `day` itself."""
    pilot = registry.pilot
    last = min(day, pilot.window_end)
    dates = {t.date for t in pilot.coverage_targets} | {day}
    month = dt.date(pilot.window_start.year, pilot.window_start.month, 1)
    while month <= last:
        end = add_months(month, 1) - dt.timedelta(days=1)
        if month.month % STEPS[step] == 0 or end >= last:
            dates.add(min(end, last))
        month = add_months(month, 1)
    return sorted(dates)


def coverage_point(state: InsuranceState, day: dt.date) -> CoveragePoint:
    """The KPI's counts on one day (the list `coverage` builds for each of its dates)."""
    rows = elevators_of(state, day)
    eligible = sum(1 for r in rows if r.status in COUNTED)
    insured = sum(1 for r in rows if r.status == "insured")
    return CoveragePoint(day, eligible, insured, percent(insured, eligible))


def coverage_view(
    registry: Registry,
    state_on: Callable[[dt.date], InsuranceState],
    day: dt.date,
    step: str = "quarter",
    points: Callable[[list[dt.date]], dict[dt.date, CoveragePoint]] | None = None,
) -> CoverageView:
    """The KPI on `day` with its targets, and its course over the window: `state_on(d)` is the
    books up to `d`; `points(dates)` computes the counts of the dates not known yet in one pass
    (PilotViews passes one that remembers them across days asked for)."""
    result = coverage_of(registry, state_on, day)
    known = {day: CoveragePoint(day, result.eligible, result.insured, result.percent)}
    known |= {
        t.date: CoveragePoint(t.date, t.eligible, t.insured, t.percent) for t in result.targets
    }
    dates = coverage_dates(registry, day, step)
    missing = [d for d in dates if d not in known]
    compute = points or (lambda ds: {d: coverage_point(state_on(d), d) for d in ds})
    known |= compute(missing)
    return CoverageView(day, result, [known[d] for d in dates])


# -- 申请与公示 -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Record:
    """One record of an application, with the hash Fava opens it by."""

    date: dt.date
    what: str
    detail: str
    hash: str
    documents: Sequence[tuple[str, str]] = ()  # the notice's PDF and page, the vote's tally


@dataclass(frozen=True)
class ApplicationRow:
    id: str
    filed: dt.date
    pool: str
    pool_name: str
    elevators: list[str]
    applicant: str
    premium: Decimal
    cover: str
    stage: str
    stage_label: str
    detail: str
    notice: str
    notice_days_left: int | None
    objections: int
    votes: list[str]
    records: list[Record]
    hash: str


@dataclass(frozen=True)
class ApplicationsView:
    as_of: dt.date
    rows: list[ApplicationRow]

    @cached_property
    def by_stage(self) -> list[tuple[str, str, int]]:
        counts: dict[str, int] = defaultdict(int)
        for row in self.rows:
            counts[row.stage] += 1
        return [(s, STAGE_LABELS.get(s, s), counts[s]) for s in STAGE_LABELS if counts.get(s)]


def applications_view(
    registry: Registry,
    state: InsuranceState,
    day: dt.date,
    documents: Mapping[int, Sequence[tuple[str, str]]] | None = None,
) -> ApplicationsView:
    """Every application on `day` with its records; `state` is the books up to `day`;
    `documents` are the files the records name (by ``id(entry)``)."""
    documents = documents or {}
    statuses = statuses_of(state, day)
    book = state.book
    rows = []
    for status in statuses:
        app = status.application
        notice = book.notice(app.id)
        records = [Record(app.filed, "申请", mask_name(app.applicant_name), entry_hash(app.entry))]
        days_left = None
        notice_text = ""
        if notice is not None:
            notice_text = f"{notice.start}..{notice.end}"
            if notice.start <= day <= notice.end:
                days_left = (notice.end - day).days + 1
            elif day < notice.start:
                days_left = (notice.end - notice.start).days + 1
            else:
                days_left = 0
            records.append(
                Record(
                    notice.start,
                    "公示",
                    f"{notice_text}，可购买日 {notice.purchase_from}",
                    entry_hash(notice.entry),
                    documents.get(id(notice.entry), ()),
                )
            )
        objections = book.objections.get(app.id, [])
        for o in objections:
            records.append(
                Record(
                    o.date,
                    "异议",
                    f"{o.household}：{mask_free_text(o.reason)}",
                    entry_hash(o.entry),
                )
            )
        votes = []
        for v in book.votes.get(app.id, []):
            outcome = "通过" if v.passed else "未通过"
            votes.append(f"{v.date} {outcome}")
            records.append(
                Record(
                    v.date,
                    "业主表决",
                    f"{outcome}：{v.tally.explain()}",
                    entry_hash(v.entry),
                    documents.get(id(v.entry), ()),
                )
            )
        for p in book.policies_of(app.id):
            records.append(
                Record(
                    p.bought,
                    "保单",
                    f"{p.id} {p.cover_start}..{p.cover_end} 保费 {grouped_money(p.premium)}",
                    entry_hash(p.entry),
                )
            )
            c = book.cancellations.get(p.id)
            if c is not None:
                records.append(
                    Record(
                        c.date,
                        "退保",
                        f"{p.id}：{mask_free_text(c.reason)}（退费 {grouped_money(c.refund)}）",
                        entry_hash(c.entry),
                    )
                )
        records.sort(key=lambda r: r.date)
        rows.append(
            ApplicationRow(
                id=app.id,
                filed=app.filed,
                pool=app.pool,
                pool_name=place_name(registry, app.pool),
                elevators=list(app.elevators),
                applicant=mask_name(app.applicant_name),
                premium=app.premium,
                cover=f"{app.cover_start}..{app.cover_end}",
                stage=status.stage,
                stage_label=STAGE_LABELS.get(status.stage, status.stage),
                detail=mask_free_text(status.detail),
                notice=notice_text,
                notice_days_left=days_left,
                objections=len(objections),
                votes=votes,
                records=records,
                hash=entry_hash(app.entry),
            )
        )
    return ApplicationsView(day, rows)


# -- 保单到期 -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyLine:
    policy: str
    application: str
    pool: str
    pool_name: str
    elevators: str
    insurer: str
    cover_start: dt.date
    cover_end: dt.date
    premium: Decimal
    status: str
    days_left: int | None
    hash: str


def policies_view(
    registry: Registry, state: InsuranceState, day: dt.date, within: int
) -> list[PolicyLine]:
    """Policies in force on `day` whose cover ends within `within` days and not renewed;
    `state` is the books up to `day`."""
    book = state.book
    lines = []
    for row in policy_rows_of(state, day, within):
        policy = book.policies.get(row.policy)
        insurer = registry.insurers.get(row.insurer)
        lines.append(
            PolicyLine(
                policy=row.policy,
                application=row.application,
                pool=row.pool,
                pool_name=place_name(registry, row.pool),
                elevators=row.elevators,
                insurer=insurer.name if insurer else row.insurer,
                cover_start=row.cover_start,
                cover_end=row.cover_end,
                premium=Decimal(str(row.premium)),
                status=POLICY_STATUS_LABELS.get(row.status, row.status),
                days_left=row.days_left,
                hash=entry_hash(policy.entry if policy else None),
            )
        )
    lines.sort(key=lambda line: (line.cover_end, line.policy))
    return lines


# -- 利差 -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpreadReceipt:
    id: str
    date: dt.date
    bank: str
    deposit: str
    source: str
    base: Decimal
    spread: Decimal
    allocated_by: str  # the allocation's label and date, or ""
    allocation_date: dt.date | None
    allocation_hash: str
    hash: str
    documents: Sequence[tuple[str, str]] = ()  # the statement it was booked from


@dataclass(frozen=True)
class AllocationLine:
    date: dt.date
    kind: str
    receipts: int
    spread: Decimal
    to_pools: Decimal
    hash: str


@dataclass
class SpreadsView:
    receipts: list[SpreadReceipt]
    allocations: list[AllocationLine]
    totals: dict[str, list[tuple[str, Decimal, int]]] = field(default_factory=dict)
    as_of: dt.date | None = None

    def on(self, day: dt.date) -> SpreadsView:
        """The receipts and allocations booked by the end of `day` (a receipt allocated later
        is still to allocate on `day`)."""
        receipts = [
            r
            if r.allocation_date is None or r.allocation_date <= day
            else replace(r, allocated_by="", allocation_date=None, allocation_hash="")
            for r in self.receipts
            if r.date <= day
        ]
        view = SpreadsView(receipts, [a for a in self.allocations if a.date <= day], as_of=day)
        view.totals = _totals(receipts)
        return view

    def by_month(self) -> tuple[list[str], list[Decimal], list[Decimal]]:
        """Months (YYYY-MM) from the first receipt to the view's day, with the spread received
        in each and the spread the allocations of each month credited to the pools."""
        received: dict[str, Decimal] = defaultdict(lambda: ZERO)
        allocated: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for r in self.receipts:
            received[f"{r.date:%Y-%m}"] += r.spread
        for a in self.allocations:
            allocated[f"{a.date:%Y-%m}"] += a.spread
        known = sorted({*received, *allocated})
        if not known:
            return [], [], []
        last = f"{self.as_of:%Y-%m}" if self.as_of else known[-1]
        months = []
        day = dt.date.fromisoformat(f"{known[0]}-01")
        while f"{day:%Y-%m}" <= max(last, known[-1]):
            months.append(f"{day:%Y-%m}")
            day = add_months(day, 1)
        return months, [received[m] for m in months], [allocated[m] for m in months]

    @property
    def received(self) -> Decimal:
        return sum((r.spread for r in self.receipts), ZERO)

    @property
    def allocated(self) -> Decimal:
        return sum((r.spread for r in self.receipts if r.allocated_by), ZERO)

    @property
    def unallocated(self) -> Decimal:
        return self.received - self.allocated


def _totals(receipts: Sequence[SpreadReceipt]) -> dict[str, list[tuple[str, Decimal, int]]]:
    return {
        "bank": _group(receipts, lambda r: r.bank),
        "deposit": _group(receipts, lambda r: f"{r.bank} {r.deposit}"),
        "month": _group(receipts, lambda r: r.date.strftime("%Y-%m")),
    }


def _group(receipts: Sequence[SpreadReceipt], key: Callable[[SpreadReceipt], str]):
    sums: dict[str, list] = {}
    for r in receipts:
        entry = sums.setdefault(key(r), [ZERO, 0])
        entry[0] += r.spread
        entry[1] += 1
    return [(k, v[0], v[1]) for k, v in sorted(sums.items())]


def spreads_view(
    registry: Registry,
    entries: Sequence[data.Directive],
    positions: Positions,
    documents: Mapping[int, Sequence[tuple[str, str]]] | None = None,
) -> SpreadsView:
    """Spread received (docs/rules.md §5) by bank, by deposit and by month, and its allocation;
    `documents` are the statements the receipts were booked from (by ``id(entry)``)."""
    documents = documents or {}
    bank_of_account = {b.account: b.bank_name for b in registry.bank_accounts.values()}
    allocation_of: dict[str, data.Transaction] = {}
    # An allocation has a posting per pool (thousands in a city): hash each one once.
    allocation_hash: dict[int, str] = {}
    allocations = []
    spread_of = {r.id: r.spread for r in positions.receipts}
    for entry in entries:
        if not isinstance(entry, data.Transaction):
            continue
        kind = entry.meta.get(META_KIND)
        if kind not in (KIND_ALLOCATION, KIND_LEGACY):
            continue
        ids = ids_of(entry.meta.get(META_SPREAD_RECEIPTS))
        if not ids:  # base interest only
            continue
        for rid in ids:
            allocation_of[rid] = entry
        allocation_hash[id(entry)] = entry_hash(entry)
        to_pools = -sum(
            (number_of(p) for p in entry.postings if p.account.startswith(chart.POOL + ":")),
            ZERO,
        )
        allocations.append(
            AllocationLine(
                date=entry.date,
                kind=ALLOCATION_LABELS[kind],
                receipts=len(ids),
                spread=sum((spread_of.get(rid, ZERO) for rid in ids), ZERO),
                to_pools=to_pools,
                hash=allocation_hash[id(entry)],
            )
        )
    since = registry.pilot.spread_since
    receipts = []
    for r in positions.receipts:
        if r.date < since or not r.spread:
            continue
        certificate = r.entry.meta.get(META_CERTIFICATE)
        account_tail = r.bank_account.rsplit(":", 1)[-1].split("-", 1)[-1]
        allocation = allocation_of.get(r.id)
        receipts.append(
            SpreadReceipt(
                id=r.id,
                date=r.date,
                bank=bank_of_account.get(r.bank_account, r.bank_account),
                deposit=f"定期 存单{certificate}" if certificate else account_tail,
                source=SOURCE_LABELS.get(r.source, r.source),
                base=r.base,
                spread=r.spread,
                allocated_by=(
                    f"{ALLOCATION_LABELS[allocation.meta['kind']]} {allocation.date}"
                    if allocation is not None
                    else ""
                ),
                allocation_date=allocation.date if allocation is not None else None,
                allocation_hash=allocation_hash[id(allocation)] if allocation is not None else "",
                hash=entry_hash(r.entry),
                documents=documents.get(id(r.entry), ()),
            )
        )
    view = SpreadsView(receipts, allocations)
    view.totals = _totals(receipts)
    return view


# -- one load of the books ------------------------------------------------------------------


class PilotViews:
    """The pages' data for one load of the books: one `Ledger` (Fava's entries and the
    registry).

    What does not depend on the day asked for is read once per load (`prepare`, run when Fava
    loads the books): the Ledger's positions and their balance histories, its insurance records,
    the spreads and the registry's index of each pool's units and elevators. A day's
    `InsuranceState` is then the Ledger's as of that day (assembled from them by date, no pass
    over the entries), and each page's rows are computed once per day asked for and kept.
    """

    MEMO_SIZE = 8

    def __init__(
        self, ledger: Ledger, documents: Mapping[int, Sequence[tuple[str, str]]] | None = None
    ) -> None:
        self.ledger = ledger
        self.documents = documents or {}
        self._lock = threading.RLock()
        self._memo: OrderedDict[tuple, Any] = OrderedDict()
        self._states: OrderedDict[dt.date, InsuranceState] = OrderedDict()
        self._points: dict[dt.date, CoveragePoint] = {}

    @property
    def registry(self) -> Registry:
        return self.ledger.registry

    @property
    def entries(self) -> Sequence[data.Directive]:
        return self.ledger.entries

    @property
    def positions(self) -> Positions:
        return self.ledger.positions

    @property
    def history(self) -> InsuranceHistory:
        return self.ledger.insurance

    def prepare(self) -> None:
        """Read what every page and day needs, once (Fava's load of the books calls this)."""
        with self._lock:
            self.ledger.unit_history  # noqa: B018 (built once, kept by the positions)
            self.ledger.pool_history  # noqa: B018
            history = self.history
            history.units  # noqa: B018 (the same histories as the positions')
            history.pools  # noqa: B018
            history.book  # noqa: B018
            self._spreads()
            self.pool_movements  # noqa: B018
            index_pools(self.registry)  # each pool's units and elevators

    def shown(self, asked: dt.date | None) -> ShownDay:
        """The day a page shows (`xtaccounts.reading.day`): `asked`, else the books' last
        entry or today if earlier. The documents the extension adds do not count."""
        return shown_day(self._dated, asked)

    @cached_property
    def _dated(self) -> list[data.Directive]:
        """The last of the books' own entries (what `shown_day` looks at)."""
        own = (e for e in reversed(self.entries) if not isinstance(e, data.Document))
        last = next(own, None)
        return [last] if last is not None else []

    def state(self, day: dt.date) -> InsuranceState:
        """The books as they stood at the end of `day` (the last few days asked are kept)."""
        with self._lock:
            if day in self._states:
                self._states.move_to_end(day)
                return self._states[day]
            state = self.history.state(day)
            self._states[day] = state
            while len(self._states) > self.MEMO_SIZE:
                self._states.popitem(last=False)
            return state

    def _memoised(self, key: tuple, compute: Callable[[], T]) -> T:
        with self._lock:
            if key in self._memo:
                self._memo.move_to_end(key)
                return self._memo[key]
            value = compute()
            self._memo[key] = value
            while len(self._memo) > self.MEMO_SIZE * 5:
                self._memo.popitem(last=False)
            return value

    def pools(self, day: dt.date) -> PoolsView:
        return self._memoised(
            ("pools", day),
            lambda: pools_view(self.registry, self.state(day), self.positions, day),
        )

    def coverage(self, day: dt.date, step: str = "quarter") -> CoverageView:
        return self._memoised(
            ("coverage", day, step),
            lambda: coverage_view(self.registry, self.state, day, step, self.coverage_points),
        )

    def coverage_points(self, dates: Sequence[dt.date]) -> dict[dt.date, CoveragePoint]:
        """The chart's dates, in one pass over them, each kept for the whole load (the dates
        repeat across days asked for); a date's state is not kept."""
        with self._lock:
            for day in sorted(set(dates) - set(self._points)):
                self._points[day] = coverage_point(self.history.state(day), day)
            return {day: self._points[day] for day in dates}

    def applications(self, day: dt.date) -> ApplicationsView:
        return self._memoised(
            ("applications", day),
            lambda: applications_view(self.registry, self.state(day), day, self.documents),
        )

    def policies(self, day: dt.date, within: int) -> list[PolicyLine]:
        return self._memoised(
            ("policies", day, within),
            lambda: policies_view(self.registry, self.state(day), day, within),
        )

    def _spreads(self) -> SpreadsView:
        return self._memoised(
            ("spreads",),
            lambda: spreads_view(self.registry, self.entries, self.positions, self.documents),
        )

    def spreads(self, day: dt.date) -> SpreadsView:
        return self._memoised(("spreads", day), lambda: self._spreads().on(day))

    # -- 统筹账户明细 ---------------------------------------------------------------------------

    @cached_property
    def pool_movements(self) -> dict[str, list[PoolMovement]]:
        """Every pool's movements, by entry (read once per load)."""
        with self._lock:
            return pool_movements(self.entries, self.positions)

    def pool_choices(self) -> list[tuple[str, str]]:
        """(pool, its name) of every pool, in the registry's order."""
        return self._memoised(
            ("pool choices",),
            lambda: [(p, place_name(self.registry, p)) for p in chart.pool_ids(self.registry)],
        )

    def pool_of_account(self, account: str) -> str | None:
        return self.positions.pool_of_account.get(account)

    def pool_account(self, pool: str) -> str:
        return chart.pool_account(self.registry, pool)

    def pool_page(self, pool: str, day: dt.date) -> PoolPage:
        def compute() -> PoolPage:
            ledger = pool_ledger(pool, self.pool_movements.get(pool, []), self.positions, day)
            return pool_page(self.registry, self.pool_account(pool), ledger, self.documents)

        return self._memoised(("pool", pool, day), compute)

    def pool_points(self, pool: str, day: dt.date) -> list[tuple[dt.date, Decimal]]:
        return balance_points(self.pool_movements.get(pool, []), day)

    def all_pools_points(self, day: dt.date) -> list[tuple[dt.date, Decimal]]:
        """The balance of all pools together, on each day it changed, through `day`."""
        every = self._memoised(
            ("all pools",),
            lambda: balance_points(
                [m for moves in self.pool_movements.values() for m in moves], dt.date.max
            ),
        )
        return [p for p in every if p[0] <= day]

    def pool_filter(self, pool: str) -> str:
        """Fava's journal filter for every entry of a pool: its records (``pool:`` on the
        entry), the premiums and closes (``pool:`` on a posting) and the postings to its
        account."""
        account = re.escape(self.pool_account(pool))
        return f'pool:"^{pool}$", any(pool:"^{pool}$"), any(account:"^{account}$")'

    # -- 收支表 -------------------------------------------------------------------------------

    def income(self, period: Period) -> IncomePage:
        return self._memoised(
            ("income", period.text), lambda: income_page(self.registry, self.entries, period)
        )

    def years(self, day: dt.date) -> list[int]:
        return self._memoised(("years", day), lambda: book_years(self.entries, day))
