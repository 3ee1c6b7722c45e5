"""Load-time rules of the fund's books, reported by bean-check, Fava and the writer.

- every CNY amount is a whole number of fen;
- 交存收入 and 返还支出 postings name their unit (`unit:`), refunds their household too;
- `households:` metadata adds up to its posting;
- premium postings name their pool (`pool:`);
- no pool's balance (its account plus its unclosed premiums) is ever negative at a day's end.

Enable with `plugin "xtaccounts.plugins.fund_rules"` in main.beancount. The plugin adds no
entries; it only returns errors.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any, NamedTuple

from beancount.core import data

from xtaccounts import chart
from xtaccounts.positions import read_positions

__plugins__ = ("fund_rules",)

FEN = Decimal("0.01")


class FundRuleError(NamedTuple):
    source: Any
    message: str
    entry: Any


def _households_total(value: object) -> Decimal | None:
    total = Decimal("0")
    for part in str(value).split():
        _, sep, amount = part.partition("=")
        if not sep:
            return None
        try:
            total += Decimal(amount)
        except ArithmeticError:
            return None
    return total


def _posting_errors(entry: data.Transaction) -> list[FundRuleError]:
    errors = []
    for posting in entry.postings:
        meta = posting.meta or {}
        where = meta if "filename" in meta else entry.meta
        number = posting.units.number
        if posting.units.currency == "CNY" and number != number.quantize(FEN):
            errors.append(
                FundRuleError(where, f"{posting.account}: {number} is not whole fen", entry)
            )
        if posting.account in (chart.DEPOSIT_INCOME, chart.REFUND) and "unit" not in meta:
            errors.append(FundRuleError(where, f"{posting.account} posting without unit:", entry))
        if (
            posting.account == chart.REFUND
            and "household" not in meta
            and entry.meta.get("kind") != "close"
        ):
            errors.append(FundRuleError(where, "返还支出 posting without household:", entry))
        if posting.account.startswith(chart.PREMIUM_EXPENSE) and "pool" not in meta:
            errors.append(FundRuleError(where, "premium posting without pool:", entry))
        if "households" in meta:
            total = _households_total(meta["households"])
            if total is None:
                errors.append(
                    FundRuleError(
                        where, f"households: {meta['households']!r} is not id=amount", entry
                    )
                )
            elif total != abs(number):
                errors.append(
                    FundRuleError(
                        where,
                        f"households: adds up to {total}, the posting is {abs(number)}",
                        entry,
                    )
                )
    return errors


def _negative_pools(entries: list[data.Directive]) -> list[FundRuleError]:
    positions = read_positions(entries)
    errors = []
    by_pool_entry: dict[str, dict[Any, data.Transaction]] = defaultdict(dict)
    for entry in entries:
        if isinstance(entry, data.Transaction):
            for posting in entry.postings:
                pool = positions.pool_of_account.get(posting.account) or (
                    (posting.meta or {}).get("pool")
                    if posting.account.startswith(chart.PREMIUM_EXPENSE)
                    else None
                )
                if pool:
                    by_pool_entry[str(pool)][entry.date] = entry
    for pool, moves in positions.pool_movements.items():
        balance = Decimal("0")
        days: dict[Any, Decimal] = defaultdict(Decimal)
        for day, amount in moves:
            days[day] += amount
        for day in sorted(days):
            balance += days[day]
            if balance < 0:
                entry = by_pool_entry[pool].get(day)
                errors.append(
                    FundRuleError(
                        entry.meta if entry else data.new_metadata("<fund_rules>", 0),
                        f"pool {pool} would be negative on {day}: {balance}",
                        entry,
                    )
                )
                break
    return errors


def fund_rules(
    entries: list[data.Directive], options_map: dict[str, Any], config: str | None = None
) -> tuple[list[data.Directive], list[FundRuleError]]:
    """The plugin: entries unchanged, errors for every broken rule."""
    errors: list[FundRuleError] = []
    for entry in entries:
        if isinstance(entry, data.Transaction):
            errors.extend(_posting_errors(entry))
    errors.extend(_negative_pools(entries))
    return entries, errors
