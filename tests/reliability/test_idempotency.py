"""Idempotency: every writing command run again with the same input changes nothing, byte for
byte (real command-line runs); a premium cannot be paid twice for the same policy."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.helpers import snapshot, xt
from tests.reliability import harness
from tests.reliability.harness import commands, copy_books

pytestmark = pytest.mark.slow  # every command run twice on copies of the books

COMMANDS = {cmd.name: cmd for cmd in commands()}


def rerun_changes_nothing(main: Path, *args: str) -> str:
    """Run a command whose work is done: exit 0, or 1 with a one-line refusal; same books."""
    before = snapshot(main.parent)
    result = xt(main, *args)
    assert harness.clear_end(result), result.stderr
    assert snapshot(main.parent) == before, args
    return result.stdout + result.stderr


@pytest.mark.parametrize("name", list(COMMANDS))
def test_each_command_run_twice_writes_once(
    name: str, import_template: Path, insurance_template: tuple[Path, Path], tmp_path: Path
) -> None:
    cmd = COMMANDS[name]
    template = import_template if cmd.books == "import" else insurance_template[0]
    main = copy_books(template, tmp_path / "books")
    before = snapshot(main.parent)
    result = xt(main, *cmd.args)
    assert result.returncode == 0, result.stderr
    assert snapshot(main.parent) != before
    rerun_changes_nothing(main, *cmd.args)
    rerun_changes_nothing(main, *cmd.dry_run)


def test_the_demo_books_done_again_change_nothing(demo_copy: Path, tmp_path: Path) -> None:
    """The demo's statements re-imported, its allocations, legacy transfer, closes and
    purchases run again: every one is already in the books."""
    documents = demo_copy.parent / "documents" / "Assets"
    statements = sorted(p for p in documents.rglob("*") if p.is_file())
    assert len(statements) >= 20
    copies = []
    for number, path in enumerate(statements[::4]):
        copy = tmp_path / "again" / f"{number}{path.suffix}"
        copy.parent.mkdir(exist_ok=True)
        shutil.copyfile(path, copy)
        copies.append(str(copy))
    out = rerun_changes_nothing(demo_copy, "import", *copies, "--format", "json")
    assert '"booked": 0' in out
    out = rerun_changes_nothing(demo_copy, "allocate", "--through", "2025-12-31")
    assert "booked: False" in out
    out = rerun_changes_nothing(demo_copy, "pool", "transfer-legacy")
    assert "done once" in out
    for period in ("2023", "2024", "2025-06", "2025"):
        rerun_changes_nothing(demo_copy, "close", "--period", period)
    out = rerun_changes_nothing(demo_copy, "premium", "buy", "APP-2024-002", "--date", "2024-12-01")
    assert "[bought]" in out


def test_a_premium_cannot_be_paid_twice(insurance_books: Path) -> None:
    buy = COMMANDS["premium-buy"]
    assert xt(insurance_books, *buy.args).returncode == 0
    for day in ("2025-03-08", "2025-03-09", "2025-06-01"):
        out = rerun_changes_nothing(
            insurance_books, "premium", "buy", harness.APP, "--date", day, "--policy-no", "X-2"
        )
        assert "[bought]" in out
