"""The detail behind the statements: pool ledger, premiums, spread computation, allocations,
coverage. Each table is built in one linear pass over the books' entries or receipts."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from beancount.core import data

from xtaccounts.books.positions import InterestReceipt, Positions, ids_of
from xtaccounts.core import chart
from xtaccounts.core.entries import number_of
from xtaccounts.core.errors import XtError
from xtaccounts.core.privacy import is_masked_name, is_organisation, mask_text
from xtaccounts.core.shares import NoReceivers, share_by_weight
from xtaccounts.core.vocabulary import (
    KIND_ALLOCATION,
    KIND_LEGACY,
    KIND_PREMIUM,
    KIND_PREMIUM_REFUND,
    META_AGREED_RATE,
    META_APPLICATION,
    META_BALANCE_DAYS,
    META_BASE_RATE,
    META_BASE_SOURCE,
    META_DIFFERENCE,
    META_ELEVATOR,
    META_EXPECTED,
    META_KIND,
    META_MONTHS,
    META_POLICY,
    META_POOL,
    META_PRINCIPAL,
    ZERO,
)
from xtaccounts.export.period import Period
from xtaccounts.export.statutory_statements import Check
from xtaccounts.export.table import DATE, INT, MONEY, NUMBER, RATE, TEXT, Column, Table
from xtaccounts.insurance.checks import InsuranceState
from xtaccounts.insurance.coverage import coverage_of
from xtaccounts.ops.allocation_weights import FundWeights
from xtaccounts.registry import Registry
from xtaccounts.registry.navigation import place_name

NAME_KEYS = ("payer", "counterparty", "payee_name", "owner")

TextCleaner = Callable[[object], str]


def person_names(entries: Sequence[data.Directive]) -> set[str]:
    """Unmasked persons' names found in the books' metadata (payer, counterparty, …).

    The importer masks them; any that got through are masked wherever free text repeats them.
    """
    names: set[str] = set()

    def add(meta: dict | None) -> None:
        for key in NAME_KEYS:
            value = (meta or {}).get(key)
            if isinstance(value, str):
                value = value.strip()
                if value and not is_masked_name(value) and not is_organisation(value):
                    names.add(value)

    for entry in entries:
        add(entry.meta)
        if isinstance(entry, data.Transaction):
            for posting in entry.postings:
                add(posting.meta)
    return names


def text_cleaner(names: set[str]) -> TextCleaner:
    """Free text as it may leave the books: phone numbers and persons' names masked."""
    ordered = sorted(names, key=len, reverse=True)

    def clean(value: object) -> str:
        return mask_text(str(value or ""), ordered)

    return clean


def pool_names(registry: Registry) -> dict[str, str]:
    return {pool: place_name(registry, pool) for pool in chart.pool_ids(registry)}


# -- pool ledger -------------------------------------------------------------------------------


@dataclass
class PoolLedger:
    table: Table
    closing: dict[str, Decimal]
    checks: list[Check]


def pool_ledger(
    registry: Registry, positions: Positions, entries: Sequence[data.Directive], period: Period
) -> PoolLedger:
    """Each pool over the period: opening, spread allocated, legacy transfer, premiums, refunds
    of premiums, other movements, closing (the same balance as `xtaccounts pools`)."""
    names = pool_names(registry)
    history = positions.pool_history()
    moves: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for entry in entries:
        if not isinstance(entry, data.Transaction) or entry.date < period.start:
            continue
        if entry.date > period.end:
            break
        kind = entry.meta.get(META_KIND)
        for posting in entry.postings:
            pool = positions.pool_of_account.get(posting.account)
            if pool is None and posting.account in (chart.PREMIUM_EXPENSE,):
                pool = (posting.meta or {}).get(META_POOL)
            if pool is None:
                continue
            change = -number_of(posting)
            if kind == KIND_ALLOCATION:
                column = "spread"
            elif kind == KIND_LEGACY:
                column = "legacy"
            elif kind == KIND_PREMIUM:
                column = "premiums"
                change = -change
            elif kind == KIND_PREMIUM_REFUND:
                column = "refunds"
            else:
                column = "other"
            moves[str(pool)][column] += change
    rows = []
    closing: dict[str, Decimal] = {}
    bad = []
    for pool in sorted(set(names) | set(moves)):
        m = moves.get(pool, {})
        opening = history.balance_at(pool, period.before) + ZERO
        end = history.balance_at(pool, period.end) + ZERO
        closing[pool] = end
        spread, legacy = m.get("spread", ZERO), m.get("legacy", ZERO)
        premiums, refunds, other = (
            m.get("premiums", ZERO),
            m.get("refunds", ZERO),
            m.get("other", ZERO),
        )
        if opening + spread + legacy - premiums + refunds + other != end:
            bad.append(pool)
        rows.append(
            (pool, names.get(pool, ""), opening, spread, legacy, premiums, refunds, other, end)
        )
    columns = (
        Column("pool", "统筹账户编号", TEXT, 16),
        Column("name", "统筹账户名称", TEXT, 22),
        Column("opening", "期初余额", MONEY, 16),
        Column("spread", "本期分配利差", MONEY, 16),
        Column("legacy", "历史利差转入", MONEY, 16),
        Column("premiums", "保险费支出", MONEY, 16),
        Column("refunds", "退保退费", MONEY, 14),
        Column("other", "其他变动", MONEY, 12),
        Column("closing", "期末余额", MONEY, 16),
    )
    table = Table(
        stem="10-pool-ledger",
        sheet="统筹账户明细账",
        title="增值收益统筹账户明细账",
        columns=columns,
        rows=rows,
        meta={"as_of": period.end},
    )
    checks = [
        Check(
            "pool ledger: opening + movements = closing for every pool",
            not bad,
            ", ".join(bad) or f"{len(rows)} pools",
        )
    ]
    return PoolLedger(table, closing, checks)


# -- premiums ----------------------------------------------------------------------------------


def _customs(entries: Sequence[data.Directive], kind: str) -> dict[str, dict]:
    return {
        str(entry.values[0].value): dict(entry.meta)
        for entry in entries
        if isinstance(entry, data.Custom) and entry.type == kind and entry.values
    }


def premium_payments(
    registry: Registry, entries: Sequence[data.Directive], period: Period, clean: TextCleaner
) -> Table:
    """Every premium (and premium refund) booked in the period, one row per elevator."""
    policies = _customs(entries, "xt-policy")
    applications = _customs(entries, "xt-application")
    names = pool_names(registry)
    rows = []
    for entry in entries:
        if not isinstance(entry, data.Transaction) or entry.date < period.start:
            continue
        if entry.date > period.end:
            break
        kind = entry.meta.get(META_KIND)
        if kind not in (KIND_PREMIUM, KIND_PREMIUM_REFUND):
            continue
        for posting in entry.postings:
            if posting.account != chart.PREMIUM_EXPENSE:
                continue
            meta = posting.meta or {}
            policy_id = str(meta.get(META_POLICY) or entry.meta.get(META_POLICY) or "")
            app_id = str(meta.get(META_APPLICATION) or entry.meta.get(META_APPLICATION) or "")
            policy = policies.get(policy_id, {})
            application = applications.get(app_id, {})
            insurer_id = str(policy.get("insurer") or application.get("insurer") or "")
            insurer = registry.insurers.get(insurer_id)
            pool = str(meta.get(META_POOL, ""))
            start, end = policy.get("cover_start", ""), policy.get("cover_end", "")
            rows.append(
                (
                    entry.date,
                    "购买" if kind == KIND_PREMIUM else "退保",
                    app_id,
                    clean(application.get("applicant_name", "")),
                    pool,
                    names.get(pool, ""),
                    str(meta.get(META_ELEVATOR, "")),
                    insurer.name if insurer else insurer_id,
                    policy_id,
                    str(policy.get("policy_no", "")),
                    f"{start}至 {end}" if start else "",
                    number_of(posting),
                    clean(entry.narration),
                )
            )
    columns = (
        Column("date", "记账日期", DATE, 10),
        Column("kind", "类型", TEXT, 5, align="center"),
        Column("application", "申请编号", TEXT, 13),
        Column("applicant", "申请人", TEXT, 22),
        Column("pool", "统筹账户编号", TEXT, 13),
        Column("pool_name", "统筹账户名称", TEXT, 14),
        Column("elevator", "电梯注册代码", TEXT, 21),
        Column("insurer", "保险公司", TEXT, 14),
        Column("policy", "保单", TEXT, 16),
        Column("policy_no", "保单号", TEXT, 15),
        Column("cover", "保险期间", TEXT, 12),
        Column("amount", "金额", MONEY, 12),
        Column("narration", "摘要", TEXT, 34),
    )
    return Table(
        stem="11-premiums",
        sheet="保险费支付明细",
        title="电梯维修保险费支付明细",
        columns=columns,
        rows=rows,
        notes=["退保行金额为负数（退回统筹账户）"],
    )


# -- spread computation ------------------------------------------------------------------------

SOURCE_NAMES = {"demand": "活期结息", "time": "定期到期", "early": "定期提前支取"}
BASE_SOURCES = {"pboc": "人行基准", "listed": "挂牌利率"}


def _decimal(value: object) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _int(value: object) -> int | None:
    number = _decimal(value)
    return int(number) if number is not None and number == number.to_integral_value() else None


def spread_computation(positions: Positions, period: Period, bank_names: dict[str, str]) -> Table:
    """Each interest receipt of the period: its principal or 积数, rates, days, base part and
    spread (base + spread = received)."""
    rows = []
    for r in positions.receipts:
        if not period.start <= r.date <= period.end:
            continue
        meta = r.entry.meta
        rows.append(
            (
                r.date,
                r.id,
                bank_names.get(r.bank_account, r.bank_account),
                SOURCE_NAMES.get(r.source, r.source),
                _decimal(meta.get(META_PRINCIPAL)),
                _decimal(meta.get(META_BALANCE_DAYS)),
                r.window_start,
                r.window_end,
                _int(meta.get("days")),
                _int(meta.get(META_MONTHS)),
                _decimal(meta.get(META_AGREED_RATE)),
                _decimal(meta.get(META_BASE_RATE)),
                BASE_SOURCES.get(
                    str(meta.get(META_BASE_SOURCE, "")), str(meta.get(META_BASE_SOURCE, ""))
                ),
                _decimal(meta.get(META_EXPECTED)),
                _decimal(meta.get("base_expected")),
                r.base + r.spread,
                r.base,
                r.spread,
                _decimal(meta.get(META_DIFFERENCE)),
            )
        )
    columns = (
        Column("date", "收息日", DATE, 10),
        Column("receipt", "收息编号", TEXT, 30),
        Column("bank_account", "银行账户", TEXT, 15),
        Column("source", "类型", TEXT, 12, align="center"),
        Column("principal", "本金", MONEY, 14, summed=False),
        Column("balance_days", "积数", NUMBER, 17, summed=False),
        Column("window_start", "计息起日", DATE, 10),
        Column("window_end", "计息止日", DATE, 10),
        Column("days", "天数", INT, 5),
        Column("months", "期限(月)", INT, 5),
        Column("agreed_rate", "约定利率(%)", RATE, 7),
        Column("base_rate", "基准利率(%)", RATE, 7),
        Column("base_source", "基准来源", TEXT, 8, align="center"),
        Column("expected", "合同应收利息", MONEY, 12),
        Column("base_expected", "按基准利率利息", MONEY, 12),
        Column("received", "实收利息", MONEY, 12),
        Column("base", "基准部分", MONEY, 12),
        Column("spread", "利差", MONEY, 12),
        Column("difference", "差异", MONEY, 8),
    )
    return Table(
        stem="12-spread",
        sheet="利差计算明细",
        title="存款利息收入及利差计算明细",
        columns=columns,
        rows=rows,
        notes=[
            "基准部分 = min(实收利息, 按基准利率利息)；利差 = 实收利息 − 基准部分；"
            "日利率 = 年利率/360",
        ],
    )


# -- allocation detail -------------------------------------------------------------------------


def allocation_detail(
    registry: Registry, positions: Positions, entries: Sequence[data.Directive], period: Period
) -> tuple[Table, list[Check]]:
    """Each allocation (and the legacy transfer) of the period, receipt by receipt: every
    receiver's balance-days and share, recomputed from the books as the allocation computed it.
    The shares add up to what the allocation credited each receiver (checked)."""
    receipts: dict[str, InterestReceipt] = {r.id: r for r in positions.receipts}
    weights = FundWeights(registry, positions.unit_history())
    pools = pool_names(registry)
    units = {unit: place_name(registry, unit) for unit in registry.units}
    unit_accounts = positions.unit_of_account
    rows = []
    mismatched: list[str] = []
    for entry in entries:
        if not isinstance(entry, data.Transaction) or entry.date < period.start:
            continue
        if entry.date > period.end:
            break
        kind = entry.meta.get(META_KIND)
        if kind not in (KIND_ALLOCATION, KIND_LEGACY):
            continue
        credited: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for posting in entry.postings:
            receiver = positions.pool_of_account.get(posting.account) or unit_accounts.get(
                posting.account
            )
            if receiver is not None:
                credited[receiver] -= number_of(posting)
        shared: dict[str, Decimal] = defaultdict(lambda: ZERO)
        label = "分配" if kind == KIND_ALLOCATION else "历史利差转入"
        for part, key in (("spread", "spread_receipts"), ("base", "base_receipts")):
            for receipt_id in ids_of(entry.meta.get(key)):
                receipt = receipts.get(receipt_id)
                if receipt is None:
                    raise XtError(f"{entry.date}: allocation names unknown receipt {receipt_id}")
                amount = receipt.spread if part == "spread" else receipt.base
                try:
                    shares = share_by_weight(
                        amount, weights.of(part, receipt.window_start, receipt.window_end)
                    )
                except NoReceivers as exc:
                    raise XtError(f"receipt {receipt_id}: {exc}") from exc
                for share in shares:
                    shared[share.receiver] += share.amount
                    name = (pools if part == "spread" else units).get(share.receiver, "")
                    rows.append(
                        (
                            entry.date,
                            label,
                            receipt_id,
                            "利差→统筹账户" if part == "spread" else "基准利息→维修资金",
                            receipt.window_start,
                            receipt.window_end,
                            amount,
                            share.receiver,
                            name,
                            share.weight,
                            share.amount,
                        )
                    )
        diff = {
            r for r in set(credited) | set(shared) if credited.get(r, ZERO) != shared.get(r, ZERO)
        }
        if diff:
            mismatched.append(f"{entry.date} {', '.join(sorted(diff)[:3])}")
    columns = (
        Column("date", "分配日", DATE, 10),
        Column("kind", "类型", TEXT, 12, align="center"),
        Column("receipt", "收息编号", TEXT, 30),
        Column("part", "分配部分", TEXT, 18),
        Column("window_start", "计息起日", DATE, 10),
        Column("window_end", "计息止日", DATE, 10),
        Column("receipt_amount", "该笔金额", MONEY, 12, summed=False),
        Column("receiver", "接收方编号", TEXT, 13),
        Column("receiver_name", "接收方名称", TEXT, 18),
        Column("balance_days", "积数", NUMBER, 17, summed=False),
        Column("share", "分得金额", MONEY, 12),
    )
    table = Table(
        stem="13-allocations",
        sheet="分配明细",
        title="利息按积数分配明细",
        columns=columns,
        rows=rows,
        notes=["每笔收息在其计息期内按接收方维修资金积数分配；分到分为止，余数按最大余额法"],
    )
    check = Check(
        "allocation detail: recomputed shares = what each allocation credited",
        not mismatched,
        "; ".join(mismatched[:5]) or f"{len(rows)} shares",
    )
    return table, [check]


# -- coverage ----------------------------------------------------------------------------------

STATUS_NAMES = {"insured": "已投保", "uninsured": "符合条件未投保", "ineligible": "不符合条件"}


def coverage_tables(
    registry: Registry,
    state_on: Callable[[dt.date], InsuranceState],
    period: Period,
    clean: TextCleaner,
) -> list[Table]:
    """The coverage KPI on the period's end: the elevators behind it and the targets
    (`state_on`: the books up to a day, e.g. `Ledger.insurance.state`, sharing the positions
    already read)."""
    result = coverage_of(registry, state_on, period.end)
    rows = [
        (
            e.elevator,
            e.place,
            e.district,
            e.pool,
            e.application,
            STATUS_NAMES.get(e.status, e.status),
            e.policy,
            clean(e.detail),
        )
        for e in result.elevators
    ]
    elevators = Table(
        stem="16-coverage",
        sheet="保险覆盖率",
        title="电梯维修保险覆盖情况",
        columns=(
            Column("elevator", "电梯注册代码", TEXT, 21),
            Column("place", "位置", TEXT, 20),
            Column("district", "区县", TEXT, 8, align="center"),
            Column("pool", "统筹账户编号", TEXT, 13),
            Column("application", "申请编号", TEXT, 13),
            Column("status", "状态", TEXT, 14, align="center"),
            Column("policy", "在保保单", TEXT, 16),
            Column("detail", "说明", TEXT, 50),
        ),
        rows=rows,
        with_totals=False,
        in_yuan=False,
        notes=[
            f"截至{period.end_label}：符合条件 {result.eligible} 部，已投保 {result.insured} 部，"
            f"覆盖率 {result.percent if result.percent is not None else '—'}%"
        ],
        meta={
            "eligible": result.eligible,
            "insured": result.insured,
            "percent": result.percent,
        },
    )
    targets = Table(
        stem="17-coverage-targets",
        sheet="覆盖率目标",
        title="电梯维修保险覆盖率目标完成情况",
        columns=(
            Column("date", "考核日", DATE, 12),
            Column("target", "目标(%)", RATE, 10),
            Column("eligible", "符合条件(部)", INT, 12),
            Column("insured", "已投保(部)", INT, 12),
            Column("percent", "覆盖率(%)", RATE, 10),
            Column("met", "是否达标", TEXT, 10, align="center"),
        ),
        rows=[
            (
                t.date,
                t.target,
                t.eligible,
                t.insured,
                t.percent,
                {True: "达标", False: "未达标", None: "无符合条件电梯"}[t.met],
            )
            for t in result.targets
        ],
        with_totals=False,
        in_yuan=False,
    )
    return [elevators, targets]
