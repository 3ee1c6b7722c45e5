"""The owners' disclosure of 建设部·财政部令第165号 art. 30: per pool and per household, what was
deposited, used, earned (增值收益) and what is left, owners' names masked.

The 分户账 is derived as `xtaccounts households` derives it
(xtaccounts.reports.balances.household_ledger):
openings and deposits from the ``households:`` metadata, refunds from ``household:``, and each
unit's share of every base-interest receipt shared among its households by their balance-days
over that receipt's window (largest remainder). Unlike the per-unit report, every household is
built in the same single pass over the books, and each unit's share of a receipt is computed once.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from beancount.core import data

from xtaccounts.books.positions import (
    InterestReceipt,
    Positions,
    credited_households,
    ids_of,
)
from xtaccounts.core import chart
from xtaccounts.core.entries import number_of
from xtaccounts.core.errors import XtError
from xtaccounts.core.privacy import mask_name
from xtaccounts.core.shares import from_fen, share_by_weight, share_fen, to_fen
from xtaccounts.core.vocabulary import (
    KIND_ALLOCATION,
    KIND_OPENING,
    META_BASE_RECEIPTS,
    META_HOUSEHOLD,
    META_HOUSEHOLDS,
    META_KIND,
    META_UNIT,
    ZERO,
)
from xtaccounts.export.detail import PoolLedger, pool_names
from xtaccounts.export.fastshare import HouseholdHistory
from xtaccounts.export.period import Period
from xtaccounts.export.statutory_statements import Check
from xtaccounts.export.table import INT, MONEY, NUMBER, TEXT, Column, Table
from xtaccounts.ops.allocation_weights import FundWeights
from xtaccounts.registry import Registry
from xtaccounts.registry.navigation import place_name


@dataclass
class _Account:
    """One household's 分户账 in fen, split at the period's start."""

    unit: str
    before: int = 0  # balance at the end of the day before the period
    deposits: int = 0
    used: int = 0
    interest: int = 0
    history: HouseholdHistory = field(default_factory=HouseholdHistory)

    @property
    def closing(self) -> int:
        return self.before + self.deposits - self.used + self.interest


def _fen_amounts(amounts: dict[str, Decimal], where: str) -> dict[str, int]:
    try:
        return {household: to_fen(amount) for household, amount in amounts.items()}
    except ValueError as exc:
        raise XtError(f"{where}: {exc}") from exc


def _credit_base_interest(
    accounts: dict[str, _Account],
    households: list[str],
    unit: str,
    day: dt.date,
    receipts: list[InterestReceipt],
    shares_of: Callable[[InterestReceipt], dict[str, int]],
    window_weights: dict[tuple[str, dt.date, dt.date], tuple[list[int], int]],
    first_day: int,
) -> None:
    """One allocation's base interest for one unit, receipt by receipt, shared among the unit's
    households by their 积数 over each receipt's window (as `household_ledger` shares it).

    The credits of the allocation's day are summed and booked once per household; a window that
    ends on that day sees the credits of the receipts before it, as `household_ledger`'s do."""
    unit_accounts = [accounts[h] for h in households]
    ordinal = day.toordinal()
    pending = [0] * len(households)

    def flush() -> None:
        nonlocal pending
        for household_account, credited in zip(unit_accounts, pending, strict=True):
            if credited:
                household_account.history.add(ordinal, credited)
                if ordinal >= first_day:
                    household_account.interest += credited
                else:
                    household_account.before += credited
        pending = [0] * len(households)

    for receipt in receipts:
        amount = shares_of(receipt).get(unit, 0)
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
                f"receipt {receipt.id}: base interest for {unit} but no household of it had a "
                f"balance over {receipt.window_start}..{receipt.window_end}"
            )
        fen = share_fen(amount, households, weights, total)
        pending = [a + b for a, b in zip(pending, fen, strict=True)]
    flush()


def _household_accounts(
    registry: Registry,
    positions: Positions,
    entries: Sequence[data.Directive],
    period: Period,
) -> dict[str, _Account]:
    accounts = {h.id: _Account(h.unit) for h in registry.households.values()}
    members: dict[str, list[str]] = defaultdict(list)
    for household_id in sorted(accounts):
        members[accounts[household_id].unit].append(household_id)
    unit_of_fund = positions.unit_of_account
    receipts: dict[str, InterestReceipt] = {r.id: r for r in positions.receipts}
    weights = FundWeights(registry, positions.unit_history())
    unit_shares: dict[str, dict[str, int]] = {}
    first_day = period.start.toordinal()

    def shares_of(receipt: InterestReceipt) -> dict[str, int]:
        if receipt.id not in unit_shares:
            unit_weights = weights.of_units(receipt.window_start, receipt.window_end)
            unit_shares[receipt.id] = {
                s.receiver: to_fen(s.amount) for s in share_by_weight(receipt.base, unit_weights)
            }
        return unit_shares[receipt.id]

    def credit(what: str, day: dt.date, unit: str, amounts: dict[str, int]) -> None:
        ordinal = day.toordinal()
        in_period = ordinal >= first_day
        for household, fen in amounts.items():
            account = accounts.get(household)
            if account is None or account.unit != unit:
                raise XtError(f"{day}: household {household} is not in unit {unit}")
            signed = -fen if what == "used" else fen
            account.history.add(ordinal, signed)
            if not in_period:
                account.before += signed
            elif what == "deposits":
                account.deposits += fen
            elif what == "used":
                account.used += fen
            else:
                account.interest += fen

    for entry in entries:
        if not isinstance(entry, data.Transaction):
            continue
        if entry.date > period.end:
            break
        kind = entry.meta.get(META_KIND)
        window_weights: dict[tuple[str, dt.date, dt.date], tuple[list[int], int]] = {}
        for posting in entry.postings:
            meta = posting.meta or {}
            account = posting.account
            where = f"{entry.meta.get('filename')}:{entry.meta.get('lineno')}"
            if kind == KIND_OPENING and account in unit_of_fund:
                unit = unit_of_fund[account]
                amounts = _fen_amounts(credited_households(posting), where)
                credit("deposits", entry.date, unit, amounts)
            elif account == chart.DEPOSIT_INCOME and META_HOUSEHOLDS in meta and META_UNIT in meta:
                amounts = _fen_amounts(credited_households(posting), where)
                credit("deposits", entry.date, str(meta[META_UNIT]), amounts)
            elif account == chart.REFUND and META_HOUSEHOLD in meta and META_UNIT in meta:
                amounts = _fen_amounts({str(meta[META_HOUSEHOLD]): number_of(posting)}, where)
                credit("used", entry.date, str(meta[META_UNIT]), amounts)
            elif kind == KIND_ALLOCATION and account in unit_of_fund:
                _credit_base_interest(
                    accounts,
                    members[unit_of_fund[account]],
                    unit_of_fund[account],
                    entry.date,
                    [receipts[r] for r in ids_of(entry.meta.get(META_BASE_RECEIPTS))],
                    shares_of,
                    window_weights,
                    first_day,
                )
    return accounts


@dataclass
class Disclosure:
    pools: Table
    households: Table
    checks: list[Check]


def owners_disclosure(
    registry: Registry,
    positions: Positions,
    entries: Sequence[data.Directive],
    period: Period,
    ledger: PoolLedger,
) -> Disclosure:
    """The art. 30 disclosure per pool and per household over the period."""
    accounts = _household_accounts(registry, positions, entries, period)
    unit_names: dict[str, str] = {}
    unit_totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    pool_sums: dict[str, list] = defaultdict(lambda: [0, ZERO, ZERO, ZERO, ZERO, ZERO, ZERO])
    household_rows = []
    for household_id in sorted(accounts):
        account = accounts[household_id]
        household = registry.households[household_id]
        unit = account.unit
        if unit not in unit_names:
            unit_names[unit] = place_name(registry, unit)
        before, deposits, used, interest, closing = (
            from_fen(account.before),
            from_fen(account.deposits),
            from_fen(account.used),
            from_fen(account.interest),
            from_fen(account.closing),
        )
        unit_totals[unit] += closing
        sums = pool_sums[registry.pool_of_unit(unit)]
        sums[0] += 1
        for i, value in enumerate(
            (household.area_m2, before, deposits, used, interest, closing), start=1
        ):
            sums[i] += value
        household_rows.append(
            (
                household_id,
                unit_names[unit],
                household.door_no,
                mask_name(household.owner_masked or ""),
                household.area_m2,
                before,
                deposits,
                used,
                interest,
                closing,
            )
        )
    unit_history = positions.unit_history()
    untied = [
        unit
        for unit in sorted(registry.units)
        if unit_totals.get(unit, ZERO) != unit_history.balance_at(unit, period.end)
    ]
    households = Table(
        stem="15-disclosure-households",
        sheet="分户账公示",
        title="住宅专项维修资金分户账公示（按户）",
        columns=(
            Column("household", "户号", TEXT, 18),
            Column("place", "小区/幢/单元", TEXT, 22),
            Column("door_no", "房号", TEXT, 8, align="center"),
            Column("owner", "业主（脱敏）", TEXT, 12, align="center"),
            Column("area_m2", "建筑面积(㎡)", NUMBER, 12),
            Column("opening", "上期结存", MONEY, 14),
            Column("deposits", "本期交存", MONEY, 14),
            Column("used", "本期使用(返还)", MONEY, 14),
            Column("interest", "本期增值收益", MONEY, 14),
            Column("closing", "期末结存", MONEY, 14),
        ),
        rows=household_rows,
        notes=[
            "依据《住宅专项维修资金管理办法》（建设部、财政部令第165号）第三十条公布；业主姓名已脱敏",
            "本期增值收益为按积数分配入户的基准利息；利差计入各统筹账户，见按统筹账户公示",
        ],
    )
    names = pool_names(registry)
    ledger_rows = {row[0]: row for row in ledger.table.rows}
    pool_rows = []
    for pool in sorted(set(pool_sums) | set(ledger_rows)):
        count, _area, before, deposits, used, interest, closing = pool_sums.get(
            pool, [0, ZERO, ZERO, ZERO, ZERO, ZERO, ZERO]
        )
        lr = ledger_rows.get(pool)
        pool_open, spread, legacy, premiums, refunds, other, pool_close = (
            lr[2:9] if lr else (ZERO,) * 7
        )
        pool_rows.append(
            (
                pool,
                names.get(pool, ""),
                count,
                before,
                deposits,
                used,
                interest,
                closing,
                pool_open,
                spread + legacy,
                premiums - refunds,
                other,
                pool_close,
            )
        )
    pools = Table(
        stem="14-disclosure-pools",
        sheet="统筹账户公示",
        title="住宅专项维修资金及增值收益公示（按统筹账户）",
        columns=(
            Column("pool", "统筹账户编号", TEXT, 16),
            Column("name", "统筹账户名称", TEXT, 20),
            Column("households", "户数", INT, 6, summed=True, align="center"),
            Column("fund_opening", "维修资金上期结存", MONEY, 16),
            Column("fund_deposits", "维修资金本期交存", MONEY, 16),
            Column("fund_used", "维修资金本期使用", MONEY, 16),
            Column("fund_interest", "维修资金增值收益", MONEY, 16),
            Column("fund_closing", "维修资金期末结存", MONEY, 16),
            Column("pool_opening", "统筹账户期初余额", MONEY, 16),
            Column("pool_income", "统筹账户增值收益(利差)", MONEY, 16),
            Column("pool_used", "统筹账户使用(保险费)", MONEY, 16),
            Column("pool_other", "统筹账户其他变动", MONEY, 14),
            Column("pool_closing", "统筹账户期末余额", MONEY, 16),
        ),
        rows=pool_rows,
        notes=[
            "依据《住宅专项维修资金管理办法》（建设部、财政部令第165号）第三十条公布",
            "统筹账户使用为保险费支出扣除退保退费",
        ],
    )
    check = Check(
        "分户账: households add up to each unit's 维修资金",
        not untied,
        ", ".join(untied[:5]) or f"{len(household_rows)} households, {len(registry.units)} units",
    )
    return Disclosure(pools, households, [check])
