"""The insurance rules checked (the plugin `xtaccounts.plugins.insurance_rules` says which):
imported only when the books hold insurance records, so that loading or writing books without
any does not import the insurance package."""

from __future__ import annotations

import csv
import io
import os
from collections import defaultdict
from decimal import Decimal, InvalidOperation
from itertools import pairwise
from pathlib import Path, PurePosixPath
from typing import Any, NamedTuple

from beancount.core import data

from xtaccounts.core import chart
from xtaccounts.core.calendar import cover_years
from xtaccounts.core.entries import number_of
from xtaccounts.core.errors import XtError
from xtaccounts.core.privacy import mask_free_text
from xtaccounts.core.vocabulary import (
    KIND_CARRY,
    KIND_CLOSE,
    KIND_PREMIUM,
    KIND_PREMIUM_REFUND,
    META_APPLICATION,
    META_ELEVATOR,
    META_KIND,
    META_POLICY,
    META_POOL,
    ZERO,
)
from xtaccounts.insurance.directives import (
    TALLY_FIELDS,
    Application,
    InsuranceBook,
    Policy,
    Vote,
    read_document,
    read_insurance,
)
from xtaccounts.insurance.rules import (
    Choice,
    Reason,
    applicant_reasons,
    notice_days,
    parse_choice,
    tally_votes,
    tender_on,
    warranty_reason,
    window_reason,
)
from xtaccounts.plugins.books_registry import registry_dir
from xtaccounts.registry import Registry, cached_registry
from xtaccounts.registry.navigation import is_pool, pool_households, pool_of_elevator


class InsuranceRuleError(NamedTuple):
    source: Any
    message: str
    entry: Any


class _Checker:
    def __init__(
        self,
        registry: Registry,
        book: InsuranceBook,
        partial: bool,
        ledger_dirs: tuple[Path, ...] = (),
    ) -> None:
        self.registry = registry
        self.book = book
        self.partial = partial
        # Where documents named by the records are looked for (relative paths).
        self.ledger_dirs = ledger_dirs
        self.errors: list[InsuranceRuleError] = []

    def error(self, entry: Any, message: str) -> None:
        meta = getattr(entry, "meta", None) or data.new_metadata("<insurance_rules>", 0)
        self.errors.append(InsuranceRuleError(meta, message, entry))

    def known_app(self, app_id: str, entry: Any, what: str) -> bool:
        if app_id in self.book.applications:
            return True
        if not self.partial:
            self.error(entry, f"{what} refers to unknown application {app_id}")
        return False

    def applications(self) -> None:
        registry = self.registry
        for app in self.book.applications.values():
            e = app.entry
            pool_ok = is_pool(registry, app.pool)
            if not pool_ok:
                self.error(e, f"application {app.id}: unknown pool {app.pool}")
            if not app.elevators:
                self.error(e, f"application {app.id}: names no elevator")
            for code in app.elevators:
                elevator = registry.elevators.get(code)
                if elevator is None:
                    self.error(e, f"application {app.id}: unknown elevator {code}")
                elif pool_ok and pool_of_elevator(registry, code) != app.pool:
                    self.error(
                        e,
                        f"application {app.id}: elevator {code} is of pool "
                        f"{pool_of_elevator(registry, code)}, not {app.pool}",
                    )
            if app.insurer not in registry.insurers:
                self.error(e, f"application {app.id}: unknown insurer {app.insurer}")
            if cover_years(app.cover_start, app.cover_end) is None:
                self.error(
                    e,
                    f"application {app.id}: cover {app.cover_start}..{app.cover_end} is not "
                    "whole years",
                )
            if pool_ok:
                for reason in applicant_reasons(
                    registry, app.pool, app.applicant_kind, app.applicants, app.filed
                ):
                    self.error(e, f"application {app.id}: {reason.message}")

    def inspections(self) -> None:
        for code, records in self.book.inspections.items():
            if code not in self.registry.elevators:
                for record in records:
                    self.error(None, f"inspection of unknown elevator {code} ({record.source})")

    def notices_and_objections(self) -> None:
        registry = self.registry
        days = registry.pilot.notice_days
        for app_id, notices in self.book.notices.items():
            for notice in notices:
                if not self.known_app(app_id, notice.entry, "notice"):
                    continue
                app = self.book.applications[app_id]
                if notice.start < app.filed:
                    self.error(notice.entry, f"notice of {app_id} starts before it was filed")
                try:
                    _, end, purchase_from = notice_days(notice.start, days)
                except OverflowError:
                    self.error(notice.entry, f"notice of {app_id} runs past 9999-12-31")
                    continue
                if (notice.end, notice.purchase_from) != (end, purchase_from):
                    self.error(
                        notice.entry,
                        f"notice of {app_id} from {notice.start} runs to {end} (purchase from "
                        f"{purchase_from}), not {notice.end} ({notice.purchase_from})",
                    )
            if len(notices) > 1:
                self.error(notices[1].entry, f"application {app_id} is noticed twice")
        for app_id, objections in self.book.objections.items():
            for objection in objections:
                if not self.known_app(app_id, objection.entry, "objection"):
                    continue
                app = self.book.applications[app_id]
                noticed = self.book.notice(app_id)
                if noticed is None:
                    self.error(objection.entry, f"objection to {app_id}, which has no notice")
                elif not noticed.start <= objection.date <= noticed.end:
                    self.error(
                        objection.entry,
                        f"objection to {app_id} on {objection.date}, outside its notice "
                        f"{noticed.start}..{noticed.end}",
                    )
                if is_pool(registry, app.pool) and objection.household not in pool_households(
                    registry, app.pool
                ):
                    self.error(
                        objection.entry,
                        f"objection to {app_id} by {objection.household}, not a household of "
                        f"pool {app.pool}",
                    )
                self.personal_data(
                    objection.entry, f"objection to {app_id} of {objection.date}", objection.reason
                )

    def personal_data(self, entry: Any, what: str, text: str) -> None:
        """Free text of the records is stored masked (phone numbers; names must not be
        written at all: the registry only knows them masked)."""
        masked = mask_free_text(text)
        if masked != text:
            self.error(
                entry,
                f"{what}: its reason carries a phone number (personal data); record it masked: "
                f"{masked!r}",
            )

    def votes(self) -> None:
        for app_id, votes in self.book.votes.items():
            for vote in votes:
                if not self.known_app(app_id, vote.entry, "vote"):
                    continue
                if not any(o.date <= vote.date for o in self.book.objections.get(app_id, [])):
                    self.error(
                        vote.entry,
                        f"vote on {app_id} of {vote.date} before any objection: the owners vote "
                        "only after a written objection",
                    )
                self.vote_counts(self.book.applications[app_id], vote)

    def vote_counts(self, app: Application, vote: Vote) -> None:
        """The outcome and quorum from the counts (Civil Code art. 278), the counts against the
        registry and against the vote's document."""
        t = vote.tally
        where = f"vote on {app.id} of {vote.date}"
        e = vote.entry
        if vote.outcome not in ("passed", "failed"):
            self.error(e, f"{where}: outcome {vote.outcome!r} is neither passed nor failed")
        elif vote.outcome != t.outcome:
            self.error(
                e,
                f"{where}: recorded outcome {vote.outcome}, the counts give {t.outcome} "
                f"({t.explain()})",
            )
        if vote.quorum_recorded != t.quorum_text:
            self.error(
                e,
                f"{where}: recorded quorum {vote.quorum_recorded}, the counts give "
                f"{t.quorum_text} ({t.explain()})",
            )
        if any(getattr(t, key) < 0 for key in TALLY_FIELDS):
            self.error(e, f"{where}: a count is negative")
        parts = (t.households_for, t.households_against, t.households_abstain)
        areas = (t.area_for, t.area_against, t.area_abstain)
        if (sum(parts), sum(areas, ZERO)) != (t.households_voted, t.area_voted):
            self.error(
                e,
                f"{where}: for, against and abstain ({' + '.join(map(str, parts))} households, "
                f"{' + '.join(map(str, areas))} m²) are not the {t.households_voted} households "
                f"({t.area_voted} m²) that took part",
            )
        if t.households_voted > t.households_total or t.area_voted > t.area_total:
            self.error(
                e,
                f"{where}: more households took part ({t.households_voted}, {t.area_voted} m²) "
                f"than the pool has ({t.households_total}, {t.area_total} m²)",
            )
        if not is_pool(self.registry, app.pool):
            return
        members = pool_households(self.registry, app.pool)
        area = sum(members.values(), ZERO)
        if (t.households_total, t.area_total) != (len(members), area):
            self.error(
                e,
                f"{where}: counts {t.households_total} households of {t.area_total} m² in all; "
                f"pool {app.pool} has {len(members)} households of {area} m² (households.csv)",
            )
        if vote.document:
            self.vote_document(app, vote, members)

    def vote_document(self, app: Application, vote: Vote, members: dict[str, Decimal]) -> None:
        """Recount the vote's per-household document with the registry's areas."""
        where = f"vote on {app.id} of {vote.date}"
        e = vote.entry
        rel = PurePosixPath(vote.document)
        if rel.is_absolute() or ".." in rel.parts or not rel.parts:
            self.error(e, f"{where}: document {vote.document!r} is not a path in the ledger")
            return
        content = next(
            (c for base in self.ledger_dirs if (c := read_document(base / rel)) is not None), None
        )
        if content is None:
            self.error(e, f"{where}: its document {vote.document} is missing")
            return
        votes, problems = _read_vote_document(content, members)
        for problem in problems:
            self.error(e, f"{where}: its document {vote.document}: {problem}")
        if problems:
            return
        counted = tally_votes(members, votes, self.registry.pilot)
        diffs = [
            f"{key} {getattr(vote.tally, key)} (document: {getattr(counted, key)})"
            for key in TALLY_FIELDS
            if getattr(vote.tally, key) != getattr(counted, key)
        ]
        if diffs:
            self.error(
                e,
                f"{where}: the record differs from its document {vote.document} recounted with "
                f"the registry's areas: {', '.join(diffs)}",
            )

    def purchase_reasons(self, policy: Policy) -> list[Reason]:
        """What the registry alone says against a purchase on its day: the pilot window, the
        insurer's tender, each elevator past its warranty (§3.4, §3.7)."""
        registry = self.registry
        reasons = [r for r in (window_reason(registry, policy.bought),) if r is not None]
        if tender_on(registry, policy.insurer, policy.bought) is None:
            reasons.append(
                Reason(
                    "tender",
                    f"insurer {policy.insurer} has no tender covering {policy.bought} "
                    "(insurers.toml): only a tendered insurer may be paid",
                )
            )
        for code in policy.elevators:
            elevator = registry.elevators.get(code)
            if elevator is not None:
                found = warranty_reason(elevator, policy.bought, registry.pilot.warranty_years)
                if found is not None:
                    reasons.append(found)
        return reasons

    def policies(self) -> None:
        book = self.book
        for policy in book.policies.values():
            e = policy.entry
            if not self.known_app(policy.application, e, f"policy {policy.id}"):
                continue
            app = book.applications[policy.application]
            if policy.pool != app.pool:
                self.error(
                    e, f"policy {policy.id}: pool {policy.pool}, its application's is {app.pool}"
                )
            extra = [c for c in policy.elevators if c not in app.elevators]
            if extra:
                self.error(
                    e, f"policy {policy.id}: elevators {', '.join(extra)} are not in {app.id}"
                )
            notice = book.notice(app.id)
            if notice is None:
                self.error(
                    e, f"policy {policy.id} bought on {policy.bought} without a notice of {app.id}"
                )
            else:
                if policy.bought < notice.purchase_from:
                    self.error(
                        e,
                        f"policy {policy.id} bought on {policy.bought}, before the notice of "
                        f"{app.id} ended ({notice.start}..{notice.end}; purchase from "
                        f"{notice.purchase_from})",
                    )
                written = [
                    o
                    for o in book.objections.get(app.id, [])
                    if notice.start <= o.date <= notice.end
                ]
                held = [v for v in book.votes.get(app.id, []) if v.date <= policy.bought]
                if written and (not held or not held[-1].passed):
                    self.error(
                        e,
                        f"policy {policy.id} bought on {policy.bought} after a written objection "
                        f"({written[0].date}) without a passed owners' vote by then",
                    )
            for reason in self.purchase_reasons(policy):
                self.error(e, f"policy {policy.id} bought on {policy.bought}: {reason.message}")
            if policy.renews and policy.renews not in book.policies and not self.partial:
                self.error(e, f"policy {policy.id} renews unknown policy {policy.renews}")
            booked = sum(
                (
                    number_of(p)
                    for t in book.premium_entries.get(policy.id, [])
                    if t.meta.get(META_KIND) == KIND_PREMIUM
                    for p in t.postings
                    if p.account == chart.PREMIUM_EXPENSE
                ),
                ZERO,
            )
            if booked != policy.premium:
                self.error(
                    e,
                    f"policy {policy.id}: premium {policy.premium}, its premium transaction "
                    f"books {booked}",
                )

    def overlaps(self) -> None:
        by_elevator: dict[str, list] = defaultdict(list)
        for state in self.book.policy_states():
            if state.last_day < state.policy.cover_start:
                continue
            for code in state.policy.elevators:
                by_elevator[code].append(state)
        for code, states in by_elevator.items():
            states.sort(key=lambda s: (s.policy.cover_start, s.policy.id))
            for earlier, later in pairwise(states):
                if later.policy.cover_start <= earlier.last_day:
                    self.error(
                        later.policy.entry,
                        f"elevator {code} insured twice: policy {later.policy.id} from "
                        f"{later.policy.cover_start} overlaps {earlier.policy.id} "
                        f"({earlier.policy.cover_start}..{earlier.last_day})",
                    )

    def postings(self, entries: list[data.Directive]) -> None:
        for entry in entries:
            if not isinstance(entry, data.Transaction):
                continue
            self.approval(entry)
            for posting in entry.postings:
                meta = posting.meta or {}
                if posting.account != chart.PREMIUM_EXPENSE or META_APPLICATION not in meta:
                    continue
                app_id = str(meta[META_APPLICATION])
                if app_id not in self.book.applications:
                    if not self.partial:
                        self.error(entry, f"premium posting names unknown application {app_id}")
                    continue
                app = self.book.applications[app_id]
                if str(meta.get(META_POOL)) != app.pool:
                    self.error(
                        entry,
                        f"premium posting of {app_id}: pool {meta.get('pool')}, not {app.pool}",
                    )
                if str(meta.get(META_ELEVATOR)) not in app.elevators:
                    self.error(
                        entry,
                        f"premium posting of {app_id}: elevator {meta.get('elevator')} is not "
                        "in it",
                    )

    def approval(self, entry: data.Transaction) -> None:
        """A premium is paid only under a recorded policy (an approved application): a premium
        posting outside a premium or premium-refund transaction, or in one naming an unknown
        policy, is refused."""
        kind = entry.meta.get(META_KIND)
        if kind == KIND_CLOSE or not any(
            p.account == chart.PREMIUM_EXPENSE for p in entry.postings
        ):
            return
        policy = str(entry.meta.get(META_POLICY) or "")
        if kind not in (KIND_PREMIUM, KIND_PREMIUM_REFUND):
            self.error(
                entry,
                f"premium without approval: a {kind or 'transaction'} posts to "
                f"{chart.PREMIUM_EXPENSE}; premiums are booked only under a recorded policy "
                "(`xtaccounts premium buy`)",
            )
        elif policy and policy not in self.book.policies and not self.partial:
            self.error(entry, f"premium without approval: policy {policy} is not recorded")

    def cancellations(self) -> None:
        for policy_id, cancellation in self.book.cancellations.items():
            self.personal_data(
                cancellation.entry,
                f"cancellation of {policy_id} of {cancellation.date}",
                cancellation.reason,
            )
            policy = self.book.policies.get(policy_id)
            if policy is None:
                if not self.partial:
                    self.error(cancellation.entry, f"cancellation of unknown policy {policy_id}")
                continue
            if not policy.bought <= cancellation.date <= policy.cover_end:
                self.error(
                    cancellation.entry,
                    f"cancellation of {policy_id} on {cancellation.date}, outside "
                    f"{policy.bought}..{policy.cover_end}",
                )
            refunded = -sum(
                (
                    number_of(p)
                    for t in self.book.premium_entries.get(policy_id, [])
                    if t.meta.get(META_KIND) == KIND_PREMIUM_REFUND
                    for p in t.postings
                    if p.account == chart.PREMIUM_EXPENSE
                ),
                ZERO,
            )
            if refunded != cancellation.refund:
                self.error(
                    cancellation.entry,
                    f"cancellation of {policy_id}: refund {cancellation.refund}, its refund "
                    f"transaction books {refunded}",
                )


def _read_vote_document(
    content: bytes, members: dict[str, Decimal]
) -> tuple[dict[str, Choice], list[str]]:
    """The choices of a vote document (CSV household, unit, door_no, area_m2, choice), and
    what is wrong with it: households outside the pool or named twice, unknown choices, an
    area other than the registry's."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return {}, ["not UTF-8 text"]
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if not {"household", "choice"} <= set(reader.fieldnames or ()):
        return {}, ["has no household and choice columns"]
    votes: dict[str, Choice] = {}
    problems: list[str] = []
    for number, row in enumerate(reader, 2):
        household = (row.get("household") or "").strip()
        choice = parse_choice(row.get("choice") or "")
        if household not in members:
            problems.append(f"line {number}: {household or '(empty)'} is not of the pool")
        elif household in votes:
            problems.append(f"line {number}: {household} votes twice")
        elif choice is None:
            problems.append(f"line {number}: {row.get('choice')!r} is not a choice")
        else:
            votes[household] = choice
            area = (row.get("area_m2") or "").strip()
            try:
                differs = bool(area) and Decimal(area) != members[household]
            except InvalidOperation:
                differs = True
            if differs:
                problems.append(
                    f"line {number}: {household} area {area}, the registry's is "
                    f"{members[household]}"
                )
    return votes, problems


def _ledger_dirs(
    options_map: dict[str, Any], config: str | None, registry_dir: Path
) -> tuple[Path, ...]:
    """Where documents named by relative paths (documents/votes/...) are looked for: the
    ledger directory, which holds the registry found beside the books; with a registry named
    by the plugin's config, the top-level file's directory, then its parent (a year's books
    live in years/)."""
    if not config:
        return (registry_dir.parent,)
    top = options_map.get("filename") or ""
    if not top or top.startswith("<"):
        return ()
    base = Path(os.path.dirname(os.path.abspath(top)))
    return (base, base.parent)


def check_insurance(
    entries: list[data.Directive],
    options_map: dict[str, Any],
    config: str | None = None,
    *,
    carried: bool | None = None,
) -> list[InsuranceRuleError]:
    """Every broken rule of the books' insurance records (see `insurance_rules`). `carried`:
    whether the books start from carried balances (a year's own books), if not told by
    `entries` (the records alone, `fast_records`)."""
    where = data.new_metadata("<insurance_rules>", 0)
    directory = registry_dir(options_map, config)
    if directory is None:
        return [
            InsuranceRuleError(
                where, "insurance records not checked: no registry/ found beside the books", None
            )
        ]
    try:
        # The process's one registry cache: the reader that loaded the books shares it.
        registry = cached_registry(directory)
    except XtError as exc:
        first = str(exc).splitlines()[0]
        return [
            InsuranceRuleError(where, f"insurance records not checked: {directory}: {first}", None)
        ]
    book = read_insurance(entries, registry.pilot)
    partial = carried
    if partial is None:
        partial = any(
            isinstance(e, data.Transaction) and e.meta.get(META_KIND) == KIND_CARRY for e in entries
        )
    checker = _Checker(registry, book, partial, _ledger_dirs(options_map, config, directory))
    for entry, message in book.problems:
        checker.error(entry, message)
    checker.applications()
    checker.inspections()
    checker.notices_and_objections()
    checker.votes()
    checker.policies()
    checker.overlaps()
    checker.postings(entries)
    checker.cancellations()
    return checker.errors
