"""Issue 16, sections 1 and 6: no command writes in, over or around the books; every error is one
line; a reader never reports on a commit a killed writer left half-applied.

Real command-line runs (subprocesses) on copies of small real books; the books' files are
compared byte for byte before and after every refusal.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import snapshot, xt
from tests.reliability import harness
from tests.reliability.harness import copy_books
from xtaccounts.books.writer import JOURNAL_NAME

REPO = Path(__file__).resolve().parents[2]


def tree(root: Path) -> dict[str, bytes | None]:
    """Every file (its bytes), directory and link (None) below `root`, the lock file aside."""
    return {
        str(p.relative_to(root)): (p.read_bytes() if p.is_file() and not p.is_symlink() else None)
        for p in sorted(root.rglob("*"))
        if p.name != ".xtaccounts.lock"
    }


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    """The single line of stderr of a refused command (exit 1, no traceback)."""
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("错误："), result.stderr
    return lines[0]


# --- 1. export --out in or around the books --------------------------------------------------


@pytest.mark.parametrize(
    "where",
    [".", "txns", "registry", "documents", "txns/2023", "txns/2030/new", "..", "link", "link/x"],
)
@pytest.mark.parametrize("replace", [False, True])
def test_export_into_or_around_the_books_is_refused(
    import_books: Path, tmp_path: Path, where: str, replace: bool
) -> None:
    ledger = import_books.parent
    (tmp_path / "link").symlink_to(ledger, target_is_directory=True)
    out = tmp_path / "link" / where[5:] if where.startswith("link") else ledger / where
    assert (ledger / "documents").is_dir() and (ledger / "txns").is_dir()
    before, around = tree(ledger), sorted(p.name for p in tmp_path.iterdir())
    args = ["export", "--period", "2023", "--out", str(out)] + (["--replace"] if replace else [])
    line = one_line_error(xt(import_books, *args))
    assert "账簿目录" in line and "拒绝写入" in line, line
    assert tree(ledger) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == around


@pytest.mark.slow
def test_replace_refuses_a_directory_that_is_not_an_export(
    import_books: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("not an export\n", "utf-8")
    (out / "manifest.json").write_text('{"files": []}\n', "utf-8")  # not ours either
    before = tree(tmp_path)
    line = one_line_error(xt(import_books, "export", "--period", "2023", "--out", str(out)))
    assert "已存在" in line
    for extra in ([], ["--format", "csv"]):
        args = ["export", "--period", "2023", "--out", str(out), "--replace", *extra]
        line = one_line_error(xt(import_books, *args))
        assert "不是本程序以前写的导出" in line and "manifest.json" in line, line
    (out / "manifest.json").unlink()
    line = one_line_error(
        xt(import_books, "export", "--period", "2023", "--out", str(out), "--replace")
    )
    assert "没有 manifest.json" in line, line
    del before["out/manifest.json"]
    assert tree(tmp_path) == before


@pytest.mark.slow
def test_replace_takes_only_an_earlier_export_as_it_was_written(
    import_books: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()  # an empty directory: nothing is lost, it is used
    args = ["export", "--period", "2023", "--out", str(out), "--format", "csv,json"]
    result = xt(import_books, *args)
    assert result.returncode == 0, result.stderr
    first = json.loads((out / "manifest.json").read_text("utf-8"))
    assert first["generator"].startswith("xtaccounts ")

    (out / "mine.xlsx").write_bytes(b"my own work")
    before = tree(out)
    line = one_line_error(xt(import_books, *args, "--replace"))
    assert "mine.xlsx" in line and "未列出" in line, line
    assert tree(out) == before
    (out / "mine.xlsx").unlink()

    edited = out / "01-balance-sheet.csv"
    edited.write_bytes(edited.read_bytes() + b"my note\n")
    before = tree(out)
    line = one_line_error(xt(import_books, *args, "--replace"))
    assert "01-balance-sheet.csv" in line and "改动" in line, line
    assert tree(out) == before

    shutil.rmtree(out)
    assert xt(import_books, *args).returncode == 0
    result = xt(import_books, "export", "--period", "2023", "--out", str(out), "--replace")
    assert result.returncode == 0, result.stderr
    names = {p.name for p in out.iterdir()}
    assert "xtaccounts-export-2023.xlsx" in names and "manifest.json" in names
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ledger", "out"]


# --- 6. OS errors and unexpected errors as one line ------------------------------------------


def test_export_out_below_a_file_or_in_proc_is_one_line(import_books: Path, tmp_path: Path) -> None:
    regular = tmp_path / "F"
    regular.write_text("a file\n", "utf-8")
    line = one_line_error(
        xt(import_books, "export", "--period", "2023", "--out", str(regular / "sub"))
    )
    assert str(regular) in line and "不是目录" in line, line
    assert regular.read_text("utf-8") == "a file\n"
    if not Path("/proc/self").is_dir():
        pytest.skip("no /proc here")
    line = one_line_error(
        xt(import_books, "export", "--period", "2023", "--out", "/proc/xt-export")
    )
    assert "/proc/xt-export" in line and "无法" in line, line


@pytest.mark.parametrize("command", [("registry", "check"), ("pools",), ("audit",)])
def test_a_registry_file_that_is_a_directory_is_one_line(
    import_books: Path, command: tuple[str, ...]
) -> None:
    units = import_books.parent / "registry" / "units.csv"
    units.unlink()
    units.mkdir()
    line = one_line_error(xt(import_books, *command))
    assert str(units) in line, line


def test_an_unexpected_error_is_one_line_and_its_traceback_is_logged_masked(
    import_books: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from xtaccounts.cli.main import cli  # first: it imports the commands in their order

    phone = "139" + "0732" + "5678"  # invented; split so the repository scan skips it

    def broken(_main: Path) -> None:
        raise RuntimeError(f"bug while reading {phone}")

    monkeypatch.setenv("XT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr("xtaccounts.cli.reports_cmd.open_ledger", broken)
    result = CliRunner().invoke(cli, ["--ledger", str(import_books), "pools"])
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    (line,) = [x for x in result.output.splitlines() if x.strip()]
    log = tmp_path / "cache" / "errors.log"
    assert line.startswith("错误：内部错误：RuntimeError: bug while reading 139****5678")
    assert str(log) in line
    text = log.read_text("utf-8")
    assert "Traceback" in text and "in broken" in text and "139****5678" in text
    assert phone not in text and phone not in result.output

    def interrupted(_main: Path) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("xtaccounts.cli.reports_cmd.open_ledger", interrupted)
    result = CliRunner().invoke(cli, ["--ledger", str(import_books), "pools"])
    assert result.exit_code == 130 and "Traceback" not in result.output


# --- 6. a reader finds a half-applied commit -------------------------------------------------


@pytest.fixture(scope="module")
def half_applied(
    import_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, bytes], dict[str, bytes]]:
    """Books whose writer (`allocate`) was SIGKILLed after the journal and its first rename:
    (the template of that state, the books before, the books after)."""
    work = tmp_path_factory.mktemp("half")
    args = ("allocate", "--through", "2023-12-31")
    cmd = harness.Command("allocate", "import", args)
    before, after = harness.states_of(import_template, work, cmd)
    points = harness.probe(copy_books(import_template, work / "probe"), args, work / "log")
    main = copy_books(import_template, work / "half")
    code, _, _ = harness.run(main, args, points.index("replaced:0") + 1)
    assert code == -9 and (main.parent / JOURNAL_NAME).exists()
    half = snapshot(main.parent)
    assert half not in (before, after)
    return main, before, after


@pytest.mark.parametrize(
    "reader",
    [("pools", "--format", "json"), ("units",), ("audit", "--format", "json"), ("export",)],
)
def test_a_reader_rolls_a_half_applied_commit_forward_first(
    half_applied: tuple[Path, dict, dict],
    import_template: Path,
    tmp_path: Path,
    reader: tuple[str, ...],
) -> None:
    template, _before, after = half_applied
    main = copy_books(template, tmp_path / "ledger")
    done = copy_books(import_template, tmp_path / "done")  # the same command, not killed
    assert xt(done, "allocate", "--through", "2023-12-31").returncode == 0
    expected_args = reader
    if reader == ("export",):
        reader = ("export", "--period", "2023", "--out", str(tmp_path / "x"), "--format", "csv")
        expected_args = (*reader[:4], str(tmp_path / "y"), *reader[5:])
    result = xt(main, *reader)
    assert "Traceback" not in result.stderr, result.stderr
    assert not (main.parent / JOURNAL_NAME).exists()
    assert snapshot(main.parent) == after
    expected = xt(done, *expected_args)
    assert result.returncode == expected.returncode, result.stderr
    if reader[0] in ("pools", "units"):
        assert result.stdout == expected.stdout
    if reader[0] == "export":
        for name in ("10-pool-ledger.csv", "13-allocations.csv"):
            assert (tmp_path / "x" / name).read_bytes() == (tmp_path / "y" / name).read_bytes()


def test_a_fava_page_finishes_a_half_applied_commit_and_shows_the_books_after(
    half_applied: tuple[Path, dict, dict], tmp_path: Path
) -> None:
    from fava.application import create_app

    template, _before, after = half_applied
    main = copy_books(template, tmp_path / "ledger")
    app = create_app([str(main)], load=True, read_only=True)  # loaded while half-written
    client = app.test_client()
    slug = client.get("/").headers["Location"].strip("/").split("/")[0]
    page = client.get(f"/{slug}/journal/")
    assert page.status_code == 200
    assert not (main.parent / JOURNAL_NAME).exists()
    assert snapshot(main.parent) == after
    ledger = app.config["LEDGERS"].ledgers[0]
    fresh = create_app([str(main)], load=True, read_only=True).config["LEDGERS"].ledgers[0]
    assert len(ledger.all_entries) == len(fresh.all_entries)


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write any directory")
def test_a_reader_that_may_not_write_the_books_refuses_half_applied_ones(
    half_applied: tuple[Path, dict, dict], tmp_path: Path
) -> None:
    template, _before, _after = half_applied
    main = copy_books(template, tmp_path / "ledger")
    half = tree(main.parent)
    os.chmod(main.parent, 0o555)
    try:
        line = one_line_error(xt(main, "pools"))
    finally:
        os.chmod(main.parent, 0o755)
    assert JOURNAL_NAME in line and "未完成的写入" in line, line
    assert tree(main.parent) == half


# --- the other writers outside the books ------------------------------------------------------


@pytest.mark.slow
def test_import_archive_copies_and_never_writes_over_or_into_the_books(
    import_books: Path, tmp_path: Path
) -> None:
    ledger = import_books.parent
    statement = tmp_path / "ccb.xls"
    shutil.copy(harness.CCB_H1, statement)
    before = tree(ledger)
    inside = ledger / "documents"
    line = one_line_error(xt(import_books, "import", "archive", "-o", str(inside), str(statement)))
    assert "账簿目录" in line, line
    result = xt(import_books, "import", "archive", "-f", str(statement))
    assert result.returncode == 1 and "--overwrite" in result.stderr
    assert tree(ledger) == before and statement.exists()

    elsewhere = tmp_path / "archive"
    elsewhere.mkdir()
    result = xt(import_books, "import", "archive", "-o", str(elsewhere), str(statement))
    assert result.returncode == 0, result.stderr
    [copy] = [p for p in elsewhere.rglob("*") if p.is_file()]
    assert copy.read_bytes() == statement.read_bytes()  # copied; the original stays
    copy.write_bytes(b"kept")
    result = xt(import_books, "import", "archive", "-o", str(elsewhere), str(statement))
    assert result.returncode == 1 and "不覆盖" in result.stderr
    assert copy.read_bytes() == b"kept"
    assert tree(ledger) == before

    result = xt(import_books, "import", "archive", str(statement))
    assert result.returncode == 0, result.stderr
    added = set(tree(ledger)) - set(before)
    assert any(name.endswith(".xls") for name in added) and statement.exists()
    assert xt(import_books, "import", "archive", str(statement)).returncode == 0
    assert set(tree(ledger)) - set(before) == added  # archived already: not copied again


def test_render_export_refuses_an_out_in_the_books_or_not_its_own(
    import_books: Path, tmp_path: Path
) -> None:
    ledger = import_books.parent
    script = REPO / "scripts" / "render_export"
    env = {**os.environ, "PYTHON": sys.executable}
    before = tree(ledger)
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine\n", "utf-8")
    for out in (ledger / "render", ledger, tmp_path, foreign):
        result = subprocess.run(
            [str(script), str(ledger), "2023", str(out)],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert result.returncode == 1, (out, result.stderr)
        assert "拒绝" in result.stderr and "installing" not in result.stdout, result.stderr
    assert tree(ledger) == before
    assert (foreign / "notes.txt").read_text("utf-8") == "mine\n"


@pytest.mark.slow
def test_import_extract_writes_only_a_new_file_outside_the_books(
    import_books: Path, tmp_path: Path
) -> None:
    ledger = import_books.parent
    statement = tmp_path / "ccb.xls"
    shutil.copy(harness.CCB_H1, statement)
    before = tree(ledger)
    for target in (ledger / "accounts.beancount", ledger / "txns" / "new.beancount"):
        line = one_line_error(
            xt(import_books, "import", "extract", str(statement), "-o", str(target))
        )
        assert "账簿目录" in line, line
    assert tree(ledger) == before
    mine = tmp_path / "mine.beancount"
    mine.write_text("; my notes\n", "utf-8")
    line = one_line_error(xt(import_books, "import", "extract", str(statement), "-o", str(mine)))
    assert "已存在" in line and mine.read_text("utf-8") == "; my notes\n"
    new = tmp_path / "new.beancount"
    assert xt(import_books, "import", "extract", str(statement), "-o", str(new)).returncode == 0
    assert str(statement) in new.read_text("utf-8")  # beangulp's section header names it
