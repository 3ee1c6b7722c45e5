"""What Fava and the pilot's pages show tells the truth (issue 19), through Fava's Flask client
on the demo books: a pool's true balance and every movement behind it; a closed period's
income and expense; which day a page shows; amounts, signs and language; source documents
listed and linked. (The same in a real browser: test_browser.py.)"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.fava_ext.test_extension import EXT, _client, article, cells, grouped, page, rows, table
from tests.helpers import xt
from xtaccounts.export.forms import load_forms
from xtaccounts.export.period import export_period
from xtaccounts.export.statutory_statements import build_statements
from xtaccounts.reading.ledger import open_ledger

POOL_B04 = "Equity:Undistributed-待分配累计收益:Pool-统筹账户:C0001-金泉小区:B04-4栋"
ICBC = "Assets:Bank-银行存款:ICBC-工商银行:Demand-活期8821"


@pytest.fixture(scope="module")
def client(demo_books: Path):
    return _client(demo_books)


def ledger_data(client) -> dict:
    html = client.get(f"/{client.slug}/balance_sheet/").get_data(as_text=True)
    return json.loads(re.search(r'id="ledger-data">(.*?)</script>', html, re.S).group(1))


# -- 1. a pool's balance on any day ---------------------------------------------------------


def test_the_pools_page_on_2025_09_30_is_pools_as_of(client, demo_books: Path) -> None:
    cli = json.loads(xt(demo_books, "pools", "--as-of", "2025-09-30", "--format", "json").stdout)
    html = article(page(client, "pool", pool="C0001-B04", as_of="2025-09-30"))
    available = {row["pool"]: row["available"] for row in cli["rows"]}["C0001-B04"]
    assert available == "1701.63"
    assert f'id="xt-pool-balance">{grouped(available)}<' in html
    assert 'id="xt-pool-account-balance">6,501.63<' in html  # what Fava's account page adds up
    assert 'id="xt-pool-not-closed">4,800.00<' in html
    ledger = table(html, "xt-pool-ledger")
    assert [r[0] for r in ledger] == ["2024-09-15", "2024-12-31", "2025-06-30", "2025-07-07"]
    premium = ledger[-1]
    assert premium[1] == "支付电梯保险费" and "APP-2024-004-P1" in premium[2]
    assert premium[3:7] == ["", "4,800.00", "1,701.63", "6,501.63"]
    assert [r[5] for r in ledger] == ["3,199.07", "4,684.30", "6,501.63", "1,701.63"]


def test_every_pools_page_agrees_with_pools_as_of(client, demo_books: Path) -> None:
    for day in ("2024-12-31", "2025-09-30", "2025-12-31"):
        cli = json.loads(xt(demo_books, "pools", "--as-of", day, "--format", "json").stdout)
        for row in cli["rows"]:
            html = article(page(client, "pool", pool=row["pool"], as_of=day))
            assert f'id="xt-pool-balance">{grouped(row["available"])}<' in html, (day, row)


def test_the_pools_ledger_links_each_movement_and_the_pools_journal(client) -> None:
    html = article(page(client, "pool", pool="C0001-B04", as_of="2025-12-31"))
    ledger = table(html, "xt-pool-ledger")
    close = next(r for r in ledger if r[1].startswith("结转"))
    assert close[0] == "2025-12-31" and close[4] == "0.00" and close[6] == close[5]
    for entry_hash in re.findall(r'href="#context-([0-9a-f]+)"', html):
        response = client.get(
            f"/{client.slug}/api/context", query_string={"entry_hash": entry_hash}
        )
        assert response.status_code == 200
    journal = re.search(r'id="xt-pool-journal" href="([^"]+)"', html).group(1)
    response = client.get(journal.replace("&amp;", "&"))
    assert response.status_code == 200
    query = parse_qs(urlsplit(journal.replace("&amp;", "&")).query)["filter"][0]
    entries = client.get(
        f"/{client.slug}/api/journal", query_string={"filter": query, "time": "2025"}
    ).get_json()["data"]
    dates = {(e["date"], e["t"]) for e in entries}
    # The premium (pool: on a posting), the close, the policy record (pool: on the entry).
    assert ("2025-07-07", "Transaction") in dates and ("2025-12-31", "Transaction") in dates
    assert ("2025-07-07", "Custom") in dates


def test_pools_are_linked_to_their_ledger_wherever_they_are_shown(client) -> None:
    for name, attribute in (("", "data-pool"), ("applications", "data-application")):
        html = article(page(client, name, as_of="2025-12-31"))
        assert "pool?pool=C0001-B04&amp;as_of=2025-12-31" in html, name
        assert rows(html, attribute)
    html = article(page(client, "policies", as_of="2026-05-20", days="60"))
    assert "pool?pool=C0001-B04&amp;as_of=2026-05-20" in html


def test_favas_page_of_a_pool_gets_its_true_balance(client) -> None:
    note = client.get(
        f"/{client.slug}/extension/{EXT}/pool_note",
        query_string={"account": POOL_B04, "time": "2025-09"},
    ).get_json()
    assert note["pool"] == "C0001-B04" and note["day"] == "2025-09-30"
    assert (note["balance"], note["account_balance"], note["not_closed"]) == (
        "1,701.63",
        "6,501.63",
        "4,800.00",
    )
    assert "pool?pool=C0001-B04&as_of=2025-09-30" in note["url"]
    other = client.get(
        f"/{client.slug}/extension/{EXT}/pool_note", query_string={"account": ICBC}
    ).get_json()
    assert other == {}
    js = client.get(f"/{client.slug}/extension_js_module/{EXT}.js")
    assert js.status_code == 200 and b"pool_note" in js.data


# -- 2. income and expense of a closed period -----------------------------------------------


def test_the_income_page_shows_02_as_the_export_does(client, demo_books: Path) -> None:
    html = article(page(client, "income", period="2025"))
    shown = {r[0]: r for r in table(html, "xt-income")}
    assert shown["存款利息收入"][4] == "93,682.70"
    assert shown["维修支出"][4] == "15,206.58"
    assert shown["返还支出"][4] == "5,000.00"
    assert shown["本期收支差额"][4] == "73,476.12"
    books = open_ledger(demo_books)
    period = export_period("2025", books.registry.pilot.books_start)
    form = build_statements(books.registry, load_forms(books.registry), books.entries, period)
    exported = next(t for t in form.tables if t.stem == "02-income-expenditure")
    for row in exported.rows:
        if row[1] is not None:
            assert shown[row[0]][3:5] == [grouped(row[3]), grouped(row[4])], row[0]
    fava = re.search(r'id="xt-fava-income" href="([^"]+)"', html).group(1)
    assert "time=2025" in fava and "filter=-kind%3A%22close%22" in fava


def test_the_income_page_defaults_to_the_last_year_with_transactions(client) -> None:
    html = article(page(client, "income"))
    assert "2025年度" in html and "默认：所示日期前最后一笔交易所在的年度" in html
    month = {r[0]: r for r in table(article(page(client, "income", period="2025-06")), "xt-income")}
    assert month["返还支出"][3] == "5,000.00"  # June 2025: the refund
    assert (
        client.get(
            f"/{client.slug}/extension/{EXT}/income", query_string={"period": "2025-13"}
        ).status_code
        == 400
    )


def test_the_sidebar_leads_to_the_income_and_expense_without_a_filter_to_remember(client) -> None:
    links = dict(ledger_data(client)["sidebar_links"])
    income = links["收支表（会住维02表）"]
    assert income.endswith(f"/extension/{EXT}/income")
    assert client.get(income).status_code == 200
    fava = links["损益表（不含结转）"]
    assert fava.endswith("/income_statement/?filter=-kind%3A%22close%22")
    trees = client.get(
        f"/{client.slug}/api/income_statement",
        query_string={"time": "2025", "filter": '-kind:"close"'},
    ).get_json()["data"]["trees"]
    totals = {tree["account"]: tree["balance_children"]["CNY"] for tree in trees}
    # Beancount's signs in the API; Fava's pages turn income positive (the invert option).
    assert totals == {"Income": -93682.7, "Expenses": 20206.58, "净利润": -73476.12}


# -- 3. which day a page shows --------------------------------------------------------------


PAGES = ["", "pool", "income", "coverage", "applications", "policies", "spreads"]


@pytest.mark.parametrize("name", PAGES)
def test_every_page_says_which_day_it_shows(client, name: str, monkeypatch) -> None:
    monkeypatch.setenv("XT_TODAY", "2026-12-06")
    html = article(page(client, name))
    assert "显示 2026-01-01 日终的账簿（默认：账簿最后一笔分录的日期）" in html
    assert 'id="xt-past-books"' not in html
    past = article(page(client, name, as_of="2026-06-01"))
    assert "显示 2026-06-01 日终的账簿" in past
    assert "所选日期 2026-06-01 晚于账簿最后一笔分录（2026-01-01）" in past
    monkeypatch.setenv("XT_TODAY", "2025-09-30")  # before the books' last entry: today
    assert "显示今天 2025-09-30 日终的账簿" in article(page(client, name))


def test_on_the_books_day_lapsed_policies_and_eligibility_are_shown(client, monkeypatch) -> None:
    monkeypatch.setenv("XT_TODAY", "2026-12-06")
    html = article(page(client, "coverage"))
    assert "已投保" in html and "符合条件" in html
    pools = article(page(client, ""))
    assert "已投保" in cells(rows(pools, "data-pool")["C0001-B04"])[7]


# -- 4. numbers, signs and language ---------------------------------------------------------


def test_favas_own_options_for_chinese_statements(client) -> None:
    options = ledger_data(client)["fava_options"]
    assert options["locale"] == "zh_CN" and options["language"] == "zh"
    assert options["invert_income_liabilities_equity"] is True


def test_books_that_set_an_option_keep_it(demo_copy: Path) -> None:
    main = demo_copy.read_text("utf-8")
    demo_copy.write_text(main + '\n2000-01-01 custom "fava-option" "locale" "en"\n', "utf-8")
    options = ledger_data(_client(demo_copy))["fava_options"]
    assert options["locale"] == "en" and options["language"] == "zh"


def test_reasons_and_details_on_the_pages_are_chinese(client) -> None:
    """The reasons (whole in the tooltip) and every detail, in Chinese by default."""
    html = article(page(client, "", as_of="2025-09-30"))
    reasons = re.findall(r'<li title="([^"]*)">([^<]*)</li>', html)
    assert len(reasons) > 10
    for full, shown in reasons:
        label, _, message = shown.partition("：")
        assert re.match(r"[\u4e00-\u9fff]", label) and re.match(r"[\u4e00-\u9fff]", message)
        # codes and units only, and a registry file and field where the user must edit them
        assert not re.search(
            r"[A-Za-z]{4,}", re.sub(r"registry/[\w./]+|\b[a-z]+_[a-z_]+\b", "", shown)
        ), shown
        assert message in full
    for name, as_of in (("applications", "2025-12-31"), ("coverage", "2025-09-30")):
        html = article(page(client, name, as_of=as_of))
        details = re.findall(r'class="xt-muted[^"]*" title="[^"]*">([^<]*)<', html)
        assert details, name
        for shown in details:
            assert not re.search(r"[A-Za-z]{4,}", shown), (name, shown)


# -- 5. source documents --------------------------------------------------------------------


def test_documents_are_listed_where_fava_lists_them(client, demo_books: Path) -> None:
    documents = client.get(f"/{client.slug}/api/documents").get_json()["data"]
    names = {Path(d["filename"]).name for d in documents}
    archived = {p.name for p in (demo_books.parent / "documents" / "Assets").rglob("*.*")}
    assert len(archived) == 30 and archived <= names
    assert {"APP-2024-002.pdf", "APP-2024-002.html", "APP-2024-002-2024-11-09.csv"} <= names
    assert len(documents) == 46


def test_an_entry_booked_from_a_statement_opens_the_archived_file(client, demo_books: Path) -> None:
    ext = client.app_.config["LEDGERS"].ledgers[0].extensions.get_extension(EXT)
    fava = ext.ledger
    entry = next(
        e for e in fava.all_entries if e.meta.get("statement") == "1234_20250321_20250620.xls"
    )
    assert entry.meta["document"] == "2025-06-20.CCB-1234-20250321-20250620.xls"
    from fava.beans.funcs import hash_entry

    response = client.get(
        f"/{client.slug}/statement/",
        query_string={"entry_hash": hash_entry(entry), "key": "document"},
    )
    archived = demo_books.parent / (
        "documents/Assets/Bank-银行存款/CCB-建设银行/Demand-活期1234/"
        "2025-06-20.CCB-1234-20250321-20250620.xls"
    )
    assert response.status_code == 200 and response.data == archived.read_bytes()


def test_the_spreads_and_applications_pages_link_their_documents(client, demo_books) -> None:
    html = article(page(client, "spreads", as_of="2025-12-31"))
    receipt = rows(html, "data-receipt")["R-43050163620800001234-20250620"]
    link = re.search(r'class="xt-document"[^>]*href="([^"]+)"', receipt).group(1)
    response = client.get(link.replace("&amp;", "&"))
    assert response.status_code == 200
    assert response.data == next(demo_books.parent.rglob("2025-06-30.CCB-*.xls")).read_bytes()
    html = article(page(client, "applications", as_of="2025-12-31"))
    records = rows(html, "data-records")["APP-2024-002"]
    links = dict(
        (label, href)
        for href, label in re.findall(r'class="xt-document"[^>]*href="([^"]+)">([^<]+)<', records)
    )
    assert set(links) == {"公示（PDF）", "公示（网页）", "表决计票表"}
    pdf = client.get(links["公示（PDF）"].replace("&amp;", "&"))
    notice = demo_books.parent / "documents/notices/APP-2024-002.pdf"
    assert pdf.status_code == 200 and pdf.data == notice.read_bytes()
    assert pdf.headers["Content-Type"] == "application/pdf"


def test_the_books_files_and_what_commands_read_are_unchanged(demo_books: Path) -> None:
    """The documents are added to Fava's view only: the books hold no document entries."""
    books = open_ledger(demo_books)
    assert not any(type(e).__name__ == "Document" for e in books.entries)
    assert not any("document" in (e.meta or {}) and e.meta.get("statement") for e in books.entries)


# -- 6. pictures ----------------------------------------------------------------------------


def test_charts_with_chinese_labels(client) -> None:
    pools = article(page(client, "", as_of="2025-12-31"))
    assert 'aria-label="全部统筹账户可用余额合计"' in pools
    pool = article(page(client, "pool", pool="C0001-B04", as_of="2025-12-31"))
    assert 'aria-label="统筹账户 C0001-B04 可用余额"' in pool
    assert "2025-07-07：1,701.63 元" in pool  # the premium's day, on the line
    spreads = article(page(client, "spreads", as_of="2025-12-31"))
    svg = re.search(r'<svg[^>]*aria-label="利差按月收到与分配".*?</svg>', spreads, re.S).group(0)
    assert "2024-09 分配入统筹账户：35,640.83 元" in svg
    assert "收到利差" in svg and not re.search(r'(src|href)="(https?:)?//', spreads)


def test_spreads_on_a_day_leave_later_allocations_out(client) -> None:
    html = article(page(client, "spreads", as_of="2024-12-15"))
    assert 'id="xt-spread-unallocated">0.00<' not in html
    allocations = table(html, "xt-allocations")
    assert [a[0] for a in allocations] == ["2024-09-15"]
