"""Security: owners' names and phones masked in what the import prints; archived statements
stay under ledger/documents/ whatever their name; no personal data in the repository.

(Exports and `serve` have their own masking tests; see docs/threat-model.md.)
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from tests.helpers import snapshot, xt
from tests.reliability.harness import PAYER_ACCOUNT, PAYER_NAME, PAYER_PHONE, REPO
from xtaccounts.books.writer import LedgerWriter
from xtaccounts.core.errors import XtError
from xtaccounts.core.privacy import is_masked_name
from xtaccounts.ops.bank_statement_import import archive_name
from xtaccounts.registry import load_registry

ICBC_FOLDER = Path("documents/Assets/Bank-银行存款/ICBC-工商银行/Demand-活期8821")
ARCHIVED = ICBC_FOLDER / "2025-03-05.ICBC-8821-20250305-20250305.csv"


def personal(text: str) -> list[str]:
    return [item for item in (PAYER_NAME, PAYER_PHONE, PAYER_ACCOUNT) if item in text]


def books_text(main: Path) -> str:
    """Every file of the books but the archived originals (the banks' files, unmasked)."""
    root = main.parent
    return "\n".join(
        p.read_bytes().decode("utf-8", "replace")
        for p in root.rglob("*")
        if p.is_file() and "documents" not in p.relative_to(root).parts
    )


# --- masking ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_import_prints_and_books_no_name_or_phone(
    insurance_books: Path, insurance_template: tuple[Path, Path]
) -> None:
    statement = insurance_template[1]
    raw = statement.read_bytes().decode("gb18030")
    assert PAYER_NAME in raw and PAYER_PHONE in raw
    for args in (("--dry-run",), ("--format", "json", "--dry-run"), ("--format", "csv"), ()):
        result = xt(insurance_books, "import", str(statement), *args)
        assert result.returncode == 0, result.stderr
        assert personal(result.stdout + result.stderr) == [], args
    text = books_text(insurance_books)
    assert "139****5678" in text and personal(text) == []
    assert (insurance_books.parent / ARCHIVED).read_bytes() == statement.read_bytes()


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("2025-03-05 09:30:00", f"{PAYER_NAME} {PAYER_PHONE}"),  # a date cell
        ('"1,000.00"', f"{PAYER_PHONE}元"),  # an amount cell
        (",贷,", f",{PAYER_PHONE},"),  # the debit/credit flag
        ("1904021109200088821,6222", f"{PAYER_PHONE},6222"),  # the account's own number
    ],
)
def test_import_output_masks_a_phone_in_any_cell(
    insurance_books: Path, insurance_template: tuple[Path, Path], tmp_path: Path, old, new
) -> None:
    raw = insurance_template[1].read_bytes().decode("gb18030")
    assert old in raw
    bad = tmp_path / "bad.csv"
    bad.write_bytes(raw.replace(old, new, 1).encode("gb18030"))
    before = snapshot(insurance_books.parent)
    for args in ((), ("--format", "json")):
        result = xt(insurance_books, "import", str(bad), *args)
        assert result.returncode in (0, 1) and "Traceback" not in result.stderr
        out = result.stdout + result.stderr
        assert PAYER_PHONE not in out, out
    if result.returncode == 1:
        assert snapshot(insurance_books.parent) == before


# --- archive names ---------------------------------------------------------------------------

HOSTILE_NAMES = [
    "../../x.xls",
    "/etc/passwd",
    "/tmp/../../../etc/cron.d/x.csv",
    "a\0b.xls",
    "x." + "a" * 300,
    "x" * 5000 + ".xls",
    "x.xls/../../../y",
    "evil\n.csv",
    "..",
    "",
    "C:\\Windows\\x.xls",
    "x.\u202eslx",
]


@pytest.mark.parametrize("original", HOSTILE_NAMES)
def test_archive_name_is_made_of_the_statements_figures_only(
    insurance_template: tuple[Path, Path], original: str
) -> None:
    registry = load_registry(insurance_template[0].parent / "registry")
    bank = registry.bank_accounts["1904021109200088821"]
    name = archive_name(_Statement(), bank, original)
    assert re.fullmatch(r"2025-03-05\.ICBC-8821-20250301-20250305(\.[a-z0-9]{1,8})?", name), name


class _Statement:
    """The two fields `archive_name` reads."""

    period_start = dt.date(2025, 3, 1)
    period_end = dt.date(2025, 3, 5)
    lines = ()


@pytest.mark.parametrize(
    "name", ["../x.csv", "link.csv", "l" * 240 + ".csv", "new\nline.csv", "-rf.csv"]
)
def test_statements_by_odd_paths_are_archived_inside_documents(
    insurance_books: Path, insurance_template: tuple[Path, Path], tmp_path: Path, name: str
) -> None:
    statement = insurance_template[1]
    where = tmp_path / "in" / "deep"
    where.mkdir(parents=True)
    if name == "link.csv":
        (where / name).symlink_to(statement)
        given = where / name
    elif name.startswith(".."):
        shutil.copyfile(statement, tmp_path / "in" / "x.csv")
        given = where / name  # given with its "..", as typed
        assert ".." in given.parts
    else:
        shutil.copyfile(statement, where / name)
        given = where / name
    result = xt(insurance_books, "import", str(given))
    assert result.returncode == 0, result.stderr
    archived = insurance_books.parent / ARCHIVED
    assert archived.is_file() and not archived.is_symlink()
    assert archived.read_bytes() == statement.read_bytes()
    documents = (insurance_books.parent / "documents").resolve()
    for path in (insurance_books.parent / "documents").rglob("*"):
        assert path.resolve().is_relative_to(documents)


def test_a_documents_folder_linked_outside_the_books_is_refused(
    insurance_books: Path, insurance_template: tuple[Path, Path], tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    link = insurance_books.parent / "documents" / "Assets"
    assert not link.exists()
    link.symlink_to(outside, target_is_directory=True)
    before = snapshot(insurance_books.parent)
    result = xt(insurance_books, "import", str(insurance_template[1]))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "escapes the ledger dir" in result.stdout + result.stderr
    assert list(outside.rglob("*")) == []
    assert snapshot(insurance_books.parent) == before


def test_an_archive_name_taken_by_a_link_is_not_followed(
    insurance_books: Path, insurance_template: tuple[Path, Path], tmp_path: Path
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me", "utf-8")
    taken = insurance_books.parent / ARCHIVED
    taken.parent.mkdir(parents=True)
    taken.symlink_to(victim)
    result = xt(insurance_books, "import", str(insurance_template[1]))
    assert result.returncode == 0, result.stderr
    assert victim.read_text("utf-8") == "keep me" and taken.is_symlink()
    second = taken.with_name(taken.stem + "-2.csv")
    assert second.read_bytes() == insurance_template[1].read_bytes()


@pytest.mark.parametrize(
    "relpath",
    [
        "documents/../../x.xls",
        "/tmp/x.xls",
        "documents/a\0b.xls",
        "documents/" + "a" * 300 + ".xls",
        "documents/" + "/".join(["d" * 200] * 30) + "/x.xls",
        "documents/x\n.xls",
    ],
)
def test_the_writer_refuses_hostile_standalone_paths(insurance_books: Path, relpath: str) -> None:
    before = snapshot(insurance_books.parent)
    with LedgerWriter(insurance_books) as session, pytest.raises(XtError):
        session.put_standalone(relpath, b"x")
        session.commit()
    assert snapshot(insurance_books.parent) == before


# --- no personal data in the repository ------------------------------------------------------

MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
LANDLINE = re.compile(r"(?<!\d)0\d{2,3}-\d{7,8}(?!\d)")
ID_CARD = re.compile(r"(?<![\dA-Za-z])[1-9]\d{16}[\dXx](?![\dA-Za-z])")
# Placeholders the masking tests and docs use: an obvious 12345678 / 1234 tail, not a person's.
PLACEHOLDER = re.compile(r"(12345678|\d{3,4}-?\d{3,4}1234)$")


def id_card_valid(number: str) -> bool:
    """GB 11643: a real birth date and the ISO 7064 MOD 11-2 check character."""
    try:
        born = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    if not dt.date(1900, 1, 1) <= born <= dt.date.today():
        return False
    weights = [2 ** (17 - i) % 11 for i in range(17)]
    total = sum(int(d) * w for d, w in zip(number[:17], weights, strict=True))
    return "10X98765432"[total % 11] == number[17].upper()


def readable_texts(data: bytes) -> list[str]:
    """The texts a file may hold: itself decoded, the members of a ZIP, UTF-16 of a workbook."""
    texts = [data.decode("utf-8", "ignore"), data.decode("gb18030", "ignore")]
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        texts += [data.decode("utf-16-le", "ignore"), data[1:].decode("utf-16-le", "ignore")]
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                texts += [archive.read(n).decode("utf-8", "ignore") for n in archive.namelist()]
        except Exception:  # the fuzz regressions are broken ZIPs: their bytes are scanned
            pass
    return texts


def tracked_files() -> list[Path]:
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git working tree")
    return [REPO / name for name in out.decode("utf-8").split("\0") if name]


def test_no_phone_numbers_or_id_cards_in_the_tracked_files() -> None:
    """Phones other than the masking tests' placeholders, valid ID-card numbers: none. (The
    demo's names are invented and its owners appear only as masked surnames.)"""
    files = tracked_files()
    assert len(files) > 100
    found: set[str] = set()
    for path in files:
        if not path.is_file() or path.suffix == ".digests":
            continue  # a seal's digests are hex: any 11 digits in a row are chance, not a phone
        for text in readable_texts(path.read_bytes()):
            for match in MOBILE.findall(text) + LANDLINE.findall(text):
                if not PLACEHOLDER.search(match):
                    found.add(f"{path.relative_to(REPO)}: phone {match}")
            for match in ID_CARD.findall(text):
                if id_card_valid(match):
                    found.add(f"{path.relative_to(REPO)}: ID card {match}")
    assert sorted(found) == []


def test_the_scan_would_find_them() -> None:
    assert id_card_valid("110105" + "1949" + "1231002X")  # GB 11643's own example, split
    assert not id_card_valid("202401010000123456")
    assert MOBILE.findall(f"tel {PAYER_PHONE}.") == [PAYER_PHONE]
    assert not PLACEHOLDER.search(PAYER_PHONE) and PLACEHOLDER.search("13812345678")


def test_the_demo_registry_holds_owners_masked_only() -> None:
    households = (REPO / "ledger" / "registry" / "households.csv").read_text("utf-8")
    owners = [line.split(",")[-1] for line in households.splitlines()[1:] if line]
    assert len(owners) >= 400 and all(is_masked_name(o) for o in owners)
