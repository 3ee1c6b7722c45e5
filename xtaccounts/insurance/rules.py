"""The pilot's rules (docs/rules.md §3), as pure functions that return reasons with their figures.

Nothing here reads or writes the books: callers pass the registry, balances and records. A
function returns the list of unmet conditions (empty: the rule holds), each a `Reason` whose
message carries the figures that decided it, so that a refusal can list every one of them.

- §3.3 who may apply: `applicant_reasons`
- §3.4 eligibility on a day: `eligibility`, all five conditions for some elevators, made of
  `elevator_reasons` (unit fund, management, maintenance, inspection, warranty), `pool_reason`
  on `premium_needed` (a year's premium) and `quote` (the tender's bands and limits)
- §3.5 the notice: `notice_days`, `procedure_reasons`
- §3.6 the owners' vote: `tally_votes`
- §3.7 the pilot window and the tender: `window_reason`, `quote`
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from xtaccounts.core.calendar import ONE_DAY, add_months, add_years, age_years
from xtaccounts.core.errors import XtError
from xtaccounts.core.i18n import _
from xtaccounts.core.money import format_money, grouped_money
from xtaccounts.core.outside_text import TextRefused, admit_text
from xtaccounts.core.vocabulary import ZERO
from xtaccounts.insurance.directives import Inspection, Notice, Objection, Vote, VoteTally
from xtaccounts.registry import Registry
from xtaccounts.registry.models import VOTE_MAJORITY, VOTE_QUORUM, Elevator, PilotConfig, Tender
from xtaccounts.registry.navigation import (
    community_of,
    is_pool,
    place_name,
    pool_households,
    pool_of_elevator,
    pool_scope,
)


@dataclass(frozen=True)
class Reason:
    """One unmet condition: which rule, and a message with the figures."""

    rule: str
    message: str

    def __str__(self) -> str:
        return f"[{self.rule}] {self.message}"


def stated_reason(reason: str, *, field: str, missing: str, reasons: list[Reason]) -> str:
    """A written reason admitted from outside (`admit_text`); a refused or empty one is added
    to `reasons` as unmet (rule ``reason``) and gives ``""``."""
    try:
        text = admit_text(reason, field=field)
    except TextRefused as exc:
        reasons.append(Reason("reason", str(exc)))
        return ""
    if not text:
        reasons.append(Reason("reason", missing))
    return text


class InsuranceRefused(XtError):
    """A step of an application refused: every unmet condition is listed; nothing was written."""

    def __init__(self, what: str, reasons: Sequence[Reason]) -> None:
        self.reasons = list(reasons)
        lines = "\n".join(f"  - {reason}" for reason in self.reasons)
        super().__init__(
            _("{what}：被拒绝，{count} 项条件不满足（未写入任何内容）：\n{lines}").format(
                what=what, count=len(self.reasons), lines=lines
            )
        )


def cny(amount: Decimal) -> str:
    """An amount with its currency: ``3099.44 CNY``."""
    return f"{format_money(amount)} CNY"


def yuan(amount: Decimal) -> str:
    """An amount as a reason says it: ``3,099.44 元`` (``CNY 3,099.44`` in English)."""
    return _("{amount} 元").format(amount=grouped_money(amount))


# -- §3.3 who may apply -----------------------------------------------------------------------


def current_entrustment(registry: Registry, community: str, company: str, day: dt.date):
    for row in registry.entrustments:
        if (
            row.community == community
            and row.property_company == company
            and row.valid_from <= day
            and (row.valid_to is None or day <= row.valid_to)
        ):
            return row
    return None


def applicant_reasons(
    registry: Registry, pool: str, kind: str, applicants: Sequence[str], day: dt.date
) -> list[Reason]:
    """§3.3: `min_households` (3)+ distinct households of the pool's unit (building, for a
    building pool), or the community's owners' committee, or the property company the committee
    entrusted (on `day`)."""
    if not is_pool(registry, pool):
        return [
            Reason(
                "applicants",
                _("{pool} 不是登记册中的统筹账户").format(pool=pool),
            )
        ]
    community_id = community_of(registry, pool)
    community = registry.communities[community_id]
    reasons: list[Reason] = []
    if kind == "households":
        members = pool_households(registry, pool)
        distinct = list(dict.fromkeys(applicants))
        # (the registry's index of every household's id is read only for applicants who are
        # not of the pool)
        unknown = [h for h in distinct if h not in members and h not in registry.households]
        outside = [h for h in distinct if h not in members and h in registry.households]
        valid = [h for h in distinct if h in members]
        if unknown:
            reasons.append(
                Reason(
                    "applicants",
                    _("住户登记（registry/households.csv）中没有这些住户：{households}").format(
                        households="、".join(unknown)
                    ),
                )
            )
        for household in outside:
            unit = registry.households[household].unit
            reasons.append(
                Reason(
                    "applicants",
                    _("住户 {household} 属于 {place}，不属于付费统筹账户的{scope}").format(
                        household=household,
                        place=place_name(registry, unit),
                        scope=pool_scope(registry, pool),
                    ),
                )
            )
        needed = registry.pilot.min_households
        if len(valid) < needed:
            repeated = len(applicants) - len(distinct)
            note = _("（{count} 户重复）").format(count=repeated) if repeated else ""
            reasons.append(
                Reason(
                    "applicants",
                    _(
                        "{scope} 只有 {count} 户申请{note}，至少需要 {needed} 户"
                        "（或业主委员会，或其委托的物业服务企业）"
                    ).format(
                        scope=pool_scope(registry, pool),
                        count=len(valid),
                        note=note,
                        needed=needed,
                    ),
                )
            )
    elif kind == "committee":
        if not community.has_committee:
            reasons.append(
                Reason(
                    "applicants",
                    _(
                        "{community} {name} 没有业主委员会（小区登记 registry/communities.csv "
                        "中「有业主委员会」has_committee 为否），可改由 {needed} 户业主申请"
                    ).format(
                        community=community_id,
                        name=community.name,
                        needed=registry.pilot.min_households,
                    ),
                )
            )
        if tuple(applicants) != (community_id,):
            reasons.append(
                Reason(
                    "applicants",
                    _("为 {pool} 申请的须是 {community} 的业主委员会（实为 {got}）").format(
                        pool=pool, community=community_id, got="、".join(applicants) or _("无")
                    ),
                )
            )
    elif kind == "property_company":
        if len(applicants) != 1:
            reasons.append(
                Reason(
                    "applicants",
                    _("须写明一家物业服务企业"),
                )
            )
        else:
            company = applicants[0]
            if current_entrustment(registry, community_id, company, day) is None:
                still = _("至今")
                known = [
                    f"{r.property_company} {r.valid_from}..{r.valid_to or still}"
                    for r in registry.entrustments
                    if r.community == community_id
                ]
                reasons.append(
                    Reason(
                        "applicants",
                        _(
                            "{company} 在 {day} 没有 {community} {name} 业主委员会的有效委托"
                            "（委托登记 registry/entrustments.csv 中本小区的委托：{known}）"
                        ).format(
                            company=company,
                            day=day,
                            community=community_id,
                            name=community.name,
                            known="；".join(known) or _("无"),
                        ),
                    )
                )
    else:
        reasons.append(
            Reason(
                "applicants",
                _(
                    "申请人类别 {kind!r} 不是 households（住户）、committee（业主委员会）、"
                    "property_company（物业服务企业）之一"
                ).format(kind=kind),
            )
        )
    return reasons


# -- §3.4 eligibility of one elevator ---------------------------------------------------------


def unknown_elevator(code: str) -> str:
    """The reason of an elevator the registry lacks."""
    return _("电梯登记（registry/elevators.csv）中没有电梯 {code}").format(code=code)


def warranty_end(commissioned: dt.date, years: int) -> dt.date:
    return add_years(commissioned, years)


def warranty_reason(elevator: Elevator, day: dt.date, years: int) -> Reason | None:
    """§3.4.4: strictly more than `years` years since commissioning: day > commissioned + years."""
    end = warranty_end(elevator.commissioned, years)
    if day > end:
        return None
    return Reason(
        "warranty",
        _(
            "电梯 {code} {commissioned} 投入使用，{years} 年质保期至 {end}；"
            "{day} 尚在质保期内，{allowed} 起方可投保"
        ).format(
            code=elevator.code,
            commissioned=elevator.commissioned,
            years=years,
            end=end,
            day=day,
            allowed=end + ONE_DAY,
        ),
    )


def inspection_on(
    elevator: Elevator, recorded: Iterable[Inspection], day: dt.date
) -> Inspection | None:
    """The latest periodic inspection on or before `day`: the registry's last one, or one
    recorded in the books (an application's report)."""
    known = list(recorded)
    if elevator.last_inspection is not None:
        known.append(
            Inspection(
                elevator.code,
                elevator.last_inspection,
                bool(elevator.inspection_passed),
                "registry",
            )
        )
    usable = [i for i in known if i.inspected <= day]
    if not usable:
        return None
    # On one day, a failed report outranks a passed one.
    return max(usable, key=lambda i: (i.inspected, not i.passed))


def inspection_reason(
    elevator: Elevator, inspection: Inspection | None, day: dt.date, max_months: int
) -> Reason | None:
    """§3.4.3: the last periodic inspection passed and is less than `max_months` months old."""
    if inspection is None:
        later = elevator.last_inspection
        hint = _("（登记册中最近一次检验 {later} 在此日之后）").format(later=later) if later else ""
        return Reason(
            "inspection",
            _("电梯 {code} 在 {day} 及之前没有定期检验记录{hint}").format(
                code=elevator.code, day=day, hint=hint
            ),
        )
    source = (
        _("登记册")
        if inspection.source == "registry"
        else _("{application} 的检验报告").format(application=inspection.source)
    )
    if not inspection.passed:
        return Reason(
            "inspection",
            _("电梯 {code} 最近一次定期检验（{inspected}，{source}）不合格").format(
                code=elevator.code, inspected=inspection.inspected, source=source
            ),
        )
    expires = add_months(inspection.inspected, max_months)
    if day >= expires:
        age = (day - inspection.inspected).days
        return Reason(
            "inspection",
            _(
                "电梯 {code} 最近一次定期检验（{inspected}，{source}）到 {day} 已 {age} 天，"
                "须在 {months} 个月以内（有效至 {valid}）"
            ).format(
                code=elevator.code,
                inspected=inspection.inspected,
                source=source,
                day=day,
                age=age,
                months=max_months,
                valid=expires - ONE_DAY,
            ),
        )
    return None


def elevator_reasons(
    registry: Registry,
    code: str,
    day: dt.date,
    *,
    unit_fund: Decimal,
    inspections: Iterable[Inspection] = (),
) -> list[Reason]:
    """§3.4.1, .3 and .4 for one elevator on `day` (.2, the pool, and .5, the insurer, are
    `pool_reason` and `quote`; `eligibility` checks all five)."""
    if code not in registry.elevators:
        return [Reason("elevator", unknown_elevator(code))]
    elevator = registry.elevators[code]
    pilot = registry.pilot
    unit = elevator.unit
    community_id = community_of(registry, unit)
    community = registry.communities[community_id]
    reasons: list[Reason] = []
    if unit_fund <= 0:
        reasons.append(
            Reason(
                "unit_fund",
                _("电梯 {code}：单元 {unit} 未交存维修资金（{day} 余额 {fund}）").format(
                    code=code, unit=unit, day=day, fund=yuan(unit_fund)
                ),
            )
        )
    if not community.management_orderly:
        reasons.append(
            Reason(
                "management",
                _(
                    "电梯 {code}：{community} {name} 物业管理不规范（小区登记 "
                    "registry/communities.csv 中「物业管理有序」management_orderly 为否；"
                    "管理恢复正常后改为是）"
                ).format(code=code, community=community_id, name=community.name),
            )
        )
    if not elevator.maintenance_normal:
        reasons.append(
            Reason(
                "maintenance",
                _(
                    "电梯 {code} 维保不正常（电梯登记 registry/elevators.csv 中「维保正常」"
                    "maintenance_normal 为否；维保恢复正常后改为是）"
                ).format(code=code),
            )
        )
    inspection = inspection_on(elevator, inspections, day)
    found = inspection_reason(elevator, inspection, day, pilot.inspection_max_months)
    if found:
        reasons.append(found)
    found = warranty_reason(elevator, day, pilot.warranty_years)
    if found:
        reasons.append(found)
    return reasons


def pool_reason(pool: str, available: Decimal, needed: Decimal, day: dt.date) -> Reason | None:
    """§3.4.2: the pool's available balance holds one year's premium of what is bought."""
    if available >= needed:
        return None
    return Reason(
        "pool_balance",
        _("统筹账户 {pool} {day} 可用余额 {available}，不足一年保费 {needed}（差 {short}）").format(
            pool=pool,
            day=day,
            available=yuan(available),
            needed=yuan(needed),
            short=yuan(needed - available),
        ),
    )


# -- §3.7 the insurer's tender and the pilot window -------------------------------------------


@dataclass(frozen=True)
class Quote:
    """What the tender covering a day charges for some elevators, or why it cannot: `reasons`
    are all of them, `limits` those of single elevators (the tender's limits)."""

    tender: Tender | None
    premiums: dict[str, Decimal]
    ages: dict[str, int]
    reasons: list[Reason]
    limits: dict[str, Reason] = field(default_factory=dict)

    @property
    def total(self) -> Decimal:
        return sum(self.premiums.values(), ZERO)


def tender_on(registry: Registry, insurer: str, day: dt.date) -> Tender | None:
    """The insurer's tender whose period covers `day` (the latest started, if several)."""
    covering = [
        t
        for t in registry.tenders.values()
        if t.insurer == insurer and t.period_start <= day <= t.period_end
    ]
    return max(covering, key=lambda t: (t.period_start, t.id)) if covering else None


def latest_tender(registry: Registry, insurer: str) -> Tender | None:
    """The insurer's tender that ends last."""
    own = [t for t in registry.tenders.values() if t.insurer == insurer]
    return max(own, key=lambda t: (t.period_end, t.id)) if own else None


def quote(
    registry: Registry,
    insurer: str,
    elevators: Sequence[str],
    day: dt.date,
    start: dt.date,
    *,
    or_latest: bool = False,
) -> Quote:
    """§3.4.5 and §3.7: the insurer won a tender covering `day`, and each elevator meets its
    limits; the premium of each is the tender's band for its age (whole years) on `start`.

    With `or_latest`, an insurer without a tender covering `day` is priced by its latest
    tender (what a year would cost after it), the missing tender still a reason."""
    if insurer not in registry.insurers:
        unknown = Reason(
            "tender",
            _("保险公司登记（registry/insurers.toml）中没有保险公司 {insurer}").format(
                insurer=insurer
            ),
        )
        return Quote(None, {}, {}, [unknown])
    tender = tender_on(registry, insurer, day)
    if tender is None:
        periods = [
            f"{t.id} {t.period_start}..{t.period_end}"
            for t in registry.tenders.values()
            if t.insurer == insurer
        ]
        name = registry.insurers[insurer].name
        missing = Reason(
            "tender",
            _(
                "保险公司 {insurer} {name} 没有覆盖 {day} 的中标（其招标：{periods}）："
                "只能向当期中标的保险公司支付保费"
            ).format(insurer=insurer, name=name, day=day, periods="；".join(periods) or _("无")),
        )
        latest = latest_tender(registry, insurer) if or_latest else None
        if latest is None:
            return Quote(None, {}, {}, [missing])
        priced = _priced(registry, latest, elevators, start)
        reasons = [missing, *priced.reasons]
        return Quote(latest, priced.premiums, priced.ages, reasons, priced.limits)
    return _priced(registry, tender, elevators, start)


def _priced(registry: Registry, tender: Tender, elevators: Sequence[str], start: dt.date) -> Quote:
    """`quote` by one tender: each elevator's band for its age on `start`, within its limits."""
    premiums: dict[str, Decimal] = {}
    ages: dict[str, int] = {}
    reasons: list[Reason] = []
    limits: dict[str, Reason] = {}
    for code in elevators:
        elevator = registry.elevators.get(code)
        if elevator is None:
            continue
        age = age_years(elevator.commissioned, start)
        ages[code] = age
        limit = tender.max_elevator_age_years
        premium = tender.premium_for_age(max(age, 0))
        if limit is not None and age > limit:
            refused = Reason(
                "insurer_limits",
                _(
                    "电梯 {code} 到 {start} 已使用 {age} 年（{commissioned} 投入使用），"
                    "招标 {tender} 只承保 {limit} 年以内的电梯"
                ).format(
                    code=code,
                    start=start,
                    age=age,
                    commissioned=elevator.commissioned,
                    tender=tender.id,
                    limit=limit,
                ),
            )
        elif premium is None:
            top = tender.premium[-1].max_age_years
            refused = Reason(
                "insurer_limits",
                _(
                    "电梯 {code} 到 {start} 已使用 {age} 年，招标 {tender} 没有对应的保费档次"
                    "（最高 {top} 年）"
                ).format(code=code, start=start, age=age, tender=tender.id, top=top),
            )
        else:
            premiums[code] = premium
            continue
        reasons.append(refused)
        limits[code] = refused
    return Quote(tender, premiums, ages, reasons, limits)


# -- §3.4 the five conditions together --------------------------------------------------------


@dataclass(frozen=True)
class Eligibility:
    """§3.4 for some elevators bought on a day: the tender's quote, the year's premium the pool
    must hold, and every unmet condition (`reasons`, the pool's last); `by_elevator` holds
    each elevator's own with the tender's that apply to it, `pool` the pool's."""

    quote: Quote
    needed: Decimal
    reasons: list[Reason]
    by_elevator: dict[str, list[Reason]]
    pool: Reason | None


def premium_needed(
    offer: Quote, elevators: Sequence[str], stated: Mapping[str, Decimal]
) -> Decimal:
    """§3.4.2's year's premium of `elevators`: each one's premium in the tender's quote, or,
    where the tender cannot price it (a reason of its own), the premium `stated` for it."""
    codes = dict.fromkeys(elevators)
    return sum((offer.premiums.get(c, stated.get(c, ZERO)) for c in codes), ZERO)


def eligibility(
    registry: Registry,
    elevators: Sequence[str],
    pool: str,
    insurer: str,
    day: dt.date,
    start: dt.date,
    *,
    unit_funds: Mapping[str, Decimal],
    inspections: Mapping[str, Iterable[Inspection]],
    pool_available: Decimal,
    stated: Mapping[str, Decimal],
) -> Eligibility:
    """All five conditions of §3.4 (and §3.7's tender) for `elevators` paid by `pool`, bought
    from `insurer` on `day` for cover from `start`.

    The reasons come in this order: per elevator, an unknown elevator or one of another pool,
    then `elevator_reasons` (unit fund, management, maintenance, inspection, warranty); then the
    tender's (`quote`); last the pool's (`pool_reason`, on `premium_needed`). `unit_funds` holds
    each unit's fund on `day`, `inspections` the reports recorded in the books by elevator,
    `pool_available` the pool's balance, `stated` each elevator's premium as stated before (the
    application's, the policy's), used where the tender cannot price it."""
    reasons: list[Reason] = []
    by_elevator: dict[str, list[Reason]] = {}
    for code in elevators:
        own: list[Reason] = []
        if code not in registry.elevators:
            own.append(Reason("elevator", unknown_elevator(code)))
        else:
            paid_by = pool_of_elevator(registry, code)
            if paid_by != pool:
                own.append(
                    Reason(
                        "elevator",
                        _("电梯 {code} 属于统筹账户 {paid_by}，不是 {pool}").format(
                            code=code, paid_by=paid_by, pool=pool
                        ),
                    )
                )
            own.extend(
                elevator_reasons(
                    registry,
                    code,
                    day,
                    unit_fund=unit_funds[registry.elevators[code].unit],
                    inspections=inspections.get(code, ()),
                )
            )
        reasons.extend(own)
        by_elevator.setdefault(code, own)
    offer = quote(registry, insurer, elevators, day, start)
    reasons.extend(offer.reasons)
    refused = list(offer.limits.values())
    every = [r for r in offer.reasons if r not in refused]  # no tender: for every elevator
    for code, own in by_elevator.items():
        own.extend([*every, *([offer.limits[code]] if code in offer.limits else [])])
    needed = premium_needed(offer, elevators, stated)
    found = pool_reason(pool, pool_available, needed, day)
    if found:
        reasons.append(found)
    return Eligibility(offer, needed, reasons, by_elevator, found)


def window_reason(registry: Registry, day: dt.date) -> Reason | None:
    pilot = registry.pilot
    if pilot.window_start <= day <= pilot.window_end:
        return None
    return Reason(
        "window",
        _(
            "{day} 不在试点期 {start} 至 {end} 之内（试点延期须按延期文件修改试点设置 "
            "registry/pilot.toml 的 window_end）"
        ).format(day=day, start=pilot.window_start, end=pilot.window_end),
    )


# -- §3.5 the notice, §3.6 objections and the vote ------------------------------------------


def notice_days(start: dt.date, days: int) -> tuple[dt.date, dt.date, dt.date]:
    """(first day, last day, first day the premium may be paid): S, S+days-1, S+days."""
    return start, start + dt.timedelta(days=days - 1), start + dt.timedelta(days=days)


def procedure_reasons(
    notice: Notice | None,
    objections: Sequence[Objection],
    votes: Sequence[Vote],
    day: dt.date,
) -> list[Reason]:
    """§3.5 and §3.6 on `day`: the notice has ended; after a written objection on a notice day,
    the latest owners' vote held by `day` passed."""
    if notice is None:
        return [Reason("notice", _("尚未公示"))]
    reasons: list[Reason] = []
    if day < notice.purchase_from:
        reasons.append(
            Reason(
                "notice",
                _("公示期 {start} 至 {end}，{purchase_from} 起方可支付保费，{day} 不可").format(
                    start=notice.start, end=notice.end, purchase_from=notice.purchase_from, day=day
                ),
            )
        )
    written = [o for o in objections if notice.start <= o.date <= notice.end]
    if written:
        held = [v for v in votes if v.date <= day]
        dates = ", ".join(sorted({str(o.date) for o in written}))
        if not held:
            reasons.append(
                Reason(
                    "vote",
                    _(
                        "{dates} 有 {count} 份书面异议：须先经业主表决通过"
                        "（民法典第二百七十八条），到 {day} 尚无表决记录"
                    ).format(dates=dates, count=len(written), day=day),
                )
            )
        elif not held[-1].passed:
            vote = held[-1]
            reasons.append(
                Reason(
                    "vote",
                    _("{dates} 的书面异议之后，{date} 的业主表决未通过：{tally}").format(
                        dates=dates, date=vote.date, tally=describe_vote(vote)
                    ),
                )
            )
    return reasons


class Choice(StrEnum):
    FOR = "for"
    AGAINST = "against"
    ABSTAIN = "abstain"


CHOICE_WORDS = {
    "for": Choice.FOR,
    "yes": Choice.FOR,
    "同意": Choice.FOR,
    "赞成": Choice.FOR,
    "against": Choice.AGAINST,
    "no": Choice.AGAINST,
    "反对": Choice.AGAINST,
    "abstain": Choice.ABSTAIN,
    "弃权": Choice.ABSTAIN,
}


def parse_choice(text: str) -> Choice | None:
    return CHOICE_WORDS.get(str(text).strip().lower())


def describe_vote(vote: Vote) -> str:
    return vote.tally.explain()


def tally_votes(
    households: Mapping[str, Decimal],
    votes: Mapping[str, Choice],
    pilot: PilotConfig | None = None,
) -> VoteTally:
    """Count a vote: `households` are every household of the pool with its area (the base of
    the quorum), `votes` the choice of each that took part, judged by `pilot`'s vote_quorum and
    vote_majority (the registry's; today's 2/3 and 1/2 when None). A vote from outside the pool
    is a ValueError."""
    outside = sorted(h for h in votes if h not in households)
    if outside:
        raise ValueError(
            _("不是本统筹账户的住户：{households}").format(households="、".join(outside))
        )

    def count(choice: Choice | None) -> tuple[int, Decimal]:
        chosen = [h for h, c in votes.items() if choice is None or c is choice]
        return len(chosen), sum((households[h] for h in chosen), ZERO)

    n_for, a_for = count(Choice.FOR)
    n_against, a_against = count(Choice.AGAINST)
    n_abstain, a_abstain = count(Choice.ABSTAIN)
    n_voted, a_voted = count(None)
    return VoteTally(
        households_total=len(households),
        area_total=sum(households.values(), ZERO),
        households_voted=n_voted,
        area_voted=a_voted,
        households_for=n_for,
        area_for=a_for,
        households_against=n_against,
        area_against=a_against,
        households_abstain=n_abstain,
        area_abstain=a_abstain,
        quorum_share=VOTE_QUORUM if pilot is None else pilot.vote_quorum,
        majority_share=VOTE_MAJORITY if pilot is None else pilot.vote_majority,
    )
