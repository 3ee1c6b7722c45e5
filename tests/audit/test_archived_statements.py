"""The audit reads the archived statements again: an edited booked line is named against the
bank's file and row, a missing archived file is named at the lines booked from it."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

from tests.helpers import xt

ICBC_2025 = "txns/2025/bank-ICBC-8821.beancount"
PAYMENT = '2025-06-30 * "湘潭某财产保险股份有限公司" "支付电梯保险费 电梯保险保费"'
ARCHIVE = "documents/Assets/Bank-银行存款/ICBC-工商银行/Demand-活期8821"


def audit(main: Path) -> tuple[int, list[dict]]:
    done = xt(main, "audit", "--format", "json")
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, json.loads(done.stdout)["findings"]


def test_the_demo_statements_agree_with_the_books(demo_copy: Path) -> None:
    done = xt(demo_copy, "audit", "--format", "json")
    report = json.loads(done.stdout)
    [check] = [c for c in report["checks"] if c["name"] == "statements"]
    assert check["ok"] and check["counts"]["files"] == 30 and check["counts"]["lines"] > 0


def test_a_line_edited_with_the_assertions_after_it_is_named_against_the_bank(
    demo_copy: Path,
) -> None:
    """A clerk covering tracks: the 2025-06-30 payment 100.00 larger, and every balance
    assertion of the account after it 100.00 lower, so that Beancount's own checks pass."""
    path = demo_copy.parent / ICBC_2025
    text = path.read_text(encoding="utf-8")
    start = text.index(PAYMENT)
    line = text[:start].count("\n") + 1
    end = text.index("\n\n", start)
    block = text[start:end].replace("   3200.00 CNY", "   3300.00 CNY")
    block = block.replace("-3200.00 CNY", "-3300.00 CNY")
    after = re.sub(
        r"(balance Assets:Bank-银行存款:ICBC-工商银行:Demand-活期8821 +)([\d.]+)",
        lambda m: f"{m.group(1)}{Decimal(m.group(2)) - 100}",
        text[end:],
    )
    path.write_text(text[:start] + block + after, encoding="utf-8")
    code, found = audit(demo_copy)
    assert code == 1
    [differs] = [f for f in found if f["code"] == "statement-differs"]
    assert (differs["entries"][0]["file"], differs["entries"][0]["line"]) == (ICBC_2025, line)
    assert differs["entries"][1]["file"].startswith(ARCHIVE)
    assert (differs["expected"], differs["booked"]) == ("-3200.00", "-3300.00")
    balances = [f for f in found if f["code"] == "statement-balance-differs"]
    assert balances and balances[0]["entries"][0]["file"] == ICBC_2025


def test_a_booked_line_whose_archived_statement_is_gone_is_named(demo_copy: Path) -> None:
    folder = demo_copy.parent / ARCHIVE
    gone = next(p for p in sorted(folder.iterdir()) if "20250621-20250630" in p.name)
    gone.unlink()
    code, found = audit(demo_copy)
    assert code == 1
    missing = [f for f in found if f["code"] == "statement-missing"]
    assert missing and all(f["entries"][0]["file"] == ICBC_2025 for f in missing)
    assert "8821_20250621_20250630.csv" in missing[0]["message"]
