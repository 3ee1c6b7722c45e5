"""`export_books`: the statements and their detail, written to a directory in one go."""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from beancount.core import data

from xtaccounts import __version__
from xtaccounts.books.destinations import outside_books
from xtaccounts.books.documents import archived_statement_files
from xtaccounts.books.history import History
from xtaccounts.books.layout import LedgerLayout
from xtaccounts.books.outside_changes import outside_changes
from xtaccounts.books.seal_chain import chain_head
from xtaccounts.core import chart
from xtaccounts.core.atomic_directory import check_target, write_directory
from xtaccounts.core.errors import XtError
from xtaccounts.core.file_digest import sha256_of
from xtaccounts.core.gc_pause import gc_paused
from xtaccounts.core.i18n import _
from xtaccounts.core.progress import Advance, step
from xtaccounts.export.account_books import account_book_tables, reconciliation_table
from xtaccounts.export.csvjson import CsvFile, JsonFile, write_csv, write_json
from xtaccounts.export.detail import (
    allocation_detail,
    coverage_tables,
    person_names,
    pool_ledger,
    premium_payments,
    spread_computation,
    text_cleaner,
)
from xtaccounts.export.disclosure import owners_disclosure
from xtaccounts.export.forms import load_forms
from xtaccounts.export.manifest import (
    MANIFEST,
    earlier_export_problem,
    file_entry,
    write_manifest,
)
from xtaccounts.export.period import Period, export_period
from xtaccounts.export.statements_beside import StatementsReadBeside
from xtaccounts.export.statutory_statements import Check, build_statements
from xtaccounts.export.table import StreamedTable, Table
from xtaccounts.export.workbook_process import WorkbookProcess
from xtaccounts.ops.household_interest import latest_carry
from xtaccounts.reading.ledger import open_ledger
from xtaccounts.reports.bank_reconciliation import StatementReader, reconcile
from xtaccounts.reports.housing_types import public_housing_funds

FORMATS = ("xlsx", "csv", "json")


@dataclass
class ExportResult:
    out: Path
    period: Period
    files: list[dict[str, Any]]
    checks: list[Check]
    books_errors: int
    seconds: dict[str, float]
    history_head: str | None = None

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


def parse_formats(text: str) -> tuple[str, ...]:
    formats = tuple(dict.fromkeys(part.strip().lower() for part in text.split(",") if part.strip()))
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise XtError(f"--format {text!r}: choose among {', '.join(FORMATS)}")
    return formats


def _bank_names(accounts: Sequence[str]) -> dict[str, str]:
    """'工商银行 活期8821' for `Assets:Bank-银行存款:ICBC-工商银行:Demand-活期8821`."""
    prefix = chart.BANK + ":"
    return {
        a: " ".join(part.partition("-")[2] or part for part in a[len(prefix) :].split(":"))
        for a in accounts
        if a.startswith(prefix)
    }


def build_tables(
    main: Path,
    period_text: str,
    issued: dt.date | None = None,
    read_statement: StatementReader | None = None,
) -> tuple[list[Table], list[Check], dict]:
    """Every table of the export and the checks, from books loaded once (`issued`: the forms'
    报出日期, default today; `read_statement`: reads an archived statement, for the
    银行存款余额调节表, which is left out without it)."""
    with step(_("编制报表"), total=8) as advance:
        books = open_ledger(main)
        registry = books.registry
        entries = books.entries
        positions = books.positions
        period = export_period(period_text, registry.pilot.books_start)
        forms = load_forms(registry)
        advance()
        public = public_housing_funds(
            registry, entries, positions, period.prior_year_end, period.end
        )
        statements = build_statements(registry, forms, entries, period, issued, public)
        clean = text_cleaner(person_names(entries))
        advance()
        ledger = pool_ledger(registry, positions, entries, period)
        advance()
        # The bank reconciliation before the 分户账: the archived statements it reads (read
        # beside the books' load, `export_books`) are let go before the derivation's peak.
        found = None
        if read_statement is not None:
            banks = sorted({b.account for b in registry.bank_accounts.values()})
            found = reconcile(main, entries, banks, read_statement, period.start, period.end, clean)
            if isinstance(read_statement, StatementsReadBeside):
                read_statement.end()  # the readings not asked for let go, its process ended
        # The 分户账 next: its derivation holds every household's history of balances (the
        # export's peak), so no other detail table is made yet; it consumes the carry's credits
        # as it replays them.
        disclosure = owners_disclosure(
            registry,
            positions,
            entries,
            period,
            ledger,
            latest_carry(Path(main).parent, period.end),
        )
        advance()
        allocations, allocation_checks = allocation_detail(registry, positions, entries, period)
        advance()
        books_tables, books_checks = account_book_tables(registry, entries, period, clean)
        advance()
        if found is not None:
            table, reconciled = reconciliation_table(found)
            books_tables.append(table)
            books_checks.extend(reconciled)
        advance()
        tables = [
            *statements.tables,
            ledger.table,
            premium_payments(registry, entries, period, clean),
            spread_computation(positions, period, _bank_names(list(positions.account_movements))),
            allocations,
            disclosure.pools,
            disclosure.households,
            *coverage_tables(registry, books.insurance.state, period, clean),
            *books_tables,
        ]
        advance()
    checks = [
        *statements.checks,
        *ledger.checks,
        *allocation_checks,
        *disclosure.checks,
        *books_checks,
    ]
    context = {
        "period": period,
        "organisation": registry.pilot.organisation,
        "books_errors": len(books.errors),
        "confirmed_codes": list(forms.confirmed_codes),
        "forms": forms.source,
        # The mapping's status, kept here and not on the forms: each statutory code, its name,
        # and whether it is confirmed from the published text.
        "code_mapping": [
            {"code": a.code, "name": a.name, "confirmed": a.code in forms.confirmed_codes}
            for a in registry.pilot.mof_accounts
        ],
        "seal": _seal_head(entries),
        "registry": _registry_files(registry.directory),
    }
    return tables, checks, context


def _seal_head(entries: list[data.Directive]) -> dict[str, Any] | None:
    """The seal chain's head for the manifest: the bureau keeps it and gives it back to
    `xtaccounts audit --expect-seal` (docs/audit.md)."""
    head = chain_head(entries)
    if head is None:
        return None
    return {"through": head.through.isoformat(), "chain_head": head.link}


def _registry_files(directory: Path) -> dict[str, str]:
    """The SHA-256 of every registry file the export was made with (file -> digest)."""
    return {
        path.relative_to(directory).as_posix(): sha256_of(path)
        for path in sorted(directory.rglob("*"))
        if path.is_file() and not path.name.startswith(".")
    }


def _dated(table: Table, period: Period) -> str:
    if table.stem.startswith("01-"):
        return period.end_label
    if table.stem.startswith("02-"):
        return f"{period.label}（本月数为{period.end.year}年{period.end.month}月）"
    if table.stem.startswith("16-"):
        return f"截至{period.end_label}"
    return f"{period.label}（{period.start.isoformat()}至{period.end.isoformat()}）"


def export_books(
    main: Path,
    period_text: str,
    out: Path,
    formats: Sequence[str] = FORMATS,
    *,
    replace: bool = False,
    issued: dt.date | None = None,
    read_statement: StatementReader | None = None,
) -> ExportResult:
    """Write the export of `period_text` ("YYYY" or "YYYY-MM") into the directory `out`.

    The directory appears whole or not at all (`core.atomic_directory`). It must lie outside
    the books (`destinations.outside_books`); an existing one is refused unless it is empty, or
    `replace` is given and it is exactly an earlier export (`manifest.earlier_export_problem`).
    Both are
    checked before anything is computed. Raises XtError for bad input; the tie-out checks are
    returned, not raised.
    """
    started = time.perf_counter()
    out = outside_books(out, main, option="--out")
    check_target(out, replace=replace, replaceable=earlier_export_problem)
    # The archived statements are read, and the workbook's process forked, before the books
    # are loaded: they share the interpreter with this process and none of the books
    # (docs/export.md, Cost).
    with (
        StatementsReadBeside(read_statement, archived_statement_files(LedgerLayout(main)))
        if read_statement is not None
        else contextlib.nullcontext() as read_archived,
        WorkbookProcess() if "xlsx" in formats else contextlib.nullcontext() as workbook,
    ):
        return _export(
            main, period_text, out, formats, replace, issued, read_archived, workbook, started
        )


def _export(
    main: Path,
    period_text: str,
    out: Path,
    formats: Sequence[str],
    replace: bool,
    issued: dt.date | None,
    read_statement: StatementReader | None,
    workbook: WorkbookProcess | None,
    started: float,
) -> ExportResult:
    """`export_books` once its target is checked (`workbook`: the workbook's process, None
    without a workbook; `started`: when the export began)."""
    seconds: dict[str, float] = {}
    # The books, the tables and their text make millions of objects and no cycles: the cycle
    # collector's full passes over them cost seconds and would free nothing.
    with gc_paused():
        tables, checks, context = build_tables(main, period_text, issued, read_statement)
    history = History.of(Path(main).parent)
    history_head = history.head() if history is not None else None
    unrecorded = [u.path for u in outside_changes(Path(main).parent) or []]
    seconds["build"] = time.perf_counter() - started
    period: Period = context["period"]
    stem = f"xtaccounts-export-{period.text}"
    dated = {t.stem: _dated(t, period) for t in tables}
    header = {
        "organisation": context["organisation"],
        "period": period.text,
        "period_start": period.start,
        "period_end": period.end,
        "currency": "CNY",
        "unit": "元",
    }

    def fill(root: Path) -> list[dict[str, Any]]:
        with step(_("写出导出文件"), total=len(formats)) as advance:
            try:
                return write_files(root, advance)
            except BaseException:
                if workbook is not None:  # ended before the directory it writes in is removed
                    workbook.end()
                raise

    def write_files(root: Path, advance: Advance) -> list[dict[str, Any]]:
        # The workbook is written by its own process from the tables and the streamed tables'
        # rows, sent as they are made; this process writes each table's CSV meanwhile (a
        # streamed table's row by row), and the JSON of the held tables, and lets the rows go.
        # The streamed tables' JSON is written there: this process makes their rows and
        # pickles them, which costs about half what writing a format does (docs/export.md).
        totals: dict[str, dict[str, Any]] = {}  # stem -> control totals
        t0 = time.perf_counter()
        workbook_path = root / f"{stem}.xlsx"
        facts = {t.stem: {**header, "dated": dated[t.stem]} for t in tables}
        json_beside = {
            t.stem: facts[t.stem]
            for t in tables
            if workbook is not None and "json" in formats and isinstance(t, StreamedTable)
        }
        if workbook is not None:
            organisation = context["organisation"]
            workbook.start(workbook_path, tables, organisation, dated, json_beside)
        for table in tables:
            if isinstance(table, StreamedTable):
                if "csv" in formats:
                    table.followers.append(CsvFile(root / f"{table.stem}.csv", table))
                if "json" in formats and table.stem not in json_beside:
                    table.followers.append(
                        JsonFile(root / f"{table.stem}.json", table, facts[table.stem])
                    )
                for row, bold in table.each_row():
                    if workbook is not None:
                        workbook.row(row, bold)
                if workbook is not None:
                    workbook.end_rows()
                for follower in table.followers:
                    if isinstance(follower, CsvFile):
                        follower.close(table.totals())
                    else:
                        follower.close()
                table.followers = []
            else:
                if workbook is not None:
                    workbook.rows(table)
                if "csv" in formats:
                    write_csv(root / f"{table.stem}.csv", table)
                if "json" in formats:
                    write_json(root / f"{table.stem}.json", table, facts[table.stem])
            totals[table.stem] = table.control_totals()
            table.release()
        seconds["csv, json"] = time.perf_counter() - t0
        files: list[dict[str, Any]] = []
        if workbook is not None:
            t0 = time.perf_counter()
            sheet_names = workbook.sheet_names()
            seconds["xlsx (waited)"] = time.perf_counter() - t0
            files.append(
                file_entry(
                    root,
                    workbook_path,
                    format="xlsx",
                    sheet_names=sheet_names,
                    sheets={t.sheet: totals[t.stem] for t in tables},
                )
            )
            advance()
        for fmt in ("csv", "json"):
            if fmt not in formats:
                continue
            for table in tables:
                path = root / f"{table.stem}.{fmt}"
                files.append(
                    file_entry(
                        root,
                        path,
                        format=fmt,
                        table=table.stem,
                        sheet=table.sheet,
                        control_totals=totals[table.stem],
                    )
                )
            advance()
        write_manifest(
            root,
            {
                "generator": f"xtaccounts {__version__} export",
                "created": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
                **header,
                "books": main.name,
                "books_errors": context["books_errors"],
                # The books' history as it stood (None: the books have none): the finance
                # bureau keeps it; `audit --manifest` finds it in the history or says it was
                # rewritten. Files changed outside the writer are named: they are not in it.
                "history_head": history_head,
                "history_unrecorded": unrecorded,
                "forms": context["forms"],
                "confirmed_codes": context["confirmed_codes"],
                "code_mapping": context["code_mapping"],
                "seal": context["seal"],
                "registry": context["registry"],
                "checks": [vars(c) for c in checks],
                "files": files,
            },
        )
        return files

    with gc_paused():
        files = write_directory(out, fill, replace=replace, replaceable=earlier_export_problem)
    seconds["total"] = time.perf_counter() - started
    return ExportResult(
        Path(out), period, files, checks, context["books_errors"], seconds, history_head
    )


__all__ = ["FORMATS", "MANIFEST", "ExportResult", "export_books", "parse_formats"]
