"""The catalogue of issue 16's bad inputs, run through the real command line on the demo books.

Each `Case` is a command line that must be refused clearly (exit non-zero, one line, no
traceback) within `HANG_SECONDS`, with the books byte for byte unchanged. The injection part
records hostile and personal text through the commands that take it, then searches every
ledger file, every export format, Fava's and the pilot's pages and the commands' output for
raw markup or clear personal data. `scripts/campaign` (phase `safety`) prints the figures;
the tests of each part assert the same things one by one.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import shutil
import subprocess
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from urllib.parse import unquote

from tests.helpers import snapshot, without_history_warning, xt

HANG_SECONDS = 30
ICBC_NO = "1904021109200088821"
CCB_NO = "43050163620800001234"
ICBC_OPENING_2026 = Decimal("3774189.78")  # the demo's ICBC balance on 2026-01-01

# The catalogue: text that must never become markup, personal data as clerks and banks write
# it, and what of it must not be found in clear anywhere (also used by test_pii_catalogue).
HOSTILE = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "\"'><b>q</b>",
)
PERSONAL = (
    "王小明 430302199001011234",
    "+8613812345678",
    "138-1234-5678",
    "138 1234 5678",
    "１３８１２３４５６７８",
    "卡号 6217002930001234567",
    "６２１７００２９３０００１２３４５６７",
    "身份证 430302900101123",
    "李四 138 - 1234 - 5678",
    "身份证 430302 19900101 1234",
    "座机 (0731) 5823-1234",
)
CLEAR = (
    "王小明",
    "430302199001011234",
    "430302900101123",
    "13812345678",
    "138-1234-5678",
    "138 1234 5678",
    "１３８１２３４５６７８",
    "6217002930001234567",
    "６２１７００２９３０００１２３４５６７",
    "6222021904009876543",
    "1234 - 5678",
    "19900101 1234",
    "5823-1234",
)
# Markup, raw or escaped (an escaped tag is text that was not neutralised where it entered).
MARKUP = re.compile(
    r"(?i)(?:<|&lt;|&#0*60;|&#x0*3c;|\\u003c)\s*(?:script>alert|img src=x|svg onload|b>q)"
    r"|javascript:alert|on(?:error|load)=alert\(1\)(?:>|&gt;)"
)


@dataclass(frozen=True)
class Case:
    """A bad input: `args` (a function of the books' main file and a scratch directory, which
    may also prepare files there) that must be refused."""

    name: str
    args: Callable[[Path, Path], list[str]]


@dataclass
class Outcome:
    name: str
    code: int | None
    refused: bool
    traceback: bool
    hang: bool
    books_changed: list[str] = field(default_factory=list)
    message: str = ""

    @property
    def held(self) -> bool:
        return self.refused and not self.traceback and not self.hang and not self.books_changed


def _file(scratch: Path, name: str, content: bytes = b"x") -> Path:
    path = scratch / name
    path.write_bytes(content)
    return path


def _fifo(scratch: Path) -> Path:
    path = scratch / "fifo.csv"
    os.mkfifo(path)
    return path


def _units_dir(main: Path, scratch: Path) -> list[str]:
    """A registry CSV that is a directory (the books are changed by this on purpose: the
    comparison leaves this path out)."""
    units = main.parent / "registry" / "units.csv"
    units.unlink()
    units.mkdir()
    return ["registry", "check"]


def zip_bomb(path: Path, expanded: int = 3 * 1024**3) -> Path:
    """An .xlsx whose one sheet expands to `expanded` bytes of XML (about 1,000 : 1)."""
    row = b'<row><c t="inlineStr"><is><t>0</t></is></c></row>' * 1024
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        archive.writestr("xl/workbook.xml", b"<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(b"<worksheet><sheetData>")
            written = 0
            while written < expanded:
                sheet.write(row)
                written += len(row)
            sheet.write(b"</sheetData></worksheet>")
    return path


def _receive(date: str, amount: str = "10.00", *extra: str) -> list[str]:
    return ["deposit", "receive", "--account", CCB_NO, "--date", date, "--amount", amount, *extra]


def cases() -> list[Case]:
    """Every reproducer of issue 16 that must end in a refusal."""
    led = lambda sub: lambda m, s: ["export", "--period", "2025", "--out", str(m.parent / sub)]  # noqa: E731
    rep = lambda sub: lambda m, s: [*led(sub)(m, s), "--replace"]  # noqa: E731
    return [
        *(
            Case(f"export --out L/{sub} --replace", rep(sub))
            for sub in ("txns", "registry", "documents", "")
        ),
        *(Case(f"export --out L/{sub}", led(sub)) for sub in ("txns/new", "")),
        Case(
            "export --out FILE/sub",
            lambda m, s: ["export", "--period", "2025", "--out", str(_file(s, "f") / "sub")],
        ),
        Case(
            "export --out /proc/xt-export",
            lambda m, s: ["export", "--period", "2025", "--out", "/proc/xt-export"],
        ),
        Case("export --replace a non-export dir", lambda m, s: [*_mkdir_with_file(s), "--replace"]),
        Case("registry CSV is a directory", _units_dir),
        Case("import a FIFO", lambda m, s: ["import", str(_fifo(s))]),
        Case("import /dev/zero", lambda m, s: ["import", "/dev/zero"]),
        Case("import a directory", lambda m, s: ["import", str(s)]),
        Case("import a zip bomb", lambda m, s: ["import", str(zip_bomb(s / "bomb.xlsx"))]),
        Case("close --period 2099", lambda m, s: ["close", "--period", "2099"]),
        Case("close --period 2026 before it ends", lambda m, s: ["close", "--period", "2026"]),
        Case(
            "close the current month",
            lambda m, s: ["close", "--period", dt.date.today().strftime("%Y-%m")],
        ),
        Case("date 20260115", lambda m, s: _receive("20260115")),
        Case("date 2026-W03-4", lambda m, s: _receive("2026-W03-4")),
        Case("date in Arabic-Indic digits", lambda m, s: _receive("٢٠٢٦-٠١-١٥")),
        Case("date beyond the horizon", lambda m, s: _receive("2099-01-01")),
        Case("amount in Arabic-Indic digits", lambda m, s: _receive("2026-01-15", "١٠٠")),
        Case("amount in Devanagari digits", lambda m, s: _receive("2026-01-15", "१००")),
        Case(
            "control character in --payer",
            lambda m, s: _receive("2026-01-15", "10.00", "--payer", "张三\x07"),
        ),
        Case(
            "bidi override in --memo",
            lambda m, s: _receive("2026-01-15", "10.00", "--memo", "abc\u202edcba"),
        ),
        Case(
            "escape sequence in --memo",
            lambda m, s: _receive("2026-01-15", "10.00", "--memo", "a\x1b[31mb"),
        ),
        Case("write into a closed period", lambda m, s: _receive("2025-03-01")),
    ]


def _mkdir_with_file(scratch: Path) -> list[str]:
    target = scratch / "mine"
    target.mkdir()
    (target / "keep.txt").write_text("not an export", encoding="utf-8")
    return ["export", "--period", "2025", "--out", str(target)]


def run_case(template: Path, work: Path, case: Case) -> Outcome:
    """Run one case on a fresh copy of the books of `template` (a main.beancount)."""
    books = work / "books"
    scratch = work / "scratch"
    for directory in (books, scratch):
        if directory.exists():
            shutil.rmtree(directory)
    shutil.copytree(template.parent, books)
    scratch.mkdir()
    main = books / template.name
    args = case.args(main, scratch)
    before = snapshot(books)
    try:
        result = xt(main, *args, timeout=HANG_SECONDS)
    except subprocess.TimeoutExpired:
        return Outcome(case.name, None, False, False, True)
    after = snapshot(books)
    changed = sorted(
        name
        for name in set(before) | set(after)
        if before.get(name) != after.get(name) and not name.startswith("registry/units.csv")
    )
    # A case that changes the books by hand (a registry file made a directory) is also warned
    # about as a change outside the writer; the refusal is the rest.
    err = without_history_warning(result.stderr).strip()
    lines = [line for line in err.splitlines() if line.strip()]
    shown = lines or result.stdout.strip().splitlines() or [""]
    refused = result.returncode != 0 and (len(lines) == 1 or "error" in result.stdout.lower())
    return Outcome(
        case.name,
        result.returncode,
        refused,
        "Traceback" in result.stderr + result.stdout,
        False,
        changed,
        shown[-1][:200],
    )


# --- injections --------------------------------------------------------------------------------


def hostile_statement(main: Path, day: dt.date) -> bytes:
    """An ICBC statement of `day` on the demo's ICBC account whose lines carry the catalogue."""
    from xtaccounts.demo.bank_statements import BankLine, StatementFile, icbc_csv

    texts = [*HOSTILE, *PERSONAL]
    lines = tuple(
        BankLine(
            day,
            Decimal("1.00"),
            f"维修资金 {text}",
            counterparty=PERSONAL[0] if n == 0 else text,
            counterparty_account="6222021904009876543",
            counterparty_bank="中国工商银行湘潭分行",
            serial=f"ICBC{day:%Y%m%d}{n:06d}",
        )
        for n, text in enumerate(texts)
    )
    opening = ICBC_OPENING_2026
    return icbc_csv(
        StatementFile(ICBC_NO, "湘潭市物业专项维修资金管理中心", day, day, opening, lines)
    )


def record_injections(main: Path, scratch: Path) -> list[subprocess.CompletedProcess[str]]:
    """Record the catalogue through the statement importer and the commands that take text."""
    statement = scratch / "icbc-hostile.csv"
    statement.write_bytes(hostile_statement(main, dt.date(2026, 1, 5)))
    runs = [xt(main, "import", str(statement))]
    for n, (payer, memo) in enumerate(zip(PERSONAL + HOSTILE, HOSTILE + PERSONAL, strict=False)):
        runs.append(
            xt(main, *_receive(f"2026-01-{10 + n:02d}", "5.00", "--payer", payer, "--memo", memo))
        )
    reason = " ".join((*PERSONAL[:2], *HOSTILE[:2]))
    runs.append(
        xt(
            main,
            "deposit",
            "refund",
            "--household",
            "C0001-B01-U1-101",
            "--amount",
            "1.00",
            "--date",
            "2026-02-01",
            "--account",
            CCB_NO,
            "--reason",
            reason,
        )
    )
    return runs


def fava_pages(main: Path) -> Iterator[tuple[str, str]]:
    """(url, html) of Fava's journal, an account page, a query and every pilot page."""
    from fava.application import create_app

    app = create_app([str(main)], load=True, read_only=True)
    client = app.test_client()
    slug = client.get("/").headers["Location"].strip("/").split("/")[0]
    urls = [
        f"/{slug}/journal/",
        f"/{slug}/account/Assets:Bank-银行存款:ICBC-工商银行:Demand-活期8821/",
        f"/{slug}/account/Liabilities/",
        f"/{slug}/query/?query_string=SELECT+date,+payee,+narration",
        f"/{slug}/income_statement/",
    ]
    pilot = f"/{slug}/extension/PilotExtension/"
    urls.append(pilot)
    for page in ("pools", "coverage", "applications", "policies", "spreads"):
        urls.append(f"{pilot}{page}?as_of=2026-02-28")
    for url in urls:
        response = client.get(url)
        yield unquote(url), response.get_data(as_text=True)


def export_texts(main: Path, out: Path) -> Iterator[tuple[str, str]]:
    """(file, text) of every file of a 2026-01 export, the xlsx's inner XML included."""
    result = xt(main, "export", "--period", "2026-01", "--out", str(out))
    yield "export output", result.stdout + result.stderr
    for path in sorted(out.rglob("*")) if out.exists() else ():
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as archive:
                for name in archive.namelist():
                    yield f"{path.name}!{name}", archive.read(name).decode("utf-8", "replace")
        elif path.is_file():
            yield path.name, path.read_bytes().decode("utf-8-sig", "replace")


def find_leaks(texts: Iterator[tuple[str, str]]) -> list[str]:
    """Where raw markup or clear personal data appears: 'place: what'."""
    found = []
    for place, text in texts:
        for needle in CLEAR:
            if needle in text:
                found.append(f"{place}: clear {needle!r}")
        match = MARKUP.search(text)
        if match:
            found.append(f"{place}: markup {match.group(0)!r}")
    return found


def injection_check(template: Path, work: Path) -> tuple[int, list[str], list[str]]:
    """Record the catalogue on a copy of the books and search everything for it:
    (commands run, refusals among them, leaks)."""
    books = work / "inject"
    if books.exists():
        shutil.rmtree(books)
    shutil.copytree(template.parent, books)
    main = books / template.name
    scratch = Path(tempfile.mkdtemp(prefix="xt-inject-"))
    try:
        runs = record_injections(main, scratch)
        refusals = [r.stderr.strip()[:160] for r in runs if r.returncode != 0]
        texts: list[tuple[str, str]] = [("command output", r.stdout + r.stderr) for r in runs]
        texts += [
            (str(p.relative_to(books)), p.read_text("utf-8", "replace"))
            for p in sorted(books.rglob("*.beancount"))
        ]
        texts += list(export_texts(main, scratch / "export"))
        started = time.monotonic()
        texts += list(fava_pages(main))
        texts.append(("pages", f"{time.monotonic() - started:.1f}"))
        return len(runs), refusals, find_leaks(iter(texts))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def text_of(data: bytes) -> tuple[str, str] | None:
    """(text, encoding) of a text file, or None."""
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return None


def inject_text(data: bytes, rng) -> bytes:  # type: ignore[no-untyped-def]
    """A text file (statement CSV, registry, votes) with one catalogue string written into a
    random cell: the fuzz phase's injection mutation."""
    decoded = text_of(data)
    if decoded is None:
        return data
    text, encoding = decoded
    cells = [m.start() for m in re.finditer(r"[,\t]", text)] or [0]
    at = rng.choice(cells) + 1
    injected = rng.choice((*HOSTILE, *PERSONAL, "\x07", "\u202e", "20260115", "٢٠٢٥", "2026-W03-4"))
    out = io.StringIO()
    out.write(text[:at] + injected + text[at:])
    try:
        return out.getvalue().encode(encoding)
    except UnicodeEncodeError:
        return out.getvalue().encode("utf-8")
