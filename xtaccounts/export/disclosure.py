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

from array import array
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from beancount.core import data

from xtaccounts.books.positions import Positions
from xtaccounts.core.privacy import mask_name
from xtaccounts.core.shares import from_fen
from xtaccounts.core.vocabulary import ZERO
from xtaccounts.export.detail import PoolLedger, pool_names
from xtaccounts.export.period import Period
from xtaccounts.export.statutory_statements import Check
from xtaccounts.export.table import INT, MONEY, NUMBER, TEXT, Column, StreamedTable, Table
from xtaccounts.ops.household_interest import InterestCarry, derive_households
from xtaccounts.registry import Registry
from xtaccounts.registry.lazy_table import values_of
from xtaccounts.registry.navigation import place_name

# The registry fields of a household's row, read without restoring its model.
_AREA = ("area_m2",)
_FIELDS = ("door_no", "owner_masked", "area_m2")


@dataclass
class Disclosure:
    pools: Table
    households: StreamedTable  # made as it is written
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
    # Each household's figures in fen, by id, in arrays (the accounts and their histories of
    # balances are freed here): the rows are made from them as they are written.
    ids = sorted(accounts)
    units: list[str] = []
    fens = [array("q") for _ in range(5)]  # opening, deposits, use, interest and closing
    unit_pools: dict[str, str] = {}
    # Summed in fen: households, then opening, deposits, use, interest and closing.
    unit_totals: dict[str, int] = defaultdict(int)
    pool_sums: dict[str, list[int]] = defaultdict(lambda: [0] * 6)
    for household_id in ids:
        account = accounts.pop(household_id)
        unit = account.unit
        units.append(unit)
        if unit not in unit_pools:
            unit_pools[unit] = registry.pool_of_unit(unit)
        figures = (
            account.before,
            account.deposits,
            account.used,
            account.interest,
            account.closing,
        )
        for column, fen in zip(fens, figures, strict=True):
            column.append(fen)
        unit_totals[unit] += figures[-1]
        sums = pool_sums[unit_pools[unit]]
        sums[0] += 1
        for i, fen in enumerate(figures, start=1):
            sums[i] += fen
    del accounts
    households_table = registry.households
    area = ZERO
    for household_id in ids:
        area += values_of(households_table, household_id, _AREA)[0]
    totals = ("合计", None, None, None, area, *(from_fen(sum(c)) for c in fens))

    def household_rows() -> Iterator[tuple[tuple[Any, ...], bool]]:
        """Each household's row, its registry fields read without restoring its model."""
        unit_names: dict[str, str] = {}
        nil = from_fen(0)  # one object for the many households that moved nothing
        opening, deposits, used, interest, closing = fens
        for i, household_id in enumerate(ids):
            unit = units[i]
            name = unit_names.get(unit)
            if name is None:
                name = unit_names[unit] = place_name(registry, unit)
            door_no, owner, area_m2 = values_of(households_table, household_id, _FIELDS)
            yield (
                (
                    household_id,
                    name,
                    door_no,
                    mask_name(owner or ""),
                    area_m2,
                    from_fen(opening[i]) if opening[i] else nil,
                    from_fen(deposits[i]) if deposits[i] else nil,
                    from_fen(used[i]) if used[i] else nil,
                    from_fen(interest[i]) if interest[i] else nil,
                    from_fen(closing[i]) if closing[i] else nil,
                ),
                False,
            )

    unit_history = positions.unit_history()
    untied = [
        unit
        for unit in sorted(registry.units)
        if from_fen(unit_totals.get(unit, 0)) != unit_history.balance_at(unit, period.end)
    ]
    households = StreamedTable(
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
        rows=[],
        made=household_rows(),
        count=len(ids),
        known_totals=totals,
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
        ", ".join(untied[:5]) or f"{len(ids)} households, {len(registry.units)} units",
    )
    return Disclosure(pools, households, [check])
