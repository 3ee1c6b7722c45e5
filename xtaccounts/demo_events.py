"""Three years of the demo fund's life, booked through the same library calls as the CLI.

2023-01-01 opening balances at both banks; developers' deposits on payment notices in 2023 and
2024 (and two individual notices, one paid short); time deposits at both banks (one agreed below
its base rate, one rolled over, one withdrawn early); quarterly demand settlements (one paid
0.05 short); the legacy transfer at the pilot start; allocations; a refund; the year closes.
Interest received is what the contract says, except where noted, so the books tie out.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from xtaccounts.allocate import allocate, transfer_legacy
from xtaccounts.close import close_period
from xtaccounts.demand_interest import book_settlements, expected_settlement
from xtaccounts.deposits import Receipt, book_deposits, book_opening, book_refund
from xtaccounts.interest import (
    demand_payment_date,
    demand_settlement_dates,
    early_withdrawal_interest,
    time_deposit_interest,
)
from xtaccounts.money import quantize
from xtaccounts.registry import Registry, load_registry
from xtaccounts.time_deposits import mature, place, withdraw
from xtaccounts.writer import LedgerWriter

ICBC = "Assets:Bank-银行存款:ICBC-工商银行:Demand-活期8821"
CCB = "Assets:Bank-银行存款:CCB-建设银行:Demand-活期1234"
BANK_OF_COMMUNITY = {"C0001": ICBC, "C0002": CCB, "C0003": ICBC}
DEVELOPER_PAID = ("C0002-B03", "C0003-B03")
DEPOSIT_PER_M2 = Decimal("120.00")

D = dt.date.fromisoformat


def _opening_amounts(registry: Registry, bank: str) -> dict[str, Decimal]:
    amounts = {}
    for household in registry.households.values():
        building = registry.units[household.unit].building
        community = registry.buildings[building].community
        if BANK_OF_COMMUNITY[community] == bank and building not in DEVELOPER_PAID:
            amounts[household.id] = quantize(household.area_m2 * DEPOSIT_PER_M2)
    return amounts


def _notice_total(registry: Registry, notice_no: str) -> Decimal:
    return sum((line.amount for line in registry.notices[notice_no]), Decimal("0.00"))


def _settle(main: Path, registry: Registry, start: dt.date, end: dt.date) -> None:
    """Book the demand settlements of both accounts whose settlement day is in [start, end]."""
    for settlement in demand_settlement_dates(start, end):
        items = []
        for bank in (ICBC, CCB):
            with LedgerWriter(main) as session:
                split = expected_settlement(registry, session.books().entries, bank, settlement)
            received = split.expected
            if bank == CCB and settlement == D("2024-09-20"):
                received -= Decimal("0.05")  # the bank paid five fen short: booked and flagged
            items.append((bank, settlement, received, demand_payment_date(settlement)))
        book_settlements(main, items)


def book_demo_events(main: Path) -> None:
    """Book everything after the registry and the chart exist."""
    registry = load_registry(main.parent / "registry")

    def until(day: str) -> None:
        nonlocal settled
        end = D(day)
        if end > settled:
            _settle(main, registry, settled + dt.timedelta(days=1), end)
            settled = end

    settled = D("2022-12-31")
    for bank in (ICBC, CCB):
        book_opening(main, D("2023-01-01"), bank, _opening_amounts(registry, bank))

    place(
        main,
        demand_account=ICBC,
        certificate="ICBC2023001",
        principal=Decimal("1500000.00"),
        product="1y",
        value_date=D("2023-02-01"),
    )
    book_deposits(
        main,
        [
            Receipt(
                CCB,
                D("2023-03-15"),
                _notice_total(registry, "N2023-0001"),
                "N2023-0001",
                "CCB20230315000117",
                "湘潭湖湘置业有限公司",
                "代缴维修资金 N2023-0001",
            )
        ],
    )
    until("2023-03-31")
    place(
        main,
        demand_account=CCB,
        certificate="CCB2023001",
        principal=Decimal("1000000.00"),
        product="1y",
        value_date=D("2023-04-01"),
    )
    place(
        main,
        demand_account=ICBC,
        certificate="ICBC2023002",
        principal=Decimal("500000.00"),
        product="3y",
        value_date=D("2023-06-01"),
    )
    until("2023-12-31")
    allocate(main, through=D("2023-12-31"))
    close_period(main, "2023")

    until("2024-01-31")
    mature(
        main,
        certificate="ICBC2023001",
        rollover_certificate="ICBC2024001",
        received=time_deposit_interest(Decimal("1500000.00"), Decimal("1.95"), 12),
    )
    until("2024-03-31")
    mature(
        main,
        certificate="CCB2023001",
        received=time_deposit_interest(Decimal("1000000.00"), Decimal("1.85"), 12),
    )
    book_deposits(
        main,
        [
            Receipt(
                ICBC,
                D("2024-04-10"),
                _notice_total(registry, "N2024-0001"),
                "N2024-0001",
                "ICBC20240410000562",
                "湘潭莲城房地产开发有限公司",
                "维修资金 N2024-0001",
            ),
            Receipt(
                ICBC,
                D("2024-05-08"),
                Decimal("3000.00"),
                "N2024-0002",
                "ICBC20240508000031",
                "何*",
                "维修资金补交 N2024-0002",
            ),
            Receipt(
                ICBC,
                D("2024-05-08"),
                Decimal("2900.00"),
                "N2024-0003",
                "ICBC20240508000032",
                "卢*",
                "维修资金补交 N2024-0003",
            ),
            Receipt(
                ICBC,
                D("2024-05-20"),
                Decimal("1000.00"),
                None,
                "ICBC20240520000078",
                "湘潭某商贸有限公司",
                "转账",
            ),
        ],
    )
    until("2024-09-14")
    transfer_legacy(main, since=D("2023-01-01"), until=D("2024-09-15"))
    until("2024-11-14")
    place(
        main,
        demand_account=CCB,
        certificate="CCB2024002",
        principal=Decimal("800000.00"),
        product="1y",
        value_date=D("2024-11-15"),
    )
    withdraw(
        main,
        certificate="ICBC2023002",
        date=D("2024-12-01"),
        received=early_withdrawal_interest(
            Decimal("500000.00"), Decimal("1.15"), D("2023-06-01"), D("2024-12-01")
        ),
    )
    until("2024-12-31")
    allocate(main, through=D("2024-12-31"))
    close_period(main, "2024")

    place(
        main,
        demand_account=CCB,
        certificate="CCB2025001",
        principal=Decimal("300000.00"),
        product="6m",
        value_date=D("2025-01-10"),
    )
    until("2025-01-31")
    mature(
        main,
        certificate="ICBC2024001",
        received=time_deposit_interest(Decimal("1500000.00"), Decimal("1.95"), 12),
    )
    until("2025-06-17")
    book_refund(
        main,
        household="C0001-B01-U3-101",
        amount=Decimal("5000.00"),
        date=D("2025-06-18"),
        bank_account=ICBC,
        reason="房屋灭失 (拆除) 返还 维修资金",
    )
    until("2025-06-30")
    allocate(main, through=D("2025-06-30"))
    close_period(main, "2025-06")
    mature(
        main,
        certificate="CCB2025001",
        received=time_deposit_interest(Decimal("300000.00"), Decimal("1.20"), 6),
    )
    until("2025-11-14")
    mature(
        main,
        certificate="CCB2024002",
        received=time_deposit_interest(Decimal("800000.00"), Decimal("1.75"), 12),
    )
    until("2025-12-31")
    allocate(main, through=D("2025-12-31"))
    close_period(main, "2025")
