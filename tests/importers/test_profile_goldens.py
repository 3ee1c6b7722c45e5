"""Golden imports of the reader samples of the other banks' layouts (BOC, ABC, BOCOM, RCB, ICBC's
借贷标志 export): one `.beancount` golden per sample, so that every profile's output is pinned.

The demo registry holds only an ICBC and a CCB account (their samples are golden in
test_import.py, against the base books there). These samples are imported into the *sample
books*: the demo registry plus a bank account row for each sample's 账号, a demand rate agreement
for each new bank, a few payment notices that the samples quote (the others stay unknown: the
lines go to suspense saying so), and an opening balance for each new account on the first day of
the books equal to the balance before the sample's first line, so that the statements' balances
agree with the books. Each sample is imported with `import_statements` (the writer checks the
books after it) and the plan is printed as the golden beside it, samples/<sample>.beancount. Set
XT_REGEN_GOLDEN=1 to rewrite them after a deliberate change (review the diff).
"""

from __future__ import annotations

import shutil
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest

from importers import read_statement_file
from importers.reader import read_statement
from tests.helpers import (
    SAMPLES,
    check_golden,
    demo_account_samples,
    golden_of,
    reader_samples,
    render,
)
from tests.importers import make_samples as ms
from xtaccounts.books.init_ledger import create_ledger, ledger_files
from xtaccounts.books.load import load_books
from xtaccounts.demo.books import demo_registry
from xtaccounts.ops.accounts_sync import sync_accounts
from xtaccounts.ops.bank_statement_import import import_statements
from xtaccounts.ops.owner_deposits import book_opening
from xtaccounts.registry import Registry, load_registry

D = Decimal
BANK = "Assets:Bank-银行存款"

# account_no, bank, bank_name, account, opening balance, unit whose households hold the opening
ACCOUNTS = (
    (
        ms.ICBC_OTHER_ACCOUNT,
        "ICBC",
        "中国工商银行湘潭岳塘支行",
        f"{BANK}:ICBC-工商银行:Demand-活期3456",
        "1000000.00",
        "C0001-B04-U1",
    ),
    (
        ms.BOC_ACCOUNT,
        "BOC",
        "中国银行湘潭分行",
        f"{BANK}:BOC-中国银行:Demand-活期4680",
        "3973.11",
        "C0001-B04-U2",
    ),
    (
        ms.ABC_ACCOUNT,
        "ABC",
        "中国农业银行湘潭分行",
        f"{BANK}:ABC-农业银行:Demand-活期1234",
        "50000.00",
        "C0002-B02-U1",
    ),
    (
        ms.ABC_SPLIT_ACCOUNT,
        "ABC",
        "中国农业银行湘潭岳塘支行",
        f"{BANK}:ABC-农业银行:Demand-活期5678",
        "80000.00",
        "C0003-B01-U2",
    ),
    (
        ms.RCB_ACCOUNT,
        "RCB",
        "湘潭农村商业银行",
        f"{BANK}:RCB-农商银行:Demand-活期8901",
        "20000.00",
        "C0002-B02-U2",
    ),
    (
        ms.BOCOM_ACCOUNT,
        "BOCOM",
        "交通银行湘潭分行",
        f"{BANK}:BOCOM-交通银行:Demand-活期2345",
        "100000.00",
        "C0003-B01-U1",
    ),
)
AGREEMENTS = (
    "RA-BOC-D-2023,BOC,demand,0.35,pboc,1.10,2023-01-01,2025-12-31",
    "RA-ABC-D-2023,ABC,demand,0.35,pboc,1.05,2023-01-01,2025-12-31",
    "RA-RCB-D-2023,RCB,demand,0.35,pboc,1.30,2023-01-01,2025-12-31",
    "RA-BOCOM-D-2023,BOCOM,demand,0.35,pboc,1.00,2023-01-01,2025-12-31",
)
# Notices the samples quote that the registry knows: (notice, unit, total, whole unit or its
# first household); the samples' other notices (N2025-0102, -0302, -0401, -0502, -0503) are not
# in it.
NOTICES = (
    ("N2025-0101", "C0003-B02-U1", "250000.00", True),  # ICBC 借贷标志: 湘潭九华某置业有限公司
    ("N2025-0301", "C0003-B02-U2", "10000.00", False),  # BOC: 张䶮
    ("N2025-0402", "C0003-B03-U1", "27500.50", False),  # ABC: 张䶮
    ("N2025-0501", "C0003-B03-U2", "1200.00", False),  # RCB: 张䶮
    ("N2025-0403", "C0001-B02-U1", "3200.00", False),  # ABC 收入/支出: 李𠮷
    ("N2025-0601", "C0001-B03-U1", "80000.00", True),  # BOCOM: 湘潭某房地产开发有限公司
)
ISSUED = "2024-12-20"


def shares(total: str, households: list[str]) -> dict[str, Decimal]:
    """`total` spread evenly over the households, the odd fen on the first."""
    amount = D(total)
    each = (amount / len(households)).quantize(D("0.01"), rounding="ROUND_DOWN")
    result = dict.fromkeys(households, each)
    result[households[0]] += amount - each * len(households)
    return result


def households_of(registry: Registry, unit: str) -> list[str]:
    return sorted(h.id for h in registry.households.values() if h.unit == unit)


def sample_registry() -> dict[str, str]:
    files = dict(demo_registry())
    demo = _registry_of(files)
    rows = [
        f"{number},{bank},{bank_name},住宅专项维修资金专户（活期）,demand,{account},2018-01-02"
        for number, bank, bank_name, account, _, _ in ACCOUNTS
    ]
    files["bank_accounts.csv"] = (
        files["bank_accounts.csv"].rstrip("\n") + "\n" + "\n".join(rows) + "\n"
    )
    files["rate_agreements.csv"] = (
        files["rate_agreements.csv"].rstrip("\n") + "\n" + "\n".join(AGREEMENTS) + "\n"
    )
    notices = [
        f"{notice},{household},{amount},{ISSUED}"
        for notice, unit, total, whole in NOTICES
        for household, amount in shares(
            total, households_of(demo, unit)[: None if whole else 1]
        ).items()
    ]
    files["payment_notices.csv"] = (
        files["payment_notices.csv"].rstrip("\n") + "\n" + "\n".join(notices) + "\n"
    )
    return files


def _registry_of(files: dict[str, str]) -> Registry:
    """The registry that `files` (name → text) make."""
    with tempfile.TemporaryDirectory() as work:
        directory = Path(work)
        for name, text in files.items():
            (directory / name).write_text(text, encoding="utf-8")
        return load_registry(directory)


def build_sample_books(directory: Path) -> Path:
    main = create_ledger(directory, ledger_files(registry=sample_registry()))
    sync_accounts(main)
    registry = load_registry(main.parent / "registry")
    start = registry.pilot.books_start
    for _, _, _, account, opening, unit in ACCOUNTS:
        book_opening(main, start, account, shares(opening, households_of(registry, unit)))
    return main


@pytest.fixture(scope="module")
def sample_books(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_sample_books(tmp_path_factory.mktemp("sample-books") / "ledger")


def other_bank_samples() -> list[Path]:
    """The reader samples whose account is not one of the demo registry's."""
    demo = set(demo_account_samples())
    return [p for p in reader_samples() if p not in demo]


@pytest.mark.parametrize("sample", other_bank_samples(), ids=lambda p: p.name)
def test_golden_sample_imports(sample_books: Path, sample: Path, tmp_path: Path) -> None:
    """The entries a dry run plans (a written import's report keeps its lines' decisions, its
    entries being the books' then), and the import itself: the same decisions, clean books."""
    shutil.copytree(sample_books.parent, tmp_path / "ledger")
    main = tmp_path / "ledger" / "main.beancount"
    [dry] = import_statements(main, [sample], read=read_statement_file, dry_run=True).files
    assert dry.ok, dry.error
    assert dry.plan is not None
    [report] = import_statements(main, [sample], read=read_statement_file, archive=False).files
    assert report.ok, report.error
    assert report.plan is not None and report.plan.entries == list(report.plan.assertions)
    assert report.plan == dry.plan.decided()
    assert load_books(main).errors == []
    check_golden(golden_of(sample), render(dry.plan, "imported into the sample books"))


def test_every_profile_and_sample_has_a_golden_import() -> None:
    samples = reader_samples()
    assert {read_statement(p).profile for p in samples} == {
        "icbc-corporate",
        "icbc-corporate-flag",
        "ccb-corporate",
        "boc-corporate",
        "abc-corporate",
        "abc-corporate-split",
        "rcb-xiangtan",
        "bocom-corporate",
    }
    for sample in samples:
        assert golden_of(sample).exists(), sample.name
    # Newest first (BOC), a text file named .xls (RCB) and an xlsx named .xls (BOCOM) are here.
    assert set(other_bank_samples()) >= {
        SAMPLES / "boc-corporate.csv",
        SAMPLES / "rcb-xiangtan.xls",
        SAMPLES / "bocom-corporate.xls",
        SAMPLES / "abc-corporate.xlsx",
        SAMPLES / "abc-split.xlsx",
        SAMPLES / "icbc-flag.CSV",
    }


def test_sample_books_openings_are_the_balances_before_the_samples(sample_books: Path) -> None:
    openings = {number: D(amount) for number, _, _, _, amount, _ in ACCOUNTS}
    registry = load_registry(sample_books.parent / "registry")
    for sample in other_bank_samples():
        statement = read_statement(sample)
        first = statement.lines[0]
        assert statement.account_no in registry.bank_accounts, sample.name
        assert first.balance - first.amount == openings[statement.account_no], sample.name
