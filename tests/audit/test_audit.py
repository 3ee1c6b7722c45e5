"""The audit: the clean demo audits clean; each breakage of the demo books is found where it is.

Every test edits a private copy of the demo books as text (as someone with an editor would: the
writer and the plugins would refuse many of these changes), then audits it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from tests.helpers import DEMO_LEDGER, xt
from xtaccounts.audit import ERROR, WARNING, AuditReport, Finding, run_audit
from xtaccounts.audit.seal import entry_digest, seal_books
from xtaccounts.books.change_note import ChangeNote
from xtaccounts.books.history_record import record_outside_changes
from xtaccounts.books.load import load_books
from xtaccounts.core.errors import XtError

CHECK_NAMES = [
    "history",
    "seal",
    "beancount",
    "bank",
    "statements",
    "identity",
    "interest",
    "pools",
    "premiums",
    "payments",
    "suspense",
    "reversals",
]
CCB_2025 = "txns/2025/bank-CCB-1234.beancount"
ICBC_2024 = "txns/2024/bank-ICBC-8821.beancount"
ICBC_2025 = "txns/2025/bank-ICBC-8821.beancount"
INSURANCE_2024 = "txns/2024/insurance.beancount"
ALLOCATIONS_2025 = "txns/2025/allocations.beancount"
CARRIED_2026 = "txns/2026/carried.beancount"
ICBC = "Assets:Bank-银行存款:ICBC-工商银行:Demand-活期8821"
DATE_LINE = re.compile(r"^\d{4}-\d\d-\d\d ")


# -- helpers ----------------------------------------------------------------------------------


def edit(main: Path, rel: str, old: str, new: str) -> None:
    path = main.parent / rel
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {rel}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def append(main: Path, rel: str, text: str) -> int:
    """Append text to a books file; the line number its first line gets."""
    path = main.parent / rel
    old = path.read_text(encoding="utf-8")
    if not old.endswith("\n"):
        old += "\n"
    path.write_text(old + "\n" + text, encoding="utf-8")
    return old.count("\n") + 2


def line_of(main: Path, rel: str, needle: str) -> int:
    """The 1-based line of the only line containing `needle`."""
    lines = (main.parent / rel).read_text(encoding="utf-8").splitlines()
    found = [n for n, line in enumerate(lines, 1) if needle in line]
    assert len(found) == 1, f"{needle!r} on lines {found} of {rel}"
    return found[0]


def entry_line(main: Path, rel: str, needle: str) -> int:
    """The line of the entry (its dated first line) that holds the line with `needle`."""
    lines = (main.parent / rel).read_text(encoding="utf-8").splitlines()
    at = line_of(main, rel, needle)
    while not DATE_LINE.match(lines[at - 1]):
        at -= 1
    return at


def findings(report: AuditReport, check: str, code: str | None = None) -> list[Finding]:
    return [f for f in report.findings if f.check == check and (code is None or f.code == code)]


def at(finding: Finding) -> list[tuple[str, int]]:
    return [(w.file, w.line) for w in finding.entries]


def failing_checks(report: AuditReport) -> set[str]:
    """The checks that found an error, `history` aside: every test here edits the books by hand,
    which the history check reports (asserted here) besides what the edit breaks."""
    failing = {f.check for f in report.findings if f.severity == ERROR}
    assert "history" in failing, "a hand edit is a change outside the writer"
    return failing - {"history"}


def record_hand_edit(main: Path, reason: str) -> None:
    """Record the test's hand edit in the books' history, as a clerk explaining it would."""
    record_outside_changes(main, ChangeNote("test", reason=reason))


# -- the clean demo ---------------------------------------------------------------------------


@pytest.mark.slow
def test_clean_demo_audits_clean_via_cli(demo_books: Path) -> None:
    done = xt(demo_books, "audit")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "无问题" in done.stdout.splitlines()[0]

    done = xt(demo_books, "audit", "--format", "json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["command"] == "audit"
    assert doc["ok"] is True
    assert doc["as_of"] == "2026-01-01"
    assert doc["errors"] == 0
    assert [c["name"] for c in doc["checks"]] == CHECK_NAMES
    assert all(c["ok"] and c["errors"] == 0 and c["counts"] for c in doc["checks"])
    counts = {c["name"]: c["counts"] for c in doc["checks"]}
    assert counts["seal"]["seals"] == 1
    assert counts["interest"]["receipts"] > 0 and counts["premiums"]["premiums"] > 0
    # What the demo deliberately carries is reported, as warnings: the receipt the bank paid five
    # fen short (booked flagged), premiums paid at the quarter's end, two unidentified receipts.
    assert {f["severity"] for f in doc["findings"]} == {WARNING}
    codes = {(f["check"], f["code"]) for f in doc["findings"]}
    assert ("interest", "receipt-differs") in codes
    assert ("suspense", "suspense-old") in codes
    for finding in doc["findings"]:
        assert finding["entries"] and all(w["file"] and w["line"] > 0 for w in finding["entries"])

    strict = xt(demo_books, "audit", "--strict")
    assert strict.returncode == 1


def test_committed_ledger_audits_clean() -> None:
    main = DEMO_LEDGER / "main.beancount"
    report = run_audit(main)
    assert report.ok, [f.message for f in report.findings if f.severity == ERROR]
    assert findings(report, "seal") == []


def test_as_of_limits_what_is_audited(demo_books: Path) -> None:
    report = run_audit(demo_books, dt.date(2024, 6, 5))
    assert report.as_of == dt.date(2024, 6, 5)
    assert report.ok
    # The two receipts of May 2024 are not 30 days old yet on 2024-06-05.
    assert findings(report, "suspense", "suspense-old") == []
    later = run_audit(demo_books)
    old = findings(later, "suspense", "suspense-old")
    assert (ICBC_2024, entry_line(demo_books, ICBC_2024, 'serial: "ICBC20240520000078"')) in [
        at(f)[0] for f in old
    ]


# -- check 1 and 4: a split edited by one fen ---------------------------------------------------


def test_split_edited_by_one_fen(demo_copy: Path) -> None:
    edit(demo_copy, CCB_2025, "-440.43 CNY", "-440.42 CNY")
    edit(demo_copy, CCB_2025, "-817.95 CNY", "-817.96 CNY")
    line = entry_line(demo_copy, CCB_2025, "R-43050163620800001234-20250320")
    report = run_audit(demo_copy)
    split = findings(report, "interest", "split")
    assert {(f.expected, f.booked) for f in split} == {
        (Decimal("440.43"), Decimal("440.42")),
        (Decimal("817.95"), Decimal("817.96")),
    }
    assert all(at(f) == [(CCB_2025, line)] for f in split)
    # The close of 2025-06 no longer empties the interest accounts: the plugin says so (check 1).
    assert findings(report, "beancount", "fund-rule")
    # And the entry is one the seal covers.
    assert [at(f) for f in findings(report, "seal")] == [[(CCB_2025, line)]]
    assert failing_checks(report) == {"beancount", "interest", "seal"}


def test_allocation_share_moved_by_one_fen(demo_copy: Path) -> None:
    rel = ALLOCATIONS_2025
    first = "Pool-统筹账户:C0003-莲城新村:B01-1栋         -2743.65 CNY"
    second = "Pool-统筹账户:C0003-莲城新村:B03-3栋         -1854.12 CNY"
    edit(demo_copy, rel, first, first.replace("2743.65", "2743.66"))
    edit(demo_copy, rel, second, second.replace("1854.12", "1854.11"))
    report = run_audit(demo_copy)
    shares = findings(report, "interest", "allocation-share")
    assert {(f.expected, f.booked) for f in shares} == {
        (Decimal("2743.65"), Decimal("2743.66")),
        (Decimal("1854.12"), Decimal("1854.11")),
    }
    lines = {at(f)[0] for f in shares}
    assert lines == {
        (rel, line_of(demo_copy, rel, "C0003-莲城新村:B01-1栋         -2743.66")),
        (rel, line_of(demo_copy, rel, "C0003-莲城新村:B03-3栋         -1854.11")),
    }
    # The pools' balances carried into 2026 no longer hold (Beancount's own assertions).
    assert findings(report, "beancount", "balance-assertion")
    assert failing_checks(report) == {"beancount", "interest", "seal"}


# -- check 2: statements ----------------------------------------------------------------------


def _drop_block(main: Path, rel: str, first_line_needle: str) -> None:
    """Delete an entry (its dated line up to the next blank line)."""
    path = main.parent / rel
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    start = line_of(main, rel, first_line_needle) - 1
    end = start
    while end < len(lines) and lines[end].strip():
        end += 1
    del lines[start : end + 1]
    path.write_text("".join(lines), encoding="utf-8")


def test_statement_line_deleted(demo_copy: Path) -> None:
    _drop_block(demo_copy, ICBC_2024, '2024-05-20 ! "湘潭某商贸有限公司"')
    line = line_of(demo_copy, ICBC_2024, "2024-05-21 balance")
    report = run_audit(demo_copy)
    failed = findings(report, "bank", "assertion-failed")
    assert failed, report.findings
    assert at(failed[0]) == [(ICBC_2024, line)]
    assert (failed[0].expected, failed[0].booked) == (Decimal("1705099.98"), Decimal("1704099.98"))
    # Each failed assertion once (the bank check's, with its figures), and the root cause first:
    # the seal names the removed entry before any assertion it broke.
    assert [(ICBC_2024, line)] not in [at(f) for f in findings(report, "beancount")]
    codes = [f.code for f in report.findings]
    assert codes[0] == "unrecorded-change"  # the hand edit itself, named by the books' history
    assert codes.index("sealed-removed") < codes.index("assertion-failed")


def test_balance_assertion_deleted(demo_copy: Path) -> None:
    _drop_block(demo_copy, CCB_2025, "2025-03-22 balance")
    line = entry_line(demo_copy, CCB_2025, "R-43050163620800001234-20250320")
    report = run_audit(demo_copy)
    missing = findings(report, "bank", "assertion-missing")
    assert [at(f) for f in missing] == [[(CCB_2025, line)]]
    assert "2025-03-22" in missing[0].message
    assert findings(report, "seal", "sealed-removed")
    assert failing_checks(report) == {"bank", "seal"}


def test_movement_without_statement_is_a_gap(demo_copy: Path) -> None:
    # ICBC's statements run to 2025-06-30, then from 2025-09-21: no movement in between.
    line = append(
        demo_copy,
        ICBC_2025,
        '2025-08-01 * "某单位" "无对账单的来款"\n'
        f"  {ICBC}   100.00 CNY\n"
        "  Liabilities:Suspense-待查明款项  -100.00 CNY\n",
    )
    report = run_audit(demo_copy)
    gaps = findings(report, "bank", "statement-gap")
    assert len(gaps) == 1
    assert at(gaps[0]) == [(ICBC_2025, line)]
    assert "2025-07-01 至 2025-09-20" in gaps[0].message
    # The bank never had that money: the next statement balances fail (Beancount and check 2).
    assert findings(report, "bank", "assertion-failed")
    assert findings(report, "beancount", "balance-assertion")
    # It is dated in the sealed year.
    assert [at(f) for f in findings(report, "seal", "sealed-added")] == [[(ICBC_2025, line)]]


# -- check 3: the fund identity ---------------------------------------------------------------


def test_money_outside_the_fund_breaks_the_identity(demo_copy: Path) -> None:
    line = append(
        demo_copy,
        CARRIED_2026,
        '2026-01-05 * "调整" "未经批准的调整"\n'
        "  Equity:Opening-期初结转   100.00 CNY\n"
        "  Equity:Fund-维修资金:C0001-金泉小区:B01-1栋:U1-1单元  -100.00 CNY\n",
    )
    report = run_audit(demo_copy)
    broken = findings(report, "identity")
    assert len(broken) == 1
    assert at(broken[0]) == [(CARRIED_2026, line)]
    assert broken[0].expected - broken[0].booked == Decimal("100.00")
    assert failing_checks(report) == {"identity"}


# -- check 5: pools ---------------------------------------------------------------------------


def test_pool_made_negative(demo_copy: Path) -> None:
    line = append(
        demo_copy,
        CARRIED_2026,
        '2026-01-05 * "某保险公司" "未经批准的保费"\n'
        "  Expenses:Repair-维修支出:Premium-电梯保险费  99999.00 CNY\n"
        '    pool: "C0002-B02"\n'
        "  Liabilities:Clearing-应付清算:Premium-保险费:INS01-湘潭某财产保险股份有限公司"
        "  -99999.00 CNY\n",
    )
    report = run_audit(demo_copy)
    negative = findings(report, "pools", "pool-negative")
    assert [at(f) for f in negative] == [[(CARRIED_2026, line)]]
    assert "C0002-B02" in negative[0].message and negative[0].booked < 0
    plugin = [f.message for f in findings(report, "beancount") if at(f) == [(CARRIED_2026, line)]]
    assert any("negative" in m for m in plugin)
    assert any("premium without approval" in m for m in plugin)
    assert failing_checks(report) == {"beancount", "pools"}
    # bean-check itself shows both.
    done = subprocess.run(
        [str(Path(sys.executable).parent / "bean-check"), str(demo_copy)],
        capture_output=True,
        text=True,
        check=False,
        env={"BEANCOUNT_DISABLE_LOAD_CACHE": "1", "PATH": str(Path(sys.executable).parent)},
    )
    assert done.returncode != 0
    assert "premium without approval" in done.stderr + done.stdout


def test_demand_window_leaves_a_day_out(demo_copy: Path) -> None:
    rid = "R-43050163620800001234-20250620"
    edit(demo_copy, CCB_2025, 'window_start: "2025-03-21"', 'window_start: "2025-03-22"')
    line = entry_line(demo_copy, CCB_2025, rid)
    previous = entry_line(demo_copy, CCB_2025, 'receipt: "R-43050163620800001234-20250320"')
    report = run_audit(demo_copy)
    window = findings(report, "interest", "window")
    assert [at(f) for f in window] == [[(CCB_2025, line), (CCB_2025, previous)]]
    assert (window[0].expected, window[0].booked) == ("2025-03-21", "2025-03-22")
    # The 积数 recorded is now that of a longer window than the one claimed.
    assert [at(f) for f in findings(report, "interest", "balance-days")] == [[(CCB_2025, line)]]
    assert failing_checks(report) == {"beancount", "interest", "seal"}


def test_spread_left_out_of_the_allocations(demo_copy: Path) -> None:
    rid = "R-TDCCB2024002"
    kept = "R-43050163620800001234-20251220"
    edit(demo_copy, ALLOCATIONS_2025, f'{kept},{rid}"', f'{kept}"')
    report = run_audit(demo_copy)
    stranded = findings(report, "pools", "spread-stranded")
    assert len(stranded) == 1 and rid in stranded[0].message
    line = entry_line(demo_copy, CCB_2025, f'receipt: "{rid}"')
    assert at(stranded[0]) == [(CCB_2025, line)]
    # The allocation now credits the pools more than the receipts it names give them.
    assert findings(report, "interest", "allocation-total")


# -- check 6: premiums ------------------------------------------------------------------------


def test_premium_a_day_before_the_notice_ended(demo_copy: Path) -> None:
    header = '2024-10-21 * "湘潭某财产保险股份有限公司" "电梯维修保险费（购买） APP-2024-001'
    edit(demo_copy, INSURANCE_2024, header, header.replace("2024-10-21", "2024-10-20", 1))
    line = line_of(demo_copy, INSURANCE_2024, '2024-10-20 * "湘潭某财产保险股份有限公司"')
    report = run_audit(demo_copy)
    notice = findings(report, "premiums", "notice")
    assert [at(f) for f in notice] == [[(INSURANCE_2024, line)]]
    assert "2024-10-21" in notice[0].message
    assert failing_checks(report) == {"premiums", "seal"}


def test_premium_without_a_policy(demo_copy: Path) -> None:
    old = '  policy: "APP-2024-001-P1"\n  tender: "T2024-01"'
    edit(demo_copy, INSURANCE_2024, old, old.replace("P1", "P9"))
    line = line_of(demo_copy, INSURANCE_2024, '2024-10-21 * "湘潭某财产保险股份有限公司"')
    report = run_audit(demo_copy)
    assert [at(f) for f in findings(report, "premiums", "no-approval")] == [
        [(INSURANCE_2024, line)]
    ]
    assert any(
        "premium without approval" in f.message and at(f) == [(INSURANCE_2024, line)]
        for f in findings(report, "beancount")
    )
    assert failing_checks(report) == {"beancount", "premiums", "seal"}


# -- check 7: deposits against their notice ---------------------------------------------------


def test_deposit_household_not_on_its_notice(demo_copy: Path) -> None:
    edit(demo_copy, ICBC_2024, '"C0001-B04-U1-101=3000.00"', '"C0001-B04-U1-102=3000.00"')
    line = entry_line(demo_copy, ICBC_2024, "C0001-B04-U1-102=3000.00")
    report = run_audit(demo_copy)
    mismatch = findings(report, "suspense", "notice-mismatch")
    assert {(f.expected, f.booked) for f in mismatch} == {
        (Decimal("3000.00"), Decimal("0.00")),
        (Decimal("0.00"), Decimal("3000.00")),
    }
    assert all(at(f) == [(ICBC_2024, line)] for f in mismatch)
    assert failing_checks(report) == {"suspense", "seal"}


def test_deposit_household_of_another_unit(demo_copy: Path) -> None:
    """A household the registry places in another unit than the one the deposit is booked to
    (found from the units' household ids; only that household's row is read, for its unit)."""
    edit(demo_copy, ICBC_2024, '"C0001-B04-U1-101=3000.00"', '"C0001-B01-U1-101=3000.00"')
    line = line_of(demo_copy, ICBC_2024, "C0001-B01-U1-101=3000.00") - 2  # its posting
    report = run_audit(demo_copy)
    (found,) = findings(report, "suspense", "household-unit")
    assert "C0001-B01-U1-101 属于单元 C0001-B01-U1" in found.message
    assert "记入单元 C0001-B04-U1" in found.message
    assert at(found) == [(ICBC_2024, line)]


# -- check 8: the seal ------------------------------------------------------------------------


def test_sealed_narration_changed(demo_copy: Path) -> None:
    edit(demo_copy, ICBC_2024, '"待查明来款 转账"', '"待查明来款 转账 (已改)"')
    line = line_of(demo_copy, ICBC_2024, "待查明来款 转账 (已改)")
    report = run_audit(demo_copy)
    changed = findings(report, "seal", "sealed-changed")
    assert [at(f) for f in changed] == [[(ICBC_2024, line)]]
    assert "2024-05-20" in changed[0].message
    assert failing_checks(report) == {"seal"}


def test_seal_does_not_depend_on_lines_or_files(demo_copy: Path) -> None:
    # Comments and blank lines move every entry of the file; entries are not changed.
    path = demo_copy.parent / ICBC_2024
    path.write_text("; a comment\n\n\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    assert findings(run_audit(demo_copy), "seal") == []
    record_hand_edit(demo_copy, "添加注释")
    report = run_audit(demo_copy)
    assert report.ok and findings(report, "seal") == []


def test_seal_survives_bean_format_and_moving_an_entry(demo_copy: Path) -> None:
    # bean-format realigns every sealed file; an entry cut from one file and pasted into
    # another is the same entry. Neither is a change to the sealed books.
    bean_format = Path(sys.executable).parent / "bean-format"
    for rel in (ICBC_2024, INSURANCE_2024, CCB_2025):
        path = demo_copy.parent / rel
        subprocess.run([str(bean_format), "-o", str(path), str(path)], check=True)
    source = demo_copy.parent / ICBC_2024
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    start = entry_line(demo_copy, ICBC_2024, "待查明来款 转账") - 1
    end = start + 1
    while end < len(lines) and lines[end].startswith(" "):
        end += 1
    block = "".join(lines[start:end])
    source.write_text("".join(lines[:start] + lines[end:]), encoding="utf-8")
    moved = append(demo_copy, ICBC_2025, block)
    record_hand_edit(demo_copy, "bean-format 重排，移动一笔分录")
    report = run_audit(demo_copy)
    assert findings(report, "seal") == []
    assert report.ok, [f.message for f in report.findings if f.severity == ERROR]
    # A tag added to the same entry, once moved, is found in its new file.
    edit(demo_copy, ICBC_2025, block.split("\n", 1)[0], block.split("\n", 1)[0] + " #moved")
    changed = findings(run_audit(demo_copy), "seal", "sealed-changed")
    assert [at(f) for f in changed] == [[(ICBC_2025, moved)]]


def test_seal_digests_file_tampered(demo_copy: Path) -> None:
    digests = demo_copy.parent / "seals" / "2025-12-31.digests"
    lines = digests.read_text(encoding="utf-8").splitlines()
    lines.pop()  # the last sealed day
    digests.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = run_audit(demo_copy)
    assert {f.code for f in findings(report, "seal")} >= {"seal-file", "sealed-added"}


@pytest.mark.slow
def test_seal_command(demo_copy: Path) -> None:
    again = xt(demo_copy, "seal", "--through", "2025-12-31")
    assert again.returncode == 1 and "账簿已封存至 2025-12-31" in again.stderr
    open_year = xt(demo_copy, "seal", "--through", "2026-01-31")
    assert open_year.returncode == 1 and "账簿只结账至 2025-12-31" in open_year.stderr
    earlier = xt(demo_copy, "seal", "--through", "2024-12-31")
    assert earlier.returncode == 1 and "封存链只能向后延伸" in earlier.stderr
    # Sealed afresh, a year at a time: the chain grows forward.
    (demo_copy.parent / "seals.beancount").write_text("", encoding="utf-8")
    for old in (demo_copy.parent / "seals").iterdir():
        old.unlink()
    recorded = xt(demo_copy, "history", "record", "--reason", "重新逐年封存（测试）")
    assert recorded.returncode == 0, recorded.stderr
    for through in ("2024-12-31", "2025-12-31"):
        done = xt(demo_copy, "seal", "--through", through, "--format", "json")
        assert done.returncode == 0, done.stderr
        doc = json.loads(done.stdout)
        assert doc["through"] == through and doc["entries"] > 0 and len(doc["chain"]) == 64
    report = run_audit(demo_copy)
    assert report.ok and findings(report, "seal") == []
    assert {c.name: c.counts for c in report.checks}["seal"]["seals"] == 2
    failed = xt(demo_copy, "audit")
    assert failed.returncode == 0


def test_seal_books_refuses_an_open_period(demo_copy: Path) -> None:
    with pytest.raises(XtError, match="请先结账"):
        seal_books(demo_copy, dt.date(2026, 3, 31))


def test_entry_digest_ignores_position(demo_books: Path) -> None:
    entries = load_books(demo_books).entries
    entry = next(e for e in entries if getattr(e, "narration", "") == "待查明来款 转账")
    moved = entry._replace(meta={**entry.meta, "filename": "/elsewhere.beancount", "lineno": 9})
    assert entry_digest(moved) == entry_digest(entry)
    renamed = entry._replace(narration="待查明来款 转账 (已改)")
    assert entry_digest(renamed) != entry_digest(entry)


def test_audit_exits_1_with_findings_via_cli(demo_copy: Path) -> None:
    edit(demo_copy, ICBC_2024, '"待查明来款 转账"', '"待查明来款 转账 (已改)"')
    done = xt(demo_copy, "audit", "--format", "json")
    assert done.returncode == 1
    doc = json.loads(done.stdout)
    assert doc["ok"] is False
    errors = [f for f in doc["findings"] if f["severity"] == ERROR]
    # The cause first: the edit outside the writer (with its difference), then the seal it broke.
    assert [(f["check"], f["code"]) for f in errors] == [
        ("history", "unrecorded-change"),
        ("seal", "sealed-changed"),
    ]
    assert [f["entries"][0]["file"] for f in errors] == [ICBC_2024, ICBC_2024]
    assert '+2024-05-20 ! "湘潭某商贸有限公司" "待查明来款 转账 (已改)"' in errors[0]["message"]
    text = xt(demo_copy, "audit")
    assert text.returncode == 1
    assert f"位置 {ICBC_2024}:" in text.stdout
