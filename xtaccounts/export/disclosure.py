"""The owners' disclosure of 建设部·财政部令第165号 art. 30: per pool and per household, what was
deposited, used, earned (增值收益) and what is left, owners' names masked.

The 分户账 is derived as `xtaccounts households` derives it
(xtaccounts.reports.balances.household_ledger):
openings and deposits from the ``households:`` metadata, refunds from ``household:``, and each
unit's share of every base-interest receipt shared among its households by their balance-days
over that receipt's window (largest remainder). Unlike the per-unit report, every household is
built in the same single pass over the books, and each unit's share of a receipt is computed once
(`ops.household_interest`); the base interest of the closed years comes from the year close's
carry when it ties to the books (docs/household-interest.md).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from beancount.core import data

from xtaccounts.books.positions import Positions
from xtaccounts.core.privacy import mask_name
from xtaccounts.core.shares import from_fen
from xtaccounts.core.vocabulary import ZERO
from xtaccounts.export.detail import PoolLedger, pool_names
from xtaccounts.export.period import Period
from xtaccounts.export.statutory_statements import Check
from xtaccounts.export.table import INT, MONEY, NUMBER, TEXT, Column, Table
from xtaccounts.ops.household_interest import InterestCarry, derive_households
from xtaccounts.registry import Registry
from xtaccounts.registry.navigation import place_name


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
    carry: InterestCarry | None = None,
) -> Disclosure:
    """The art. 30 disclosure per pool and per household over the period (the households'
    base interest from `carry`, the year close's, when it ties to the books)."""
    accounts = derive_households(
        registry, positions, entries, period.start, period.end, carry=carry
    ).accounts
    del carry  # each household's credits of the closed years: freed before the rows are made
    unit_names: dict[str, str] = {}
    unit_pools: dict[str, str] = {}
    # Summed in fen: households, then opening, deposits, use, interest and closing.
    unit_totals: dict[str, int] = defaultdict(int)
    pool_sums: dict[str, list[int]] = defaultdict(lambda: [0] * 6)
    household_rows = []
    nil = from_fen(0)  # one object for the many households that moved nothing
    for household_id in sorted(accounts):
        # Each account (with its history of balances) is freed as its row is made.
        account = accounts.pop(household_id)
        household = registry.households[household_id]
        unit = account.unit
        if unit not in unit_names:
            unit_names[unit] = place_name(registry, unit)
            unit_pools[unit] = registry.pool_of_unit(unit)
        fens = (account.before, account.deposits, account.used, account.interest, account.closing)
        before, deposits, used, interest, closing = (from_fen(f) if f else nil for f in fens)
        unit_totals[unit] += fens[-1]
        sums = pool_sums[unit_pools[unit]]
        sums[0] += 1
        for i, fen in enumerate(fens, start=1):
            sums[i] += fen
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
        if from_fen(unit_totals.get(unit, 0)) != unit_history.balance_at(unit, period.end)
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
        count, *pool_fens = pool_sums.get(pool, [0] * 6)
        before, deposits, used, interest, closing = (from_fen(f) for f in pool_fens)
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
