"""Each household's 分户账 in fen, derived from the books, and its base interest carried over a
year close (docs/household-interest.md).

The derivation (`derive_households`) is the one `xtaccounts households` makes
(`reports.balances.household_ledger`), for every household in one pass over the books: openings
and deposits from the ``households:`` metadata, refunds from ``household:``, and each unit's
share of every base-interest receipt shared among its households by their balance-days over
that receipt's window (largest remainder, `core.shares.share_fen`).

Sharing the base interest is most of its cost, and it grows with every year of history. So the
year close writes each household's base interest credited through the year's end
(``years/<Y>-household-interest.csv``, `carry_text`), with a digest of everything it was derived
from; a derivation through a later day starts from it (`latest_carry`) instead of sharing every
receipt again from the first day. The carry is used only when it still ties to the books: its
own text is intact (its body digest), the digest of the inputs recomputed from the books equals
the one it records, and each allocation day's credits add up to what the allocations credited
the units' funds that day. Otherwise the derivation starts again from the first day, without
it: the figures are the same to the fen with or without it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import pickle
import re
from array import array
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from beancount.core import data

from xtaccounts.books.positions import (
    UNIT_FLOW_ACCOUNTS,
    InterestReceipt,
    Positions,
    credited_households,
    ids_of,
    read_positions,
)
from xtaccounts.core import chart
from xtaccounts.core.entries import number_of
from xtaccounts.core.errors import XtError
from xtaccounts.core.household_history import HouseholdHistory
from xtaccounts.core.shares import share_by_weight, share_fen, to_fen
from xtaccounts.core.vocabulary import (
    KIND_ALLOCATION,
    KIND_OPENING,
    META_BASE_RECEIPTS,
    META_HOUSEHOLD,
    META_HOUSEHOLDS,
    META_KIND,
    META_UNIT,
)
from xtaccounts.ops.allocation_weights import FundWeights
from xtaccounts.registry import Registry
from xtaccounts.registry.lazy_table import values_of

__all__ = [
    "HouseholdAccount",
    "HouseholdDerivation",
    "InterestCarry",
    "carry_text",
    "derive_households",
    "household_interest_file",
    "latest_carry",
    "read_carry",
    "year_carry_text",
]

CARRY_SUFFIX = "-household-interest.csv"
_UNIT = ("unit",)  # a household's field read for its account
_VERSION = b"xtaccounts household interest v1\n"
_HEADER = re.compile(r"^# (through|inputs|body): (\S+)$")


def household_interest_file(year: int) -> str:
    """The carry written by the close of `year` (relative to the ledger directory)."""
    return f"years/{year:04d}{CARRY_SUFFIX}"


@dataclass(slots=True)
class HouseholdAccount(HouseholdHistory):
    """One household's 分户账 in fen, split at the period's start. The account is its own
    history of balances (`history`): one object a household, not two (a city holds 300,000
    at once)."""

    unit: str
    before: int = 0  # balance at the end of the day before the period
    deposits: int = 0
    used: int = 0
    interest: int = 0

    def __post_init__(self) -> None:
        HouseholdHistory.__init__(self)

    @property
    def history(self) -> HouseholdHistory:
        return self

    @property
    def closing(self) -> int:
        return self.before + self.deposits - self.used + self.interest


@dataclass(frozen=True)
class InterestCarry:
    """Each household's base interest credited on each allocation day through `through`, and
    the digest of the books' inputs it was derived from."""

    through: dt.date
    inputs: str
    days: tuple[dt.date, ...]
    households: list[str]  # the households credited, in the file's order
    # Per day of `days`, each household's fen (in the order of `households`): machine
    # integers, a column a day, each let go once credited (a city's 300,000 households).
    credits: list[array]


@dataclass
class HouseholdDerivation:
    accounts: dict[str, HouseholdAccount]
    credited: dict[int, dict[str, int]]  # day (ordinal) -> household -> fen, up to `record`
    inputs: str | None  # the digest of the inputs through `record`
    carried: bool  # whether a carry was used


def _fen_amounts(amounts: dict[str, Decimal], where: str) -> dict[str, int]:
    try:
        return {household: to_fen(amount) for household, amount in amounts.items()}
    except ValueError as exc:
        raise XtError(f"{where}: {exc}") from exc


def _where(entry: data.Transaction) -> str:
    return f"{entry.meta.get('filename')}:{entry.meta.get('lineno')}"


def _fen_text(amount: Decimal) -> str:
    fen = amount * 100
    return str(int(fen)) if fen == fen.to_integral_value() else str(amount)


class _Pass:
    """One pass over the books: the households' accounts, the base interest they are credited
    (up to `record`), and the inputs that decide it (up to `keep`), for the digest."""

    def __init__(
        self,
        registry: Registry,
        positions: Positions,
        start: dt.date,
        carry: InterestCarry | None,
        record: int,
        limits: Sequence[int],
    ) -> None:
        # Each household's unit, from the registry's ids by unit read for this pass and let go
        # (kept, they were 23 MiB for a city), or from its row: no household is restored (a
        # city's 300,000 models would stay in the registry's table, 200 MiB).
        households = registry.households
        if registry.household_ids:
            by_unit: dict[str, list[str]] = pickle.loads(registry.household_ids)
            unit_of = {h: unit for unit, ids in by_unit.items() for h in ids}
            del by_unit
            self.accounts = {h: HouseholdAccount(unit_of[h]) for h in households}
            del unit_of
        else:
            units: dict[str, str] = {}
            self.accounts = {
                h: HouseholdAccount(units.setdefault(unit, unit))
                for h in households
                for unit in values_of(households, h, _UNIT)
            }
        self.members: dict[str, list[str]] = defaultdict(list)
        for household_id in sorted(self.accounts):
            self.members[self.accounts[household_id].unit].append(household_id)
        self.receipts = {r.id: r for r in positions.receipts}
        self.weights = FundWeights(registry, positions.unit_history())
        self.unit_shares: dict[str, dict[str, int]] = {}
        self.first_day = start.toordinal()
        self.carry = carry
        self.carry_through = carry.through.toordinal() if carry else 0
        self.carried_days = [d.toordinal() for d in carry.days] if carry else []
        self.replayed = 0  # carried days credited so far
        self.carried_totals: list[int] = []  # the fen credited on each carried day so far
        self.record = record
        self.credited: dict[int, dict[str, int]] = defaultdict(dict)
        self.base_by_day: dict[int, int] = defaultdict(int)  # fen the allocations credit units
        # The digest of the inputs, fed a day at a time (each day's lines sorted, so that the
        # order of the books' files does not matter) through the last of `limits`, and taken
        # at each of them.
        self.limits = sorted(set(limits))
        self.keep = self.limits[-1] if self.limits else 0
        self.digest = hashlib.sha256(_VERSION)
        self.digests: dict[int, str] = {}
        self.day = 0
        self.day_lines: list[str] = []
        self.day_units: dict[str, Decimal] = defaultdict(Decimal)
        self.day_receipts: set[str] = set()  # the receipts of the day's allocations, once each

    # -- crediting ------------------------------------------------------------------------

    def credit_interest(self, ordinal: int, credits: Iterable[tuple[str, int]]) -> None:
        """Base interest credited on `ordinal`, (household, fen) each (a carried day credits
        tens of thousands at once)."""
        accounts = self.accounts
        in_period = ordinal >= self.first_day
        record = ordinal <= self.record
        for household, fen in credits:
            account = accounts[household]
            account.history.add(ordinal, fen)
            if in_period:
                account.interest += fen
            else:
                account.before += fen
            if record:
                day = self.credited[ordinal]
                day[household] = day.get(household, 0) + fen

    def credit(self, what: str, day: dt.date, unit: str, amounts: dict[str, int]) -> None:
        ordinal = day.toordinal()
        in_period = ordinal >= self.first_day
        for household, fen in amounts.items():
            account = self.accounts.get(household)
            if account is None or account.unit != unit:
                raise XtError(f"{day}: household {household} is not in unit {unit}")
            signed = -fen if what == "used" else fen
            account.history.add(ordinal, signed)
            if ordinal <= self.keep:
                self.day_lines.append(f"H {what} {unit} {household} {fen}")
            if not in_period:
                account.before += signed
            elif what == "deposits":
                account.deposits += fen
            elif what == "used":
                account.used += fen
            else:
                account.interest += fen

    def replay_until(self, ordinal: int) -> None:
        """Credit the carried days before `ordinal` not credited yet."""
        carry = self.carry
        days = self.carried_days
        while self.replayed < len(days) and days[self.replayed] < ordinal:
            index = self.replayed
            assert carry is not None
            column = carry.credits[index]
            self.carried_totals.append(sum(column))
            self.credit_interest(
                days[index],
                ((h, fen) for h, fen in zip(carry.households, column, strict=True) if fen),
            )
            # The day's credits are consumed: only its total is kept, for the tie.
            carry.credits[index] = array("q")
            self.replayed += 1
            if self.replayed == len(days):
                carry.households.clear()

    def shares_of(self, receipt: InterestReceipt) -> dict[str, int]:
        if receipt.id not in self.unit_shares:
            unit_weights = self.weights.of_units(receipt.window_start, receipt.window_end)
            self.unit_shares[receipt.id] = {
                s.receiver: to_fen(s.amount) for s in share_by_weight(receipt.base, unit_weights)
            }
        return self.unit_shares[receipt.id]

    def base_interest(
        self,
        unit: str,
        day: dt.date,
        receipts: list[InterestReceipt],
        window_weights: dict[tuple[str, dt.date, dt.date], tuple[list[int], int]],
    ) -> None:
        """One allocation's base interest for one unit, receipt by receipt, shared among the
        unit's households by their 积数 over each receipt's window (as `household_ledger`
        shares it). The credits of the allocation's day are summed and booked once per
        household; a window that ends on that day sees the credits of the receipts before it,
        as `household_ledger`'s do."""
        households = self.members[unit]
        unit_accounts = [self.accounts[h] for h in households]
        ordinal = day.toordinal()
        pending = [0] * len(households)

        def flush() -> None:
            nonlocal pending
            self.credit_interest(
                ordinal, [(h, fen) for h, fen in zip(households, pending, strict=True) if fen]
            )
            pending = [0] * len(households)

        for receipt in receipts:
            amount = self.shares_of(receipt).get(unit, 0)
            if not amount:
                continue
            key = (unit, receipt.window_start, receipt.window_end)
            same_day = receipt.window_end >= day
            if same_day or key not in window_weights:
                if same_day:
                    flush()
                first, last = receipt.window_start.toordinal(), receipt.window_end.toordinal()
                weights = [a.history.balance_days(first, last) for a in unit_accounts]
                window_weights[key] = (weights, sum(w for w in weights if w > 0))
            weights, total = window_weights[key]
            if not total:
                raise XtError(
                    f"receipt {receipt.id}: base interest for {unit} but no household of it had "
                    f"a balance over {receipt.window_start}..{receipt.window_end}"
                )
            fen = share_fen(amount, households, weights, total)
            pending = [a + b for a, b in zip(pending, fen, strict=True)]
        flush()

    # -- the pass -------------------------------------------------------------------------

    def run(self, positions: Positions, entries: Sequence[data.Directive], end: dt.date) -> None:
        unit_of_fund = positions.unit_of_account
        for entry in entries:
            if not isinstance(entry, data.Transaction):
                continue
            if entry.date > end:
                break
            ordinal = entry.date.toordinal()
            self.replay_until(ordinal)
            if ordinal != self.day:
                self.end_day(ordinal)
            kind = entry.meta.get(META_KIND)
            window_weights: dict[tuple[str, dt.date, dt.date], tuple[list[int], int]] = {}
            for posting in entry.postings:
                meta = posting.meta or {}
                account = posting.account
                unit = unit_of_fund.get(account)
                if ordinal <= self.keep:
                    moved = unit
                    if moved is None and account in UNIT_FLOW_ACCOUNTS and META_UNIT in meta:
                        moved = str(meta[META_UNIT])
                    if moved is not None:
                        self.day_units[moved] -= number_of(posting)
                if kind == KIND_OPENING and unit is not None:
                    amounts = _fen_amounts(credited_households(posting), _where(entry))
                    self.credit("deposits", entry.date, unit, amounts)
                elif (
                    account == chart.DEPOSIT_INCOME
                    and META_HOUSEHOLDS in meta
                    and META_UNIT in meta
                ):
                    amounts = _fen_amounts(credited_households(posting), _where(entry))
                    self.credit("deposits", entry.date, str(meta[META_UNIT]), amounts)
                elif account == chart.REFUND and META_HOUSEHOLD in meta and META_UNIT in meta:
                    household = str(meta[META_HOUSEHOLD])
                    amounts = _fen_amounts({household: number_of(posting)}, _where(entry))
                    self.credit("used", entry.date, str(meta[META_UNIT]), amounts)
                elif kind == KIND_ALLOCATION and unit is not None:
                    self.allocation(entry, posting, unit, window_weights)
        self.replay_until(min(end, self.carry.through).toordinal() + 1 if self.carry else 0)
        self.end_day(end.toordinal() + 1)

    def end_day(self, following: int) -> None:
        """The day's inputs into the digest, and the digest taken at each limit before
        `following` (the next day with entries)."""
        if self.day and self.day <= self.keep:
            lines = self.day_lines
            lines += [f"U {unit} {_fen_text(net)}" for unit, net in self.day_units.items() if net]
            if lines:
                lines.sort()
                self.digest.update(f"D {self.day}\n".encode())
                self.digest.update("\n".join(lines).encode("utf-8"))
        self.day_lines = []
        self.day_units.clear()
        self.day_receipts.clear()
        while self.limits and self.limits[0] < following:
            self.digests[self.limits.pop(0)] = self.digest.hexdigest()
        self.day = following

    def allocation(
        self,
        entry: data.Transaction,
        posting: data.Posting,
        unit: str,
        window_weights: dict[tuple[str, dt.date, dt.date], tuple[list[int], int]],
    ) -> None:
        ordinal = entry.date.toordinal()
        ids = ids_of(entry.meta.get(META_BASE_RECEIPTS))
        receipts = [self.receipts[r] for r in ids]
        if ordinal <= self.keep:
            fen = _fen_text(-number_of(posting))
            self.day_lines.append(f"A {unit} {fen} {','.join(ids)}")
            for r in receipts:
                if r.id not in self.day_receipts:
                    self.day_receipts.add(r.id)
                    self.day_lines.append(
                        f"R {r.id} {r.window_start} {r.window_end} {_fen_text(r.base)}"
                    )
        if ordinal <= self.carry_through:
            self.base_by_day[ordinal] += to_fen(-number_of(posting))
            return  # credited from the carry (`replay_until`)
        self.base_interest(unit, entry.date, receipts, window_weights)

    # -- the digest and the carry's tie ---------------------------------------------------

    def carry_ties(self) -> bool:
        """The carry's inputs are the books', and each of its days adds up to what the
        allocations of that day credited the units' funds."""
        carry = self.carry
        if carry is None or self.digests.get(self.carry_through) != carry.inputs:
            return False
        if self.replayed != len(self.carried_days):
            return False
        carried = dict(zip(self.carried_days, self.carried_totals, strict=True))
        booked = {day: total for day, total in self.base_by_day.items() if total}
        return {day: total for day, total in carried.items() if total} == booked


def derive_households(
    registry: Registry,
    positions: Positions,
    entries: Sequence[data.Directive],
    start: dt.date,
    end: dt.date,
    *,
    carry: InterestCarry | None = None,
    record: dt.date | None = None,
) -> HouseholdDerivation:
    """Every household's 分户账 over `start`..`end` (balances before `start`), from `carry`
    when it ties to the books (else from the first day); with `record`, the base interest
    credited through that day and the digest of its inputs (for a carry). The carry's
    credits are consumed once credited (`carry.credits` is left empty)."""
    if carry is not None and carry.through > end:
        carry = None
    recorded = record.toordinal() if record is not None else 0
    limits = [day.toordinal() for day in (record, carry.through if carry else None) if day]
    work = _Pass(registry, positions, start, carry, recorded, limits)
    work.run(positions, entries, end)
    if carry is not None and not work.carry_ties():
        work = _Pass(registry, positions, start, None, recorded, limits[:1] if record else [])
        work.run(positions, entries, end)
        carry = None
    return HouseholdDerivation(
        work.accounts,
        dict(work.credited),
        work.digests.get(recorded) if record is not None else None,
        carry is not None,
    )


# -- the carry file ---------------------------------------------------------------------------


def carry_text(through: dt.date, derivation: HouseholdDerivation) -> str:
    """The carry file of a derivation recorded through `through`: a comment header (the day,
    the inputs' digest, the body's digest), then one line per household credited, its fen on
    each allocation day."""
    if derivation.inputs is None:
        raise ValueError("the derivation recorded no inputs")
    days = sorted(derivation.credited)
    households = sorted({h for day in days for h in derivation.credited[day]})
    lines = ["household," + ",".join(dt.date.fromordinal(day).isoformat() for day in days)]
    for household in households:
        fens = (str(derivation.credited[day].get(household, 0)) for day in days)
        lines.append(f"{household}," + ",".join(fens))
    body = "\n".join(lines) + "\n"
    header = (
        f"# 各户按积数分得的基准利息（分），截至 {through.isoformat()}；"
        "由年度结账写出，导出分户账时据此结转，勿手工修改。\n"
        f"# through: {through.isoformat()}\n"
        f"# inputs: {derivation.inputs}\n"
        f"# body: {hashlib.sha256(body.encode('utf-8')).hexdigest()}\n"
    )
    return header + body


def read_carry(path: Path) -> InterestCarry | None:
    """The carry in `path`, or None if it is missing, malformed or its body was changed."""
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    header: dict[str, str] = {}
    lines = text.split("\n")
    index = 0
    while index < len(lines) and lines[index].startswith("#"):
        match = _HEADER.match(lines[index])
        if match:
            header[match.group(1)] = match.group(2)
        index += 1
    body = "\n".join(lines[index:])
    if set(header) != {"through", "inputs", "body"} or not body:
        return None
    if hashlib.sha256(body.encode("utf-8")).hexdigest() != header["body"]:
        return None
    try:
        through = dt.date.fromisoformat(header["through"])
        columns = lines[index].split(",")
        days = tuple(dt.date.fromisoformat(day) for day in columns[1:])
        households: list[str] = []
        credits = [array("q") for _ in days]
        seen: set[str] = set()
        for line in lines[index + 1 :]:
            if not line:
                continue
            household, *fens = line.split(",")
            if len(fens) != len(days) or household in seen:
                return None
            seen.add(household)
            households.append(household)
            for column, fen in zip(credits, fens, strict=True):
                column.append(int(fen))
    except (ValueError, OverflowError):
        return None
    if columns[0] != "household" or any(day > through for day in days):
        return None
    return InterestCarry(through, header["inputs"], days, households, credits)


def latest_carry(ledger_dir: Path, end: dt.date) -> InterestCarry | None:
    """The newest readable carry of the books in `ledger_dir` through `end` or earlier."""
    years = ledger_dir / "years"
    try:
        names = os.listdir(years)
    except OSError:
        return None
    found = sorted(
        (int(name[:4]), name)
        for name in names
        if name.endswith(CARRY_SUFFIX) and name[:4].isdigit() and len(name) == 4 + len(CARRY_SUFFIX)
    )
    for year, name in reversed(found):
        if dt.date(year, 12, 31) > end:
            continue
        carry = read_carry(years / name)
        if carry is not None and carry.through <= end:
            return carry
    return None


def year_carry_text(
    registry: Registry, entries: Sequence[data.Directive], ledger_dir: Path, through: dt.date
) -> str | None:
    """The carry the close of the year ending `through` writes (from the previous carry, when
    it ties to the books); None when the households cannot be derived (the export says why)."""
    positions = read_positions(entries)
    try:
        derivation = derive_households(
            registry,
            positions,
            entries,
            through + dt.timedelta(days=1),
            through,
            carry=latest_carry(ledger_dir, through),
            record=through,
        )
    except XtError:
        return None
    return carry_text(through, derivation)
