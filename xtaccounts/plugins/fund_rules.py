"""Load-time rules of the fund's books, reported by bean-check, Fava and the writer.

- every CNY amount is a whole number of fen;
- 交存收入 and 返还支出 postings name their unit (`unit:`), refunds their household too;
- `households:` metadata adds up to its posting;
- premium postings name their pool (`pool:`);
- no pool's balance (its account plus its unclosed premiums) is ever negative at a day's end;
- a demand settlement's recorded 积数 still equals its account's balance-days over its window
  (an entry booked into a settled quarter afterwards, or settlements booked out of order, would
  leave its split wrong);
- a closed period stays closed: after the close of a period, the income and expense accounts
  hold nothing dated up to its end (an entry booked into it afterwards is refused, at that
  entry when one entry accounts for what is left); a period reopened (`xt-reopen`) is open;
- an interest receipt's recorded agreed and base rates are those of its rate agreement in the
  registry (``registry/`` beside the books, as `books_registry` finds it).

Enable with `plugin "xtaccounts.plugins.fund_rules"` in main.beancount. The plugin adds no
entries; it only returns errors.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

from beancount.core import data

from xtaccounts.books.closed_periods import reopened_periods
from xtaccounts.books.positions import (
    POOL_FLOW_ACCOUNTS,
    UNIT_FLOW_ACCOUNTS,
    Positions,
    read_positions,
)
from xtaccounts.core import chart
from xtaccounts.core.entries import number_of, units_of
from xtaccounts.core.errors import XtError
from xtaccounts.core.vocabulary import (
    CURRENCY,
    FEN,
    KIND_CARRY,
    KIND_CLOSE,
    META_AGREED_RATE,
    META_AGREEMENT,
    META_BALANCE_DAYS,
    META_BASE_RATE,
    META_HOUSEHOLD,
    META_HOUSEHOLDS,
    META_KIND,
    META_POOL,
    META_UNIT,
)
from xtaccounts.ops.premium_index import PremiumIndex
from xtaccounts.ops.time_deposits import MANUAL_AGREEMENT
from xtaccounts.plugins.books_registry import registry_dir
from xtaccounts.registry import cached_registry

if TYPE_CHECKING:
    from xtaccounts.books.write_snapshot import FoldOf

__plugins__ = ("fund_rules",)


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
        number = number_of(posting)
        if units_of(posting).currency == CURRENCY and number != number.quantize(FEN):
            errors.append(
                FundRuleError(where, f"{posting.account}: {number} is not whole fen", entry)
            )
        if posting.account in (chart.DEPOSIT_INCOME, chart.REFUND) and META_UNIT not in meta:
            errors.append(FundRuleError(where, f"{posting.account} posting without unit:", entry))
        if (
            posting.account == chart.REFUND
            and META_HOUSEHOLD not in meta
            and entry.meta.get(META_KIND) != KIND_CLOSE
        ):
            errors.append(FundRuleError(where, "返还支出 posting without household:", entry))
        if posting.account.startswith(chart.PREMIUM_EXPENSE) and META_POOL not in meta:
            errors.append(FundRuleError(where, "premium posting without pool:", entry))
        if META_HOUSEHOLDS in meta:
            total = _households_total(meta[META_HOUSEHOLDS])
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


def _stale_settlements(entries: list[data.Directive], positions: Positions) -> list[FundRuleError]:
    # A year's own books start from carried balances: windows reaching back before them cannot be
    # recomputed there (the full books check them).
    carried = max(
        (
            e.date
            for e in entries
            if isinstance(e, data.Transaction) and e.meta.get(META_KIND) == KIND_CARRY
        ),
        default=None,
    )
    demand = [
        r
        for r in positions.receipts
        if r.source == "demand"
        and META_BALANCE_DAYS in r.entry.meta
        and (carried is None or r.window_start > carried)
    ]
    if not demand:
        return []
    history = positions.account_history({r.bank_account for r in demand})
    errors = []
    for receipt in demand:
        recorded = Decimal(str(receipt.entry.meta[META_BALANCE_DAYS]))
        actual = history.balance_days(
            receipt.bank_account, receipt.window_start, receipt.window_end
        )
        if recorded != actual:
            errors.append(
                FundRuleError(
                    receipt.entry.meta,
                    f"receipt {receipt.id} records 积数 {recorded} over {receipt.window_start}.."
                    f"{receipt.window_end}, but the books now give {actual}: an entry dated in "
                    "that window was booked after the settlement",
                    receipt.entry,
                )
            )
    return errors


def _reopened_periods(entries: list[data.Directive]) -> list[FundRuleError]:
    """A closed period's income or expense left over: reported at the entry that left it (one
    whose own postings on the account are exactly what is left, booked after the close), else
    at the close."""
    reopened = reopened_periods(entries)  # reopened periods are open (docs/corrections.md)
    closes = sorted(
        (
            e
            for e in entries
            if isinstance(e, data.Transaction)
            and e.meta.get(META_KIND) == KIND_CLOSE
            and str(e.meta.get("period", "")) not in reopened
        ),
        key=lambda e: e.date,
    )
    if not closes:
        return []
    flows = sorted(
        (
            (entry.date, posting.account, number_of(posting), entry)
            for entry in entries
            if isinstance(entry, data.Transaction)
            for posting in entry.postings
            if posting.account.startswith(("Income:", "Expenses:"))
        ),
        key=lambda flow: flow[0],
    )
    errors = []
    balances: dict[str, Decimal] = defaultdict(Decimal)
    index = 0
    for close in closes:
        period: dict[tuple[str, int], Decimal] = defaultdict(Decimal)  # (account, entry) -> sum
        entry_of: dict[int, data.Transaction] = {}
        while index < len(flows) and flows[index][0] <= close.date:
            _, account, amount, entry = flows[index]
            balances[account] += amount
            if entry is not close:
                period[(account, id(entry))] += amount
                entry_of[id(entry)] = entry
            index += 1
        left = {account: amount for account, amount in balances.items() if amount}
        if not left:
            continue
        shown = ", ".join(f"{a} {n}" for a, n in sorted(left.items())[:3])
        message = (
            f"period {close.meta.get('period')} is closed, but entries dated up to "
            f"{close.date} leave {shown}: book them in an open period"
        )
        culprits = {
            key[1] for key, amount in period.items() if key[0] in left and amount == left[key[0]]
        }
        if len(culprits) == 1:
            entry = entry_of[culprits.pop()]
            errors.append(
                FundRuleError(
                    entry.meta,
                    f"this entry is dated in a closed period (closed by the close of "
                    f"{close.date}): {message}",
                    entry,
                )
            )
        else:
            errors.append(FundRuleError(close.meta, message, close))
    return errors


def _negative_pools(entries: list[data.Directive], positions: Positions) -> list[FundRuleError]:
    errors = []
    by_pool_entry: dict[str, dict[Any, data.Transaction]] = defaultdict(dict)
    for entry in entries:
        if isinstance(entry, data.Transaction):
            for posting in entry.postings:
                pool = positions.pool_of_account.get(posting.account) or (
                    (posting.meta or {}).get(META_POOL)
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
                mover = by_pool_entry[pool].get(day)
                errors.append(
                    FundRuleError(
                        mover.meta if mover else data.new_metadata("<fund_rules>", 0),
                        f"pool {pool} would be negative on {day}: {balance}",
                        mover,
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
    positions = read_positions(entries)
    errors.extend(_negative_pools(entries, positions))
    errors.extend(_stale_settlements(entries, positions))
    errors.extend(_reopened_periods(entries))
    errors.extend(_agreements(positions, options_map, config))
    return entries, errors


def _agreements(
    positions: Positions, options_map: dict[str, Any], config: str | None
) -> list[FundRuleError]:
    """Each interest receipt's recorded rates are its registry agreement's (a receipt whose
    agreement is missing or gives other rates was split by rates nobody agreed)."""
    receipts = [r for r in positions.receipts if r.entry.meta.get(META_AGREEMENT)]
    directory = registry_dir(options_map, config) if receipts else None
    if directory is None:
        return []
    try:
        agreements = cached_registry(directory).rate_agreements
    except XtError:
        return []  # the insurance plugin and every command say what is wrong with it
    errors = []
    for receipt in receipts:
        meta = receipt.entry.meta
        name = str(meta[META_AGREEMENT])
        if name == MANUAL_AGREEMENT:
            continue
        agreement = agreements.get(name)
        if agreement is None:
            errors.append(
                FundRuleError(
                    meta,
                    f"receipt {receipt.id}: rate agreement {name} is not in the registry "
                    "(rate_agreements.csv)",
                    receipt.entry,
                )
            )
            continue
        recorded = (_rate(meta.get(META_AGREED_RATE)), _rate(meta.get(META_BASE_RATE)))
        if recorded != (agreement.agreed_rate, agreement.base_rate):
            errors.append(
                FundRuleError(
                    meta,
                    f"receipt {receipt.id}: records agreed {meta.get(META_AGREED_RATE)}% / base "
                    f"{meta.get(META_BASE_RATE)}%, its agreement {name} gives "
                    f"{agreement.agreed_rate}% / {agreement.base_rate}% (rate_agreements.csv)",
                    receipt.entry,
                )
            )
    return errors


def _rate(value: object) -> Decimal | None:
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


def fast_records(
    entries: list[data.Directive],
    options_map: dict[str, Any],
    config: str | None,
    folds: FoldOf,
) -> bool:
    """For the writer's fast path (`books.fast_check`): whether these insurance records,
    appended to the books the write snapshot describes, leave every rule of this plugin
    unbroken: each posting's own rules, and no pool negative, from the pools' balances and
    last movements in the write snapshot's `PremiumIndex` (a premium dated on or after its pool's
    last movement lowers its balance on that day and every later one, by as much). They touch
    no unit's fund (a premium never does), no bank account (积数), no interest receipt, and
    are dated after the last close (`fast_check`)."""
    index = folds(PremiumIndex)
    if index is None:
        return False
    pools: dict[str, Decimal] = {}
    for entry in entries:
        if not isinstance(entry, data.Transaction):
            continue
        if _posting_errors(entry):
            return False
        for posting in entry.postings:
            account = posting.account
            if (
                account in UNIT_FLOW_ACCOUNTS
                or account in index.unit_of_account
                or account in index.pool_of_account
            ):
                return False
            if account not in POOL_FLOW_ACCOUNTS:
                continue
            pool = str((posting.meta or {})[META_POOL])  # named: `_posting_errors`
            balance = pools.get(pool)
            if balance is None:
                balance = index.pool(pool, entry.date)
                if balance is None:
                    return False
            balance -= number_of(posting)
            if balance < 0:
                return False
            pools[pool] = balance
    return True


__fast_records__ = fast_records
