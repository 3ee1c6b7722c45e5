"""Builders shared by the tests and by `scripts/campaign`: no pytest here, so the campaign runs
from the demo's setup as well as the tests'."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# The committed demo books (`./scripts/demo` writes them; a test checks they are current).
DEMO_LEDGER = REPO / "ledger"


def write_files(directory: Path, files: dict[str, str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return directory


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every file below a directory, by relative path, as bytes (the writer's lock file and
    the books' history, `.history/`, aside: the history's own tests look at it)."""
    return {
        str(p.relative_to(directory)): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
        and p.name != ".xtaccounts.lock"
        and p.relative_to(directory).parts[0] != ".history"
    }


def without_history_warning(stderr: str) -> str:
    """A command's stderr without the warning about files changed outside the writer (printed
    before every command that reads books with a history, `cli/main.py`)."""
    kept: list[str] = []
    inside = False
    for line in stderr.splitlines():
        if line.startswith("注意：账簿有") and "尚未记入变更历史" in line:
            inside = True
        elif inside and "列出差异" in line:
            inside = False
            continue
        if not inside:
            kept.append(line)
    return "\n".join(kept) + ("\n" if stderr.endswith("\n") and kept else "")


def xt(main: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run the real command line in a subprocess on the books of `main`."""
    env = {k: v for k, v in os.environ.items() if k not in ("XT_LEDGER", "XTACCOUNTS_LANG")}
    return subprocess.run(
        [sys.executable, "-m", "xtaccounts", "--ledger", str(main), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )


def child_processes() -> set[int]:
    """This process's child processes, finished or not: one not waited for (a zombie) counts,
    unlike in `multiprocessing.active_children`, which waits for them itself."""
    found: set[int] = set()
    for task in os.listdir("/proc/self/task"):
        with open(f"/proc/self/task/{task}/children") as handle:
            found.update(int(pid) for pid in handle.read().split())
    return found


def zip_parts(path: Path) -> dict[str, bytes]:
    """Each part of a zip (a workbook) by name: two workbooks with the same parts are the same
    workbook, whenever each was written (the zip records when)."""
    with zipfile.ZipFile(path) as book:
        return {name: book.read(name) for name in book.namelist()}
