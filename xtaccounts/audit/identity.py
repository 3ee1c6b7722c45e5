"""Check 3: the fund identity at every month end (and on the as-of day).

    bank and bond assets + receivables − liabilities = 维修资金 + 待分配累计收益 (pools included)

Each side is summed here from the postings, by account class, not taken from any report:

- assets and liabilities: every ``Assets:`` and ``Liabilities:`` account;
- 维修资金: the unit funds (``Equity:Fund-维修资金``) with the unclosed flows that belong to
  them (交存收入, 返还支出);
- 待分配累计收益: ``Equity:Undistributed-待分配累计收益`` and its pools, with the unclosed
  interest and other income and the unclosed expenses (premiums, repairs, other).

Money anywhere else (``Equity:Opening`` in the full books, an unknown root) or a transaction
that does not balance breaks the identity; the finding names the month end, both sides and the
entries that moved the difference. A difference is reported once, when it appears or changes.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from decimal import Decimal

from beancount.core import data

from xtaccounts.audit.context import AuditContext
from xtaccounts.audit.findings import CheckResult
from xtaccounts.core import chart
from xtaccounts.core.entries import units_of
from xtaccounts.core.i18n import N_, _
from xtaccounts.core.vocabulary import ZERO

NAME = "identity"
TITLE = N_("资金恒等式：每个月末 资产 − 负债 = 维修资金 + 待分配累计收益")

ASSETS, FUND, UNDISTRIBUTED, OTHER = "assets", "fund", "undistributed", "other"


def account_class(account: str) -> str:
    """Which side of the identity an account's balance belongs to."""
    if account.startswith(("Assets:", "Liabilities:")):
        return ASSETS
    if account == chart.FUND or account.startswith(chart.FUND + ":"):
        return FUND
    if account in (chart.DEPOSIT_INCOME, chart.REFUND):
        return FUND
    if account == chart.UNDISTRIBUTED or account.startswith(chart.UNDISTRIBUTED + ":"):
        return UNDISTRIBUTED
    if account.startswith(("Income:", "Expenses:")):
        return UNDISTRIBUTED
    return OTHER


def month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def check(ctx: AuditContext) -> CheckResult:
    result = CheckResult(NAME, _(TITLE))
    classes: dict[str, str] = {}
    sums: dict[str, Decimal] = defaultdict(lambda: ZERO)
    movers: list[data.Transaction] = []
    previous = ZERO
    current_end: dt.date | None = None

    def close_month(end: dt.date) -> None:
        nonlocal previous, movers
        result.count("month_ends")
        assets = sums[ASSETS]
        fund, undistributed = -sums[FUND], -sums[UNDISTRIBUTED]
        difference = assets - (fund + undistributed)
        if difference != previous:
            result.add(
                "identity",
                _(
                    "{end}：资产 − 负债 {assets} ≠ 维修资金 {fund} + 待分配累计收益 {undistribu"
                    "ted} = {total}（相差 {apart}{before}）"
                ).format(
                    end=end,
                    assets=assets,
                    fund=fund,
                    undistributed=undistributed,
                    total=fund + undistributed,
                    apart=f"{difference:+}",
                    before=_("，上月末相差 {previous}").format(previous=f"{previous:+}")
                    if previous
                    else "",
                ),
                [ctx.where(e) for e in movers[:5]],
                expected=fund + undistributed,
                booked=assets,
            )
            previous = difference
        movers = []

    for entry in ctx.booked_transactions:
        end = month_end(entry.date)
        if current_end is not None and end != current_end:
            day = current_end
            while day < end:
                close_month(day)
                day = month_end(day + dt.timedelta(days=1))
        current_end = end
        result.count("transactions")
        residual = ZERO
        odd = False
        for posting in entry.postings:
            account = posting.account
            cls = classes.get(account)
            if cls is None:
                cls = classes[account] = account_class(account)
            number = units_of(posting).number
            if number is None:
                continue
            sums[cls] += number
            residual += number
            odd = odd or cls == OTHER
        if odd or residual:
            movers.append(entry)
    if current_end is not None:
        day = current_end
        while day <= month_end(ctx.as_of):
            close_month(min(day, ctx.as_of))
            day = month_end(day + dt.timedelta(days=1))
    return result
