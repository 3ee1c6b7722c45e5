"""The registry of a synthetic Xiangtan at city scale (docs/rules.md §7), seeded and reproducible.

At scale 1: 600 communities of 10 buildings, 2 units each (6,000 buildings, 12,000 units), 24
or 26 households a unit (300,000), an elevator in five units of six (10,000), 10 demand
accounts at two banks with their rate agreements. One building in twenty is delivered during
the five years: its developer pays all its households on one payment notice. Every year
12,000 households pay a top-up (续交) notice of their own. Other scales multiply the
communities (and so everything else) and the notices. The same seed and scale give the same
files, byte for byte. The table layout follows the demo's (`xtaccounts.demo.books`).
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from xtaccounts.core.money import quantize
from xtaccounts.core.vocabulary import ZERO
from xtaccounts.demo.books import INSURERS_TOML, SURNAMES, _csv, _header
from xtaccounts.demo.events import DEPOSIT_PER_M2
from xtaccounts.registry.load import INSURERS_FILE, PILOT_FILE
from xtaccounts.registry.templates import default_pilot_toml

__all__ = ["FIRST_YEAR", "LAST_YEAR", "CityBank", "CityPlan", "city_registry", "plan_city"]

SEED = 20260101
FIRST_YEAR = 2021
LAST_YEAR = 2025
YEARS = tuple(range(FIRST_YEAR, LAST_YEAR + 1))
COMMUNITIES = 600
BUILDINGS_PER_COMMUNITY = 10
UNITS_PER_BUILDING = 2
TOPUPS_PER_YEAR = 12_000
DELIVERED_SHARE = 20  # one building in this many is delivered during the five years
DISTRICTS = ("雨湖区", "岳塘区", "湘潭县", "湘乡市", "韶山市", "九华经开区")
PLACES = (
    "金泉",
    "湖湘",
    "莲城",
    "韶峰",
    "湘江",
    "盘龙",
    "窑湾",
    "昭山",
    "板塘",
    "雨湖",
    "宝塔",
    "荷塘",
)
KINDS = ("小区", "花园", "新村", "家园", "公寓", "名苑")
MAINTENANCE = (
    "湘潭奥达电梯工程有限公司",
    "湖南三洋电梯安装维保有限公司",
    "湘潭通力电梯服务有限公司",
)


@dataclass(frozen=True)
class CityBank:
    """One of the city's demand accounts and the statement layouts its bank exports."""

    account_no: str
    bank: str
    bank_name: str
    account: str
    layouts: tuple[str, ...]


def _banks() -> tuple[CityBank, ...]:
    banks = []
    for n in range(1, 11):
        if n % 2:
            number = f"19040211092000{n:05d}"
            banks.append(
                CityBank(
                    number,
                    "ICBC",
                    "中国工商银行湘潭分行",
                    f"Assets:Bank-银行存款:ICBC-工商银行:Demand-活期{number[-4:]}",
                    ("icbc-csv", "icbc-text-xls"),
                )
            )
        else:
            number = f"430501636208000{n:05d}"
            banks.append(
                CityBank(
                    number,
                    "CCB",
                    "中国建设银行湘潭分行",
                    f"Assets:Bank-银行存款:CCB-建设银行:Demand-活期{number[-4:]}",
                    ("ccb-xls",),
                )
            )
    return tuple(banks)


BANKS = _banks()
RATE_AGREEMENTS = (
    ("RA-ICBC-D-2021", "ICBC", "demand", "0.35", "pboc", "1.15", "2021-01-01", "2025-12-31"),
    ("RA-CCB-D-2021", "CCB", "demand", "0.35", "pboc", "1.00", "2021-01-01", "2025-12-31"),
)


@dataclass(frozen=True)
class IssuedNotice:
    """A payment notice: its households and amounts, the day issued, the day paid, the payer."""

    notice_no: str
    amounts: dict[str, Decimal]
    issued: dt.date
    paid: dt.date
    community: str
    developer: bool

    @property
    def total(self) -> Decimal:
        return sum(self.amounts.values(), ZERO)


@dataclass
class CityPlan:
    """What the generator decided: the registry's files and the events they imply."""

    scale: float
    files: dict[str, str]
    bank_of_community: dict[str, CityBank]
    opening: dict[str, dict[str, Decimal]]  # bank account -> household -> amount
    notices: dict[int, list[IssuedNotice]]  # year paid -> notices
    counts: dict[str, int] = field(default_factory=dict)


def _area(rng: random.Random) -> Decimal:
    return Decimal(rng.randint(6800, 14400)) / 100


def plan_city(scale: float = 1.0, seed: int = SEED) -> CityPlan:
    """The registry files and the deposit events of a city of `scale`."""
    rng = random.Random(f"{seed}-{scale}")
    n_communities = max(1, round(COMMUNITIES * scale))
    communities, buildings, units, households, elevators = [], [], [], [], []
    bank_of_community: dict[str, CityBank] = {}
    delivered: dict[str, int] = {}  # building -> year delivered
    area: dict[str, Decimal] = {}
    unit_households: dict[str, list[str]] = defaultdict(list)
    serial = 0
    for c in range(1, n_communities + 1):
        cid = f"C{c:04d}"
        name = f"{PLACES[c % len(PLACES)]}{KINDS[(c // len(PLACES)) % len(KINDS)]}{c:04d}"
        committee = rng.random() < 0.7
        communities.append(
            [
                cid,
                name,
                DISTRICTS[c % len(DISTRICTS)],
                "是" if committee else "否",
                f"湘潭{PLACES[(c * 7) % len(PLACES)]}物业服务有限公司",
                "是" if rng.random() < 0.85 else "否",
            ]
        )
        bank_of_community[cid] = BANKS[(c - 1) % len(BANKS)]
        for b in range(1, BUILDINGS_PER_COMMUNITY + 1):
            bid = f"{cid}-B{b:02d}"
            buildings.append([bid, cid, f"{b}栋", rng.choice(("building", "unit"))])
            if rng.randrange(DELIVERED_SHARE) == 0:
                delivered[bid] = rng.choice(YEARS)
            for u in range(1, UNITS_PER_BUILDING + 1):
                uid = f"{bid}-U{u}"
                units.append([uid, bid, f"{u}单元"])
                floors = 12 if (b + u) % 2 else 13
                for floor in range(1, floors + 1):
                    for door in (1, 2):
                        door_no = f"{floor}{door:02d}"
                        hid = f"{uid}-{door_no}"
                        area[hid] = _area(rng)
                        owner = rng.choice(SURNAMES) + "*" * rng.choice((1, 2))
                        households.append([hid, uid, door_no, f"{area[hid]:.2f}", owner])
                        unit_households[uid].append(hid)
                if (len(units) % 6) != 0:
                    serial += 1
                    year = delivered.get(bid) or rng.randint(2001, 2020)
                    commissioned = dt.date(year, rng.randint(1, 12), rng.randint(1, 28))
                    inspected = dt.date(2024, rng.randint(1, 8), rng.randint(1, 28))
                    elevators.append(
                        [
                            f"31104303{year:04d}{serial:08d}",
                            uid,
                            commissioned.isoformat(),
                            MAINTENANCE[serial % len(MAINTENANCE)],
                            "是",
                            inspected.isoformat(),
                            "否" if rng.random() < 0.03 else "是",
                        ]
                    )

    # Opening balances: every household of a building delivered before the books.
    opening: dict[str, dict[str, Decimal]] = defaultdict(dict)
    funded: list[str] = []
    for hid, amount in area.items():
        building = hid.rsplit("-", 2)[0]
        if building not in delivered:
            community = hid.split("-", 1)[0]
            opening[bank_of_community[community].account][hid] = quantize(amount * DEPOSIT_PER_M2)
            funded.append(hid)

    notices: dict[int, list[IssuedNotice]] = defaultdict(list)
    notice_rows: list[list[object]] = []
    by_building: dict[str, list[str]] = defaultdict(list)
    for hid in area:
        by_building[hid.rsplit("-", 2)[0]].append(hid)
    for n, (bid, year) in enumerate(sorted(delivered.items()), 1):
        issued = dt.date(year, rng.randint(1, 11), rng.randint(1, 28))
        amounts = {h: quantize(area[h] * DEPOSIT_PER_M2) for h in by_building[bid]}
        no = f"N{year}-D{n:05d}"
        notices[year].append(
            IssuedNotice(
                no, amounts, issued, issued + dt.timedelta(days=rng.randint(3, 25)), bid[:5], True
            )
        )
    topups = max(1, round(TOPUPS_PER_YEAR * scale))
    for year in YEARS:
        pool = funded + [h for b, y in delivered.items() if y < year for h in by_building[b]]
        for k, hid in enumerate(sorted(rng.sample(pool, min(topups, len(pool)))), 1):
            issued = dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(340))
            amount = Decimal(rng.randint(500, 5000))
            notices[year].append(
                IssuedNotice(
                    f"N{year}-{k:06d}",
                    {hid: amount + ZERO},
                    issued,
                    issued + dt.timedelta(days=rng.randint(1, 20)),
                    hid[:5],
                    False,
                )
            )
    for year in YEARS:
        notices[year].sort(key=lambda x: (x.paid, x.notice_no))
        for notice in notices[year]:
            notice_rows.extend(
                [notice.notice_no, h, f"{a:.2f}", notice.issued.isoformat()]
                for h, a in sorted(notice.amounts.items())
            )

    pilot = default_pilot_toml().replace(
        "books_start = 2023-01-01", f"books_start = {FIRST_YEAR}-01-01"
    )
    if f"books_start = {FIRST_YEAR}-01-01" not in pilot:
        raise AssertionError("pilot.toml template changed: books_start not found")
    files = {
        "communities.csv": _csv(_header("communities.csv"), communities),
        "buildings.csv": _csv(_header("buildings.csv"), buildings),
        "units.csv": _csv(_header("units.csv"), units),
        "households.csv": _csv(_header("households.csv"), households),
        "elevators.csv": _csv(_header("elevators.csv"), elevators),
        "bank_accounts.csv": _csv(
            _header("bank_accounts.csv"),
            [
                [
                    b.account_no,
                    b.bank,
                    b.bank_name,
                    "住宅专项维修资金专户（活期）",
                    "demand",
                    b.account,
                    "2015-03-02",
                ]
                for b in BANKS
            ],
        ),
        "rate_agreements.csv": _csv(
            _header("rate_agreements.csv"), [list(r) for r in RATE_AGREEMENTS]
        ),
        "entrustments.csv": _csv(_header("entrustments.csv"), []),
        "payment_notices.csv": _csv(_header("payment_notices.csv"), notice_rows),
        PILOT_FILE: pilot,
        INSURERS_FILE: INSURERS_TOML,
    }
    counts = {
        "communities": len(communities),
        "buildings": len(buildings),
        "units": len(units),
        "households": len(households),
        "elevators": len(elevators),
        "bank_accounts": len(BANKS),
        "notices": sum(len(v) for v in notices.values()),
    }
    return CityPlan(scale, files, bank_of_community, dict(opening), dict(notices), counts)


def city_registry(scale: float = 1.0, seed: int = SEED) -> dict[str, str]:
    """File name -> content of the registry of a city of `scale`."""
    return plan_city(scale, seed).files
