"""The rules applied to the books: what a purchase or a renewal on a day would need, and why
it cannot happen. `InsuranceState` reads the registry, the balances and the insurance records
once; its `purchase_plan` and `renewal_plan` list every unmet condition at once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from itertools import pairwise

from beancount.core import data

from xtaccounts.books.positions import Positions, read_positions
from xtaccounts.core.balance_days import BalanceHistory
from xtaccounts.core.calendar import ONE_DAY, one_year_from, refuse_after_last_day
from xtaccounts.core.dates import closing_day
from xtaccounts.core.errors import XtError
from xtaccounts.core.i18n import _
from xtaccounts.core.vocabulary import (
    KIND_CLOSE,
    KIND_PREMIUM,
    KIND_PREMIUM_REFUND,
    META_KIND,
    META_PERIOD,
    ZERO,
)
from xtaccounts.insurance.directives import (
    INSPECTION,
    TYPES,
    Application,
    Inspection,
    InsuranceBook,
    Policy,
    read_insurance,
)
from xtaccounts.insurance.rules import (
    Eligibility,
    Quote,
    Reason,
    applicant_reasons,
    eligibility,
    procedure_reasons,
    window_reason,
    yuan,
)
from xtaccounts.ops.premium_index import PremiumIndex
from xtaccounts.registry import Registry


@dataclass(frozen=True)
class Plan:
    """A premium that could be booked: for which policy, period and amounts, or why not."""

    application: Application
    policy_id: str
    day: dt.date
    start: dt.date
    end: dt.date
    quote: Quote
    pool_available: Decimal
    reasons: list[Reason] = field(default_factory=list)
    renews: str = ""

    @property
    def premiums(self) -> dict[str, Decimal]:
        return self.quote.premiums

    @property
    def total(self) -> Decimal:
        return self.quote.total


class InsuranceState:
    """The registry, balances and insurance records of the books, read once (the positions
    and the records are read from `entries` unless given, read already, by the caller)."""

    def __init__(
        self,
        registry: Registry,
        entries: Sequence[data.Directive],
        *,
        positions: Positions | None = None,
        book: InsuranceBook | None = None,
    ) -> None:
        self.registry = registry
        self._entries = entries
        self._given_positions = positions
        self._given_book = book

    @property
    def entries(self) -> Sequence[data.Directive]:
        return self._entries

    @cached_property
    def positions(self) -> Positions:
        if self._given_positions is not None:
            return self._given_positions
        return read_positions(self.entries)

    @cached_property
    def book(self) -> InsuranceBook:
        if self._given_book is not None:
            return self._given_book
        return read_insurance(self.entries, self.registry.pilot)

    @cached_property
    def _units(self) -> BalanceHistory:
        return self.positions.unit_history()

    @cached_property
    def _pools(self) -> BalanceHistory:
        return self.positions.pool_history()

    def pool_available(self, pool: str, day: dt.date) -> Decimal:
        return self._pools.balance_at(pool, day) + ZERO

    def unit_fund(self, unit: str, day: dt.date) -> Decimal:
        return self._units.balance_at(unit, day) + ZERO

    def inspections(self, code: str) -> list[Inspection]:
        return list(self.book.inspections.get(code, ()))

    def application(self, app_id: str) -> Application:
        app = self.book.applications.get(app_id)
        if app is None:
            known = "、".join(sorted(self.book.applications)[-5:]) or _("无")
            raise XtError(
                _("账簿中没有申请 {app}（最近的申请：{known}）").format(app=app_id, known=known)
            )
        return app

    def policy(self, policy_id: str) -> Policy:
        policy = self.book.policies.get(policy_id)
        if policy is None:
            raise XtError(_("账簿中没有保单 {policy}").format(policy=policy_id))
        return policy

    # -- conditions that do not depend on the application ----------------------------------

    @cached_property
    def closed_through(self) -> dt.date | None:
        """The last day of the latest closed period (no premium may be dated up to it)."""
        ends = [closing_day(p)[0] for p in self.positions.closed_periods]
        return max(ends, default=None)

    def closed_reason(self, day: dt.date) -> Reason | None:
        closed = self.closed_through
        if closed is None or day > closed:
            return None
        return Reason(
            "closed_period",
            _("账簿已结账至 {closed}，{day} 的保费会改动已结账期间").format(closed=closed, day=day),
        )

    def overlap_reasons(
        self, elevators: Sequence[str], start: dt.date, end: dt.date
    ) -> list[Reason]:
        """An elevator may not be insured twice for the same day."""
        reasons = []
        for code in elevators:
            for state in self.book.states_by_elevator.get(code, ()):
                policy = state.policy
                first, last = policy.cover_start, state.last_day
                if last < first or last < start or end < first:
                    continue
                reasons.append(
                    Reason(
                        "overlap",
                        _(
                            "电梯 {code} 已由保单 {policy} 承保 {first} 至 {last}，"
                            "与 {start} 至 {end} 重叠"
                        ).format(
                            code=code,
                            policy=policy.id,
                            first=first,
                            last=last,
                            start=start,
                            end=end,
                        ),
                    )
                )
        return reasons

    def eligibility(
        self,
        elevators: Sequence[str],
        pool: str,
        insurer: str,
        day: dt.date,
        start: dt.date,
        *,
        stated: Mapping[str, Decimal],
        available: Decimal | None = None,
    ) -> Eligibility:
        """`rules.eligibility` (§3.4, all five conditions, and §3.7) for `elevators` bought on
        `day` from `start`, with the books' unit funds, inspections and pool balance on `day`
        (`available`, when given, instead of the pool's balance)."""
        registry = self.registry
        known = [registry.elevators[c] for c in elevators if c in registry.elevators]
        return eligibility(
            registry,
            elevators,
            pool,
            insurer,
            day,
            start,
            unit_funds={e.unit: self.unit_fund(e.unit, day) for e in known},
            inspections={e.code: self.inspections(e.code) for e in known},
            pool_available=self.pool_available(pool, day) if available is None else available,
            stated=stated,
        )

    # -- a purchase and a renewal ---------------------------------------------------------

    def purchase_plan(self, app_id: str, day: dt.date) -> Plan:
        """`premium buy APP --date day`: every condition of §3.3-§3.7 checked on `day`."""
        registry = self.registry
        app = self.application(app_id)
        book = self.book
        start = max(app.cover_start, day)
        end = one_year_from(start)
        reasons: list[Reason] = []
        bought = book.policies_of(app.id)
        if bought:
            reasons.append(
                Reason(
                    "bought",
                    _(
                        "申请 {app} 已购买（保单 {policy}，{start} 至 {end}），"
                        "续保请用 `premium renew`"
                    ).format(
                        app=app.id,
                        policy=bought[0].id,
                        start=bought[0].cover_start,
                        end=bought[0].cover_end,
                    ),
                )
            )
        if day < app.filed:
            reasons.append(
                Reason(
                    "date",
                    _("{day} 早于申请日 {filed}").format(day=day, filed=app.filed),
                )
            )
        if day > app.cover_end:
            reasons.append(
                Reason(
                    "cover",
                    _("所申请的保障期（{start} 至 {end}）到 {day} 已结束，请重新申请").format(
                        start=app.cover_start, end=app.cover_end, day=day
                    ),
                )
            )
        found = window_reason(registry, day)
        if found:
            reasons.append(found)
        found = self.closed_reason(day)
        if found:
            reasons.append(found)
        reasons.extend(
            applicant_reasons(registry, app.pool, app.applicant_kind, app.applicants, app.filed)
        )
        reasons.extend(
            procedure_reasons(
                book.notice(app.id),
                book.objections.get(app.id, []),
                book.votes.get(app.id, []),
                day,
            )
        )
        available = self.pool_available(app.pool, day)
        checked = self.eligibility(
            app.elevators,
            app.pool,
            app.insurer,
            day,
            start,
            stated=app.premiums,
            available=available,
        )
        reasons.extend(checked.reasons)
        offer = checked.quote
        if offer.tender is not None and not offer.reasons and offer.total > app.premium:
            reasons.append(
                Reason(
                    "premium",
                    _(
                        "招标 {tender} 自 {start} 起每年保费 {total}（梯龄 {ages}），"
                        "高于申请和公示所载的 {stated}"
                    ).format(
                        tender=offer.tender.id,
                        start=start,
                        total=yuan(offer.total),
                        ages="、".join(f"{c}: {a}" for c, a in offer.ages.items()),
                        stated=yuan(app.premium),
                    ),
                )
            )
        reasons.extend(self.overlap_reasons(app.elevators, start, end))
        return Plan(
            application=app,
            policy_id=f"{app.id}-P{len(bought) + 1}",
            day=day,
            start=start,
            end=end,
            quote=offer,
            pool_available=available,
            reasons=reasons,
        )

    def renewal_plan(self, policy_id: str, day: dt.date) -> Plan:
        """`premium renew POLICY --date day`: one more year of the cover applied for, from the
        day after the policy ends (or from `day`, if it has lapsed), with §3.4 and §3.7 checked
        again on `day`."""
        registry = self.registry
        book = self.book
        policy = self.policy(policy_id)
        app = self.application(policy.application)
        reasons: list[Reason] = []
        cancellation = book.cancellations.get(policy.id)
        if cancellation is not None:
            reasons.append(
                Reason(
                    "cancelled",
                    _("保单 {policy} 已于 {date} 退保").format(
                        policy=policy.id, date=cancellation.date
                    ),
                )
            )
        series = book.policies_of(app.id)
        successors = [p for p in series if p.renews == policy.id]
        if successors:
            reasons.append(
                Reason(
                    "renewed",
                    _("保单 {policy} 已由 {successor} 续保").format(
                        policy=policy.id, successor=successors[0].id
                    ),
                )
            )
        if day < policy.bought:
            reasons.append(
                Reason(
                    "date",
                    _("{day} 早于保单购买日 {bought}").format(day=day, bought=policy.bought),
                )
            )
        start = max(policy.cover_end + ONE_DAY, day)
        end = one_year_from(start)
        years = app.years
        if len(series) >= years:
            reasons.append(
                Reason(
                    "cover",
                    _(
                        "申请 {app} 申请了 {years} 年保障（{start} 至 {end}），已购买 {bought} 年："
                        "更多年份须重新申请并公示"
                    ).format(
                        app=app.id,
                        years=years,
                        start=app.cover_start,
                        end=app.cover_end,
                        bought=len(series),
                    ),
                )
            )
        found = window_reason(registry, day)
        if found:
            reasons.append(found)
        found = self.closed_reason(day)
        if found:
            reasons.append(found)
        available = self.pool_available(policy.pool, day)
        checked = self.eligibility(
            policy.elevators,
            policy.pool,
            policy.insurer,
            day,
            start,
            stated=policy.premiums,
            available=available,
        )
        reasons.extend(checked.reasons)
        offer = checked.quote
        reasons.extend(self.overlap_reasons(policy.elevators, start, end))
        return Plan(
            application=app,
            policy_id=f"{app.id}-P{len(series) + 1}",
            day=day,
            start=start,
            end=end,
            quote=offer,
            pool_available=available,
            reasons=reasons,
            renews=policy.id,
        )


class BooksNeeded(Exception):
    """An `IndexedInsuranceState` cannot answer from the index: plan on the books instead."""


class IndexedInsuranceState(InsuranceState):
    """`InsuranceState` answered from the write snapshot's `PremiumIndex` instead of the books:
    the same records, closed periods and balances; a pool's or unit's balance on a day before
    its last movement is not in the index (`BooksNeeded`)."""

    def __init__(self, registry: Registry, index: PremiumIndex) -> None:
        super().__init__(registry, (), book=read_insurance(index.records, registry.pilot))
        self._index = index

    @property
    def positions(self) -> Positions:
        raise BooksNeeded

    @cached_property
    def closed_through(self) -> dt.date | None:
        ends = [closing_day(p)[0] for p in self._index.closed_periods]
        return max(ends, default=None)

    def pool_available(self, pool: str, day: dt.date) -> Decimal:
        return _known(self._index.pool(pool, day))

    def unit_fund(self, unit: str, day: dt.date) -> Decimal:
        return _known(self._index.unit_fund(unit, day))


def _known(balance: Decimal | None) -> Decimal:
    if balance is None:
        raise BooksNeeded
    return balance + ZERO


# -- the books read once, asked about many days ----------------------------------------------


class DatedInsuranceState(InsuranceState):
    """`InsuranceState` of the books as they stood at the end of `day`, assembled by an
    `InsuranceHistory` from what it read once: the same answers as
    ``InsuranceState(registry, [e for e in entries if e.date <= day])``."""

    def __init__(self, history: InsuranceHistory, day: dt.date, book: InsuranceBook) -> None:
        super().__init__(history.registry, (), book=book)
        self.day = day
        self._history = history

    @cached_property
    def closed_through(self) -> dt.date | None:
        return self._history.closed_through(self.day)

    @cached_property
    def entries(self) -> Sequence[data.Directive]:
        return [e for e in self._history.entries if e.date <= self.day]

    def pool_available(self, pool: str, day: dt.date) -> Decimal:
        # Nothing after `self.day` exists in these books: a later day has its balance.
        return self._history.pools.balance_at(pool, min(day, self.day)) + ZERO

    def unit_fund(self, unit: str, day: dt.date) -> Decimal:
        return self._history.units.balance_at(unit, min(day, self.day)) + ZERO


class InsuranceHistory:
    """The books read once (positions, balance histories, insurance records) and answering for
    any day: `state(day)` is the `InsuranceState` of the books up to that day, at the cost of
    filtering the insurance records by date (no pass over the entries)."""

    def __init__(
        self,
        registry: Registry,
        entries: Sequence[data.Directive],
        positions: Positions | None = None,
    ) -> None:
        self.registry = registry
        self.entries = entries
        self._given_positions = positions

    @cached_property
    def positions(self) -> Positions:
        if self._given_positions is not None:
            return self._given_positions
        return read_positions(self.entries)

    @cached_property
    def units(self) -> BalanceHistory:
        return self.positions.unit_history()

    @cached_property
    def pools(self) -> BalanceHistory:
        return self.positions.pool_history()

    @cached_property
    def _read(self) -> tuple[InsuranceBook, dict[str, list[tuple[dt.date, Inspection]]], list]:
        """One pass: the insurance records (the whole book), each inspection with the date of
        its record, and the closing transactions' (date, period)."""
        records: list[data.Directive] = []
        closes: list[tuple[dt.date, str]] = []
        for entry in self.entries:
            if isinstance(entry, data.Custom):
                if entry.type in TYPES:
                    records.append(entry)
            elif isinstance(entry, data.Transaction):
                kind = entry.meta.get(META_KIND)
                if kind in (KIND_PREMIUM, KIND_PREMIUM_REFUND):
                    records.append(entry)
                elif kind == KIND_CLOSE:
                    closes.append((entry.date, str(entry.meta.get(META_PERIOD))))
        self.sorted = all(a.date <= b.date for a, b in pairwise(records))
        inspections: dict[str, list[tuple[dt.date, Inspection]]] = {}
        for entry in records:
            if isinstance(entry, data.Custom) and entry.type == INSPECTION:
                for code, found in read_insurance([entry]).inspections.items():
                    for inspection in found:
                        inspections.setdefault(code, []).append((entry.date, inspection))
        return read_insurance(records, self.registry.pilot), inspections, closes

    @property
    def book(self) -> InsuranceBook:
        """Every insurance record of the books."""
        return self._read[0]

    @cached_property
    def whole(self) -> InsuranceState:
        """The `InsuranceState` of the whole books, sharing the positions and records read."""
        return InsuranceState(self.registry, self.entries, positions=self.positions, book=self.book)

    def closed_through(self, day: dt.date) -> dt.date | None:
        """`InsuranceState.closed_through` of the books up to `day`."""
        ends = [closing_day(p)[0] for d, p in set(self._read[2]) if d <= day]
        return max(ends, default=None)

    def book_as_of(self, day: dt.date) -> InsuranceBook:
        """`read_insurance` of the records dated up to `day`, from the whole book by date."""
        full, dated_inspections, _dated = self._read
        book = InsuranceBook()
        book.applications = {k: a for k, a in full.applications.items() if a.filed <= day}
        for code, dated in dated_inspections.items():
            kept = [i for d, i in dated if d <= day]
            if kept:
                book.inspections[code] = sorted(kept, key=lambda r: r.inspected)
        for name in ("notices", "objections", "votes"):
            target = getattr(book, name)
            for key, records in getattr(full, name).items():
                kept = [r for r in records if (r.start if name == "notices" else r.date) <= day]
                if kept:
                    target[key] = kept
        book.policies = {k: p for k, p in full.policies.items() if p.bought <= day}
        book.cancellations = {k: c for k, c in full.cancellations.items() if c.date <= day}
        for policy, found in full.premium_entries.items():
            paid = [e for e in found if e.date <= day]
            if paid:
                book.premium_entries[policy] = paid
        book.problems = [(e, m) for e, m in full.problems if e.date <= day]
        return book

    def state(self, day: dt.date) -> InsuranceState:
        """The books as they stood at the end of `day` (nothing dated later)."""
        refuse_after_last_day(day, "day")
        if not self.entries or self.entries[-1].date <= day:  # nothing is dated later
            return self.whole
        self._read  # noqa: B018 (sets `sorted`)
        if not self.sorted:  # records out of date order: which duplicate counts differs
            return InsuranceState(self.registry, [e for e in self.entries if e.date <= day])
        return DatedInsuranceState(self, day, self.book_as_of(day))
