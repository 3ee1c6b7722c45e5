"""Issue 16 §2-§3: hostile and personal text recorded through every entry point of the books
(a bank statement, ``deposit receive --payer/--memo``, ``deposit refund --reason``, the
application's file, objection and vote files, ``premium cancel --reason``, the registry's free
text) on a copy of the demo books, then searched for in every ledger file, every export format,
Fava's and the pilot's pages, the commands' output and the error log: no clear personal data and
no markup anywhere. Control and bidirectional characters are refused where they enter.

The archived bank originals (``documents/Assets/…``) are the banks' files as received and stay
unmasked by design (docs/threat-model.md); the registry files are the test's own input.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest

from tests.helpers import snapshot, xt
from tests.reliability.catalogue import CLEAR, HOSTILE, MARKUP, PERSONAL
from xtaccounts.books.history import History
from xtaccounts.demo.bank_statements import BankLine, StatementFile, icbc_csv

ICBC_NO = "1904021109200088821"
CCB_NO = "43050163620800001234"
ICBC_ACCOUNT = "Assets:Bank-银行存款:ICBC-工商银行:Demand-活期8821"
ELEVATOR = "31104303201200000004"  # C0001-B02-U2: eligible in 2026 once a 2026 tender exists
APPLICANTS = "C0001-B02-U2-101,C0001-B02-U2-102,C0001-B02-U2-201"

CATALOGUE = " ".join((*PERSONAL, *HOSTILE))


@dataclass
class Recorded:
    """The demo copy with the catalogue recorded, and everything to search."""

    main: Path
    scratch: Path
    cache: Path
    statement: Path | None = None
    runs: list[tuple[str, subprocess.CompletedProcess[str]]] = field(default_factory=list)

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        result = xt(self.main, *args)
        self.runs.append((" ".join(args[:3]), result))
        return result


def _opening_2026(main: Path) -> Decimal:
    carried = (main.parent / "txns/2026/carried.beancount").read_text("utf-8")
    found = re.search(rf"2026-01-01 balance {re.escape(ICBC_ACCOUNT)}\s+([\d.]+)", carried)
    assert found, "the demo carries the ICBC balance into 2026"
    return Decimal(found.group(1))


def _statement(main: Path, day: dt.date) -> bytes:
    """An ICBC statement of the demo's account whose lines carry the catalogue."""
    texts = [*PERSONAL, *HOSTILE]
    # A name is recognised in the payer column, beside a number, after a label, or as the
    # payer's own name repeated in the memo (a name nothing points to cannot be).
    lines = tuple(
        BankLine(
            day,
            Decimal("1.00"),
            f"维修资金 {text} 王小明" if n % 2 else f"维修资金 {text} 付款人王小明",
            counterparty="王小明 13812345678" if n % 2 else text,
            counterparty_account="6222021904009876543",
            counterparty_bank=HOSTILE[n % len(HOSTILE)],
            serial=f"ICBC<b>{day:%Y%m%d}{n:04d}" if n == 0 else f"ICBC{day:%Y%m%d}{n:04d}",
        )
        for n, text in enumerate(texts)
    )
    return icbc_csv(
        StatementFile(
            ICBC_NO, "湘潭市物业专项维修资金管理中心", day, day, _opening_2026(main), lines
        )
    )


def _open_2026_for_insurance(registry: Path) -> None:
    """The copy's registry: the pilot window and a tender through 2026 (so that an application
    can be filed), and hostile, personal text in the registry's own free text."""
    pilot = registry / "pilot.toml"
    pilot.write_text(
        pilot.read_text("utf-8").replace("window_end = 2025-12-31", "window_end = 2026-12-31"),
        "utf-8",
    )
    insurers = registry / "insurers.toml"
    tender = (
        '\n[[tender]]\nid = "T2026-01"\ninsurer = "INS01"\nperiod_start = 2026-01-01\n'
        "period_end = 2026-12-31\nmax_elevator_age_years = 25\npremium = [\n"
        '  { max_age_years = 10, annual_premium = "2400.00" },\n'
        '  { max_age_years = 20, annual_premium = "3200.00" },\n'
        '  { max_age_years = 25, annual_premium = "3800.00" },\n]\n'
    )
    insurers.write_text(insurers.read_text("utf-8") + tender, "utf-8")
    elevators = registry / "elevators.csv"
    text = elevators.read_text("utf-8")
    row = next(line for line in text.splitlines() if line.startswith(ELEVATOR))
    cells = row.split(",")
    cells[3] = f"湘潭奥达电梯 {HOSTILE[1]} 联系人王小明 138-1234-5678".replace(",", " ")
    elevators.write_text(text.replace(row, ",".join(cells)), "utf-8")


@pytest.fixture(scope="module")
def recorded(demo_books: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Recorded]:
    work = tmp_path_factory.mktemp("pii-catalogue")
    shutil.copytree(demo_books.parent, work / "ledger")
    rec = Recorded(work / "ledger" / demo_books.name, work / "scratch", work / "cache")
    rec.scratch.mkdir()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XT_CACHE_DIR", str(rec.cache))  # the error log, if any, lands here
        _open_2026_for_insurance(rec.main.parent / "registry")
        # 1. a bank statement, under a file name that carries the catalogue too
        statement = rec.scratch / "王小明13812345678<img src=x onerror=alert(1)>.csv"
        statement.write_bytes(_statement(rec.main, dt.date(2026, 1, 5)))
        rec.statement = statement
        rec.run("import", str(statement))
        # 2. deposit receive --payer / --memo
        for n, (payer, memo) in enumerate(
            [
                ("王小明 13812345678", f"王小明 代缴 {CATALOGUE}"),
                (HOSTILE[1], f"{PERSONAL[2]} {HOSTILE[0]}"),
                ("王小明/李四", "王小明 李四 +86 138 1234 5678"),
                (PERSONAL[4], PERSONAL[5]),
            ]
        ):
            rec.run(
                *("deposit", "receive", "--account", CCB_NO, "--date", f"2026-01-{6 + n:02d}"),
                *("--amount", "5.00", "--payer", payer, "--memo", memo),
            )
        # 3. deposit refund --reason
        rec.run(
            *("deposit", "refund", "--household", "C0001-B01-U1-101", "--amount", "1.00"),
            *("--date", "2026-01-26", "--account", CCB_NO, "--reason", f"房屋灭失 {CATALOGUE}"),
        )
        # 4. the application: a property company (refused: not entrusted), households, the
        #    notice, a written objection, a vote file with a bad line (refused), the vote
        app_args = ("--date", "2026-01-12", "--elevator", ELEVATOR, "--insurer", "INS01")
        cover = ("--cover-start", "2026-02-01", "--inspection", f"{ELEVATOR}=2026-01-02")
        rec.run("application", "file", *app_args, *cover, "--property-company", CATALOGUE)
        rec.run("application", "file", *app_args, *cover, "--households", APPLICANTS)
        rec.run("application", "notice", "APP-2026-001", "--start", "2026-01-13")
        rec.run(
            *("application", "object", "APP-2026-001", "--date", "2026-01-14"),
            *("--household", "C0001-B02-U2-301", "--reason", f"业主王小明反对 {CATALOGUE}"),
        )
        bad_votes = rec.scratch / "votes-bad.csv"
        bad_votes.write_text(
            f"household,choice\nC0001-B02-U2-101,同意\n{PERSONAL[0]},{HOSTILE[2]}\n"
            f"{HOSTILE[0]},{PERSONAL[1]}\n",
            "utf-8",
        )
        rec.run(
            "application", "vote", "APP-2026-001", "--date", "2026-01-20", "--votes", str(bad_votes)
        )
        votes = rec.scratch / "votes.csv"
        votes.write_text(
            "household,choice\n"
            + "".join(f"{h},同意\n" for h in (*APPLICANTS.split(","), "C0001-B02-U2-302")),
            "utf-8",
        )
        rec.run(
            "application", "vote", "APP-2026-001", "--date", "2026-01-20", "--votes", str(votes)
        )
        # 5. premium cancel --reason
        rec.run(
            *("premium", "cancel", "APP-2024-004-P1", "--date", "2026-01-25"),
            *("--reason", f"整机更换 {CATALOGUE}"),
        )
        # 6. what a clerk reads back
        for args in (
            ("pools", "--as-of", "2026-01-31"),
            ("coverage", "--as-of", "2026-01-31"),
            ("application", "list"),
            ("application", "show", "APP-2026-001"),
            ("policies", "--as-of", "2026-01-31"),
            ("units", "--as-of", "2026-01-31"),
            ("audit", "--as-of", "2026-01-31"),
            ("registry", "check"),
        ):
            rec.run(*args)
        rec.run("export", "--period", "2026-01", "--out", str(rec.scratch / "export"))
        rec.run("export", "--period", "2026-01", "--out", str(rec.scratch / "export-json"),
                "--format", "json")  # fmt: skip
        yield rec


def _books_texts(main: Path) -> Iterator[tuple[str, str]]:
    """Every file of the books but the registry (the test's input) and the archived bank
    originals (kept as received, by design); PDFs are compressed and left out."""
    root = main.parent
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if not path.is_file() or relative.startswith(("registry/", "documents/Assets/")):
            continue
        if path.suffix == ".pdf" or path.name == ".xtaccounts.lock":
            continue
        yield relative, path.read_text("utf-8", "replace")


def _export_texts(directory: Path) -> Iterator[tuple[str, str]]:
    for path in sorted(directory.rglob("*")):
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as archive:
                for name in archive.namelist():
                    yield f"{path.name}!{name}", archive.read(name).decode("utf-8", "replace")
        elif path.is_file():
            yield path.name, path.read_bytes().decode("utf-8-sig", "replace")


def _json_strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _json_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _json_strings(item)


def _pages(main: Path, read_only: bool) -> Iterator[tuple[str, str]]:
    """Fava's journal, account pages, a query and every pilot page, as the browser gets them
    (the journal and account tables come as HTML inside the JSON API's answers)."""
    from fava.application import create_app

    app = create_app([str(main)], load=True, read_only=read_only)
    client = app.test_client()
    slug = client.get("/").headers["Location"].strip("/").split("/")[0]
    api = f"/{slug}/api"
    pilot = f"/{slug}/extension/PilotExtension"
    urls = [
        f"/{slug}/journal/",
        f"{api}/journal_page?page=1&order=desc",
        f"{api}/journal",
        f"{api}/account_report?a={ICBC_ACCOUNT}&r=journal",
        f"{api}/account_report?a=Liabilities:Suspense-待查明款项&r=journal",
        f"{api}/account_report?a=Expenses&r=journal",
        f"{api}/query?query_string=SELECT date, payee, narration, entry_meta('memo'), "
        "entry_meta('reason'), entry_meta('statement'), entry_meta('counterparty_bank')",
        f"{api}/payee_accounts?payee=x",
        f"{api}/narrations",
        f"{api}/income_statement",
        *(
            f"{pilot}/{page}?as_of=2026-01-31"
            for page in ("pools", "coverage", "applications", "policies", "spreads")
        ),
        f"{pilot}/coverage",
        f"{pilot}/applications?app=APP-2026-001",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, (url, response.get_data(as_text=True)[:300])
        text = response.get_data(as_text=True)
        if "/api/" in url:
            text = "\n".join(_json_strings(json.loads(text)))
        yield f"{'ro' if read_only else 'rw'} {url}", text


def _leaks(texts: Iterator[tuple[str, str]]) -> list[str]:
    found = []
    for place, text in texts:
        for clear in CLEAR:
            if clear in text:
                found.append(f"{place}: clear {clear!r}")
        for match in MARKUP.finditer(text):
            found.append(f"{place}: markup {match.group(0)!r}")
    return found


# -- the recording -----------------------------------------------------------------------------


@pytest.mark.slow
def test_the_catalogue_is_recorded_through_every_entry_point(recorded: Recorded) -> None:
    codes = [(what, r.returncode) for what, r in recorded.runs]
    refused = {"application file --date", "application vote APP-2026-001"}
    for (what, result), (_, code) in zip(recorded.runs, codes, strict=True):
        assert "Traceback" not in result.stderr, (what, result.stderr)
        if what != "audit --as-of 2026-01-31":
            assert code == 0 or what in refused, (what, result.stdout, result.stderr)
    failed = [what for what, code in codes if code]
    assert failed.count("application file --date") == 1  # the property company, not entrusted
    assert failed.count("application vote APP-2026-001") == 1  # the vote file's bad lines
    books = "\n".join(text for _, text in _books_texts(recorded.main))
    # Recorded, masked and inert: not dropped.
    for kept in (
        "王** 430***********1234",
        "+86138****5678",
        "****4567",
        "430********1123",
        "＜script＞alert(1)＜/script＞",
        "＜img src=x onerror=alert(1)＞",
        "＜a href=＂javascript：alert(1)＂＞x＜/a＞",
        'payer: "王** 138****5678"',
        'payer: "王**/李*"',
        'statement: "王**138****5678＜img src=x onerror=alert(1)＞.csv"',
        'serial: "ICBC＜b＞202601050000"',
    ):
        assert kept in books, kept


@pytest.mark.slow
def test_no_clear_personal_data_or_markup_in_any_ledger_file(recorded: Recorded) -> None:
    leaks = _leaks(_books_texts(recorded.main))
    assert not leaks, "\n".join(leaks)


@pytest.mark.slow
def test_no_clear_personal_data_or_markup_in_the_books_history(recorded: Recorded) -> None:
    """Every object of the history (each recorded version of each file, each change's message
    with the command's arguments and reason): the books' text as masked, the bank's original
    as its digest only, the arguments masked as the books mask text."""
    history = History(recorded.main.parent)
    commands = [change.command for change in history.changes()]
    for command in ("import", "deposit receive", "deposit refund", "application object"):
        assert command in commands, commands
    refund = next(c for c in history.changes() if c.command == "deposit refund")
    assert refund.reason.startswith("房屋灭失 王** 430***********1234")
    stored = history.git("cat-file", "--batch-all-objects", "--batch", reader=True).stdout
    text = stored.decode("utf-8", "replace")
    assert "xtaccounts-original sha256:" in text  # the statement, as its digest
    leaks = _leaks(iter([("the history's objects", text)]))
    assert not leaks, "\n".join(leaks)


@pytest.mark.slow
def test_no_clear_personal_data_or_markup_in_any_export_format(recorded: Recorded) -> None:
    texts = list(_export_texts(recorded.scratch / "export"))
    texts += list(_export_texts(recorded.scratch / "export-json"))
    names = {place.split("!")[0] for place, _ in texts}
    assert {"16-coverage.csv", "16-coverage.json", "manifest.json"} <= names
    assert any(place.endswith(".xlsx!xl/worksheets/sheet1.xml") for place, _ in texts)
    assert "＜script＞" in "".join(text for _, text in texts)  # the cancellation's reason is there
    leaks = _leaks(iter(texts))
    assert not leaks, "\n".join(leaks)


@pytest.mark.parametrize("read_only", [True, False], ids=["read-only", "read-write"])
@pytest.mark.slow
def test_no_clear_personal_data_or_markup_in_fava_and_pilot_pages(
    recorded: Recorded, read_only: bool
) -> None:
    pages = list(_pages(recorded.main, read_only))
    journal = next(text for url, text in pages if "journal_page" in url)
    assert "＜svg onload=alert(1)＞" in journal and "王** 430***********1234" in journal
    leaks = _leaks(iter(pages))
    assert not leaks, "\n".join(leaks)


@pytest.mark.slow
def test_no_clear_personal_data_or_markup_in_command_output_or_logs(recorded: Recorded) -> None:
    # The import names the statement by the path it was given: that echo is the clerk's own
    # argument, not text of the books (the books keep the file name masked and inert).
    given = str(recorded.statement)
    texts = [(what, (r.stdout + r.stderr).replace(given, "FILE")) for what, r in recorded.runs]
    texts += [(p.name, p.read_text("utf-8", "replace")) for p in recorded.cache.glob("*.log")]
    refusal = next(r.stderr for what, r in recorded.runs if what == "application file --date")
    assert "王** 430***********1234" in refusal  # quoted back, masked
    leaks = _leaks(iter(texts))
    assert not leaks, "\n".join(leaks)


# -- refusals ----------------------------------------------------------------------------------


def test_a_statement_line_with_a_bidi_override_is_refused_naming_file_row_and_column(
    demo_copy: Path, tmp_path: Path
) -> None:
    day = dt.date(2026, 1, 5)
    line = BankLine(day, Decimal("1.00"), "维修资金 \u202eabc", serial="ICBC202601050001")
    data = icbc_csv(
        StatementFile(
            ICBC_NO, "湘潭市物业专项维修资金管理中心", day, day, _opening_2026(demo_copy), (line,)
        )
    )
    path = tmp_path / "bidi.csv"
    path.write_bytes(data)
    before = snapshot(demo_copy.parent)
    result = xt(demo_copy, "import", str(path))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert re.search(r"bidi\.csv:\d+: 摘要: 第 6 个字符是双向文本控制符 U\+202E", result.stderr)
    assert snapshot(demo_copy.parent) == before


@pytest.mark.parametrize(
    "args",
    [
        ("deposit", "receive", "--account", CCB_NO, "--date", "2026-01-06", "--amount", "5.00",
         "--memo", "维修资金\x1b[31m"),
        ("deposit", "receive", "--account", CCB_NO, "--date", "2026-01-06", "--amount", "5.00",
         "--payer", "张三\u200b"),
        ("deposit", "refund", "--household", "C0001-B01-U1-101", "--amount", "1.00",
         "--date", "2026-01-26", "--account", CCB_NO, "--reason", "房屋灭失\u2066x\u2069"),
        ("premium", "cancel", "APP-2024-004-P1", "--date", "2026-01-25",
         "--reason", "整机更换\x07"),
    ],
    ids=["memo-escape", "payer-zero-width", "refund-isolate", "cancel-bell"],
)  # fmt: skip
def test_control_characters_in_free_text_options_are_refused(
    demo_copy: Path, args: tuple[str, ...]
) -> None:
    before = snapshot(demo_copy.parent)
    result = xt(demo_copy, *args)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert re.search(r"第 \d+ 个字符是\S+ U\+[0-9A-F]{4}", result.stderr), result.stderr
    assert snapshot(demo_copy.parent) == before
