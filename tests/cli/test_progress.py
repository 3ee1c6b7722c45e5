"""Progress on long commands: a bar on stderr when it is a terminal (a real pty here), nothing
when it is piped or with --quiet; the library's steps reach whatever reporter is installed."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import SAMPLES, xt
from xtaccounts.core.progress import reporting, step, track
from xtaccounts.ops.bank_statement_import import lines_read

BAR = "━"


def on_a_terminal(main: Path, *args: str, timeout: float = 300) -> tuple[int, str, str]:
    """Run the command line with stderr on a pseudo-terminal: (exit code, stdout, stderr)."""
    import pty

    leader, follower = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("XT_LEDGER", "NO_COLOR")}
    env.update(TERM="xterm-256color", COLUMNS="120")
    process = subprocess.Popen(
        [sys.executable, "-m", "xtaccounts", "--ledger", str(main), *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=follower,
        env=env,
    )
    os.close(follower)
    chunks: list[bytes] = []
    while True:
        ready, _, _ = select.select([leader], [], [], 0.2)
        if ready:
            try:
                data = os.read(leader, 65536)
            except OSError:  # the terminal is closed: the process has ended
                break
            if not data:
                break
            chunks.append(data)
        elif process.poll() is not None:
            break
    out = process.stdout.read() if process.stdout else b""
    process.wait(timeout=timeout)
    os.close(leader)
    return process.returncode, out.decode(), b"".join(chunks).decode(errors="replace")


class Recorder:
    """A reporter that writes down what it is told."""

    def __init__(self) -> None:
        self.events: list[tuple[str, object, object]] = []

    def begin(self, label: str, total: int | None) -> object:
        self.events.append(("begin", label, total))
        return label

    def advance(self, task: object, n: int) -> None:
        self.events.append(("advance", task, n))

    def end(self, task: object) -> None:
        self.events.append(("end", task, None))


def test_steps_reach_the_reporter_installed_and_nothing_else() -> None:
    with step("无人观看", 3) as advance:
        advance()  # no reporter: nothing happens, nothing fails
    recorder = Recorder()
    with reporting(recorder):
        assert list(track(["a", "b"], "两件")) == ["a", "b"]
        with step("读取") as advance:
            report = lines_read(advance, None)
            for lines in (100, 250, 250, 400):
                report(lines)
    assert recorder.events == [
        ("begin", "两件", 2),
        ("advance", "两件", 1),
        ("advance", "两件", 1),
        ("end", "两件", None),
        ("begin", "读取", None),
        ("advance", "读取", 100),
        ("advance", "读取", 150),
        ("advance", "读取", 150),
        ("end", "读取", None),
    ]


def test_audit_shows_a_bar_on_a_terminal_and_none_when_piped_or_quiet(
    demo_copy: Path,
) -> None:
    code, out, err = on_a_terminal(demo_copy, "audit", "--format", "json")
    assert code == 0, err
    assert "读取账簿" in err and "审计检查" in err and BAR in err
    assert json.loads(out)["ok"] is True  # stdout stays the report alone

    piped = xt(demo_copy, "audit", "--format", "json")
    assert piped.returncode == 0
    assert BAR not in piped.stderr and "审计检查" not in piped.stderr
    assert json.loads(piped.stdout) == json.loads(out)

    for quiet in ("--quiet", "-q"):
        code, _, err = on_a_terminal(demo_copy, quiet, "audit")
        assert code == 0
        assert BAR not in err and "审计检查" not in err


@pytest.mark.slow
def test_import_and_export_show_their_bars_on_a_terminal(demo_copy: Path, tmp_path: Path) -> None:
    statement = SAMPLES / "icbc-2023h1.csv"
    _, _, err = on_a_terminal(demo_copy, "import", "--dry-run", str(statement))
    assert "导入对账单" in err and f"读取对账单 {statement.name}" in err and BAR in err
    code, _, err = on_a_terminal(
        demo_copy, "export", "--period", "2025", "--out", str(tmp_path / "x")
    )
    assert code == 0, err
    assert "编制报表" in err and "写出导出文件" in err and BAR in err
    piped = xt(demo_copy, "export", "--period", "2025", "--out", str(tmp_path / "y"))
    assert piped.returncode == 0 and BAR not in piped.stderr
