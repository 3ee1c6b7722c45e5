"""Interest formulas, the demand settlement calendar and the base/spread split (docs/rules.md §5).

Rates are annual percent Decimals (``Decimal("1.95")`` is 1.95 %); a day is 1/360 of a year.
Every formula is computed as an exact fraction and rounded half-up to the fen once.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from xtaccounts.core.calendar import ONE_DAY, add_months
from xtaccounts.core.money import exact_decimal
from xtaccounts.core.vocabulary import FEN, ZERO

__all__ = [
    "DAYS_IN_YEAR",
    "DEMAND_SETTLEMENT_DAY",
    "DEMAND_SETTLEMENT_MONTHS",
    "InterestSplit",
    "demand_interest",
    "demand_payment_date",
    "demand_quarter_window",
    "demand_settlement_covering",
    "demand_settlement_dates",
    "early_withdrawal_interest",
    "round_half_up",
    "split_demand",
    "split_early_withdrawal",
    "split_interest",
    "split_time_deposit",
    "time_deposit_interest",
]

DAYS_IN_YEAR = 360
DEMAND_SETTLEMENT_MONTHS = (3, 6, 9, 12)
DEMAND_SETTLEMENT_DAY = 20


# --- checks and rounding ---------------------------------------------------------------------


def _rate(value: object, what: str = "rate") -> Fraction:
    rate = exact_decimal(value, what)
    if rate < 0 or rate >= 100:
        raise ValueError(f"{what}: {rate}% is outside 0..100 (rates are given in percent)")
    return Fraction(rate)


def _money(value: object, what: str) -> Decimal:
    amount = exact_decimal(value, what)
    if amount != amount.quantize(FEN):
        raise ValueError(f"{what}: {amount} is not a whole number of fen")
    return amount.quantize(FEN)


def round_half_up(value: Fraction) -> Decimal:
    """An exact fraction rounded half-up (ties away from zero) to the fen."""
    scaled = abs(value) * 100
    fen, remainder = divmod(scaled.numerator, scaled.denominator)
    if 2 * remainder >= scaled.denominator:
        fen += 1
    sign = "-" if value < 0 and fen else ""
    return Decimal(f"{sign}{fen // 100}.{fen % 100:02d}")


# --- formulas --------------------------------------------------------------------------------


def demand_interest(balance_days: Decimal, rate: Decimal) -> Decimal:
    """Demand interest: 积数 × rate / 100 / 360, rounded once."""
    days_balance = Fraction(exact_decimal(balance_days, "balance-days"))
    return round_half_up(days_balance * _rate(rate) / (100 * DAYS_IN_YEAR))


def time_deposit_interest(principal: Decimal, rate: Decimal, months: int) -> Decimal:
    """Time deposit held to maturity: principal × rate / 100 × months / 12, rounded once."""
    if isinstance(months, bool) or not isinstance(months, int) or months <= 0:
        raise ValueError(f"term: {months!r} is not a positive whole number of months")
    amount = Fraction(_money(principal, "principal"))
    return round_half_up(amount * _rate(rate) * months / (100 * 12))


def early_withdrawal_interest(
    principal: Decimal,
    demand_rate: Decimal,
    value_date: datetime.date,
    withdrawal_date: datetime.date,
) -> Decimal:
    """A time deposit withdrawn early: the demand rate on the days held (withdrawal − value date),
    principal × days × rate / 100 / 360, rounded once."""
    days = (withdrawal_date - value_date).days
    if days < 0:
        raise ValueError(f"withdrawal {withdrawal_date} is before the value date {value_date}")
    amount = Fraction(_money(principal, "principal"))
    return round_half_up(amount * days * _rate(demand_rate) / (100 * DAYS_IN_YEAR))


# --- base / spread split ---------------------------------------------------------------------


@dataclass(frozen=True)
class InterestSplit:
    """One interest receipt split into the base part and the spread (base + spread = received).

    `flagged` is set when the receipt differs from the contract's expected interest by more than
    0.01; `reason` then explains it (an audit finding, never silently adjusted).
    """

    received: Decimal
    expected: Decimal
    base: Decimal
    spread: Decimal
    base_expected: Decimal
    difference: Decimal
    flagged: bool
    reason: str


def split_interest(
    received: Decimal, *, expected: Decimal, base_expected: Decimal
) -> InterestSplit:
    """Split a receipt: base = min(received, base_expected), never below 0; spread = the rest."""
    received = _money(received, "received interest")
    expected = _money(expected, "expected interest")
    base_expected = _money(base_expected, "base interest")
    if received < 0:
        raise ValueError(f"received interest {received} is negative; book a reversal instead")
    base = max(ZERO, min(received, base_expected))
    spread = received - base
    difference = received - expected
    flagged = abs(difference) > FEN
    reason = (
        f"实收与应收相差 {difference:+,.2f} 元 (received {received:,.2f}, expected {expected:,.2f})"
        if flagged
        else ""
    )
    return InterestSplit(
        received=received,
        expected=expected,
        base=base,
        spread=spread,
        base_expected=base_expected,
        difference=difference,
        flagged=flagged,
        reason=reason,
    )


def split_time_deposit(
    received: Decimal,
    principal: Decimal,
    agreed_rate: Decimal,
    base_rate: Decimal,
    months: int,
) -> InterestSplit:
    """Split a time deposit's maturity interest against its agreed and base rates."""
    return split_interest(
        received,
        expected=time_deposit_interest(principal, agreed_rate, months),
        base_expected=time_deposit_interest(principal, base_rate, months),
    )


def split_demand(
    received: Decimal, balance_days: Decimal, agreed_rate: Decimal, base_rate: Decimal
) -> InterestSplit:
    """Split a demand settlement against the quarter's 积数 at the agreed and base rates."""
    return split_interest(
        received,
        expected=demand_interest(balance_days, agreed_rate),
        base_expected=demand_interest(balance_days, base_rate),
    )


def split_early_withdrawal(
    received: Decimal,
    principal: Decimal,
    demand_rate: Decimal,
    base_rate: Decimal,
    value_date: datetime.date,
    withdrawal_date: datetime.date,
) -> InterestSplit:
    """Split the interest of a time deposit withdrawn early (demand rates on the days held)."""
    return split_interest(
        received,
        expected=early_withdrawal_interest(principal, demand_rate, value_date, withdrawal_date),
        base_expected=early_withdrawal_interest(principal, base_rate, value_date, withdrawal_date),
    )


# --- demand settlement calendar --------------------------------------------------------------


def _check_settlement(settlement: datetime.date) -> None:
    if settlement.day != DEMAND_SETTLEMENT_DAY or settlement.month not in DEMAND_SETTLEMENT_MONTHS:
        raise ValueError(f"{settlement} is not a demand settlement day (20 Mar/Jun/Sep/Dec)")


def demand_settlement_dates(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    """Every demand settlement day (the 20th of Mar/Jun/Sep/Dec) in [start, end], in order."""
    return [
        day
        for year in range(start.year, end.year + 1)
        for month in DEMAND_SETTLEMENT_MONTHS
        if start <= (day := datetime.date(year, month, DEMAND_SETTLEMENT_DAY)) <= end
    ]


def demand_quarter_window(settlement: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The days a settlement covers: (day after the previous settlement day, settlement day)."""
    _check_settlement(settlement)
    return add_months(settlement, -3) + ONE_DAY, settlement


def demand_payment_date(settlement: datetime.date) -> datetime.date:
    """The day the bank pays a demand settlement: the day after the settlement day."""
    _check_settlement(settlement)
    return settlement + ONE_DAY


def demand_settlement_covering(day: datetime.date) -> datetime.date:
    """The settlement day whose quarter window contains `day`."""
    for month in DEMAND_SETTLEMENT_MONTHS:
        candidate = datetime.date(day.year, month, DEMAND_SETTLEMENT_DAY)
        if day <= candidate:
            return candidate
    return datetime.date(day.year + 1, DEMAND_SETTLEMENT_MONTHS[0], DEMAND_SETTLEMENT_DAY)
