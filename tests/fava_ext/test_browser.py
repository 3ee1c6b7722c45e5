"""The pilot's pages in a real browser: headless Chromium (Debian's) drives `xtaccounts serve`
on the demo books, reads every page as a user sees it and saves screenshots.

Skipped only when Chromium is not installed (scripts/system-packages installs it), and never
under CI (where CI is set): there a missing Chromium fails the test instead of hiding it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.helpers import CHROMIUM_MISSING, CHROMIUM_REASON, start_server, stop_server

SCREENS = Path("/work/screens")
AS_OF = "2025-12-31"
PAGES = [
    ("", "统筹账户"),
    ("coverage", "保险覆盖率"),
    ("applications", "申请与公示"),
    ("policies", "保单到期"),
    ("spreads", "利差"),
]

pytestmark = [pytest.mark.skipif(CHROMIUM_MISSING, reason=CHROMIUM_REASON), pytest.mark.slow]


@pytest.fixture(scope="module")
def server(demo_books: Path):
    process, base = start_server(demo_books, "--read-only")
    yield base
    stop_server(process)


@pytest.fixture
def tab(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors  # type: ignore[attr-defined]
    yield page
    context.close()


def _pages_url(tab, server: str) -> str:
    tab.goto(server)
    tab.wait_for_load_state("networkidle")
    slug_root = tab.url.split("/income_statement/")[0].rstrip("/")
    return f"{slug_root}/extension/PilotExtension/"


def _shoot(tab, shots: Path, name: str) -> None:
    shots.mkdir(parents=True, exist_ok=True)
    target = shots / f"{name}.png"
    # Fava scrolls its <article>, not the page: grow the window to the content to see it all.
    height = tab.evaluate("() => document.querySelector('article').scrollHeight + 60")
    tab.set_viewport_size({"width": 1400, "height": max(900, min(int(height), 8000))})
    tab.screenshot(path=str(target), full_page=True)
    tab.set_viewport_size({"width": 1400, "height": 900})
    assert target.stat().st_size > 10_000
    if SCREENS.parent.is_dir():  # a copy for the lead, on the machine where there is one
        try:
            SCREENS.mkdir(exist_ok=True)
            shutil.copy(target, SCREENS / target.name)
        except OSError:  # a convenience, not part of the test
            pass


def test_every_page_in_chromium(server: str, tab, tmp_path: Path) -> None:
    base = _pages_url(tab, server)
    shots = tmp_path / "screens"
    for name, heading in PAGES:
        tab.goto(f"{base}{name}?as_of={AS_OF}")
        tab.wait_for_load_state("networkidle")
        assert tab.locator("article h2").first.inner_text() == heading
        assert tab.locator("article nav.xt-nav a").count() == len(PAGES)
        _shoot(tab, shots, f"pilot-{name or 'pools'}")
    assert tab.errors == []  # type: ignore[attr-defined]


def test_pool_balance_and_coverage_as_a_user_reads_them(server: str, tab) -> None:
    base = _pages_url(tab, server)
    tab.goto(f"{base}?as_of={AS_OF}")
    row = tab.locator('tr[data-pool="C0001-B01"]')
    assert row.locator("td.xt-balance").inner_text() == "2883.08"
    assert "金泉小区 1栋" in row.inner_text()
    tab.goto(f"{base}coverage?as_of={AS_OF}")
    assert tab.locator("#xt-coverage-percent").inner_text() == "71.43%"
    targets = tab.locator("#xt-targets tbody").inner_text()
    assert "66.67%" in targets and "71.43%" in targets
    chart = tab.locator("svg.xt-chart")
    assert chart.is_visible() and chart.bounding_box()["width"] > 500


def test_navigation_and_links_into_fava(server: str, tab, tmp_path: Path) -> None:
    base = _pages_url(tab, server)
    tab.goto(f"{base}?as_of={AS_OF}")
    # Fava's router loads the next page in place; the heading follows.
    tab.locator("article nav.xt-nav a", has_text="申请与公示").click()
    tab.wait_for_function(
        "() => document.querySelector('article h2')?.textContent === '申请与公示'"
    )
    # A record's link opens the entry in Fava's context modal.
    tab.goto(f"{base}applications?as_of={AS_OF}")
    tab.locator('tr[data-application="APP-2024-002"] a[href^="#context-"]').first.click()
    modal = tab.locator(".overlay, dialog, [role=dialog]").filter(has_text="APP-2024-002").first
    modal.wait_for(state="visible")
    _shoot(tab, tmp_path / "screens", "pilot-context-modal")
    # A pool's link opens Fava's account page.
    tab.goto(f"{base}?as_of={AS_OF}")
    tab.locator('tr[data-pool="C0001-B01"] a').first.click()
    tab.wait_for_url("**/account/**")
    tab.wait_for_load_state("networkidle")
    assert "Pool-统筹账户" in tab.url or "Pool-%E7%BB%9F" in tab.url
    assert tab.errors == []  # type: ignore[attr-defined]
