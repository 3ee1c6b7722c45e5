"""The demo books in Fava: pages load, the account tree carries the Chinese names, no errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fava.application import create_app


@pytest.fixture(scope="module")
def client(demo_books: Path):
    app = create_app([demo_books], load=True, read_only=True)
    app.config["TESTING"] = True
    test_client = app.test_client()
    # Fava's URLs start with a slug of the ledger's title; follow the index redirect to learn it.
    location = test_client.get("/").headers["Location"]
    test_client.slug = location.strip("/").split("/")[0]  # type: ignore[attr-defined]
    return test_client


def _ledger_data(html: str) -> dict:
    found = re.search(
        r'<script type="application/json" id="ledger-data">(.*?)</script>', html, re.S
    )
    assert found, "page carries no ledger data"
    return json.loads(found.group(1))


def test_page_embeds_the_chinese_account_tree(client) -> None:
    page = client.get(f"/{client.slug}/balance_sheet/")
    assert page.status_code == 200
    data = _ledger_data(page.get_data(as_text=True))
    assert "湘潭市住宅专项维修资金" in json.dumps(data, ensure_ascii=False)
    accounts = data["accounts"]
    assert "Equity:Fund-维修资金:C0001-金泉小区:B03-3栋:U2-2单元" in accounts
    assert "Equity:Undistributed-待分配累计收益:Pool-统筹账户:C0001-金泉小区:B01-1栋" in accounts
    assert "Assets:Bank-银行存款:ICBC-工商银行:Demand-活期8821" in accounts


def test_balance_sheet_api_tree_has_the_chinese_components(client) -> None:
    response = client.get(f"/{client.slug}/api/balance_sheet")
    assert response.status_code == 200
    text = json.dumps(response.get_json(), ensure_ascii=False)
    for name in ("Fund-维修资金", "C0002-湖湘花园", "Pool-统筹账户", "CCB-建设银行"):
        assert name in text


def test_account_report_of_a_unit_fund(client) -> None:
    account = "Equity:Fund-维修资金:C0002-湖湘花园:B01-1栋:U2-2单元"
    response = client.get(f"/{client.slug}/api/account_report", query_string={"a": account})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]


def test_no_errors_in_fava(client) -> None:
    page = client.get(f"/{client.slug}/balance_sheet/")
    assert _ledger_data(page.get_data(as_text=True))["errors"] == []
