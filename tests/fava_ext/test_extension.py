"""The pilot's Fava pages on the demo books: the figures are those of the CLI, the headings are
Chinese, links open Fava's own pages and entries, owners stay masked, the work is cached."""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from decimal import Decimal
from pathlib import Path

import pytest
from fava.application import create_app

from tests.helpers import xt

EXT = "PilotExtension"


def _client(main: Path):
    app = create_app([main], load=True, read_only=True)
    app.config["TESTING"] = True
    client = app.test_client()
    location = client.get("/").headers["Location"]
    client.slug = location.strip("/").split("/")[0]  # type: ignore[attr-defined]
    client.app_ = app  # type: ignore[attr-defined]
    return client


@pytest.fixture(scope="module")
def client(demo_books: Path):
    return _client(demo_books)


def page(client, name: str = "", **args: str) -> str:
    response = client.get(f"/{client.slug}/extension/{EXT}/{name}", query_string=args)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def article(html: str) -> str:
    """The page's own content (Fava's layout around it carries ledger data)."""
    return html.split("<article>", 1)[1].split("</article>", 1)[0]


def rows(html: str, attribute: str) -> dict[str, str]:
    return dict(re.findall(rf'<tr {attribute}="([^"]+)">(.*?)</tr>', html, re.S))


def cells(row: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    ]


def grouped(amount: str | Decimal) -> str:
    """An amount as the pages show it: ``2,883.08``."""
    return f"{Decimal(amount):,.2f}"


def num(text: str) -> Decimal:
    """An amount shown on a page back to a Decimal."""
    return Decimal(text.replace(",", ""))


def table(html: str, table_id: str) -> list[list[str]]:
    found = re.search(rf'<table[^>]*id="{table_id}"[^>]*>(.*?)</table>', html, re.S)
    assert found, f"no table {table_id}"
    body = found.group(1).split("<tbody>", 1)[1]
    return [cells(r) for r in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)]


PAGES = {
    "": "统筹账户",
    "pools": "统筹账户",
    "coverage": "保险覆盖率",
    "applications": "申请与公示",
    "policies": "保单到期",
    "spreads": "利差",
}


@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_has_its_chinese_heading_and_the_navigation(client, name: str) -> None:
    html = article(page(client, name))
    assert f"<h2>{PAGES[name]}</h2>" in html
    for title in ("统筹账户", "保险覆盖率", "申请与公示", "保单到期", "利差"):
        assert f">{title}</a>" in html
    assert "xt-error" not in html.replace(".xt-error", "")


def test_the_extension_is_loaded_without_errors(client) -> None:
    data = client.get(f"/{client.slug}/api/errors").get_json()
    assert data["data"] == []
    html = client.get(f"/{client.slug}/balance_sheet/").get_data(as_text=True)
    ledger_data = re.search(r'id="ledger-data">(.*?)</script>', html, re.S).group(1)
    extensions = json.loads(ledger_data)["extensions"]
    assert {"name": EXT, "report_title": "电梯保险试点", "has_js_module": True} in extensions


def test_pool_balances_are_those_of_the_cli(client, demo_books: Path) -> None:
    cli = json.loads(xt(demo_books, "pools", "--as-of", "2025-12-31", "--format", "json").stdout)
    html = article(page(client, "pools", as_of="2025-12-31"))
    shown = rows(html, "data-pool")
    assert len(shown) == cli["pools"] == 17
    for row in cli["rows"]:
        assert cells(shown[row["pool"]])[4] == grouped(row["available"]), row["pool"]
    assert cells(shown["C0001-B01"])[4] == "2,883.08"
    assert f">{grouped(cli['available'])}<" in html  # the total


def test_a_pool_shows_premium_years_and_each_elevators_eligibility(client) -> None:
    html = article(page(client, "pools", as_of="2025-12-31"))
    shown = rows(html, "data-pool")
    b01 = cells(shown["C0001-B01"])
    assert b01[0].split()[0] == "C0001-B01"
    assert b01[1:4] == ["金泉小区 1栋", "雨湖区", "楼栋"]
    assert b01[5:7] == ["6,400.00", "0.4"]  # two elevators of 3200.00 a year; 2883.08 holds 0.4
    assert "已投保" in b01[7] and "APP-2024-002-P2" in b01[7]
    failed = cells(shown["C0001-B03-U2"])[7]
    assert "不符合条件" in failed and "定期检验" in failed and "不合格" in failed
    assert "符合条件" in cells(shown["C0001-B02-U1"])[7]


def test_pool_rows_link_to_the_pools_ledger_and_to_favas_account_page(client) -> None:
    html = article(page(client, "pools", as_of="2025-12-31"))
    row = rows(html, "data-pool")["C0001-B01"]
    ledger = re.search(r'class="xt-pool-link" href="([^"]+)">C0001-B01</a>', row).group(1)
    assert "pool?pool=C0001-B01&amp;as_of=2025-12-31" in ledger
    shown = client.get(ledger.replace("&amp;", "&"))
    assert shown.status_code == 200
    assert 'id="xt-pool-balance">2,883.08<' in shown.get_data(as_text=True)
    account = re.search(r'href="([^"]+/account/[^"]+)">Fava 科目页</a>', row).group(1)
    assert client.get(account).status_code == 200


def test_pools_filter_by_district_and_community(client) -> None:
    yuhu = rows(article(page(client, "pools", as_of="2025-12-31", district="雨湖区")), "data-pool")
    assert yuhu and all(pool.startswith("C0001") for pool in yuhu)
    c2 = rows(article(page(client, "pools", as_of="2025-12-31", community="C0002")), "data-pool")
    assert c2 and all(pool.startswith("C0002") for pool in c2)
    none = article(page(client, "pools", district="无此区"))
    assert "没有符合条件的统筹账户" in none


def test_eligibility_follows_as_of(client) -> None:
    early = rows(article(page(client, "pools", as_of="2024-09-30")), "data-pool")
    # Before any purchase nothing is insured yet.
    assert all("已投保" not in cells(r)[7] for r in early.values())


def test_coverage_against_the_targets(client) -> None:
    html = article(page(client, "coverage", as_of="2025-12-31"))
    targets = table(html, "xt-targets")
    assert targets[0] == ["2024-12-31", "≥ 40%", "3", "2", "66.67%", "达标"]
    assert targets[1] == ["2025-12-31", "≥ 100%", "7", "5", "71.43%", "未达标"]
    assert 'id="xt-coverage-percent">71.43%<' in html
    districts = {r[0]: r for r in table(html, "xt-by-district")}
    assert districts["雨湖区"][1:] == ["5", "5", "4", "80.00%"]
    assert districts["岳塘区"][1:] == ["3", "2", "1", "50.00%"]
    assert "C0001 金泉小区" in [r[0] for r in table(html, "xt-by-community")]


@pytest.mark.parametrize("as_of", ["2024-12-31", "2025-06-30", "2025-12-31"])
def test_coverage_is_that_of_the_cli(client, demo_books: Path, as_of: str) -> None:
    cli = json.loads(xt(demo_books, "coverage", "--as-of", as_of, "--format", "json").stdout)
    html = article(page(client, "coverage", as_of=as_of))
    summary = re.search(r'class="xt-summary">(.*?)</div>\s*<h3>', html, re.S).group(1)
    figures = re.findall(r"<strong[^>]*>([^<]*)</strong>", summary)
    assert figures == [str(cli["eligible"]), str(cli["insured"]), f"{cli['percent']}%"]
    shown = table(html, "xt-targets")
    for target, row in zip(cli["targets"], shown, strict=True):
        assert row[0] == target["date"]
        assert row[2:5] == [
            str(target["eligible"]),
            str(target["insured"]),
            f"{target['percent']}%",
        ]
    labels = {"insured": "已投保", "uninsured": "符合条件未投保", "ineligible": "不符合条件"}
    elevators = {r[0]: r for r in table(html, "xt-coverage-elevators")}
    assert set(elevators) == {r["elevator"] for r in cli["rows"]}
    for row in cli["rows"]:
        assert elevators[row["elevator"]][2:4] == [row["application"], labels[row["status"]]]


def test_coverage_chart_is_inline_svg_without_external_resources(client) -> None:
    html = article(page(client, "coverage", as_of="2025-12-31"))
    svg = re.search(r"<svg.*?</svg>", html, re.S).group(0)
    assert "<polyline" in svg and "目标 40%" in svg and "目标 100%" in svg
    assert "2024-12-31: 66.67%" in svg and "2025-12-31: 71.43%" in svg
    assert not re.search(r'(src|href)="(https?:)?//', html)


def test_applications_by_state_with_notice_days_and_objections(client) -> None:
    html = article(page(client, "applications", as_of="2024-10-18"))
    apps = {k: cells(v) for k, v in rows(html, "data-application").items()}
    assert set(apps) == {"APP-2024-001", "APP-2024-002"}
    app2 = apps["APP-2024-002"]
    assert app2[4].startswith("公示中")
    assert app2[5:8] == ["2024-10-16..2024-10-22", "5", "1"]
    assert "保险费偏高" in rows(html, "data-records")["APP-2024-002"]
    later = {
        k: cells(v)
        for k, v in rows(
            article(page(client, "applications", as_of="2025-12-31")), "data-application"
        ).items()
    }
    assert later["APP-2024-003"][4].startswith("表决未通过")
    assert "2024-12-07 未通过" in later["APP-2024-003"][8]
    assert later["APP-2025-002"][4].startswith("已退保")
    only = rows(
        article(page(client, "applications", as_of="2025-12-31", stage="insured")),
        "data-application",
    )
    assert set(only) == {"APP-2024-001", "APP-2024-002", "APP-2024-004", "APP-2024-005"}


def test_application_links_open_the_entries_in_fava(client) -> None:
    html = article(page(client, "applications", as_of="2025-12-31"))
    row = rows(html, "data-application")["APP-2024-002"]
    records = rows(html, "data-records")["APP-2024-002"]
    hashes = re.findall(r'href="#context-([0-9a-f]+)"', row + records)
    assert len(hashes) >= 5  # application, notice, objection, vote, policies
    for entry_hash in hashes:
        context = client.get(f"/{client.slug}/api/context", query_string={"entry_hash": entry_hash})
        assert context.status_code == 200, entry_hash
    first = client.get(f"/{client.slug}/api/context", query_string={"entry_hash": hashes[0]})
    assert "APP-2024-002" in json.dumps(first.get_json(), ensure_ascii=False)
    journal = re.search(r'href="([^"]+/journal/\?filter=[^"]+)"', row).group(1)
    assert "filter=%5EAPP-2024-002" in journal
    assert client.get(journal.replace("&amp;", "&")).status_code == 200


def test_policies_expiring_within_60_days(client) -> None:
    html = article(page(client, "policies", as_of="2025-10-01"))
    shown = {k: cells(v) for k, v in rows(html, "data-policy").items()}
    assert set(shown) == {"APP-2024-001-P1", "APP-2024-002-P1"}
    assert shown["APP-2024-001-P1"][-1] == "30"
    assert shown["APP-2024-002-P1"][-1] == "60"
    assert shown["APP-2024-001-P1"][4] == "湘潭某财产保险股份有限公司"
    fewer = rows(article(page(client, "policies", as_of="2025-10-01", days="30")), "data-policy")
    assert set(fewer) == {"APP-2024-001-P1"}
    assert "没有 10 天内到期的保单" in article(
        page(client, "policies", as_of="2025-10-01", days="10")
    )


def test_spreads_by_bank_deposit_month_and_allocation(client, demo_books: Path) -> None:
    from xtaccounts.reading.ledger import open_ledger

    fund = open_ledger(demo_books)
    receipts = [r for r in fund.positions.receipts if r.spread]
    received = sum((r.spread for r in receipts), Decimal(0))
    allocated = sum(
        (r.spread for r in receipts if r.id in fund.positions.spread_allocated), Decimal(0)
    )
    html = article(page(client, "spreads"))
    assert f'id="xt-spread-received">{grouped(received)}<' in html
    assert f'id="xt-spread-allocated">{grouped(allocated)}<' in html
    assert f'id="xt-spread-unallocated">{grouped(received - allocated)}<' in html
    banks = {r[0]: r for r in table(html, "xt-spread-bank")}
    assert set(banks) == {"中国工商银行湘潭分行", "中国建设银行湘潭分行"}
    assert sum(num(r[2]) for r in banks.values()) == received
    deposits = [r[0] for r in table(html, "xt-spread-deposit")]
    assert "中国工商银行湘潭分行 定期 存单ICBC2023002" in deposits
    months = {r[0]: r for r in table(html, "xt-spread-month")}
    assert sum(num(r[2]) for r in months.values()) == received
    assert months["2024-12"][1] == "3"
    allocations = table(html, "xt-allocations")
    assert allocations[0][1] == "历史利差一次性转入" and allocations[0][4] == "35,640.83"
    for line in allocations:
        assert line[3] == line[4]  # the spread of its receipts is what the pools got


def test_a_bad_parameter_is_a_message_not_a_crash(client) -> None:
    response = client.get(f"/{client.slug}/extension/{EXT}/pools", query_string={"as_of": "bad"})
    assert response.status_code == 400
    assert "不是日期：只接受 YYYY-MM-DD" in response.get_data(as_text=True)
    response = client.get(f"/{client.slug}/extension/{EXT}/policies", query_string={"days": "x"})
    assert response.status_code == 400
    assert client.get(f"/{client.slug}/extension/{EXT}/nothing").status_code == 404


def test_views_are_computed_once_per_load(client) -> None:
    ext = client.app_.config["LEDGERS"].ledgers[0].extensions.get_extension(EXT)
    page(client, "coverage", as_of="2025-12-31")
    views = ext.views()
    computed = views.coverage(dt.date(2025, 12, 31))
    page(client, "coverage", as_of="2025-12-31")
    assert ext.views() is views
    assert views.coverage(dt.date(2025, 12, 31)) is computed


def test_a_reload_of_the_books_rebuilds_the_views(demo_copy: Path) -> None:
    client = _client(demo_copy)
    ledger = client.app_.config["LEDGERS"].ledgers[0]
    ext = ledger.extensions.get_extension(EXT)
    page(client, "pools")
    before = ext.views()
    ledger.load_file()
    page(client, "pools")
    assert ext.views() is not before


def _until(check, seconds: float = 20.0) -> bool:
    """Poll `check` until it is true (Fava notices a changed file on a watcher thread)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return check()


def test_a_change_to_the_books_is_shown_not_stale_rows(demo_copy: Path) -> None:
    client = _client(demo_copy)

    def records() -> str:
        html = article(page(client, "applications", as_of="2025-12-31"))
        return rows(html, "data-records")["APP-2024-002"]

    assert "保险费偏高" in records()
    insurance = demo_copy.parent / "txns" / "2024" / "insurance.beancount"
    text = insurance.read_text("utf-8")
    assert text.count("保险费偏高") == 1
    insurance.write_text(text.replace("保险费偏高", "保费过高了"), "utf-8")
    assert _until(lambda: "保费过高了" in records()), "the page kept the old books"
    assert "保险费偏高" not in records()


def test_a_change_to_the_registry_is_shown_without_a_reload(demo_copy: Path) -> None:
    client = _client(demo_copy)
    ledger = client.app_.config["LEDGERS"].ledgers[0]
    before = ledger.all_entries

    def b01() -> list[str]:
        return cells(rows(article(page(client, "pools")), "data-pool")["C0001-B01"])

    assert b01()[1] == "金泉小区 1栋"
    communities = demo_copy.parent / "registry" / "communities.csv"
    text = communities.read_text("utf-8")
    communities.write_text(text.replace("C0001,金泉小区,", "C0001,金泉新村,"), "utf-8")
    assert b01()[1] == "金泉新村 1栋"
    assert ledger.all_entries is before  # the books were not reloaded: the registry was


def test_owners_are_masked(demo_copy: Path) -> None:
    insurance = demo_copy.parent / "txns" / "2024" / "insurance.beancount"
    text = insurance.read_text("utf-8")
    text = text.replace(
        'applicant_name: "金泉小区 1栋 业主 3 户（1单元101室、2单元201室、3单元302室）"',
        'applicant_name: "张三丰"',
    ).replace(
        'reason: "保险费偏高，统筹账户余额有限，要求全体业主表决"',
        'reason: "保险费偏高，联系电话13812345678"',
    )
    insurance.write_text(text, "utf-8")
    cancellations = demo_copy.parent / "txns" / "2025" / "insurance.beancount"
    text = cancellations.read_text("utf-8")
    old_reason = 'reason: "电梯纳入既有住宅电梯更新改造，整机更换，原保单退保"'
    assert old_reason in text
    text = text.replace(old_reason, 'reason: "整机更换，经办人电话13912345678"')
    cancellations.write_text(text, "utf-8")
    client = _client(demo_copy)
    html = article(page(client, "applications", as_of="2025-12-31"))
    assert "张三丰" not in html and "13812345678" not in html
    assert "张**" in html and "138****5678" in html
    assert "13912345678" not in html and "139****5678" in html
    # The coverage page's elevator list quotes the cancellation of APP-2025-002's policy.
    html = article(page(client, "coverage", as_of="2025-12-31"))
    assert "13912345678" not in html and "139****5678" in html


def test_long_lists_are_shown_a_page_at_a_time(client, monkeypatch) -> None:
    import xtaccounts.fava_ext as fava_ext

    monkeypatch.setattr(fava_ext, "ROWS_PER_PAGE", 5)
    first = article(page(client, "pools", as_of="2025-12-31"))
    second = article(page(client, "pools", as_of="2025-12-31", page="2"))
    last = article(page(client, "pools", as_of="2025-12-31", page="4"))
    assert len(rows(first, "data-pool")) == len(rows(second, "data-pool")) == 5
    assert len(rows(last, "data-pool")) == 2
    assert not set(rows(first, "data-pool")) & set(rows(second, "data-pool"))
    assert "第 2 / 4 页" in second and "上一页" in second and "下一页" in second
    assert "page=3" in second and "as_of=2025-12-31" in second


def test_a_day_past_the_calendar_is_refused(client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XT_TODAY", "9998-12-30")  # the input horizon lets 9999 through
    response = client.get(
        f"/{client.slug}/extension/{EXT}/coverage", query_string={"as_of": "9999-06-01"}
    )
    assert response.status_code == 400
    assert "日期不能晚于 9998-12-31" in response.get_data(as_text=True)


def test_a_broken_registry_is_shown_on_the_page_and_fava_keeps_serving(demo_copy: Path) -> None:
    elevators = demo_copy.parent / "registry" / "elevators.csv"
    elevators.write_text(elevators.read_text("utf-8") + "not-a-code,NOPE,x,y,z,,\n", "utf-8")
    client = _client(demo_copy)
    response = client.get(f"/{client.slug}/extension/{EXT}/pools")
    assert response.status_code == 500
    text = response.get_data(as_text=True)
    assert "<h2>统筹账户</h2>" in text and "登记册有" in text and "elevators.csv" in text
    assert client.get(f"/{client.slug}/balance_sheet/").status_code == 200


def test_the_chart_steps_by_quarter_or_by_month(client) -> None:
    def points(**args: str) -> list[str]:
        html = article(page(client, "coverage", as_of="2025-12-31", **args))
        return re.findall(r"<title>(\d{4}-\d{2}-\d{2}): [\d.]+%</title>", html)

    quarters = points()
    assert quarters == ["2024-12-31", "2025-03-31", "2025-06-30", "2025-09-30", "2025-12-31"]
    months = points(step="month")
    assert len(months) == 15 and set(quarters) <= set(months)  # 2024-10 .. 2025-12 with data
    response = client.get(f"/{client.slug}/extension/{EXT}/coverage", query_string={"step": "week"})
    assert response.status_code == 400
