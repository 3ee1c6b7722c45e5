"""The insurance tests' small ledger, whose figures sit on the rules' edges, built without
pytest (the campaign builds it too)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from xtaccounts.books.init_ledger import create_ledger, ledger_files
from xtaccounts.books.writer import LedgerWriter
from xtaccounts.core import chart
from xtaccounts.ops.accounts_sync import sync_accounts
from xtaccounts.ops.owner_deposits import book_opening
from xtaccounts.registry import load_registry
from xtaccounts.registry.templates import csv_header, default_pilot_toml

PLUGIN_LINE = 'plugin "xtaccounts.plugins.insurance_rules"'
FUND_PLUGIN = 'plugin "xtaccounts.plugins.fund_rules"'
BANK = "Assets:Bank-银行存款:ICBC-工商银行:Demand-活期8821"
D = dt.date.fromisoformat

# Elevators of the small ledger.
EA = "31104303202000000001"  # C0001-B01-U1 (unit pool), commissioned 2020-01-10
EF = "31104303201500000002"  # C0001-B01-U2 (unit pool), inspected 2024-01-01
EC = "31104303201000000003"  # C0001-B02-U1 (building pool C0001-B02)
ED = "31104303201000000004"  # C0001-B02-U2 (building pool C0001-B02)
EE = "31104303199900000005"  # C0002-B01-U1 (unit pool), commissioned 1999-03-01

HOUSEHOLDS = {
    "C0001-B01-U1": ["101", "102", "201", "202", "301", "302"],
    "C0001-B01-U2": ["101", "102", "201"],
    "C0001-B02-U1": ["101", "102", "201"],
    "C0001-B02-U2": ["101", "102", "201"],
    "C0002-B01-U1": ["101", "102", "201"],
}
# Exclusive areas (m²): 100.00 each, except in C0001-B01-U1 (1000.00 in all), where the four
# households 101..202 hold 660.00 m²: 2/3 of the headcount but only 0.66 of the area.
AREAS = {
    **{f"C0001-B01-U1-{door}": "165.00" for door in ("101", "102", "201", "202")},
    "C0001-B01-U1-301": "170.00",
    "C0001-B01-U1-302": "170.00",
}
# Pools seeded on 2024-09-15 (the premium each would cost in 2025 is in the comment).
POOL_SEED = {
    "C0001-B01-U1": "2400.00",  # EA, 5 years: 2400.00
    "C0001-B01-U2": "2400.00",  # EF, 9-10 years: 2400.00
    "C0001-B02": "10000.00",  # EC + ED, 14 years: 6400.00
    "C0002-B01-U1": "5000.00",  # EE, 25-26 years: 3800.00
}


def small_registry() -> dict[str, str]:
    def table(name: str, rows: list[str]) -> str:
        return csv_header(name) + "".join(row + "\n" for row in rows)

    households = [
        f"{unit}-{door},{unit},{door},{AREAS.get(f'{unit}-{door}', '100.00')},张*"
        for unit, doors in HOUSEHOLDS.items()
        for door in doors
    ]
    return {
        "communities.csv": table(
            "communities.csv",
            ["C0001,金泉小区,雨湖区,是,甲物业公司,是", "C0002,莲城新村,岳塘区,否,乙物业公司,是"],
        ),
        "buildings.csv": table(
            "buildings.csv",
            [
                "C0001-B01,C0001,1栋,unit",
                "C0001-B02,C0001,2栋,building",
                "C0002-B01,C0002,1栋,unit",
            ],
        ),
        "units.csv": table(
            "units.csv",
            [f"{u},{u.rsplit('-', 1)[0]},{u[-1]}单元" for u in HOUSEHOLDS],
        ),
        "households.csv": table("households.csv", households),
        "elevators.csv": table(
            "elevators.csv",
            [
                f"{EA},C0001-B01-U1,2020-01-10,甲电梯公司,是,2024-12-01,是",
                f"{EF},C0001-B01-U2,2015-03-01,甲电梯公司,是,2024-01-01,是",
                f"{EC},C0001-B02-U1,2010-05-01,甲电梯公司,是,2025-01-15,是",
                f"{ED},C0001-B02-U2,2010-06-01,甲电梯公司,是,2025-01-15,是",
                f"{EE},C0002-B01-U1,1999-03-01,甲电梯公司,是,2025-01-15,是",
            ],
        ),
        "bank_accounts.csv": table(
            "bank_accounts.csv",
            [f"1904021109200088821,ICBC,中国工商银行湘潭分行,专户,demand,{BANK},2015-03-02"],
        ),
        "rate_agreements.csv": table("rate_agreements.csv", []),
        "entrustments.csv": table(
            "entrustments.csv", ["C0001,甲物业公司,2025-01-01,2025-12-31,委托书 1号"]
        ),
        "payment_notices.csv": table("payment_notices.csv", []),
        "pilot.toml": default_pilot_toml(),
        "insurers.toml": """\
[[insurer]]
id = "INS01"
name = "某财产保险股份有限公司"

[[tender]]
id = "T1"
insurer = "INS01"
period_start = 2024-09-01
period_end = 2025-12-31
max_elevator_age_years = 25
premium = [
  { max_age_years = 10, annual_premium = "2400.00" },
  { max_age_years = 20, annual_premium = "3200.00" },
  { max_age_years = 25, annual_premium = "3800.00" },
]
""",
    }


def enable_plugin(main: Path) -> None:
    """Add the insurance plugin line after the fund plugin's (as the template will have it)."""
    text = main.read_text("utf-8")
    if PLUGIN_LINE not in text:
        main.write_text(text.replace(FUND_PLUGIN, f"{FUND_PLUGIN}\n{PLUGIN_LINE}"), "utf-8")


def seed_pools(main: Path, amounts: dict[str, str], day: str = "2024-09-15") -> None:
    """Move money into pools (as an allocation would; negative: out), through the writer."""
    registry = load_registry(main.parent / "registry")
    total = sum((Decimal(a) for a in amounts.values()), Decimal("0.00"))
    lines = [f'{day} * "测试：统筹账户注资"', '  kind: "test-seed"']
    lines.append(f"  {chart.UNDISTRIBUTED}  {total:.2f} CNY")
    for pool, amount in amounts.items():
        lines.append(f"  {chart.pool_account(registry, pool)}  {-Decimal(amount):.2f} CNY")
    with LedgerWriter(main) as session:
        session.append(f"txns/{day[:4]}/seed.beancount", "\n".join(lines) + "\n")
        session.commit()


def make_small_books(directory: Path) -> Path:
    main = create_ledger(directory / "ledger", ledger_files(registry=small_registry()))
    enable_plugin(main)
    sync_accounts(main)
    amounts = {
        f"{unit}-{door}": Decimal("12000.00")
        for unit, doors in HOUSEHOLDS.items()
        for door in doors
    }
    book_opening(main, D("2024-01-01"), BANK, amounts)
    seed_pools(main, POOL_SEED)
    return main
