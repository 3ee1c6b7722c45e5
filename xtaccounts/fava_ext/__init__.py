"""The pilot's pages in Fava: pools and each pool's ledger, 收支表, coverage, applications,
expiring policies and spreads; and how Fava itself shows the books.

Enabled by ``2000-01-01 custom "fava-extension" "xtaccounts.fava_ext"`` in main.beancount.
A thin adapter: the figures come from the library (`xtaccounts.reports`, `xtaccounts.insurance`,
`xtaccounts.export.statutory_statements`, `xtaccounts.books.positions`) through
`views.PilotViews`, built over one `Ledger` per load of the books (and of the registry) and kept
per day asked for. Pages are in Chinese; every page takes ``?as_of=YYYY-MM-DD`` (default: the
books' last entry, or today if earlier: `xtaccounts.reading.day`) and says which day it shows.
On each load the extension also sets Fava's own options for Chinese statements
(`fava_setup`), adds the pilot's links to Fava's sidebar and the books' source documents to
Fava's view of the books (`documents`). See docs/fava.md.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import os
import threading
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote, urlencode

from beancount.core import data
from fava.context import g
from fava.core.group_entries import group_entries_by_type
from fava.ext import FavaExtensionBase, extension_endpoint
from fava.util.date import parse_date as parse_fava_time
from flask import Response, abort, jsonify, render_template, request
from markupsafe import Markup

from xtaccounts.books.history import HISTORY_DIR
from xtaccounts.books.layout import LedgerLayout
from xtaccounts.books.load import LoadedBooks
from xtaccounts.books.redo_journal import settle_for_reading
from xtaccounts.books.shared_meta import share_tolerances
from xtaccounts.core.calendar import LAST_DAY
from xtaccounts.core.dates import DateInputError, parse_date
from xtaccounts.core.errors import XtError
from xtaccounts.core.money import grouped_money
from xtaccounts.core.vocabulary import ZERO
from xtaccounts.export.period import export_period
from xtaccounts.fava_ext.books_view import book_page
from xtaccounts.fava_ext.chart import balance_svg, coverage_svg, monthly_bars_svg
from xtaccounts.fava_ext.documents import Documents, link_documents
from xtaccounts.fava_ext.fava_setup import add_sidebar_links, apply_defaults, sidebar_links
from xtaccounts.fava_ext.income_view import WITHOUT_CLOSES
from xtaccounts.fava_ext.views import COVERAGE_LABELS, STEPS, PilotViews
from xtaccounts.fava_ext.wording import chinese
from xtaccounts.reading.day import ShownDay
from xtaccounts.reading.ledger import Ledger
from xtaccounts.registry import Registry, cached_registry
from xtaccounts.registry.load import registry_signature

ROWS_PER_PAGE = 100
DEFAULT_EXPIRING_DAYS = 60
# Read the positions, balance histories, insurance records and spreads when Fava loads the books
# (1.2 s, under 5 % of Fava's load on the x1 city books) rather than on the first request.
PREPARE_ON_LOAD = True
# Fava's editor, API and uploads write the books' files directly, past the writer's lock,
# validation and journal: with the extension loaded (even by a bare `fava main.beancount`) every
# request whose method may write is refused; the books are written by the command line only.
READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WRITE_REFUSED = "账簿只能通过 xtaccounts 命令写入（带锁、校验和日志）"
# The books' history (`xtaccounts.books.history`) is never served: Fava would send a file under
# it only through a document or import folder (`fava-option "import-dirs"` naming the ledger
# directory), so every request naming a path in it is answered 404 before Fava sees it.

# (endpoint, title) of the pages, in the order of the navigation bar.
PAGES = (
    ("pools", "统筹账户"),
    ("pool", "统筹账户明细"),
    ("income", "收支表"),
    ("coverage", "保险覆盖率"),
    ("applications", "申请与公示"),
    ("policies", "保单到期"),
    ("spreads", "利差"),
    ("bank_journal", "银行存款日记账"),
    ("general_ledger", "总账"),
    ("detail_ledger", "明细账"),
    ("trial_balance", "科目余额表"),
)


class BadParameter(XtError):
    """A query parameter the pages cannot use."""


def pages_count(rows: int) -> int:
    return max(1, -(-rows // ROWS_PER_PAGE))


def money(value: Any) -> str:
    """An amount as the pages show it: thousands separators, two decimals."""
    return "" if value is None else grouped_money(value)


def freeze_loaded() -> None:
    """Leave every object alive now (the books just loaded, what was read from them) out of
    the cycle collector's passes (`gc.freeze`): they live until the next load, and a full
    collection walks every tracked object, a second or more at ×1, in whichever request it
    falls. On a reload the previous load's objects are handed back to the collector first and
    collected (they may now be garbage in cycles), so nothing is kept frozen past its load."""
    if gc.get_freeze_count():
        gc.unfreeze()
        gc.collect()
    gc.freeze()


class PilotExtension(FavaExtensionBase):
    """电梯维修保险试点: the pilot's pages."""

    report_title = "电梯保险试点"
    has_js_module = True  # PilotExtension.js: the true balance on Fava's page of a pool

    def __init__(self, ledger: Any, config: str | None = None) -> None:
        super().__init__(ledger, config)
        self._lock = threading.Lock()
        self._views: PilotViews | None = None
        self._stamp: tuple | None = None
        self._documents: Documents = {}

    # -- the cache ---------------------------------------------------------------------------

    @property
    def layout(self) -> LedgerLayout:
        return LedgerLayout(Path(self.ledger.beancount_file_path))

    def after_load_file(self) -> None:
        """The books were (re)loaded: set Fava's options (`fava_setup`), share the entries'
        equal tolerances (`shared_meta`), add the source documents to Fava's view
        (`documents`), drop what was computed from the previous load
        and read, once, what every page and day needs (`PilotViews.prepare`); a registry that
        cannot be read is reported by the pages instead. Then what the load holds is left out
        of the cycle collector's passes (`freeze_loaded`)."""
        apply_defaults(self.ledger)
        # One copy of the transactions' equal tolerances (what booking leaves in each one's
        # metadata, read by nothing after it): Fava keeps the books for the server's life.
        share_tolerances(cast("list[data.Directive]", self.ledger.all_entries))
        self._link_documents()
        with self._lock:
            self._views = None
            self._stamp = None
        if PREPARE_ON_LOAD:
            with contextlib.suppress(XtError):
                self.views().prepare()
        freeze_loaded()

    def _link_documents(self) -> None:
        """Fava's entries with the books' documents added and linked; Fava's module that names
        entries by hash at load time reads them again."""
        fava = self.ledger
        try:
            linked = link_documents(self.layout, cast("list[data.Directive]", fava.all_entries))
        except OSError:  # an unreadable documents folder: Fava shows the books without them
            self._documents = {}
            return
        self._documents = linked.documents
        if len(linked.entries) == len(fava.all_entries) and not linked.documents:
            return
        entries = cast("list[Any]", linked.entries)  # Fava's types are its own protocols
        fava.all_entries = entries
        fava.all_entries_by_type = group_entries_by_type(entries)
        fava.get_filtered.cache_clear()
        fava.get_entry.cache_clear()
        # The accounts' last entries are named by hash: read them again from the new entries.
        # (Fava's attributes, links, tags and payees, do not change: nothing added carries any.)
        fava.accounts.load_file()

    def views(self) -> PilotViews:
        """The views of this load, over one `Ledger` of Fava's entries and the registry;
        rebuilt when the books or the registry change (the registry's files: a change reloads
        the views)."""
        stamp = (id(self.ledger.all_entries), registry_signature(self.layout.registry))
        with self._lock:
            if self._views is None or stamp != self._stamp:
                self._views = PilotViews(
                    Ledger.of(self._books(), self._registry()), self._documents
                )
                self._stamp = stamp
            return self._views

    def _books(self) -> LoadedBooks:
        """Fava's load of the books, as the library's `LoadedBooks`."""
        fava = self.ledger
        return LoadedBooks(  # Fava's own objects, not copies (its types are wider than ours)
            path=Path(fava.beancount_file_path),
            entries=cast("list[data.Directive]", fava.all_entries),
            errors=cast("list[data.BeancountError]", list(fava.errors)),
            options=cast("dict[str, Any]", fava.options),
        )

    def _registry(self) -> Registry:
        # The process's one registry cache: Fava's load ran the insurance plugin, which read it.
        return cached_registry(self.layout.registry)

    def base_url(self) -> str:
        """The books' root in Fava: ``/<slug>`` (under the app's mount point)."""
        return f"{request.script_root}/{g.beancount_file_slug}"

    def page_url(self, page: str, **args: Any) -> str:
        """The URL of one of the pages (the report page for ""), with query arguments."""
        url = f"{self.base_url()}/extension/{self.name}/{page}"
        query = urlencode({k: str(v) for k, v in args.items() if v not in (None, "")})
        return f"{url}?{query}" if query else url

    def fava_url(self, report: str, **args: Any) -> str:
        """The URL of one of Fava's own pages (``income_statement/``, ``account/<name>/``...),
        with exactly the query arguments given (Fava's `url_for` would add the current
        request's filters)."""
        query = urlencode({k: str(v) for k, v in args.items() if v not in (None, "")})
        url = f"{self.base_url()}/{quote(report)}"
        return f"{url}?{query}" if query else url

    def document_url(self, path: str) -> str:
        """The URL Fava serves a document of the books at."""
        return self.fava_url("document/", filename=path)

    def before_request(self) -> None:
        """Refuse (403, Fava's JSON error shape) any request that is not GET, HEAD or OPTIONS:
        every write of Fava's editor and API (PUT source, add_entries, uploads, DELETE ...).
        Before a page is read, a commit that a killed writer left half-applied is finished
        (`settle_for_reading`, under the writer's lock) and the books are loaded again, so a
        page never shows half-written books. Fava's sidebar gets the pilot's links."""
        try:
            if settle_for_reading(self.layout.root):
                self.ledger.load_file()
        except XtError as exc:  # half-written books that this server may not finish
            abort(Response(str(exc), status=503, mimetype="text/plain"))
        if request.method not in READING_METHODS:
            response = jsonify(error=f"{request.method} {request.path}：{WRITE_REFUSED}")
            response.status_code = 403
            abort(response)
        if self._names_history():
            abort(404)
        if getattr(g, "beancount_file_slug", None):
            add_sidebar_links(
                self.ledger,
                sidebar_links(self.page_url("income"), self.fava_url("income_statement/")),
            )

    def _names_history(self) -> bool:
        """Whether the request's path or a parameter names a file in the books' history."""
        root = os.path.realpath(self.layout.root)
        history = os.path.join(root, HISTORY_DIR)
        values = [request.path, *(v for _, v in request.args.items(multi=True))]
        for value in values:
            if HISTORY_DIR not in value:
                continue
            path = os.path.realpath(os.path.join(root, value))
            if os.path.commonpath([path, history]) == history or f"/{HISTORY_DIR}" in value:
                return True
        return False

    # -- query parameters --------------------------------------------------------------------

    def shown(self) -> ShownDay:
        """The day asked for (``as_of``), else the books' default day (`reading.day`)."""
        text = request.args.get("as_of", "").strip()
        asked = None
        if text:
            try:  # the one strict reader of input dates: YYYY-MM-DD, up to today + the horizon
                asked = parse_date(text, field="as_of")
            except DateInputError as exc:
                raise BadParameter(str(exc)) from exc
            if asked > LAST_DAY:
                raise BadParameter(f"as_of={text}：日期不能晚于 {LAST_DAY}")
        return self.views().shown(asked)

    @staticmethod
    def int_arg(name: str, default: int, low: int = 0, high: int = 100_000) -> int:
        text = request.args.get(name, "").strip()
        if not text:
            return default
        try:
            value = int(text)
        except ValueError as exc:
            raise BadParameter(f"{name}={text!r}：应为整数") from exc
        if not low <= value <= high:
            raise BadParameter(f"{name}={value}：应在 {low}..{high} 之间")
        return value

    # -- pages -------------------------------------------------------------------------------

    def _render(self, page: str, build: Any) -> tuple[str, int]:
        """The page's own template and the HTTP status; a bad parameter (400) or a registry
        that cannot be read (500) is shown on the page instead of the figures."""
        title = dict(PAGES)[page]
        status, error = 200, None
        try:
            context = build()
        except BadParameter as exc:
            context, status, error = {}, 400, str(exc)
        except XtError as exc:
            context, status, error = {}, 500, str(exc)
        name = "pilot_error.html" if error else f"pilot_{page}.html"
        content = self.jinja_env.get_template(name).render(
            ledger=self.ledger,
            extension=self,
            pages=PAGES,
            page=page,
            title=context.get("title", title),
            error=error,
            money=money,
            zh=chinese,
            args=request.args,
            **context,
        )
        return Markup(content), status  # Jinja autoescapes .html templates

    def _layout(self, page: str, build: Any) -> tuple[str, int]:
        content, status = self._render(page, build)
        return render_template("_layout.html", content=content, page_title=dict(PAGES)[page]), (
            status
        )

    def pools_content(self) -> str:
        """The report page (/extension/PilotExtension/) is the pools page."""
        return self._render("pools", self._pools)[0]

    def _pools(self) -> dict:
        shown = self.shown()
        day = shown.day
        view = self.views().pools(day)
        district = request.args.get("district") or None
        community = request.args.get("community") or None
        rows = view.select(district, community)
        page = self.int_arg("page", 1, 1)
        shown_rows = rows[(page - 1) * ROWS_PER_PAGE : page * ROWS_PER_PAGE]
        chart = None
        if not district and not community:
            chart = balance_svg(self.views().all_pools_points(day), day, "全部统筹账户可用余额合计")
        return {
            "shown": shown,
            "as_of": day,
            "view": view,
            "rows": shown_rows,
            "matched": len(rows),
            "total": sum((r.balance for r in rows), start=ZERO),
            "district": district or "",
            "community": community or "",
            "page_no": page,
            "pages_count": pages_count(len(rows)),
            "chart": chart,
        }

    def _pool(self) -> dict:
        shown = self.shown()
        day = shown.day
        views = self.views()
        pools = views.pool_choices()
        if not pools:
            raise BadParameter("账簿中还没有统筹账户")
        pool = request.args.get("pool") or pools[0][0]
        if pool not in dict(pools):
            raise BadParameter(f"pool={pool!r}：没有这个统筹账户")
        page = views.pool_page(pool, day)
        chart = balance_svg(views.pool_points(pool, day), day, f"统筹账户 {pool} 可用余额")
        return {
            "shown": shown,
            "as_of": day,
            "pools": pools,
            "pool": page,
            "chart": chart,
            "journal_filter": views.pool_filter(pool),
        }

    def _income(self) -> dict:
        shown = self.shown()
        views = self.views()
        years = views.years(shown.day)
        # Default: the year of the last transaction by the day shown (a day early in January
        # would otherwise show a year with nothing booked yet).
        text = request.args.get("period", "").strip() or str(years[-1] if years else shown.day.year)
        try:
            period = export_period(text, views.registry.pilot.books_start)
        except XtError as exc:
            raise BadParameter(f"period={text!r}：{exc}") from exc
        return {
            "shown": shown,
            "as_of": shown.day,
            "income": views.income(period),
            "years": years,
            "period_text": period.text,
            "period_defaulted": not request.args.get("period", "").strip(),
            "without_closes": WITHOUT_CLOSES,
        }

    def _coverage(self) -> dict:
        shown = self.shown()
        day = shown.day
        step = request.args.get("step") or "quarter"
        if step not in STEPS:
            raise BadParameter(f"step={step!r}：应为 {' 或 '.join(STEPS)}")
        view = self.views().coverage(day, step)
        result = view.result
        chart = coverage_svg(
            [(p.date, p.percent) for p in view.series],
            [(t.date, t.target, t.percent) for t in result.targets],
        )
        page = self.int_arg("page", 1, 1)
        elevators = view.elevators  # masked
        return {
            "shown": shown,
            "as_of": day,
            "view": view,
            "result": result,
            "elevators": elevators[(page - 1) * ROWS_PER_PAGE : page * ROWS_PER_PAGE],
            "page_no": page,
            "pages_count": pages_count(len(elevators)),
            "chart": chart,
            "districts": view.groups("district"),
            "communities": view.groups("community"),
            "labels": COVERAGE_LABELS,
            "step": step,
        }

    def _applications(self) -> dict:
        shown = self.shown()
        day = shown.day
        view = self.views().applications(day)
        stage = request.args.get("stage") or ""
        rows = [r for r in view.rows if not stage or r.stage == stage]
        page = self.int_arg("page", 1, 1)
        return {
            "shown": shown,
            "as_of": day,
            "view": view,
            "rows": rows[(page - 1) * ROWS_PER_PAGE : page * ROWS_PER_PAGE],
            "matched": len(rows),
            "stage": stage,
            "page_no": page,
            "pages_count": pages_count(len(rows)),
        }

    def _policies(self) -> dict:
        shown = self.shown()
        day = shown.day
        days = self.int_arg("days", DEFAULT_EXPIRING_DAYS, 0, 3660)
        return {
            "shown": shown,
            "as_of": day,
            "days": days,
            "rows": self.views().policies(day, days),
        }

    def _spreads(self) -> dict:
        shown = self.shown()
        view = self.views().spreads(shown.day)
        page = self.int_arg("page", 1, 1)
        receipts = list(reversed(view.receipts))
        months, received, allocated = view.by_month()
        chart = monthly_bars_svg(
            months,
            [("收到利差", "#3273dc", received), ("分配入统筹账户", "#2a9d3a", allocated)],
            "利差按月收到与分配",
        )
        return {
            "shown": shown,
            "as_of": shown.day,
            "view": view,
            "receipts": receipts[(page - 1) * ROWS_PER_PAGE : page * ROWS_PER_PAGE],
            "page_no": page,
            "pages_count": pages_count(len(receipts)),
            "chart": chart,
        }

    @extension_endpoint
    def pools(self) -> tuple[str, int]:
        return self._layout("pools", self._pools)

    @extension_endpoint
    def pool(self) -> tuple[str, int]:
        return self._layout("pool", self._pool)

    @extension_endpoint
    def income(self) -> tuple[str, int]:
        return self._layout("income", self._income)

    @extension_endpoint
    def coverage(self) -> tuple[str, int]:
        return self._layout("coverage", self._coverage)

    @extension_endpoint
    def applications(self) -> tuple[str, int]:
        return self._layout("applications", self._applications)

    @extension_endpoint
    def policies(self) -> tuple[str, int]:
        return self._layout("policies", self._policies)

    @extension_endpoint
    def spreads(self) -> tuple[str, int]:
        return self._layout("spreads", self._spreads)

    @extension_endpoint
    def bank_journal(self) -> tuple[str, int]:
        return self._layout("bank_journal", lambda: self._book("bank_journal"))

    @extension_endpoint
    def general_ledger(self) -> tuple[str, int]:
        return self._layout("general_ledger", lambda: self._book("general_ledger"))

    @extension_endpoint
    def detail_ledger(self) -> tuple[str, int]:
        return self._layout("detail_ledger", lambda: self._book("detail_ledger"))

    @extension_endpoint
    def trial_balance(self) -> tuple[str, int]:
        return self._layout("trial_balance", lambda: self._book("trial_balance"))

    def _book(self, page: str) -> dict:
        """One of the 账簿 as the export writes it (`export.account_books`), for a period."""
        shown = self.shown()
        views = self.views()
        years = views.years(shown.day)
        text = request.args.get("period", "").strip() or str(years[-1] if years else shown.day.year)
        try:
            period = export_period(text, views.registry.pilot.books_start)
        except XtError as exc:
            raise BadParameter(f"period={text!r}：{exc}") from exc
        choices, chosen, table = book_page(
            page, views.registry, views.entries, period, request.args.get("choice", "")
        )
        if choices and chosen is None:
            raise BadParameter(f"choice={request.args.get('choice')!r}：没有这个账户或科目")
        return {
            "shown": shown,
            "as_of": shown.day,
            "years": years,
            "period": period,
            "period_text": period.text,
            "choices": choices,
            "chosen": chosen,
            "book": table,
        }

    @extension_endpoint
    def pool_note(self) -> Response:
        """For Fava's own page of a pool's account (PilotExtension.js): the pool's true
        balance at the end of the period Fava shows (its ``time`` filter, else the books' day),
        as JSON; ``{}`` for any other account."""
        account = request.args.get("account", "")
        views = self.views()
        pool = views.pool_of_account(account)
        if pool is None:
            return jsonify({})
        day = views.shown(None).day
        time = request.args.get("time", "").strip()
        if time:
            with contextlib.suppress(Exception):  # Fava's own reading of its time filter
                _, end = parse_fava_time(time, self.ledger.fava_options.fiscal_year_end)
                if end is not None:
                    day = min(day, end - dt.timedelta(days=1))
        page = views.pool_page(pool, day)
        return jsonify(
            pool=pool,
            name=page.name,
            day=day.isoformat(),
            balance=money(page.balance),
            account_balance=money(page.account_balance),
            not_closed=money(page.not_closed),
            url=self.page_url("pool", pool=pool, as_of=day.isoformat()),
        )
