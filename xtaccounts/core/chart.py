"""The chart of accounts: account names from registry ids, and the fixed MoF accounts.

Components carry an ASCII key (Beancount wants each to begin with A-Z or a digit) followed by the
Chinese name accountants read: ``Equity:Fund-维修资金:C0001-金泉小区:B01-1栋:U1-1单元``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from beancount.core import account as bc_account

BANK = "Assets:Bank-银行存款"
BOND = "Assets:Bond-国债投资"
IMPREST = "Assets:Imprest-备用金"
IN_TRANSIT = "Assets:Clearing-在途资金"
LOSS_REFUND_PAYABLE = "Liabilities:LossRefund-应付房屋灭失返还资金"
SUSPENSE = "Liabilities:Suspense-待查明款项"
PREMIUM_CLEARING = "Liabilities:Clearing-应付清算:Premium-保险费"
FUND = "Equity:Fund-维修资金"
UNDISTRIBUTED = "Equity:Undistributed-待分配累计收益"
POOL = f"{UNDISTRIBUTED}:Pool-统筹账户"
OPENING = "Equity:Opening-期初结转"
DEPOSIT_INCOME = "Income:Deposit-交存收入"
INTEREST_INCOME = "Income:Interest-存款利息收入"
INTEREST_BASE = f"{INTEREST_INCOME}:Base-基准利息"
INTEREST_SPREAD = f"{INTEREST_INCOME}:Spread-利差"
BOND_INTEREST = "Income:BondInterest-国债利息收入"
OPERATING_INCOME = "Income:Operating-经营收入"
DISPOSAL_INCOME = "Income:Disposal-共用设施处置收入"
OTHER_INCOME = "Income:Other-其他收入"
REPAIR = "Expenses:Repair-维修支出"
PREMIUM_EXPENSE = f"{REPAIR}:Premium-电梯保险费"
REFUND = "Expenses:Refund-返还支出"
OTHER_EXPENSE = "Expenses:Other-其他支出"

# The roots of the flow accounts (emptied by the close) and of the balance sheet.
FLOW_ROOTS = ("Income", "Expenses")
SHEET_ROOTS = ("Assets", "Liabilities", "Equity")

FIXED_ACCOUNTS: dict[str, str] = {
    BOND: "国债投资",
    IMPREST: "备用金",
    IN_TRANSIT: "在途资金（本中心账户间划转）",
    LOSS_REFUND_PAYABLE: "应付房屋灭失返还资金",
    SUSPENSE: "待查明款项（无法识别的来款）",
    UNDISTRIBUTED: "待分配累计收益（未划入统筹账户的部分）",
    OPENING: "期初余额结转（分年账簿）",
    DEPOSIT_INCOME: "交存收入（按单元、分户记于分录元数据）",
    INTEREST_BASE: "存款利息收入——基准利率部分",
    INTEREST_SPREAD: "存款利息收入——利差（增值收益）",
    BOND_INTEREST: "国债利息收入",
    OPERATING_INCOME: "经营收入",
    DISPOSAL_INCOME: "共用设施处置收入",
    OTHER_INCOME: "其他收入",
    REPAIR: "维修支出",
    PREMIUM_EXPENSE: "维修支出——电梯维修保险费",
    REFUND: "返还支出",
    OTHER_EXPENSE: "其他支出",
}


class _Named(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...


class _Building(_Named, Protocol):
    @property
    def community(self) -> str: ...


class _Unit(_Named, Protocol):
    @property
    def building(self) -> str: ...


class _Kind(Protocol):
    @property
    def value(self) -> str: ...


class _BankAccount(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def account(self) -> str: ...
    @property
    def opened(self) -> dt.date: ...
    @property
    def bank_name(self) -> str: ...
    @property
    def account_no(self) -> str: ...
    @property
    def kind(self) -> _Kind: ...


class _Pilot(Protocol):
    @property
    def books_start(self) -> dt.date: ...


class ChartRegistry(Protocol):
    """What the chart reads of the registry (`xtaccounts.registry.Registry` is one): the chart
    lives in the core, below the registry, so it names the fields instead of importing it."""

    @property
    def pilot(self) -> _Pilot: ...
    @property
    def communities(self) -> Mapping[str, _Named]: ...
    @property
    def buildings(self) -> Mapping[str, _Building]: ...
    @property
    def units(self) -> Mapping[str, _Unit]: ...
    @property
    def insurers(self) -> Mapping[str, _Named]: ...
    @property
    def bank_accounts(self) -> Mapping[str, _BankAccount]: ...
    def pool_of_unit(self, unit_id: str) -> str: ...


def component(key: str, name: str) -> str:
    """One account component: ASCII key, a dash, the Chinese name."""
    return f"{key}-{name}"


def check_bank_account_name(name: str) -> str | None:
    """Why a registry bank account's Beancount name is unusable, or None when it is fine."""
    if not bc_account.is_valid(name):
        return f"{name!r} is not a valid Beancount account name"
    if not name.startswith(BANK + ":"):
        return f"{name!r} must be under {BANK}:"
    return None


def _suffix(child_id: str, parent_id: str) -> str:
    return child_id.removeprefix(parent_id + "-")


def unit_fund_account(registry: ChartRegistry, unit_id: str) -> str:
    """维修资金 of one unit."""
    unit = registry.units[unit_id]
    building = registry.buildings[unit.building]
    community = registry.communities[building.community]
    return ":".join(
        (
            FUND,
            component(community.id, community.name),
            component(_suffix(building.id, community.id), building.name),
            component(_suffix(unit.id, building.id), unit.name),
        )
    )


def pool_account(registry: ChartRegistry, pool_id: str) -> str:
    """The 增值收益统筹账户 of a building or unit pool (pool ids are building or unit ids)."""
    if pool_id in registry.units:
        fund = unit_fund_account(registry, pool_id)
    else:
        building = registry.buildings[pool_id]
        community = registry.communities[building.community]
        fund = ":".join(
            (
                FUND,
                component(community.id, community.name),
                component(_suffix(building.id, community.id), building.name),
            )
        )
    return POOL + fund.removeprefix(FUND)


def premium_clearing_account(registry: ChartRegistry, insurer_id: str) -> str:
    """Premiums booked but not yet paid to one insurer."""
    name = re.sub(r"[\s:：\"]", "", registry.insurers[insurer_id].name)
    return f"{PREMIUM_CLEARING}:{component(insurer_id, name)}"


def pool_ids(registry: ChartRegistry) -> list[str]:
    """Every pool: one per building with pool_level building, one per unit otherwise."""
    return sorted({registry.pool_of_unit(unit_id) for unit_id in registry.units})


@dataclass(frozen=True, order=True)
class AccountSpec:
    """An account the chart requires, with the metadata written on its `open`."""

    name: str
    opened: dt.date
    meta: tuple[tuple[str, str], ...] = field(default=(), compare=False)


def required_accounts(registry: ChartRegistry) -> list[AccountSpec]:
    """Every account the registry calls for, sorted by name."""
    start = registry.pilot.books_start
    specs: dict[str, AccountSpec] = {}

    def add(name: str, opened: dt.date, **meta: str) -> None:
        specs[name] = AccountSpec(name, opened, tuple(sorted(meta.items())))

    for name, description in FIXED_ACCOUNTS.items():
        add(name, start, description=description)
    for bank in registry.bank_accounts.values():
        add(
            bank.account,
            min(start, bank.opened),
            description=f"{bank.bank_name} {bank.name}",
            account_no=bank.account_no,
            kind=bank.kind.value,
        )
    for insurer in registry.insurers.values():
        add(premium_clearing_account(registry, insurer.id), start, description=insurer.name)
    for unit_id in registry.units:
        add(unit_fund_account(registry, unit_id), start, unit=unit_id)
    for pool_id in pool_ids(registry):
        add(pool_account(registry, pool_id), start, pool=pool_id)
    for spec in specs.values():
        if not bc_account.is_valid(spec.name):
            raise ValueError(f"chart produced an invalid account name {spec.name!r}")
    return sorted(specs.values())
