"""Three years of the demo fund's life: commands for what the centre decides, statements for
what the banks report.

2023-01-01 opening balances at both banks; time deposits placed at both banks (one agreed below
its base rate, one rolled over by its command, one withdrawn early); the legacy transfer at the
pilot start; allocations; a refund; the year closes: these are the library calls the commands
use. Developers' deposits on payment notices (and two receipts that go to suspense: a notice
paid short, a transfer with no notice), the quarterly demand settlements (one paid 0.05 short)
and the repayments of time deposits are lines of bank statement files written in ICBC's and
CCB's layouts (`xtaccounts.demo.bank_statements`) and imported with `xtaccounts import`'s library
call, which also archives them under documents/. The statements carry the commands' movements
too (placements, the rollover, the refund): the import finds them already booked. Interest on
the statements is what the contract says (computed on the books just before each statement is
written), except where noted, so the books tie out.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from decimal import Decimal
from pathlib import Path

from xtaccounts.audit.seal import seal_books
from xtaccounts.books.change_note import recording_as
from xtaccounts.books.load import load_books
from xtaccounts.books.writer import LedgerWriter
from xtaccounts.core.interest import (
    demand_payment_date,
    demand_settlement_dates,
    early_withdrawal_interest,
    time_deposit_interest,
)
from xtaccounts.core.money import quantize
from xtaccounts.core.vocabulary import ZERO
from xtaccounts.demo.bank_statements import ACCOUNT_NAME, BankLine, DemoStatements
from xtaccounts.demo.insurance import book_demo_insurance
from xtaccounts.ops.allocation import allocate, transfer_legacy
from xtaccounts.ops.close import close_period
from xtaccounts.ops.demand_interest import expected_settlement
from xtaccounts.ops.owner_deposits import book_opening, book_refund
from xtaccounts.ops.time_deposits import mature, place
from xtaccounts.registry import Registry, load_registry

ICBC = "Assets:Bank-银行存款:ICBC-工商银行:Demand-活期8821"
CCB = "Assets:Bank-银行存款:CCB-建设银行:Demand-活期1234"
ICBC_NO = "1904021109200088821"
CCB_NO = "43050163620800001234"
BANK_OF_COMMUNITY = {"C0001": ICBC, "C0002": CCB, "C0003": ICBC}
DEVELOPER_PAID = ("C0002-B03", "C0003-B03")
DEPOSIT_PER_M2 = Decimal("120.00")
# Each account's statements cycle through these layouts (xtaccounts.demo.bank_statements.LAYOUTS).
STATEMENT_ACCOUNTS = (
    (ICBC, ICBC_NO, ACCOUNT_NAME, ("icbc-csv", "icbc-text-xls")),
    (CCB, CCB_NO, ACCOUNT_NAME, ("ccb-xls",)),
)
# What each bank writes on its interest and certificate lines.
INTEREST_MEMO = {ICBC: "结息", CCB: "利息存入"}
BANK_NAME = {ICBC: "中国工商银行湘潭分行", CCB: "中国建设银行湘潭分行"}

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
    return sum((line.amount for line in registry.notices[notice_no]), ZERO)


class _Bank:
    """The demo's banks: statement lines queued, settlements computed, statements imported."""

    def __init__(self, main: Path, registry: Registry, directory: Path) -> None:
        self.main = main
        self.registry = registry
        # The opening balances are dated 2023-01-01: the first statements begin the day after.
        self.statements = DemoStatements(main, directory, STATEMENT_ACCOUNTS, D("2023-01-02"))
        self.settled = D("2022-12-31")
        self.serials = 0

    def serial(self, account: str, day: dt.date) -> str:
        self.serials += 1
        return f"{'ICBC' if account == ICBC else 'CCB'}{day:%Y%m%d}{self.serials:06d}"

    def line(self, account: str, day: str, amount: Decimal, memo: str, **other: str) -> None:
        when = D(day)
        other.setdefault("serial", self.serial(account, when))
        self.statements.line(account, BankLine(when, amount, memo, **other))

    def certificate_line(self, account: str, day: str, amount: Decimal, memo: str) -> None:
        """A transfer between the demand account and one of its time deposits."""
        self.line(
            account,
            day,
            amount,
            memo,
            counterparty=ACCOUNT_NAME,
            counterparty_bank=BANK_NAME[account],
            time="09:05:00",
        )

    def until(self, day: str) -> None:
        """Pay every settlement up to `day`: the statement through each settlement day is
        imported first, so the interest is computed on the books the bank saw."""
        end = D(day)
        for settlement in demand_settlement_dates(self.settled + dt.timedelta(days=1), end):
            self.statements.flush(settlement)
            for account in (ICBC, CCB):
                with LedgerWriter(self.main) as session:
                    entries = session.books().entries
                split = expected_settlement(self.registry, entries, account, settlement)
                received = split.expected
                if account == CCB and settlement == D("2024-09-20"):
                    received -= Decimal("0.05")  # the bank paid five fen short: booked, flagged
                self.line(
                    account,
                    demand_payment_date(settlement).isoformat(),
                    received,
                    INTEREST_MEMO[account],
                    counterparty=BANK_NAME[account],
                    time="00:30:00",
                )
        self.settled = max(self.settled, end)

    def flush(self, day: str) -> None:
        """Import every line up to `day` (before an allocation, a transfer or a close)."""
        self.until(day)
        self.pay_insurers(day)
        self.statements.flush(D(day))

    def pay_insurers(self, day: str) -> None:
        """Settle with each insurer on `day` from the ICBC account: pay the premiums booked
        and not yet paid (the clearing account's credit balance), or receive what the insurer
        owes back (premium refunds), as statement lines the import clears."""
        from xtaccounts.books.positions import read_positions
        from xtaccounts.core import chart

        when = D(day)
        positions = read_positions(load_books(self.main).entries)
        queued = self.statements.accounts[ICBC].pending
        for insurer in self.registry.insurers.values():
            if not insurer.account_no:
                continue
            clearing = chart.premium_clearing_account(self.registry, insurer.id)
            owed = positions.balance(clearing, when) + sum(
                (-x.amount for x in queued if x.counterparty_account == insurer.account_no),
                ZERO,
            )
            if owed == 0:
                continue
            self.line(
                ICBC,
                day,
                owed,  # negative: the centre owes premiums; positive: a refund is due
                "电梯保险保费" if owed < 0 else "电梯保险保费退款",
                counterparty=insurer.name,
                counterparty_account=insurer.account_no,
                counterparty_bank=insurer.bank_name or "",
                time="15:00:00",
            )


def book_demo_events(main: Path) -> None:
    """Book everything after the registry and the chart exist."""
    registry = load_registry(main.parent / "registry")
    with tempfile.TemporaryDirectory(prefix="xt-demo-statements-") as directory:
        _events(main, registry, _Bank(main, registry, Path(directory)))


def _place(bank: _Bank, account: str, certificate: str, principal: str, product: str, day: str):
    with recording_as("demo build：time-deposit place", certificate):
        place(
            bank.main,
            demand_account=account,
            certificate=certificate,
            principal=Decimal(principal),
            product=product,
            value_date=D(day),
        )
    memo = "转定期" if account == ICBC else "定期开户"
    bank.certificate_line(account, day, -Decimal(principal), f"{memo} 存单号{certificate}")


def _allocate_and_close(main: Path, through: str, period: str) -> None:
    with recording_as("demo build：allocate", "--through", through):
        allocate(main, through=D(through))
    with recording_as("demo build：close", period):
        close_period(main, period)


def _events(main: Path, registry: Registry, bank: _Bank) -> None:
    for account in (ICBC, CCB):
        with recording_as("demo build：deposit opening", account):
            book_opening(main, D("2023-01-01"), account, _opening_amounts(registry, account))

    _place(bank, ICBC, "ICBC2023001", "1500000.00", "1y", "2023-02-01")
    bank.line(
        CCB,
        "2023-03-15",
        _notice_total(registry, "N2023-0001"),
        "代缴维修资金 N2023-0001",
        counterparty="湘潭湖湘置业有限公司",
        counterparty_account="43050163610100000317",
        counterparty_bank="中国建设银行湘潭河西支行",
        serial="CCB20230315000117",
        time="10:12:31",
    )
    bank.until("2023-03-31")
    _place(bank, CCB, "CCB2023001", "1000000.00", "1y", "2023-04-01")
    _place(bank, ICBC, "ICBC2023002", "500000.00", "3y", "2023-06-01")
    bank.flush("2023-12-31")
    _allocate_and_close(main, "2023-12-31", "2023")

    bank.until("2024-01-31")
    # 自动转存: the centre books the rollover from the bank's advice with `time-deposit mature
    # --rollover`; the statement shows both legs, which the import finds already booked.
    interest = time_deposit_interest(Decimal("1500000.00"), Decimal("1.95"), 12)
    with recording_as("demo build：time-deposit mature", "ICBC2023001", "--rollover"):
        mature(
            main, certificate="ICBC2023001", rollover_certificate="ICBC2024001", received=interest
        )
    bank.certificate_line(
        ICBC,
        "2024-02-01",
        Decimal("1500000.00") + interest,
        "定期到期 本息转活期 存单号ICBC2023001",
    )
    bank.certificate_line(
        ICBC, "2024-02-01", Decimal("-1500000.00"), "转定期 自动转存 存单号ICBC2024001"
    )
    bank.until("2024-03-31")
    bank.certificate_line(
        CCB,
        "2024-04-01",
        Decimal("1000000.00") + time_deposit_interest(Decimal("1000000.00"), Decimal("1.85"), 12),
        "定期存款到期 本息转入 CCB2023001",
    )
    bank.line(
        ICBC,
        "2024-04-10",
        _notice_total(registry, "N2024-0001"),
        "维修资金 N2024-0001",
        counterparty="湘潭莲城房地产开发有限公司",
        counterparty_account="1904021119000123456",
        counterparty_bank="中国工商银行湘潭岳塘支行",
        serial="ICBC20240410000562",
        time="14:03:09",
    )
    bank.line(
        ICBC,
        "2024-05-08",
        Decimal("3000.00"),
        "维修资金补交 N2024-0002",
        counterparty="何*",
        counterparty_account="6222021904001234567",
        counterparty_bank="中国工商银行湘潭分行",
        serial="ICBC20240508000031",
        time="11:20:00",
    )
    bank.line(
        ICBC,
        "2024-05-08",
        Decimal("2900.00"),
        "维修资金补交 N2024-0003",
        counterparty="卢*",
        counterparty_account="6217002930001234",
        counterparty_bank="中国建设银行湘潭分行",
        serial="ICBC20240508000032",
        time="15:41:07",
    )
    bank.line(
        ICBC,
        "2024-05-20",
        Decimal("1000.00"),
        "转账",
        counterparty="湘潭某商贸有限公司",
        counterparty_account="43001510061050001111",
        counterparty_bank="中国建设银行湘潭岳塘支行",
        serial="ICBC20240520000078",
        time="16:02:44",
    )
    bank.flush("2024-09-14")
    with recording_as("demo build：pool transfer-legacy"):
        transfer_legacy(main, since=D("2023-01-01"), until=D("2024-09-15"))
    bank.until("2024-11-14")
    _place(bank, CCB, "CCB2024002", "800000.00", "1y", "2024-11-15")
    bank.certificate_line(
        ICBC,
        "2024-12-01",
        Decimal("500000.00")
        + early_withdrawal_interest(
            Decimal("500000.00"), Decimal("1.15"), D("2023-06-01"), D("2024-12-01")
        ),
        "定期提前支取 存单号ICBC2023002",
    )
    book_demo_insurance(main, through=D("2024-12-31"))
    bank.flush("2024-12-31")
    _allocate_and_close(main, "2024-12-31", "2024")

    _place(bank, CCB, "CCB2025001", "300000.00", "6m", "2025-01-10")
    bank.certificate_line(
        ICBC,
        "2025-02-01",
        Decimal("1500000.00") + time_deposit_interest(Decimal("1500000.00"), Decimal("1.95"), 12),
        "定期到期 本息转活期 存单号ICBC2024001",
    )
    bank.until("2025-06-17")
    refund_reason = "房屋灭失 (拆除) 返还 维修资金"
    with recording_as(
        "demo build：deposit refund", "C0001-B01-U3-101", "5000.00", reason=refund_reason
    ):
        book_refund(
            main,
            household="C0001-B01-U3-101",
            amount=Decimal("5000.00"),
            date=D("2025-06-18"),
            bank_account=ICBC,
            reason=refund_reason,
        )
    bank.line(
        ICBC,
        "2025-06-18",
        Decimal("-5000.00"),
        "维修资金返还 房屋灭失",
        counterparty="䶮*",
        counterparty_account="6222021904007654321",
        counterparty_bank="中国工商银行湘潭分行",
        time="10:40:12",
    )
    book_demo_insurance(main, through=D("2025-06-30"))
    bank.flush("2025-06-30")
    _allocate_and_close(main, "2025-06-30", "2025-06")
    # No certificate number on this line: the import finds CCB2025001 by its maturity and amount.
    bank.certificate_line(
        CCB,
        "2025-07-10",
        Decimal("300000.00") + time_deposit_interest(Decimal("300000.00"), Decimal("1.20"), 6),
        "整存整取到期销户",
    )
    bank.certificate_line(
        CCB,
        "2025-11-15",
        Decimal("800000.00") + time_deposit_interest(Decimal("800000.00"), Decimal("1.75"), 12),
        "定期到期 本息转入 CCB2024002",
    )
    book_demo_insurance(main, through=D("2025-12-31"))
    bank.flush("2025-12-31")
    _allocate_and_close(main, "2025-12-31", "2025")
    # The closed year is sealed: the books carry the digest of every entry through it.
    with recording_as("demo build：seal", "--through", "2025-12-31"):
        seal_books(main, D("2025-12-31"))
