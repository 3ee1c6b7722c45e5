"""Check 2: bank reconciliation.

- every balance assertion on a bank account holds, recomputed here from the postings (the
  statement's closing balance is the expected figure, the books' the booked one);
- every statement day booked from a statement has its closing-balance assertion (a deleted
  assertion is found), on accounts whose statements give balances;
- no gap in an account's statement sequence: statements are known from the archived files
  (``documents/<account>/…-<start>-<end>.<ext>``) and from the ``statement:`` metadata; a period
  between two statements that no statement covers is a finding when the books hold movements of
  the account in it (banks issue no statement for a period without movements, so a quiet gap is
  only counted).
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from collections import defaultdict

from beancount.core import data

from xtaccounts.audit.context import AuditContext
from xtaccounts.audit.findings import CheckResult
from xtaccounts.core.bank_statement import statement_period
from xtaccounts.core.calendar import ONE_DAY
from xtaccounts.core.entries import number_of
from xtaccounts.core.i18n import N_, _
from xtaccounts.core.vocabulary import META_STATEMENT, ZERO

NAME = "bank"
TITLE = N_("银行对账：对账单余额与对账单的连续性")


def _archived(ctx: AuditContext, account: str) -> list[tuple[dt.date, dt.date, str]]:
    folder = ctx.root.joinpath("documents", *account.split(":"))
    if not folder.is_dir():
        return []
    result = []
    for path in sorted(folder.iterdir()):
        period = statement_period(path.name) if path.is_file() else None
        if period is not None:
            result.append((*period, f"documents/{'/'.join(account.split(':'))}/{path.name}"))
    return result


def check(ctx: AuditContext) -> CheckResult:
    result = CheckResult(NAME, _(TITLE))
    accounts = {b.account for b in ctx.registry.bank_accounts.values()}
    history = ctx.account_history
    assertions: dict[str, set[dt.date]] = defaultdict(set)
    asserted: set[str] = set()  # accounts whose statements give balances
    statement_days: dict[tuple[str, str, dt.date], data.Transaction] = {}
    periods: dict[str, list[tuple[dt.date, dt.date, str]]] = defaultdict(list)
    movements: dict[str, list[data.Transaction]] = defaultdict(list)

    for entry in ctx.entries:
        if isinstance(entry, data.Balance):
            if entry.account not in accounts:
                continue
            result.count("assertions")
            assertions[entry.account].add(entry.date)
            name = entry.meta.get(META_STATEMENT)
            if name:
                asserted.add(entry.account)
                period = statement_period(str(name))
                if period:
                    periods[entry.account].append((*period, str(name)))
            booked = history.balance_at(entry.account, entry.date - ONE_DAY)
            expected = entry.amount.number
            assert expected is not None  # a balance assertion always has its number
            if booked != expected:
                result.add(
                    "assertion-failed",
                    _(
                        "{account}：对账单 {day} 日初余额为 {expected}，"
                        "账簿为 {booked}（相差 {apart}）"
                    ).format(
                        account=entry.account,
                        day=entry.date,
                        expected=expected,
                        booked=booked,
                        apart=f"{booked - expected:+}",
                    ),
                    [ctx.where(entry)],
                    expected=expected,
                    booked=booked + ZERO,
                )
        elif isinstance(entry, data.Transaction):
            touched = [p.account for p in entry.postings if p.account in accounts]
            if not touched:
                continue
            name = entry.meta.get(META_STATEMENT)
            for account in touched:
                movements[account].append(entry)
                if name:
                    statement_days.setdefault((account, str(name), entry.date), entry)
                    period = statement_period(str(name))
                    if period:
                        periods[account].append((*period, str(name)))

    # The closing balance of the as-of day itself is asserted the day after.
    for entry in ctx.books.entries[len(ctx.entries) :]:
        if entry.date > ctx.as_of + ONE_DAY:
            break
        if isinstance(entry, data.Balance) and entry.account in accounts:
            assertions[entry.account].add(entry.date)
    result.count("statement_days", len(statement_days))
    for (account, name, day), entry in sorted(statement_days.items(), key=lambda i: i[0][2]):
        if account in asserted and day + ONE_DAY not in assertions[account]:
            result.add(
                "assertion-missing",
                _(
                    "{account}：对账单 {name} 在 {day} 有交易，"
                    "但账簿中没有其期末余额的余额断言（日期 {next_day}）"
                ).format(account=account, name=name, day=day, next_day=day + ONE_DAY),
                [ctx.where(entry)],
            )

    for account in sorted(accounts):
        known = periods[account] + _archived(ctx, account)
        result.count("statements", len({name for *_dates, name in known}))
        _gaps(ctx, result, account, known, movements[account])
    return result


def _gaps(
    ctx: AuditContext,
    result: CheckResult,
    account: str,
    known: list[tuple[dt.date, dt.date, str]],
    moves: list[data.Transaction],
) -> None:
    """Uncovered periods between the first and the last statement of an account."""
    spans = sorted({(start, end) for start, end, _name in known if start <= end})
    if not spans:
        return
    covered_to = spans[0][1]
    gaps: list[tuple[dt.date, dt.date]] = []
    for start, end in spans[1:]:
        if start > covered_to + ONE_DAY:
            gaps.append((covered_to + ONE_DAY, start - ONE_DAY))
        covered_to = max(covered_to, end)
    days = [e.date for e in moves]  # in date order, as the books are
    for first, last in gaps:
        inside = moves[bisect_left(days, first) : bisect_right(days, last)]
        if not inside:
            result.count("quiet_gaps")
            continue
        net = sum(
            (number_of(p) for e in inside for p in e.postings if p.account == account),
            ZERO,
        )
        result.add(
            "statement-gap",
            _(
                "{account}：没有对账单覆盖 {first} 至 {last}，"
                "但账簿中有该期间的 {count} 笔变动（净额 {net}）：缺少对账单"
            ).format(account=account, first=first, last=last, count=len(inside), net=net),
            [ctx.where(e) for e in inside[:5]],
            expected=_("{first} 至 {last} 的对账单").format(first=first, last=last),
            booked=net,
        )
