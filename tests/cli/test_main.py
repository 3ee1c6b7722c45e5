"""The command line: help everywhere, real subprocess runs, one-line errors and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from tests.helpers import DEMO_LEDGER, snapshot
from xtaccounts.cli import main as cli_main
from xtaccounts.cli.main import cli

XT = [sys.executable, "-m", "xtaccounts"]


def run(
    *args: str, ledger: Path | None = None, check: bool = False
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "XT_LEDGER"}
    if ledger is not None:
        env["XT_LEDGER"] = str(ledger)
    proc = subprocess.run([*XT, *args], capture_output=True, text=True, env=env, timeout=120)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [prefix]
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if isinstance(command, click.Group):
            found += _commands(command, (*prefix, name))
        else:
            found.append((*prefix, name))
    return found


@pytest.mark.parametrize("path", _commands(cli), ids=lambda p: " ".join(p) or "xtaccounts")
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "用法：" in result.output
    command: click.Command | None = cli
    for name in path:
        assert isinstance(command, click.Group)
        command = command.get_command(click.Context(command), name)
    assert command is not None
    assert command.help, f"{' '.join(path)} has no docstring"


def test_init_then_check_then_sync(tmp_path: Path) -> None:
    books = tmp_path / "books"
    out = run("init", str(books), check=True)
    assert "已创建" in out.stdout
    main = books / "main.beancount"
    assert run("registry", "check", ledger=main, check=True).stdout.startswith("ok: True")
    sync = run("accounts", "sync", "--format", "json", ledger=main, check=True)
    doc = json.loads(sync.stdout)
    assert doc["command"] == "accounts sync" and doc["opened"] > 0
    check = subprocess.run(
        [Path(sys.executable).parent / "bean-check", str(main)], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    # init refuses a non-empty directory and writes nothing
    before = snapshot(books)
    again = run("init", str(books))
    assert again.returncode == 1 and "not an empty directory" in again.stderr
    assert snapshot(books) == before


@pytest.mark.slow
def test_demo_build_is_reproducible(tmp_path: Path, demo_books: Path) -> None:
    out = tmp_path / "ledger"
    run("demo", "build", "--out", str(out), check=True)
    # another process, another directory, the same bytes
    assert snapshot(out) == snapshot(demo_books.parent)
    # rebuilding in place gives the same bytes too
    run("demo", "build", "--out", str(out), check=True)
    assert snapshot(out) == snapshot(demo_books.parent)


@pytest.mark.slow
def test_registry_check_formats(demo_copy: Path) -> None:
    main = demo_copy
    check = run("registry", "check", "--format", "json", ledger=main, check=True)
    doc = json.loads(check.stdout)
    assert doc["ok"] is True
    assert {r["table"]: r["rows"] for r in doc["rows"]}["households"] == 400
    csv_out = run("--ledger", str(main), "registry", "check", "--format", "csv", check=True).stdout
    assert csv_out.splitlines()[0] == "table,rows"


@pytest.mark.slow
def test_bad_registry_is_refused_with_every_problem_and_nothing_written(demo_copy: Path) -> None:
    out = demo_copy.parent
    registry = out / "registry"
    hh = registry / "households.csv"
    lines = hh.read_text("utf-8").splitlines()
    parts = lines[1].split(",")
    parts[3] = "大约九十"
    lines[1] = ",".join(parts)
    lines[2] = lines[2].replace("C0001-B01-U1,", "C0009-B01-U1,", 1)
    hh.write_text("\n".join(lines) + "\n", "utf-8")
    ra = registry / "rate_agreements.csv"
    ra.write_text(ra.read_text("utf-8").replace("pboc,1.15", "pboc,abc"), "utf-8")
    el = registry / "elevators.csv"
    el_lines = el.read_text("utf-8").splitlines()
    el_lines[2] = el_lines[1].split(",")[0] + "," + el_lines[2].split(",", 1)[1]
    el.write_text("\n".join(el_lines) + "\n", "utf-8")
    ba = registry / "bank_accounts.csv"
    ba.write_text(
        ba.read_text("utf-8").replace("43050163620800001234", "4.30501636208E+19"), "utf-8"
    )
    before = snapshot(out)

    for command in (["registry", "check"], ["accounts", "sync"]):
        proc = run(*command, ledger=out / "main.beancount")
        assert proc.returncode == 1, proc.stdout + proc.stderr
        err = proc.stderr
        assert "Traceback" not in err
        assert "households.csv:2: area_m2:" in err
        assert "households.csv:3: unit: unknown unit 'C0009-B01-U1'" in err
        assert "rate_agreements.csv:2: agreed_rate: 'abc' is not a number" in err
        assert "elevators.csv:3: code: code " in err
        assert "bank_accounts.csv:3: account_no:" in err and "是科学计数法" in err
    assert snapshot(out) == before

    proc = run("registry", "check", "--format", "json", ledger=out / "main.beancount")
    assert proc.returncode == 1
    doc = json.loads(proc.stdout)
    assert doc["ok"] is False and len(doc["rows"]) >= 5


def test_missing_ledger_is_a_one_line_error(tmp_path: Path) -> None:
    proc = run("registry", "check", ledger=tmp_path / "nowhere" / "main.beancount")
    assert proc.returncode == 1
    assert proc.stderr.startswith("错误：") and "no ledger here" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_years_own_books_are_refused_with_the_whole_books_named(demo_books: Path) -> None:
    """`years/2025.beancount` is for bean-check, Fava and `serve` to look at one year; another
    command run on it would miss the registry and documents beside main (and the years before):
    refused, with the books to use named, in either language; help still answers."""
    year = demo_books.parent / "years" / "2025.beancount"
    whole = demo_books.resolve()
    for args in (("pools",), ("deposit", "receive", "--amount", "1.00"), ("audit",)):
        proc = run(*args, ledger=year)
        assert proc.returncode == 1, args
        assert proc.stderr.startswith("错误："), proc.stderr
        assert "2025 年单独的账簿" in proc.stderr
        assert f"--ledger {whole}" in proc.stderr
        assert "Traceback" not in proc.stderr
    english = run("--lang", "en", "pools", ledger=year)
    assert english.returncode == 1
    assert "is the 2025 books on their own" in english.stderr
    assert f"--ledger {whole}" in english.stderr
    assert run("pools", "--help", ledger=year).returncode == 0  # help needs no books
    assert run("pools", ledger=demo_books).returncode == 0
    # `serve` shows a year's books (Fava, read-only): let through, here to fail on its host.
    served = run("serve", "--host", "no such host", ledger=year)
    assert served.returncode == 1 and "年单独的账簿" not in served.stderr
    assert "no such host" in served.stderr


def test_only_a_years_books_beside_a_main_file_are_refused(tmp_path: Path) -> None:
    from xtaccounts.books.layout import refuse_year_books
    from xtaccounts.core.errors import XtError

    years = tmp_path / "years"
    years.mkdir()
    for name in ("2025.beancount", "main.beancount", "2024-opening.beancount"):
        (years / name).write_text("", encoding="utf-8")
    refuse_year_books(years / "2025.beancount")  # no whole books beside: not a year's own
    (tmp_path / "main.beancount").write_text("", encoding="utf-8")
    refuse_year_books(years / "2025.beancount")  # no opening of its own: not a year's books
    (years / "2025-opening.beancount").write_text("", encoding="utf-8")
    with pytest.raises(XtError, match="2025 年单独的账簿"):
        refuse_year_books(years / "2025.beancount")
    for other in ("main.beancount", "2025-opening.beancount"):
        refuse_year_books(years / other)
    refuse_year_books(tmp_path / "main.beancount")


@pytest.mark.slow
def test_demo_build_keeps_books_changed_since_they_were_built(demo_copy: Path) -> None:
    out = demo_copy.parent
    registry = out / "registry" / "communities.csv"
    registry.write_text(registry.read_text("utf-8") + "C0009,新建小区,雨湖区,否,,是\n", "utf-8")
    before = snapshot(out)
    refused = run("demo", "build", "--out", str(out))
    assert refused.returncode == 1
    assert "registry/communities.csv" in refused.stderr and "--force" in refused.stderr
    assert snapshot(out) == before
    dry = run("demo", "build", "--out", str(out), "--force", "--dry-run", check=True)
    assert "试运行：未写入" in dry.stdout and snapshot(out) == before
    forced = run("demo", "build", "--out", str(out), "--force", check=True)
    assert "C0009" not in registry.read_text("utf-8")
    kept = [p for p in out.parent.iterdir() if p.name.startswith(f"{out.name}.replaced-")]
    assert len(kept) == 1 and str(kept[0]) in forced.stdout
    assert snapshot(kept[0]) == before  # the replaced books are kept, not deleted


def test_demo_build_refuses_an_out_inside_books(demo_copy: Path) -> None:
    before = snapshot(demo_copy.parent)
    refused = run("demo", "build", "--out", str(demo_copy.parent / "txns"), "--force")
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "账簿目录" in refused.stderr
    assert snapshot(demo_copy.parent) == before


def test_the_committed_demo_ledger_is_a_fresh_build(demo_books: Path) -> None:
    repo_ledger = DEMO_LEDGER
    assert snapshot(repo_ledger) == snapshot(demo_books.parent), (
        "ledger/ is stale: run `xtaccounts demo build --out ledger --force` and commit it"
    )


def test_the_root_group_knows_every_command_of_the_command_modules() -> None:
    """`COMMAND_MODULES` (the lazy group's map) names each module's commands, and every module."""
    import importlib

    from xtaccounts.cli.main import COMMAND_MODULES

    modules = {p.stem for p in (Path(cli_main.__file__).parent).glob("*_cmd.py")}
    assert set(COMMAND_MODULES.values()) == modules
    for module in modules:
        found = importlib.import_module(f"xtaccounts.cli.{module}").COMMANDS
        assert {c.name for c in found} == {n for n, m in COMMAND_MODULES.items() if m == module}


def test_a_command_imports_its_own_module_only() -> None:
    """`deposit receive` does not import Fava, the export, the audit or the other commands."""
    code = (
        "import sys\n"
        "from xtaccounts.cli.main import cli\n"
        "cli.main(['deposit', 'receive', '--help'], standalone_mode=False)\n"
        "print(sorted(m for m in sys.modules if m.startswith(('fava', 'xtaccounts.export',"
        " 'xtaccounts.audit', 'xtaccounts.cli.')) and not m.endswith(('deposit_cmd',"
        " 'time_deposit_cmd', 'main', 'language', 'output', 'params', 'progress'))))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
