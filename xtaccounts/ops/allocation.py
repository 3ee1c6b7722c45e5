"""Allocation by 积数: the spread of interest receipts to the pools, the base part to the units.

docs/rules.md §5. Each interest receipt is shared over its own window [window_start, window_end]:

- its **spread** among the pools (增值收益统筹账户), in proportion to each pool's fund balance-days
  (a pool's fund is the sum of the 维修资金 of the units whose spread it receives), for receipts
  dated from the pilot's ``window_start`` on (`plan_allocation`); receipts dated from
  ``spread_since`` up to the window's start are moved once, by the legacy transfer
  (`plan_legacy_transfer`), and never by an allocation;
- its **base** part among the units, in proportion to their own fund balance-days, once the
  interest year it was received in has ended (``interest_year_end`` in pilot.toml).

Each receipt is shared separately in whole fen (largest remainder, `xtaccounts.core.shares`), then
the shares are summed per receiver into one transaction: Dr 待分配累计收益 for the total, Cr each
pool account and each unit's 维修资金. The transaction records the receipts it covers
(``spread_receipts`` / ``base_receipts``), which is how a receipt is known to be allocated: a second
run finds nothing left and books nothing.

Balance-days come from `BalanceHistory` prefix sums: each distinct window costs one O(log n)
query per unit, and pools are sums of their units.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from beancount.core import data

from xtaccounts.books.layout import LedgerLayout, require_ledger
from xtaccounts.books.positions import InterestReceipt, Positions, read_positions
from xtaccounts.books.writer import CommitResult, LedgerWriter
from xtaccounts.core import chart
from xtaccounts.core.entries import posting
from xtaccounts.core.errors import XtError
from xtaccounts.core.gc_pause import gc_paused
from xtaccounts.core.i18n import _
from xtaccounts.core.progress import track
from xtaccounts.core.shares import NoReceivers, Share, Weighted, from_fen
from xtaccounts.core.vocabulary import KIND_ALLOCATION, KIND_LEGACY, META_KIND, ZERO
from xtaccounts.ops.allocation_weights import BASE, SPREAD, FundWeights
from xtaccounts.registry import Registry, load_registry

__all__ = [
    "ALLOCATIONS_FILE_KIND",
    "BASE",
    "SPREAD",
    "AllocationPlan",
    "AllocationReport",
    "ReceiptAllocation",
    "allocate",
    "interest_year_end_on_or_before",
    "plan_allocation",
    "plan_legacy_transfer",
    "transfer_legacy",
]

# Allocations and the legacy transfer go to txns/<year>/allocations.beancount.
ALLOCATIONS_FILE_KIND = "allocations"


@dataclass(frozen=True)
class ReceiptAllocation:
    """One part (spread or base) of one receipt, shared over the receipt's window: each
    receiver's whole fen (the shares as Decimals are made only when asked for: a city's
    allocation shares tens of receipts among twelve thousand units, and books only the totals)."""

    receipt: InterestReceipt
    part: str  # SPREAD (receivers are pools) or BASE (receivers are units)
    amount: Decimal
    weighted: Weighted = field(repr=False)  # every receiver with positive balance-days, by id
    fen: tuple[int, ...] = field(repr=False)  # each one's share, in fen

    @property
    def shares(self) -> tuple[Share, ...]:
        """Every receiver with positive balance-days, sorted by id, with its share."""
        return tuple(self.weighted.shares(self.fen))


@dataclass(frozen=True)
class AllocationPlan:
    """What one allocation (or the legacy transfer) books, with the per-receipt detail."""

    kind: str  # KIND_ALLOCATION or KIND_LEGACY
    date: dt.date
    receipts: tuple[ReceiptAllocation, ...]
    pool_totals: dict[str, Decimal]  # pool id -> amount, non-zero only, sorted by id
    unit_totals: dict[str, Decimal]  # unit id -> amount, non-zero only, sorted by id
    entry: data.Transaction = field(repr=False)

    def receipt_ids(self, part: str) -> list[str]:
        return sorted(r.receipt.id for r in self.receipts if r.part == part)

    @property
    def spread_receipts(self) -> list[str]:
        return self.receipt_ids(SPREAD)

    @property
    def base_receipts(self) -> list[str]:
        return self.receipt_ids(BASE)

    @property
    def spread_total(self) -> Decimal:
        return sum(self.pool_totals.values(), ZERO)

    @property
    def base_total(self) -> Decimal:
        return sum(self.unit_totals.values(), ZERO)

    @property
    def total(self) -> Decimal:
        return self.spread_total + self.base_total


@dataclass(frozen=True)
class AllocationReport:
    """What `allocate` / `transfer_legacy` did: the plan (None: nothing to do) and the commit."""

    plan: AllocationPlan | None
    result: CommitResult | None
    dry_run: bool
    file: str | None = None  # the ledger file the transaction goes to (relative)

    @property
    def booked(self) -> bool:
        return self.plan is not None and self.result is not None and not self.dry_run


# -- planning (pure) ----------------------------------------------------------------------------


def interest_year_end_on_or_before(day: dt.date, month_day: str) -> dt.date:
    """The last interest-year end (``MM-DD``) on or before `day` ("02-29" means Feb's last day)."""
    month, dom = (int(part) for part in month_day.split("-"))

    def end_in(year: int) -> dt.date:
        try:
            return dt.date(year, month, dom)
        except ValueError:
            if month == 2 and dom == 29:
                return dt.date(year, 2, 28)
            raise XtError(f"interest_year_end {month_day!r} is not a day of the year") from None

    this_year = end_in(day.year)
    return this_year if this_year <= day else end_in(day.year - 1)


def _fund_weights(registry: Registry, positions: Positions) -> FundWeights:
    weights = FundWeights(registry, positions.unit_history())
    unknown = weights.unknown_units()
    if unknown:
        shown = ", ".join(unknown[:5]) + (" …" if len(unknown) > 5 else "")
        raise XtError(
            f"the books hold fund movements of {len(unknown)} unit(s) the registry does not "
            f"know ({shown}); fix the registry or the postings before allocating"
        )
    return weights


class ReceiptShares:
    """Each receiver's share of individual receipts, recomputed from the books (reports, audit)."""

    def __init__(self, registry: Registry, positions: Positions) -> None:
        self._weights = _fund_weights(registry, positions)

    def of(self, receipt: InterestReceipt, part: str) -> dict[str, Decimal]:
        """Receiver -> share of one receipt's spread (pools) or base (units)."""
        weighted = self._weights.weighted(part, receipt.window_start, receipt.window_end)
        allocation = _share(receipt, part, weighted)
        return {r: from_fen(f) for r, f in zip(weighted.receivers, allocation.fen, strict=True)}


def _check_receipts(receipts: Sequence[InterestReceipt]) -> None:
    twice = sorted(rid for rid, n in Counter(r.id for r in receipts).items() if n > 1)
    if twice:
        raise XtError(f"interest receipt id(s) booked more than once: {', '.join(twice)}")
    for r in receipts:
        if r.base < 0 or r.spread < 0:
            raise XtError(
                f"receipt {r.id} ({r.date}) has a negative part (base {r.base}, spread "
                f"{r.spread}); only amounts ≥ 0 can be allocated"
            )
        if r.window_end < r.window_start:
            raise XtError(
                f"receipt {r.id}: window ends ({r.window_end}) before it starts ({r.window_start})"
            )


def _share(receipt: InterestReceipt, part: str, weighted: Weighted) -> ReceiptAllocation:
    amount = receipt.spread if part == SPREAD else receipt.base
    try:
        fen = weighted.fen(amount)
    except NoReceivers:
        who = "pool" if part == SPREAD else "unit"
        raise XtError(
            f"receipt {receipt.id} ({receipt.date}, {receipt.bank_account}): no {who} has a "
            f"positive fund balance over its window {receipt.window_start}..{receipt.window_end};"
            f" its {part} of {amount} cannot be allocated"
        ) from None
    return ReceiptAllocation(receipt, part, amount, weighted, tuple(fen))


def _totals(allocations: Iterable[ReceiptAllocation], part: str) -> dict[str, Decimal]:
    """Each receiver's total of the allocations of `part` (non-zero ones, sorted by id): summed
    in fen, those over the same receivers (the same window) column by column first."""
    columns: dict[int, tuple[Weighted, list[tuple[int, ...]]]] = {}
    for allocation in allocations:
        if allocation.part == part:
            weighted = allocation.weighted
            columns.setdefault(id(weighted), (weighted, []))[1].append(allocation.fen)
    totals: dict[str, int] = defaultdict(int)
    for weighted, fens in columns.values():
        for receiver, fen in zip(
            weighted.receivers, map(sum, zip(*fens, strict=True)), strict=True
        ):
            totals[receiver] += fen
    return {receiver: from_fen(totals[receiver]) for receiver in sorted(totals) if totals[receiver]}


def _build_plan(
    registry: Registry,
    positions: Positions,
    *,
    kind: str,
    date: dt.date,
    spread: Sequence[InterestReceipt],
    base: Sequence[InterestReceipt],
    meta: dict[str, str],
    narration: str,
) -> AllocationPlan | None:
    if not spread and not base:
        return None
    weights = _fund_weights(registry, positions)
    receipts = [(r, SPREAD) for r in spread] + [(r, BASE) for r in base]
    allocations = [
        _share(r, part, weights.weighted(part, r.window_start, r.window_end))
        for r, part in track(receipts, _("按积数分配利息"))
    ]
    allocations.sort(key=lambda a: (a.part != SPREAD, a.receipt.date, a.receipt.id))
    pool_totals = _totals(allocations, SPREAD)
    unit_totals = _totals(allocations, BASE)
    total = sum(pool_totals.values(), ZERO) + sum(unit_totals.values(), ZERO)

    entry_meta = data.new_metadata(f"<{kind}>", 0)
    entry_meta.update({"kind": kind, **meta})
    postings = [posting(chart.UNDISTRIBUTED, total)]
    postings += [
        posting(chart.pool_account(registry, pool), -amount) for pool, amount in pool_totals.items()
    ]
    postings += [
        posting(chart.unit_fund_account(registry, unit), -amount)
        for unit, amount in unit_totals.items()
    ]
    entry = data.Transaction(
        entry_meta, date, "*", None, narration, frozenset(), frozenset(), postings
    )
    return AllocationPlan(kind, date, tuple(allocations), pool_totals, unit_totals, entry)


def plan_allocation(
    registry: Registry, positions: Positions, *, through: dt.date
) -> AllocationPlan | None:
    """The allocation to book through `through`, or None when nothing is left to allocate.

    Spread: every receipt dated in [pilot.window_start, through] whose spread is not allocated
    yet. Receipts before the window belong to the legacy transfer; once it is booked, any of
    them it did not take (a narrower --since/--until, or a receipt booked later) are taken here,
    so no spread received since `spread_since` is ever stranded. Base: every receipt dated
    in an interest year that has ended by `through` whose base part is not allocated yet.
    Receipts whose part is 0.00 have nothing to share and are not listed. Raises XtError if a
    receipt's window has no receiver with a positive fund balance.
    """
    pilot = registry.pilot
    _check_receipts(positions.receipts)
    year_end = interest_year_end_on_or_before(through, pilot.interest_year_end)
    legacy_done = KIND_LEGACY in positions.spread_allocated.values()
    first = pilot.spread_since if legacy_done else pilot.window_start
    spread = [
        r
        for r in positions.receipts
        if first <= r.date <= through and r.spread > 0 and r.id not in positions.spread_allocated
    ]
    base = [
        r
        for r in positions.receipts
        if r.date <= year_end and r.base > 0 and r.id not in positions.base_allocated
    ]
    spread_ids = ",".join(sorted(r.id for r in spread))
    base_ids = ",".join(sorted(r.id for r in base))
    parts = []
    if spread:
        parts.append(f"利差{len(spread)}笔入统筹账户")
    if base:
        parts.append(f"基准利息{len(base)}笔入维修资金")
    return _build_plan(
        registry,
        positions,
        kind=KIND_ALLOCATION,
        date=through,
        spread=spread,
        base=base,
        meta={
            "through": through.isoformat(),
            "spread_receipts": spread_ids,
            "base_receipts": base_ids,
        },
        narration=f"按积数分配（截至{through.isoformat()}）：" + "，".join(parts),
    )


def plan_legacy_transfer(
    registry: Registry, positions: Positions, *, since: dt.date, until: dt.date
) -> AllocationPlan | None:
    """The once-only move of the spread received in [since, until) into the pools, or None.

    Same rule as the allocation (each receipt over its own window, pools by fund balance-days);
    one transaction dated `until`. Raises XtError if a legacy transfer is booked already or the
    dates are outside what the pilot allows (since ≥ spread_since, until ≤ window_start).
    """
    pilot = registry.pilot
    if KIND_LEGACY in positions.spread_allocated.values():
        raise XtError("the legacy transfer is booked already; it is done once")
    if since >= until:
        raise XtError(f"--since {since} must be before --until {until}")
    if since < pilot.spread_since:
        raise XtError(
            f"--since {since} is before spread_since {pilot.spread_since} (pilot.toml): spread "
            "received earlier does not belong to the pools"
        )
    if until > pilot.window_start:
        raise XtError(
            f"--until {until} is after the pilot window's start {pilot.window_start}: spread "
            "received from then on is shared by `xtaccounts allocate`"
        )
    _check_receipts(positions.receipts)
    spread = [
        r
        for r in positions.receipts
        if since <= r.date < until and r.spread > 0 and r.id not in positions.spread_allocated
    ]
    return _build_plan(
        registry,
        positions,
        kind=KIND_LEGACY,
        date=until,
        spread=spread,
        base=[],
        meta={
            "since": since.isoformat(),
            "until": until.isoformat(),
            "spread_receipts": ",".join(sorted(r.id for r in spread)),
        },
        narration=(
            f"{since.isoformat()}至{until.isoformat()}前收到的利差按积数转入统筹账户（一次性）"
            f"：{len(spread)}笔"
        ),
    )


# -- writing ------------------------------------------------------------------------------------


def _refuse_closed_year(
    layout: LedgerLayout, positions: Positions, day: dt.date, what: str
) -> None:
    """A year closed and carried (its close booked, or the next year's carried balances
    written) takes no more entries that change its balance sheet."""
    carried = layout.root / LedgerLayout.txns_file(day.year + 1, "carried")
    if str(day.year) in positions.closed_periods or carried.exists():
        raise XtError(
            f"the year {day.year} is closed and carried into {day.year + 1} (结转); "
            f"{what} cannot be dated {day.isoformat()}: date it in {day.year + 1} or later"
        )


Planner = Callable[[Registry, Positions, list[data.Directive]], "AllocationPlan | None"]


def _book(main: Path, plan_fn: Planner, day_of: str, dry_run: bool) -> AllocationReport:
    layout = require_ledger(main)
    with LedgerWriter(layout.main) as session:
        entries = session.books().entries
        # What follows makes no garbage in cycles worth collecting, and the cycle collector's
        # passes would each go through all the books' entries (a tenth of the work at city scale).
        with gc_paused():
            positions = read_positions(entries)
            registry = load_registry(layout.registry)
            plan = plan_fn(registry, positions, entries)
            if plan is None:
                return AllocationReport(None, None, dry_run)
            _refuse_closed_year(layout, positions, plan.date, day_of)
            relpath = LedgerLayout.txns_file(plan.date.year, ALLOCATIONS_FILE_KIND)
            session.append_entries(relpath, [plan.entry])
            result = session.commit(dry_run=dry_run)
    return AllocationReport(plan, result, dry_run, relpath)


def allocate(main: Path, *, through: dt.date, dry_run: bool = False) -> AllocationReport:
    """Book the allocation through `through` into txns/<year>/allocations.beancount.

    Idempotent: when every receipt in reach is allocated already, nothing is booked and the
    report's plan is None.
    """

    def plan(registry: Registry, positions: Positions, _entries: list) -> AllocationPlan | None:
        return plan_allocation(registry, positions, through=through)

    return _book(main, plan, "an allocation", dry_run)


def transfer_legacy(
    main: Path,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    dry_run: bool = False,
) -> AllocationReport:
    """Book the once-only legacy transfer (defaults: pilot spread_since .. window_start).

    Refuses (XtError, nothing written) if a legacy-transfer transaction exists already. With no
    receipt in the range there is nothing to move: nothing is booked, and the transfer can still
    be made later.
    """

    def plan(registry: Registry, positions: Positions, entries: list) -> AllocationPlan | None:
        for entry in entries:
            if isinstance(entry, data.Transaction) and entry.meta.get(META_KIND) == KIND_LEGACY:
                where = f"{entry.meta.get('filename')}:{entry.meta.get('lineno')}"
                raise XtError(
                    f"the legacy transfer was booked already on {entry.date} ({where}); "
                    "it is done once"
                )
        return plan_legacy_transfer(
            registry,
            positions,
            since=since or registry.pilot.spread_since,
            until=until or registry.pilot.window_start,
        )

    return _book(main, plan, "the legacy transfer", dry_run)
