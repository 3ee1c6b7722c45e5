"""Check 4: every interest receipt's split and every allocation, recomputed.

Receipts (``kind: interest``): the amount received is what reached the books' assets (the bank
line less any principal returned). The expected interest comes from the contract, never from
the receipt's own metadata: a demand settlement from its account's 积数 over its window
(recomputed from the postings) at the rate agreement's rates (registry); a time deposit from its
certificate (``open`` metadata: principal, months) at its agreement's rates; an early
withdrawal from the principal and the days held at the demand agreement's rates. The split is
then docs/rules.md §5: base = min(received, base interest), spread = the rest. A booked split
other than that is an error; a receipt more than 0.01 from its contract is an error unless it
was booked flagged (``!``), when it is a warning.

An account's demand settlements must cover consecutive windows (each starts the day after the
previous one ended), so that no day's 积数 earns interest twice or not at all.

Allocations (``kind: allocation`` / ``legacy-transfer``): each receipt named is shared again
over its own window by 积数 recomputed from the fund postings, with the sharing primitive
`xtaccounts.core.shares.share_fen` (largest remainder; not the planner of allocate.py, whose
output is what is being checked), from the recomputed split, and the shares summed
per receiver must be what the entry credits each pool and unit fund, and their total what it
debits 待分配累计收益.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from beancount.core import data

from xtaccounts.audit.context import AuditContext
from xtaccounts.audit.findings import WARNING, CheckResult
from xtaccounts.books.positions import InterestReceipt, ids_of
from xtaccounts.core import chart
from xtaccounts.core.dates import meta_day
from xtaccounts.core.entries import number_of
from xtaccounts.core.errors import XtError
from xtaccounts.core.i18n import N_, _
from xtaccounts.core.interest import (
    InterestSplit,
    demand_interest,
    early_withdrawal_interest,
    split_interest,
    time_deposit_interest,
)
from xtaccounts.core.shares import from_fen, integer_weights, share_fen, to_fen
from xtaccounts.core.vocabulary import (
    KIND_ALLOCATION,
    KIND_LEGACY,
    META_AGREED_RATE,
    META_AGREEMENT,
    META_BALANCE_DAYS,
    META_BASE_RATE,
    META_CERTIFICATE,
    META_KIND,
    ZERO,
)
from xtaccounts.ops.allocation_weights import BASE, SPREAD, FundWeights

NAME = "interest"
TITLE = N_("按合同和积数重算利息拆分与分配")

Window = tuple[str, dt.date, dt.date]
"""A receipt part and its window: (part, first day, last day)."""


def _dec(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


class _Recompute:
    """Receipts recomputed from their contracts; findings go to `result`."""

    def __init__(self, ctx: AuditContext, result: CheckResult) -> None:
        self.ctx = ctx
        self.result = result
        self.agreements = ctx.registry.rate_agreements
        self.certificates = {
            str(meta[META_CERTIFICATE]): meta
            for account, meta in ctx.positions.open_meta.items()
            if META_CERTIFICATE in meta
        }

    def rates(self, receipt: InterestReceipt, agreement_id: str) -> tuple[Decimal, Decimal] | None:
        meta = receipt.entry.meta
        agreement = self.agreements.get(agreement_id)
        if agreement is None:
            self.result.add(
                "agreement",
                _(
                    "收息 {receipt}：利率协议 {agreement!r} 不在利率协议登记（registry/rate_agr"
                    "eements.csv）中"
                ).format(receipt=receipt.id, agreement=agreement_id),
                [self.ctx.where(receipt.entry)],
            )
            return None
        agreed, base = Decimal(agreement.agreed_rate), Decimal(agreement.base_rate)
        for key, contract in (("agreed_rate", agreed), ("base_rate", base)):
            recorded = _dec(meta.get(key))
            if recorded is not None and recorded != contract:
                self.result.add(
                    "rate",
                    f"receipt {receipt.id}: records {key} {recorded}%, agreement "
                    f"{agreement_id} says {contract}%",
                    [self.ctx.where(receipt.entry)],
                    expected=contract,
                    booked=recorded,
                )
        return agreed, base

    def expected(self, receipt: InterestReceipt) -> tuple[Decimal, Decimal] | None:
        """(expected interest, base interest) by the contract, or None (reported)."""
        meta = receipt.entry.meta
        where = [self.ctx.where(receipt.entry)]
        if receipt.source == "demand":
            rates = self.rates(receipt, str(meta.get(META_AGREEMENT, "")))
            if rates is None:
                return None
            days = self.ctx.account_history.balance_days(
                receipt.bank_account, receipt.window_start, receipt.window_end
            )
            recorded = _dec(meta.get(META_BALANCE_DAYS))
            if recorded is not None and recorded != days:
                self.result.add(
                    "balance-days",
                    _(
                        "收息 {receipt}：记录的 {start} 至 {end} 积数为 {recorded}，"
                        "按分录计算为 {days}"
                    ).format(
                        receipt=receipt.id,
                        start=receipt.window_start,
                        end=receipt.window_end,
                        recorded=recorded,
                        days=days,
                    ),
                    where,
                    expected=days,
                    booked=recorded,
                )
            return demand_interest(days, rates[0]), demand_interest(days, rates[1])
        cert = self.certificates.get(str(meta.get(META_CERTIFICATE, "")))
        if cert is None:
            self.result.add(
                "contract",
                _("收息 {receipt}：存单 {certificate!r} 没有带合同信息的开户（open）分录").format(
                    receipt=receipt.id, certificate=meta.get("certificate")
                ),
                where,
            )
            return None
        principal = _dec(cert.get("principal")) or ZERO
        if receipt.source == "time":
            rates = self.rates(receipt, str(cert.get("agreement", "")))
            if rates is None:
                return None
            months = int(str(cert.get("months", "0")))
            return (
                time_deposit_interest(principal, rates[0], months),
                time_deposit_interest(principal, rates[1], months),
            )
        rates = self.rates(receipt, str(meta.get(META_AGREEMENT, "")))
        if rates is None:
            return None
        start = meta_day(cert.get("value_date"))
        return (
            early_withdrawal_interest(principal, rates[0], start, receipt.date),
            early_withdrawal_interest(principal, rates[1], start, receipt.date),
        )

    def receipt(self, receipt: InterestReceipt) -> InterestSplit | None:
        """The split the rule gives for what was received (None when it cannot be had),
        after reporting how the booked split and the receipt differ from it."""
        entry = receipt.entry
        where = [self.ctx.where(entry)]
        received = sum(
            (number_of(p) for p in entry.postings if p.account.startswith("Assets:")), ZERO
        )
        try:
            figures = self.expected(receipt)
        except (ValueError, XtError, ArithmeticError) as exc:
            self.result.add("contract", f"receipt {receipt.id}: {exc}", where)
            return None
        if figures is None:
            return None
        try:
            split = split_interest(received, expected=figures[0], base_expected=figures[1])
        except ValueError as exc:
            self.result.add("received", f"receipt {receipt.id}: {exc}", where)
            return None
        for part, booked, right in (
            (BASE, receipt.base, split.base),
            (SPREAD, receipt.spread, split.spread),
        ):
            if booked != right:
                self.result.add(
                    "split",
                    _(
                        "收息 {receipt}（实收 {received}，应收 {expected}，基准利息 {base}）："
                        "其 {part} 部分记为 {booked}，按规则应为 {right}"
                    ).format(
                        receipt=receipt.id,
                        received=received,
                        expected=split.expected,
                        base=split.base_expected,
                        part=part,
                        booked=booked,
                        right=right,
                    ),
                    where,
                    expected=right,
                    booked=booked,
                )
        if split.flagged:
            if entry.flag == "!":
                self.result.add(
                    "receipt-differs",
                    _(
                        "收息 {receipt}：实收 {received}，按合同应为 {expected}（{difference}）"
                        "；已标记"
                    ).format(
                        receipt=receipt.id,
                        received=received,
                        expected=split.expected,
                        difference=f"{split.difference:+}",
                    ),
                    where,
                    severity=WARNING,
                    expected=split.expected,
                    booked=received,
                )
            else:
                self.result.add(
                    "receipt-differs",
                    _(
                        "收息 {receipt}：实收 {received}，按合同应为 {expected}（{difference}）"
                        "，且未标记"
                    ).format(
                        receipt=receipt.id,
                        received=received,
                        expected=split.expected,
                        difference=f"{split.difference:+}",
                    ),
                    where,
                    expected=split.expected,
                    booked=received,
                )
        return split


def _below_base(ctx: AuditContext, result: CheckResult, certificates: dict[str, Any]) -> None:
    """A time deposit placed at an agreed rate below its base rate: a warning with both."""
    for certificate, meta in sorted(certificates.items()):
        try:
            agreed, base = Decimal(str(meta[META_AGREED_RATE])), Decimal(str(meta[META_BASE_RATE]))
        except (KeyError, ArithmeticError):
            continue
        if agreed < base:
            result.add(
                "agreed-below-base",
                _(
                    "定期存单 {certificate} 的约定利率 {agreed}% 低于基准利率 {base}%："
                    "没有利差可分配"
                ).format(certificate=certificate, agreed=agreed, base=base),
                [ctx.where(None, f"open {certificate}", meta=meta)],
                severity=WARNING,
                expected=f"≥ {base}",
                booked=str(agreed),
            )


def check(ctx: AuditContext) -> CheckResult:
    """Every receipt recomputed, then every allocation from the recomputed splits."""
    result = CheckResult(NAME, _(TITLE))
    recompute = _Recompute(ctx, result)
    _below_base(ctx, result, recompute.certificates)
    corrected: dict[str, InterestReceipt] = {}
    seen: dict[str, InterestReceipt] = {}
    for receipt in ctx.positions.receipts:
        result.count("receipts")
        if receipt.id in seen:
            result.add(
                "duplicate-receipt",
                _("收息 {receipt} 记了两次").format(receipt=receipt.id),
                [ctx.where(seen[receipt.id].entry), ctx.where(receipt.entry)],
            )
            continue
        seen[receipt.id] = receipt
        split = recompute.receipt(receipt)
        corrected[receipt.id] = (
            dataclasses.replace(receipt, base=split.base, spread=split.spread)
            if split is not None
            else receipt
        )
    _demand_windows(ctx, result, list(seen.values()))
    _allocations(ctx, result, corrected)
    return result


def _demand_windows(
    ctx: AuditContext, result: CheckResult, receipts: list[InterestReceipt]
) -> None:
    """An account's demand settlements cover consecutive windows: each starts the day after the
    previous one ended, so no day's 积数 earns interest twice or not at all (the windows are
    the receipts' own record; the 积数 over them is recomputed)."""
    previous: dict[str, InterestReceipt] = {}
    for receipt in sorted(
        (r for r in receipts if r.source == "demand"), key=lambda r: (r.window_start, r.id)
    ):
        before = previous.get(receipt.bank_account)
        previous[receipt.bank_account] = receipt
        if before is None:
            continue
        follows = before.window_end + dt.timedelta(days=1)
        if receipt.window_start != follows:
            result.add(
                "window",
                _(
                    "收息 {receipt}：计息期始于 {start}；{account} 的上一次结息（{before}）止于 "
                    "{end}，下一次应始于 {follows}"
                ).format(
                    receipt=receipt.id,
                    start=receipt.window_start,
                    account=receipt.bank_account,
                    before=before.id,
                    end=before.window_end,
                    follows=follows,
                ),
                [ctx.where(receipt.entry), ctx.where(before.entry)],
                expected=follows.isoformat(),
                booked=receipt.window_start.isoformat(),
            )


class _Shares:
    """Each receiver's share of one receipt part, in fen, by `xtaccounts.core.shares.share_fen`
    (the same largest remainder as `allocate`) on integer weights computed once per window and
    part, so that a city's allocations are recomputed in seconds. The weights are the 积数
    recomputed from the fund postings, never an allocation's own record of them."""

    def __init__(self, ctx: AuditContext) -> None:
        self.fund = FundWeights(ctx.registry, ctx.unit_history)
        unknown = self.fund.unknown_units()
        if unknown:
            raise XtError(
                _("账簿中有 {count} 个登记册没有的单元的资金变动（{units}）；无法重算分配").format(
                    count=len(unknown), units="、".join(unknown[:5])
                )
            )
        self._weights: dict[Window, tuple[list[str], list[int], int]] = {}

    def weights(self, part: str, start: dt.date, end: dt.date) -> tuple[list[str], list[int], int]:
        """Receivers with a positive 积数 over the window (sorted by id), their integer weights
        (exact, by `integer_weights`) and the weights' total."""
        key = (part, start, end)
        if key not in self._weights:
            raw = self.fund.of(part, start, end)
            receivers = sorted(r for r, w in raw.items() if w > 0)
            weights = integer_weights([raw[r] for r in receivers])
            self._weights[key] = (receivers, weights, sum(weights))
        return self._weights[key]

    def of(self, receipt: InterestReceipt, part: str) -> tuple[Window, list[int]]:
        """(the window's key, each receiver's fen in the order of `weights`)."""
        amount = receipt.spread if part == SPREAD else receipt.base
        key = (part, receipt.window_start, receipt.window_end)
        receivers, weights, total = self.weights(*key)
        if not receivers:
            raise XtError(
                _(
                    "收息 {receipt}：{start} 至 {end} 期间没有{holders}的资金余额为正；"
                    "其 {part} {amount} 无法分配"
                ).format(
                    receipt=receipt.id,
                    start=receipt.window_start,
                    end=receipt.window_end,
                    holders=_("统筹账户") if part == SPREAD else _("单元"),
                    part=part,
                    amount=amount,
                )
            )
        fen_total = to_fen(amount)
        if fen_total < 0:
            raise ValueError(f"receipt {receipt.id}: its {part} {amount} is negative")
        return key, share_fen(fen_total, receivers, weights, total)


def _allocations(
    ctx: AuditContext, result: CheckResult, receipts: dict[str, InterestReceipt]
) -> None:
    allocations = [
        e for e in ctx.transactions if e.meta.get(META_KIND) in (KIND_ALLOCATION, KIND_LEGACY)
    ]
    if not allocations:
        return
    try:
        shares = _Shares(ctx)
    except XtError as exc:
        result.add("allocation", str(exc), [ctx.where(allocations[0])])
        return
    pool_account = dict(ctx.positions.pool_of_account)
    unit_account = dict(ctx.positions.unit_of_account)
    taken: dict[tuple[str, str], data.Transaction] = {}
    for entry in allocations:
        result.count("allocations")
        where = ctx.where(entry)
        sums: dict[Window, list[int]] = {}
        ok = True
        for part, meta_key in ((SPREAD, "spread_receipts"), (BASE, "base_receipts")):
            for rid in ids_of(entry.meta.get(meta_key)):
                result.count("allocated_receipt_parts")
                if (rid, part) in taken:
                    result.add(
                        "allocated-twice",
                        _("收息 {receipt} 的 {part} 分配了两次").format(receipt=rid, part=part),
                        [ctx.where(taken[(rid, part)]), where],
                    )
                taken[(rid, part)] = entry
                receipt = receipts.get(rid)
                if receipt is None:
                    result.add(
                        "allocation",
                        _("分配所指的收息 {receipt} 不存在").format(receipt=rid),
                        [where],
                    )
                    ok = False
                    continue
                try:
                    window, fen = shares.of(receipt, part)
                except (XtError, ValueError) as exc:
                    result.add("allocation", str(exc), [where])
                    ok = False
                    continue
                summed = sums.get(window)
                sums[window] = (
                    fen if summed is None else [a + b for a, b in zip(summed, fen, strict=True)]
                )
        if not ok:
            continue
        expected_fen: dict[tuple[str, str], int] = defaultdict(int)
        for window, fen in sums.items():
            kind = "pool" if window[0] == SPREAD else "unit"
            receivers = shares.weights(*window)[0]
            for receiver, amount in zip(receivers, fen, strict=True):
                if amount:
                    expected_fen[(kind, receiver)] += amount
        expected = {key: from_fen(fen) for key, fen in expected_fen.items()}
        booked: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
        lines: dict[tuple[str, str], Any] = {}
        debit = ZERO
        for posting in entry.postings:
            number = number_of(posting)
            if posting.account == chart.UNDISTRIBUTED:
                debit += number
                continue
            if posting.account in pool_account:
                key = ("pool", pool_account[posting.account])
            elif posting.account in unit_account:
                key = ("unit", unit_account[posting.account])
            else:
                key = ("account", posting.account)
            booked[key] -= number
            lines.setdefault(key, posting.meta)
        total = sum(expected.values(), ZERO)
        for key in sorted(set(expected) | set(booked)):
            want, got = expected.get(key, ZERO), booked.get(key, ZERO)
            if want != got:
                result.add(
                    "allocation-share",
                    _(
                        "{date} 的分配：{kind} {target} 贷记 {got}；按所列收息的积数应分得 {want}"
                    ).format(date=entry.date, kind=key[0], target=key[1], got=got, want=want),
                    [ctx.where(entry, meta=lines.get(key) or entry.meta)],
                    expected=want,
                    booked=got,
                )
        if debit != total:
            result.add(
                "allocation-total",
                _("{date} 的分配：借记待分配累计收益 {debit}；各份额合计为 {total}").format(
                    date=entry.date, debit=debit, total=total
                ),
                [where],
                expected=total,
                booked=debit,
            )
