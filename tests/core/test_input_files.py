"""Input files other than statements (registry tables, amounts and vote files) are read only
when they are regular files: a FIFO, a device or a directory is refused in one line, never
waited on."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import snapshot, xt
from xtaccounts.core.input_files import NotARegularFile, read_input_file

CCB = "43050163620800001234"


def test_a_regular_file_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(b"household,amount\n" * 100_000)
    assert read_input_file(path) == path.read_bytes()


@pytest.mark.parametrize("special", ["fifo", "/dev/zero", "dir"])
def test_special_files_are_refused(tmp_path: Path, special: str) -> None:
    if special == "fifo":
        path = tmp_path / "x.csv"
        os.mkfifo(path)
    elif special == "dir":
        path = tmp_path
    else:
        path = Path(special)
    with pytest.raises(NotARegularFile, match="不是普通文件"):
        read_input_file(path)


def test_a_file_over_the_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_bytes(b"x" * 2048)
    with pytest.raises(NotARegularFile, match="超过上限 1,024"):
        read_input_file(path, limit=1024)


@pytest.mark.parametrize(
    "args",
    [
        ("deposit", "opening", "--account", CCB, "--date", "2026-01-02", "--amounts", "{fifo}"),
        ("application", "vote", "APP-2024-002", "--date", "2026-01-02", "--votes", "{fifo}"),
    ],
    ids=["amounts", "votes"],
)
def test_cli_refuses_a_fifo_input_file_at_once(
    demo_copy: Path, tmp_path: Path, args: tuple[str, ...]
) -> None:
    fifo = tmp_path / "in.csv"
    os.mkfifo(fifo)
    before = snapshot(demo_copy.parent)
    result = xt(demo_copy, *(a.format(fifo=fifo) for a in args), timeout=60)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "不是普通文件" in result.stderr and "Traceback" not in result.stderr
    assert snapshot(demo_copy.parent) == before


def test_registry_check_refuses_a_fifo_table_at_once(demo_copy: Path) -> None:
    households = demo_copy.parent / "registry" / "households.csv"
    households.unlink()
    os.mkfifo(households)
    result = xt(demo_copy, "registry", "check", timeout=60)
    assert result.returncode == 1
    assert "不是普通文件" in result.stderr and "Traceback" not in result.stderr
