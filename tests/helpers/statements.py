"""The importer tests' statements and goldens: every statement sits in tests/importers/samples/
with its golden import beside it (`<statement>.beancount`) and, for the reader's samples, its
expected parse (`<statement>.expected.json`). Set XT_REGEN_GOLDEN=1 to rewrite the goldens."""

from __future__ import annotations

import os
from pathlib import Path

from beancount.parser import printer

from importers.reader import StatementError, read_statement
from xtaccounts.ops.bank_statement_import import stage_plan
from xtaccounts.ops.classify import ImportPlan

SAMPLES = Path(__file__).resolve().parents[1] / "importers" / "samples"
REGEN = os.environ.get("XT_REGEN_GOLDEN") == "1"
ICBC_NO = "1904021109200088821"
CCB_NO = "43050163620800001234"
# The statements test_import.py writes (from `xtaccounts.demo.bank_statements`); the others in
# samples/ are the reader's samples, written by tests/importers/make_samples.py.
GOLDEN_INPUTS = ("icbc-2023h1.csv", "ccb-2023h1.xls", "icbc-2024-text.xls", "ccb-2024-maturity.xls")
GOLDEN_SUFFIXES = (".beancount", ".expected.json")


def statement_files() -> list[Path]:
    """Every statement in samples/ (not the goldens beside them)."""
    return sorted(
        p for p in SAMPLES.iterdir() if p.is_file() and not p.name.endswith(GOLDEN_SUFFIXES)
    )


def reader_samples() -> list[Path]:
    """The reader's samples (make_samples.py's), each with its expected parse beside it."""
    return [p for p in statement_files() if p.name not in GOLDEN_INPUTS]


def demo_account_samples() -> list[Path]:
    """The reader's samples whose account is one of the demo registry's."""
    accounts = {ICBC_NO, CCB_NO}
    found = []
    for path in reader_samples():
        try:
            statement = read_statement(path)
        except StatementError:
            continue
        if statement.account_no in accounts:
            found.append(path)
    return found


def golden_of(statement: Path) -> Path:
    """The golden import beside a statement."""
    return statement.with_name(statement.name + ".beancount")


def render(plan: ImportPlan, against: str = "classified against the base books") -> str:
    """The golden text: skipped lines as comments, then the extracted entries as each ledger
    file would get them."""
    out = [f"; golden of {plan.statement.path.name}: {against}"]
    out += [f"; row {p.line.row}: skipped ({p.rule}): {p.reason}" for p in plan.skipped]
    for relpath, entries in stage_plan(plan).items():
        out.append(f"\n; --- {relpath}\n")
        out.append("\n".join(printer.format_entry(entry) for entry in entries))
    return "\n".join(out)


def check_golden(golden: Path, text: str) -> None:
    """The golden file holds `text` (written first under XT_REGEN_GOLDEN=1)."""
    if REGEN:
        golden.write_text(text, encoding="utf-8")
    assert golden.exists(), f"{golden} is missing: run with XT_REGEN_GOLDEN=1 and review it"
    assert golden.read_text(encoding="utf-8") == text, (
        f"{golden.name} differs from the extraction; if the change is meant, run with "
        "XT_REGEN_GOLDEN=1 and review the diff"
    )
