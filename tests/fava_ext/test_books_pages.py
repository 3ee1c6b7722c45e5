"""The 账簿 pages (银行存款日记账, 总账, 明细账, 科目余额表) through Fava's Flask client on the demo
books: each shows what the export writes for the same period."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from tests.fava_ext.test_extension import _client, article, grouped, page, table
from xtaccounts.export import export_books

ICBC = "Assets:Bank-银行存款:ICBC-工商银行:Demand-活期8821"


@pytest.fixture(scope="module")
def client(demo_books: Path):
    return _client(demo_books)


@pytest.fixture(scope="module")
def exported(demo_books: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("books-pages") / "2025"
    export_books(demo_books, "2025", out, ("csv",), issued=dt.date(2026, 1, 15))
    return out


def _csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))[1:]


def _shown(cell: str) -> str:
    """A CSV amount as the page shows it."""
    return grouped(cell) if cell else ""


def test_the_bank_journal_page_is_the_exports(client, exported: Path) -> None:
    html = article(page(client, "bank_journal", period="2025", choice=ICBC))
    assert "<h2>银行存款日记账</h2>" in html and 'id="xt-book-choices"' in html
    shown = table(html, "xt-book")
    written = _csv(exported / "20-bank-journal-ICBC-Demand-8821.csv")
    assert len(shown) == len(written) > 20
    for got, want in zip(shown, written, strict=True):
        assert got[:4] == want[:4] and got[6] == want[6]
        assert [got[4], got[5], got[7]] == [_shown(want[4]), _shown(want[5]), _shown(want[7])]
    assert shown[-1][2] == "本年累计"


def test_the_general_ledger_page_is_the_exports(client, exported: Path) -> None:
    html = article(page(client, "general_ledger", period="2025"))
    assert "<h2>总账</h2>" in html
    shown = table(html, "xt-book")
    written = _csv(exported / "21-general-ledger.csv")
    assert [r[:4] for r in shown] == [w[:4] for w in written]
    assert [r[7] for r in shown] == [_shown(w[7]) for w in written]


def test_the_detail_ledger_page_shows_one_code(client, exported: Path) -> None:
    html = article(page(client, "detail_ledger", period="2025", choice="2901"))
    assert "<h2>明细账</h2>" in html
    shown = table(html, "xt-book")
    written = [r for r in _csv(exported / "22-detail-ledger.csv") if r[0] == "2901"]
    assert shown and [r[:6] for r in shown] == [w[:6] for w in written]
    bad = client.get(
        f"/{client.slug}/extension/PilotExtension/detail_ledger",
        query_string={"period": "2025", "choice": "9999"},
    )
    assert bad.status_code == 400 and "没有这个账户或科目" in bad.get_data(as_text=True)


def test_the_trial_balance_page_balances(client, exported: Path) -> None:
    html = article(page(client, "trial_balance", period="2025"))
    assert "<h2>科目余额表</h2>" in html
    shown = table(html, "xt-book")
    written = _csv(exported / "23-trial-balance.csv")
    assert [r[:2] for r in shown] == [w[:2] for w in written]
    total = shown[-1]
    assert total[0] == "合计" and total[2] == total[3] and total[4] == total[5]
    assert total[6] == total[7] == "5,333,479.46"
