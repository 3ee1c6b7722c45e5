"""Text from outside in a real browser: bank statements and command options carrying markup
must never run or become markup, in Fava's pages or the pilot's, on `xtaccounts serve`
(read-only) or on a bare read-write Fava over the same books, and the read-write Fava must not
write the books.

A copy of the demo books gets an ICBC statement whose memos and payers carry `<script>`,
`<img onerror>`, `<svg onload>`, `javascript:` links and quotes, and the same through
`deposit receive --payer/--memo`, `deposit refund --reason` and `premium cancel --reason`.
Headless Chromium then opens Fava's journal, the bank account's page, a query result and every
pilot page on both servers, and fails if a dialog opens, if an element made of the injected
text reaches the DOM (a `<script>` with it, an `on*=` handler, a `javascript:` URL, the
`src=x` image) or if a raw payload appears in the page's HTML. Same skip rules as
tests/fava_ext/test_browser.py (under CI a missing Chromium fails)."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import threading
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.helpers import (
    CHROMIUM_MISSING,
    CHROMIUM_REASON,
    snapshot,
    start_server,
    stop_server,
    xt,
)
from xtaccounts.demo.bank_statements import BankLine, StatementFile, icbc_csv
from xtaccounts.fava_ext import WRITE_REFUSED

pytestmark = [pytest.mark.skipif(CHROMIUM_MISSING, reason=CHROMIUM_REASON), pytest.mark.slow]

ICBC = "Assets:Bank-银行存款:ICBC-工商银行:Demand-活期8821"
ICBC_NO = "1904021109200088821"
CENTRE = "湘潭市物业专项维修资金管理中心"
AS_OF = "2026-03-31"
MARKERS = ("alert(1)", "alert(2)", "alert(3)", "alert(4)")

# (memo, payer) of the statement's lines: each payload at least once, in both columns.
STATEMENT_TEXT = [
    ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>"),
    ("<svg onload=alert(1)>", "javascript:alert(1)"),
    ('<a href="javascript:alert(1)">点我</a>', "\"'><svg onload=alert(1)>"),
    ("\"'><img src=x onerror=alert(1)>", "<script>alert(1)</script>"),
    ("x' onmouseover='alert(1)", 'x" autofocus onfocus="alert(1)'),
]
PAYER = "<img src=x onerror=alert(2)>\"'"
MEMO = '<script>alert(2)</script> <svg onload=alert(2)> <a href="javascript:alert(2)">x</a>'
REFUND_REASON = "\"'><img src=x onerror=alert(3)> <svg onload=alert(3)>"
CANCEL_REASON = (
    "<script>alert(4)</script><img src=x onerror=alert(4)> "
    "<a href='javascript:alert(4)'>x</a> \"'><"
)
RAW_PAYLOADS = sorted(
    {
        *(text for pair in STATEMENT_TEXT for text in pair if "<" in text),
        PAYER,
        MEMO,
        REFUND_REASON,
        CANCEL_REASON,
        "<script>",
        "<img src=x",
        "<svg onload",
        "\"'><",
    }
)
# An element, as the browser serialises it, that carries the injected script: in a start tag's
# attributes, or as a script's content.
ELEMENT_WITH_SCRIPT = re.compile(
    r"<(?:script|img|svg|a|iframe)\b[^<>]*alert\(\d\)"
    r"|<script\b(?![^<>]*\btype=\"application/json\")[^<>]*>[^<]*alert\(\d\)",
    re.I,
)

# Elements made of injected text: scripts running it, handlers, javascript: URLs, the image.
FIND_INJECTED = """() => {
  const found = [];
  const show = (what, el) => found.push(what + ': ' + el.outerHTML.slice(0, 200));
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      const value = attr.value.replace(/[\\s\\u0000-\\u001f]/g, '').toLowerCase();
      if (attr.name.toLowerCase().startsWith('on')) show('handler', el);
      if (value.startsWith('javascript:')) show('javascript url', el);
    }
  }
  for (const s of document.querySelectorAll('script')) {  // data blocks do not run
    const data = /json/i.test(s.type || '');
    if (!data && /alert\\(\\d\\)/.test(s.textContent || '')) show('script', s);
  }
  for (const img of document.querySelectorAll('img[src="x"]')) show('element', img);
  return found;
}"""


def _statement(main: Path) -> Path:
    """An ICBC statement, 2026-03-02..06, continuing the demo's (which ends 2026-01-01)."""
    carried = (main.parent / "txns/2026/bank-ICBC-8821.beancount").read_text("utf-8")
    opening = Decimal(re.search(rf"balance {re.escape(ICBC)}\s+([\d.]+)", carried).group(1))
    lines = tuple(
        BankLine(
            dt.date(2026, 3, 2 + i),
            Decimal("10.00") + i,
            memo,
            counterparty=payer,
            counterparty_account="6222021904009999999",
            serial=f"INJ{i}",
        )
        for i, (memo, payer) in enumerate(STATEMENT_TEXT)
    )
    statement = StatementFile(
        ICBC_NO, CENTRE, dt.date(2026, 3, 2), dt.date(2026, 3, 6), opening, lines
    )
    path = main.parent.parent / "injection.csv"
    path.write_bytes(icbc_csv(statement))
    return path


def _run(main: Path, *args: str) -> None:
    result = xt(main, *args)
    assert result.returncode == 0, f"{args}: {result.stdout}{result.stderr}"


@pytest.fixture(scope="module")
def books(demo_books: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo books with the payloads imported and recorded through the command line."""
    ledger = tmp_path_factory.mktemp("injection") / "ledger"
    shutil.copytree(demo_books.parent, ledger)
    main = ledger / "main.beancount"
    _run(main, "import", str(_statement(main)))
    _run(
        main,
        *("deposit", "receive", "--account", ICBC_NO, "--date", "2026-03-11"),
        *("--amount", "20.00", "--payer", PAYER, "--memo", MEMO),
    )
    _run(
        main,
        *("deposit", "refund", "--household", "C0001-B01-U1-101", "--amount", "1.00"),
        *("--date", "2026-03-12", "--account", ICBC_NO, "--reason", REFUND_REASON),
    )
    _run(
        main,
        *("premium", "cancel", "APP-2024-004-P1"),
        *("--date", "2026-03-13", "--reason", CANCEL_REASON),
    )
    return main


@pytest.fixture(scope="module")
def servers(books: Path):
    """{name: base URL}: `xtaccounts serve` (read-only) and a bare read-write Fava (its own
    create_app, as `fava main.beancount` runs it), both on loopback over the same books."""
    from fava.application import create_app

    from xtaccounts.fava_ext.serve import bind

    process, serve_url = start_server(books)
    bare = bind(create_app([books], load=True, read_only=False), "127.0.0.1", 0)
    thread = threading.Thread(target=bare.serve, daemon=True)
    thread.start()
    try:
        yield {"serve": serve_url, "fava-read-write": bare.url}
    finally:
        bare.server.stop()
        thread.join(timeout=20)
        stop_server(process)


@pytest.fixture
def tab(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(30_000)
    dialogs: list[str] = []

    def on_dialog(dialog) -> None:
        dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.dialogs = dialogs  # type: ignore[attr-defined]
    yield page
    context.close()


def _slug_root(tab, base: str) -> str:
    tab.goto(base)
    tab.wait_for_load_state("networkidle")
    return tab.url.split("/income_statement/")[0].rstrip("/")


def _pages(root: str) -> list[tuple[str, str, str]]:
    """(name, URL, text the page must show): every page the injected text can reach."""
    pilot = f"{root}/extension/PilotExtension/"
    query = "SELECT date, payee, narration WHERE year = 2026"
    return [
        ("journal", f"{root}/journal/", "alert(1)"),
        ("account", f"{root}/account/{quote(ICBC, safe=':')}/", "alert(1)"),
        ("query", f"{root}/query/?query_string={quote(query)}", "alert(1)"),
        ("pools", f"{pilot}?as_of={AS_OF}", "统筹账户"),
        ("coverage", f"{pilot}coverage?as_of={AS_OF}", "保险覆盖率"),
        ("applications", f"{pilot}applications?as_of={AS_OF}", "alert(4)"),
        ("policies", f"{pilot}policies?as_of={AS_OF}", "保单到期"),
        ("spreads", f"{pilot}spreads", "利差"),
    ]


def _check(tab, name: str, url: str, shown: str, texts: list[str]) -> list[str]:
    """What went wrong on one page: dialogs, injected elements, raw payloads in the HTML; the
    page's text is added to `texts`."""
    dialogs = tab.dialogs  # type: ignore[attr-defined]
    seen = len(dialogs)
    tab.goto(url)
    tab.wait_for_load_state("networkidle")
    problems = []
    try:  # the page shows the injected text (as text), so the check is not vacuous
        tab.wait_for_function(
            "text => document.body.innerText.includes(text)", arg=shown, timeout=15_000
        )
    except PlaywrightTimeout:
        problems.append(f"{name}: {shown!r} is not on the page")
    tab.wait_for_timeout(300)  # an image's error event, a deferred handler
    texts.append(tab.evaluate("document.body.innerText"))
    problems += [f"{name}: dialog {d}" for d in dialogs[seen:]]
    problems += [f"{name}: {found}" for found in tab.evaluate(FIND_INJECTED)]
    html = tab.content()
    problems += [f"{name}: raw {p!r} in the HTML" for p in RAW_PAYLOADS if p in html]
    problems += [f"{name}: {m.group(0)[:120]!r}" for m in ELEMENT_WITH_SCRIPT.finditer(html)]
    return problems


def _check_context(tab, root: str) -> list[str]:
    """The context view (Fava's modal: the entry, its source, the balances) of an injected
    suspense line, opened from the journal as a user does."""
    dialogs = tab.dialogs  # type: ignore[attr-defined]
    seen = len(dialogs)
    tab.goto(f"{root}/journal/")
    tab.wait_for_load_state("networkidle")
    problems = []
    try:
        entry = tab.locator("li", has_text="待查明来款").filter(has_text="alert(1)").last
        entry.locator('a[href^="#context-"]').first.click()
        modal = tab.locator(".overlay, dialog, [role=dialog]").filter(has_text="INJ").first
        modal.wait_for(state="visible", timeout=15_000)
        tab.wait_for_load_state("networkidle")
        tab.wait_for_timeout(300)
    except PlaywrightTimeout as exc:
        problems.append(f"context: the entry's context did not open: {exc}")
    problems += [f"context: dialog {d}" for d in dialogs[seen:]]
    problems += [f"context: {found}" for found in tab.evaluate(FIND_INJECTED)]
    return problems


@pytest.mark.parametrize("server", ["serve", "fava-read-write"])
def test_injected_text_never_runs_or_becomes_markup(servers, server: str, tab, books) -> None:
    before = snapshot(books.parent)
    root = _slug_root(tab, servers[server])
    problems: list[str] = []
    texts: list[str] = []
    for name, url, shown in _pages(root):
        problems += _check(tab, name, url, shown, texts)
    problems += _check_context(tab, root)
    # Every entry point's text was on a page, as text: the statement (1), deposit receive (2),
    # refund (3) and cancellation (4).
    problems += [f"{m!r} on no page" for m in MARKERS if not any(m in t for t in texts)]
    assert not problems, "\n".join(problems)
    assert snapshot(books.parent) == before


def test_the_read_write_fava_refuses_a_write_from_the_page(servers, tab, books) -> None:
    """What a script in a page would do: save the books through Fava's API. Refused, 403."""
    before = snapshot(books.parent)
    root = _slug_root(tab, servers["fava-read-write"])
    answer = tab.evaluate(
        """async ([root, file]) => {
          const get = await fetch(`${root}/api/source?filename=${encodeURIComponent(file)}`);
          const {data} = await get.json();
          const put = await fetch(`${root}/api/source`, {
            method: 'PUT',
            headers: {'Content-Type': 'application/json'},
            body: JSON.stringify({file_path: file, sha256sum: data.sha256sum,
                                  source: data.source + '\\n2025-12-31 open Assets:Evil CNY\\n'}),
          });
          const add = await fetch(`${root}/api/add_entries`, {
            method: 'PUT',
            headers: {'Content-Type': 'application/json'},
            body: JSON.stringify({entries: []}),
          });
          return [put.status, (await put.json()).error, add.status];
        }""",
        [root, str(books)],
    )
    status, error, added = answer
    assert status == 403 and WRITE_REFUSED in error
    assert added == 403
    assert snapshot(books.parent) == before
    assert "Assets:Evil" not in books.read_text("utf-8")
