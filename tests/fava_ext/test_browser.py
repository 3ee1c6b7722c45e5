"""The books in a real browser: headless Chromium (Debian's) drives `xtaccounts serve` on the
demo books, reads the pilot's pages and Fava's own as a user does, and saves a full-page
screenshot of each (test-artifacts/screens/ at the repository's root, or $XT_TEST_ARTIFACTS;
`SHOTS` says what each shows).

What issue 19 asked to see: a pool's page on 2025-09-30 shows `pools --as-of 2025-09-30` and
the 2025-07-07 premium; the 2025 income and expense shows 02表's totals, from the sidebar;
amounts carry separators and credit balances are positive; a statement's link opens the
archived file; Fava's page of a pool tells its true balance; a read-write Fava refuses
保存/删除; no console errors.

Skipped only when Chromium is not installed (scripts/system-packages installs it), and never
under CI (where CI is set): there a missing Chromium fails the test instead of hiding it."""

from __future__ import annotations

import json
import os
import re
import threading
from pathlib import Path
from urllib.parse import quote, urljoin

import pytest

from tests.helpers import (
    CHROMIUM_MISSING,
    CHROMIUM_REASON,
    snapshot,
    start_server,
    stop_server,
    xt,
)
from xtaccounts.fava_ext import WRITE_REFUSED

ROOT = Path(__file__).resolve().parents[2]
SCREENS = Path(os.environ.get("XT_TEST_ARTIFACTS") or ROOT / "test-artifacts") / "screens"
AS_OF = "2025-09-30"
POOL = "C0001-B04"
POOL_ACCOUNT = "Equity:Undistributed-待分配累计收益:Pool-统筹账户:C0001-金泉小区:B04-4栋"
ARCHIVED = (
    "documents/Assets/Bank-银行存款/CCB-建设银行/Demand-活期1234/"
    "2025-06-20.CCB-1234-20250321-20250620.xls"
)
# The pilot's pages: (endpoint, heading, query).
PAGES = [
    ("", "统筹账户", f"as_of={AS_OF}"),
    ("pool", "统筹账户明细", f"pool={POOL}&as_of={AS_OF}"),
    ("income", "收支表", "period=2025"),
    ("coverage", "保险覆盖率", "as_of=2025-12-31"),
    ("applications", "申请与公示", "as_of=2025-12-31"),
    ("policies", "保单到期", "as_of=2025-10-01"),
    ("spreads", "利差", "as_of=2025-12-31"),
    ("bank_journal", "银行存款日记账", "period=2025"),
    ("general_ledger", "总账", "period=2025"),
    ("detail_ledger", "明细账", "period=2025&choice=2901"),
    ("trial_balance", "科目余额表", "period=2025"),
]
# Every screenshot the tests save, and what it shows (the report lists them).
SHOTS = {
    "pilot-pools": f"统筹账户 on {AS_OF}: each pool's available balance (pools --as-of), the "
    "chart of all pools' balance over time, each elevator's eligibility with Chinese reasons",
    "pilot-pool": f"统筹账户明细 of {POOL} on {AS_OF}: 1,701.63 available, 6,501.63 on the "
    "account, 4,800.00 premium not closed; its balance chart; every movement with the running "
    "balance, the 2025-07-07 premium last",
    "pilot-income": "收支表 2025 (会住维02表): 存款利息收入 93,682.70, 维修支出 15,206.58, "
    "返还支出 5,000.00, 本期收支差额 73,476.12",
    "pilot-coverage": "保险覆盖率 on 2025-12-31: the KPI against the targets, its chart",
    "pilot-applications": "申请与公示 on 2025-12-31: each application, its records linked, the "
    "notice PDF/page and vote tally links",
    "pilot-policies": "保单到期 on 2025-10-01: the two policies ending within 60 days",
    "pilot-spreads": "利差 on 2025-12-31: totals, the chart of spread received and allocated by "
    "month, every receipt with its archived statement",
    "pilot-bank_journal": "银行存款日记账 2025 of the first bank account: each posting with its "
    "voucher, 对方科目 and running balance, 本日合计, 本月合计 and 本年累计 lines",
    "pilot-general_ledger": "总账 2025: per statutory code, 上年结转 then each month's 本月合计 "
    "and 本年累计 with the balance",
    "pilot-detail_ledger": "明细账 2025 of 2901 待查明款项: the unidentified receipts",
    "pilot-trial_balance": "科目余额表 2025: 期初, 本期 and 期末 借/贷 columns, totals equal "
    "(期末 5,333,479.46 both sides)",
    "pilot-past-books": "统筹账户 asked for 2026-06-01, after the books' last entry: the warning",
    "pilot-context-modal": "an application's record opened in Fava's context view",
    "fava-income-without-closes": "Fava's income statement for 2025 reached from the sidebar link "
    "损益表（不含结转）: income 93,682.70 and expenses 20,206.58, positive",
    "fava-balance-sheet": "Fava's balance sheet: thousands separators, net assets positive",
    "fava-pool-account": f"Fava's own page of {POOL}'s account, time 2025-09: the note with the "
    "pool's true balance 1,701.63 and the link to its ledger",
    "fava-documents": "Fava's Documents page (凭证文档): the 30 archived statements, the notices "
    "and vote tallies",
    "fava-statement-entry": "a bank entry in Fava's journal with its metadata: the document link "
    "to the archived statement",
    "fava-read-write-delete-refused": "a bare read-write Fava: 删除 on a booked premium answered "
    "with 账簿只能通过 xtaccounts 命令写入, the books unchanged",
}

pytestmark = [pytest.mark.skipif(CHROMIUM_MISSING, reason=CHROMIUM_REASON), pytest.mark.slow]


@pytest.fixture(scope="module")
def server(demo_books: Path):
    process, base = start_server(demo_books, "--read-only")
    yield base
    stop_server(process)


@pytest.fixture
def tab(browser):
    context = browser.new_context(
        viewport={"width": 1400, "height": 900}, locale="zh-CN", accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
    page.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" else 0)
    page.errors = errors  # type: ignore[attr-defined]
    yield page
    context.close()


def _root(tab, server: str) -> str:
    tab.goto(server)
    tab.wait_for_load_state("networkidle")
    return tab.url.split("/income_statement/")[0].rstrip("/")


def _shoot(tab, name: str) -> None:
    assert name in SHOTS, f"{name}: say what the screenshot shows in SHOTS"
    SCREENS.mkdir(parents=True, exist_ok=True)
    target = SCREENS / f"{name}.png"
    # Fava scrolls its <article>, not the page: grow the window to the content to see it all.
    height = tab.evaluate("() => document.querySelector('article').scrollHeight + 60")
    tab.set_viewport_size({"width": 1400, "height": max(900, min(int(height), 8000))})
    tab.screenshot(path=str(target), full_page=True)
    tab.set_viewport_size({"width": 1400, "height": 900})
    assert target.stat().st_size > 10_000


def _goto(tab, url: str) -> None:
    tab.goto(url)
    tab.wait_for_load_state("networkidle")


def test_every_pilot_page_in_chromium(server: str, tab) -> None:
    pilot = f"{_root(tab, server)}/extension/PilotExtension/"
    for name, heading, query in PAGES:
        _goto(tab, f"{pilot}{name}?{query}")
        assert tab.locator("article h2").first.inner_text() == heading
        assert tab.locator("article nav.xt-nav a").count() == len(PAGES)
        assert tab.locator("#xt-day").inner_text().startswith("显示 ")
        _shoot(tab, f"pilot-{name or 'pools'}")
    _goto(tab, f"{pilot}?as_of=2026-06-01")
    warning = tab.locator("#xt-past-books").inner_text()
    assert "晚于账簿最后一笔分录（2026-01-01）" in warning
    _shoot(tab, "pilot-past-books")
    assert tab.errors == []  # type: ignore[attr-defined]


def test_a_pools_page_tells_its_true_balance_on_any_day(server: str, tab, demo_books: Path) -> None:
    cli = json.loads(xt(demo_books, "pools", "--as-of", AS_OF, "--format", "json").stdout)
    available = {row["pool"]: row["available"] for row in cli["rows"]}[POOL]
    shown = f"{float(available):,.2f}"
    pilot = f"{_root(tab, server)}/extension/PilotExtension/"
    _goto(tab, f"{pilot}?as_of={AS_OF}")
    row = tab.locator(f'tr[data-pool="{POOL}"]')
    assert row.locator("td.xt-balance").inner_text() == shown == "1,701.63"
    row.locator("a.xt-pool-link").click()  # one click from 统筹账户
    tab.wait_for_function(
        "() => document.querySelector('article h2')?.textContent === '统筹账户明细'"
    )
    assert tab.locator("#xt-pool-balance").inner_text() == shown
    premium = tab.locator('#xt-pool-ledger tr[data-date="2025-07-07"]')
    assert "支付电梯保险费" in premium.inner_text() and "4,800.00" in premium.inner_text()
    assert premium.locator("td.xt-running").inner_text() == shown
    chart = tab.locator("svg.xt-chart")
    assert chart.is_visible() and chart.bounding_box()["width"] > 500
    # Fava's own page of the pool's account says the same, for the period it shows.
    _goto(tab, f"{_root(tab, server)}/account/{quote(POOL_ACCOUNT, safe=':')}/?time=2025-09")
    note = tab.locator("#xt-pool-note")
    note.wait_for(state="visible")
    assert "2025-09-30 日终可用余额 1,701.63 元" in note.inner_text()
    assert "4,800.00 元保费" in note.inner_text()
    _shoot(tab, "fava-pool-account")
    note.locator("a").click()
    tab.wait_for_function(
        "() => document.querySelector('#xt-pool-balance')?.textContent === '1,701.63'"
    )
    assert tab.errors == []  # type: ignore[attr-defined]


def test_a_closed_years_income_and_expense_from_the_sidebar(server: str, tab) -> None:
    _root(tab, server)
    tab.locator("a", has_text="收支表（会住维02表）").first.click()
    tab.wait_for_function("() => document.querySelector('article h2')?.textContent === '收支表'")
    tab.locator("article a", has_text="2025年").first.click()
    tab.wait_for_function("() => document.body.innerText.includes('2025年度')")
    table = tab.locator("#xt-income")
    assert "93,682.70" in table.locator('tr[data-item="存款利息收入"]').inner_text()
    assert "15,206.58" in table.locator('tr[data-item="维修支出"]').inner_text()
    assert "5,000.00" in table.locator('tr[data-item="返还支出"]').inner_text()
    assert "73,476.12" in table.locator('tr[data-item="本期收支差额"]').inner_text()
    # Fava's own income statement without the closes, from its sidebar link, for 2025.
    tab.locator("a", has_text="损益表（不含结转）").first.click()
    tab.wait_for_url("**/income_statement/**")
    _goto(tab, tab.url + "&time=2025")
    tab.wait_for_function("() => document.querySelector('article').innerText.includes('93,682.70')")
    text = tab.locator("article").inner_text()
    assert "93,682.70" in text and "20,206.58" in text and "15,206.58" in text
    assert "73,476.12" in text and "-73,476.12" not in text and "-93,682.70" not in text
    _shoot(tab, "fava-income-without-closes")
    assert tab.errors == []  # type: ignore[attr-defined]


def test_amounts_carry_separators_and_credit_balances_are_positive(server: str, tab) -> None:
    _goto(tab, f"{_root(tab, server)}/balance_sheet/")
    tab.wait_for_function("() => document.querySelector('article').innerText.includes(',')")
    text = tab.locator("article").inner_text()
    assert re.search(r"\b\d{1,3}(?:,\d{3})+\.\d{2}\b", text)
    assert not re.search(r"(?<![\d,.])\d{4,}\.\d{2}\b", text), "an amount without separators"
    # The demo's bank balances and its net assets (a credit balance), shown positive.
    assert "5,333,479.46" in text and "5,329,579.46" in text and "-5,329,579.46" not in text
    _shoot(tab, "fava-balance-sheet")
    pilot = f"{_root(tab, server)}/extension/PilotExtension/"
    for name, _, query in PAGES:
        if name == "coverage":  # counts and percentages only
            continue
        _goto(tab, f"{pilot}{name}?{query}")
        amounts = tab.locator("article td.num").all_inner_texts()
        assert any("," in a for a in amounts), name
        assert not [a for a in amounts if re.fullmatch(r"-?\d{4,}\.\d{2}", a.strip())], name
    assert tab.errors == []  # type: ignore[attr-defined]


def test_a_statements_link_opens_the_archived_file(server: str, tab, demo_books: Path) -> None:
    archived = (demo_books.parent / ARCHIVED).read_bytes()
    root = _root(tab, server)
    # From Fava's journal, its metadata shown: the entry's document link.
    _goto(tab, f"{root}/journal/?filter=%5E43050163620800001234-CCB20250321000034")
    tab.locator("article button", has_text="元数据").click()
    link = tab.locator("a.filename", has_text="2025-06-20.CCB-1234-20250321-20250620.xls").first
    link.wait_for(state="visible")
    _shoot(tab, "fava-statement-entry")
    with tab.expect_download() as download:
        link.click()
    assert Path(download.value.path()).read_bytes() == archived
    # From the pilot's 利差: the receipt's statement.
    _goto(tab, f"{root}/extension/PilotExtension/spreads?as_of=2025-12-31")
    href = tab.locator(
        'tr[data-receipt="R-43050163620800001234-20250620"] a.xt-document'
    ).first.get_attribute("href")
    response = tab.request.get(urljoin(tab.url, href))
    assert response.ok and response.body() == (
        next(demo_books.parent.rglob("2025-06-30.CCB-1234-*.xls")).read_bytes()
    )
    # Fava's Documents page lists the archive; the notices and tallies too.
    _goto(tab, f"{root}/documents/")
    tab.wait_for_function(
        "() => document.querySelector('article').innerText.includes('APP-2024-002.pdf')"
    )
    text = tab.locator("article").inner_text()
    assert "CCB-1234-20250321-20250620.xls" in text and "APP-2024-002-2024-11-09.csv" in text
    _shoot(tab, "fava-documents")
    assert tab.errors == []  # type: ignore[attr-defined]


def test_navigation_and_links_into_fava(server: str, tab) -> None:
    pilot = f"{_root(tab, server)}/extension/PilotExtension/"
    _goto(tab, f"{pilot}?as_of={AS_OF}")
    # Fava's router loads the next page in place; the heading follows.
    tab.locator("article nav.xt-nav a", has_text="申请与公示").click()
    tab.wait_for_function(
        "() => document.querySelector('article h2')?.textContent === '申请与公示'"
    )
    # A record's link opens the entry in Fava's context modal.
    _goto(tab, f"{pilot}applications?as_of=2025-12-31")
    tab.locator('tr[data-application="APP-2024-002"] a[href^="#context-"]').first.click()
    modal = tab.locator(".overlay, dialog, [role=dialog]").filter(has_text="APP-2024-002").first
    modal.wait_for(state="visible")
    _shoot(tab, "pilot-context-modal")
    # The notice's PDF opens from its record.
    _goto(tab, f"{pilot}applications?as_of=2025-12-31")
    pdf = tab.locator('tr[data-records="APP-2024-002"] a.xt-document', has_text="公示（PDF）")
    response = tab.request.get(urljoin(tab.url, pdf.get_attribute("href")))
    assert response.ok and response.headers["content-type"] == "application/pdf"
    assert tab.errors == []  # type: ignore[attr-defined]


def test_a_read_write_fava_refuses_save_and_delete(demo_copy: Path, tab) -> None:
    """Fava run bare (read-write) offers 保存 and 删除 on a booked entry: the extension
    refuses the write before Fava dispatches it, the page says so, the books are unchanged."""
    from fava.application import create_app

    from xtaccounts.fava_ext.serve import bind

    before = snapshot(demo_copy.parent)
    bare = bind(create_app([demo_copy], load=True, read_only=False), "127.0.0.1", 0)
    thread = threading.Thread(target=bare.serve, daemon=True)
    thread.start()
    try:
        root = _root(tab, bare.url)
        _goto(tab, f"{root}/journal/?filter=%5EAPP-2024-004")
        tab.locator('a[href^="#context-"]').first.click()
        delete = tab.locator("button", has_text="删除")
        delete.wait_for(state="visible")
        with tab.expect_response(lambda r: r.request.method == "DELETE") as answer:
            delete.click()
        assert answer.value.status == 403
        tab.wait_for_function(
            "text => document.body.innerText.includes(text)", arg="账簿只能通过 xtaccounts 命令写入"
        )
        _shoot(tab, "fava-read-write-delete-refused")
        # 保存 after an edit: the same refusal.
        tab.locator(".cm-content").first.click()
        tab.keyboard.press("End")
        tab.keyboard.type(" ")
        with tab.expect_response(lambda r: r.request.method == "PUT") as saved:
            tab.locator("button", has_text="保存").click()
        assert saved.value.status == 403
        assert WRITE_REFUSED in saved.value.json()["error"]
    finally:
        bare.server.stop()
        thread.join(timeout=20)
    assert snapshot(demo_copy.parent) == before
    # What the browser logged is Fava's own report of the refusals, nothing else.
    assert all("403" in e or "账簿只能通过" in e for e in tab.errors), tab.errors  # type: ignore[attr-defined]


def test_screenshots_are_listed() -> None:
    """Every screenshot saved is one `SHOTS` describes (run after the others)."""
    if not SCREENS.is_dir():
        pytest.skip("no screenshots yet")
    saved = {p.stem for p in SCREENS.glob("*.png")}
    assert saved <= set(SHOTS), saved - set(SHOTS)
