"""A piece of work run in a forked process: its input, its result, its errors and its end."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from xtaccounts.core.errors import XtError
from xtaccounts.core.side_process import Inbox, SideProcess, SideProcessError


def _sum_until_none(inbox: Inbox) -> tuple[int, list[int], int]:
    total, seen = 0, []
    while (message := inbox.receive()) is not None:
        total += sum(message)
        seen.append(message[0])
    return total, seen, os.getpid()


def test_the_work_gets_every_message_in_order_and_its_result_comes_back() -> None:
    with SideProcess(_sum_until_none, "test-sum") as side:
        for first in range(0, 100_000, 1000):
            side.send(list(range(first, first + 1000)))
        side.send(None)
        total, seen, pid = side.result()
    assert total == sum(range(100_000))
    assert seen == list(range(0, 100_000, 1000))
    assert pid != os.getpid()


def _sigint_handler(inbox: Inbox) -> object:
    return signal.getsignal(signal.SIGINT)


def test_ctrl_c_is_left_to_the_sender() -> None:
    """Ctrl-C reaches the whole process group: the sender handles it and ends the side
    process, which prints nothing of its own on the shared terminal."""
    with SideProcess(_sigint_handler, "test-sigint") as side:
        assert side.result() == signal.SIG_IGN


def _refuse(inbox: Inbox) -> None:
    inbox.receive()
    raise XtError("第 3 张表：金额不是数字（测试）")


def test_an_error_in_the_work_is_raised_here_with_its_traceback() -> None:
    with SideProcess(_refuse, "test-refuse") as side:
        side.send("first")
        with pytest.raises(XtError, match="金额不是数字") as raised:
            side.result()
    assert "_refuse" in str(raised.value.__cause__)  # the work's own traceback


class _Unpicklable(Exception):
    def __init__(self, a: int, b: int) -> None:
        super().__init__(f"{a}+{b}")


def _raise_unpicklable(inbox: Inbox) -> None:
    raise _Unpicklable(1, 2)


def test_an_error_that_does_not_pickle_comes_back_as_its_text() -> None:
    with (
        SideProcess(_raise_unpicklable, "test-unpicklable") as side,
        pytest.raises(RuntimeError, match=r"_Unpicklable: 1\+2"),
    ):
        side.result()


def _fail_at_once(inbox: Inbox) -> None:
    raise XtError("工作簿写不下去了（测试）")


def test_sending_to_a_work_that_failed_raises_its_error_instead_of_waiting() -> None:
    big = b"x" * (1 << 20)
    with SideProcess(_fail_at_once, "test-fail") as side, pytest.raises(XtError, match="写不下去"):
        for _ in range(64):  # far more than any pipe holds
            side.send(big)


def _die(inbox: Inbox) -> None:
    inbox.receive()
    os._exit(3)


def test_a_work_that_dies_is_an_error_naming_its_exit_code() -> None:
    with SideProcess(_die, "test-die") as side:
        side.send("go")
        with pytest.raises(SideProcessError, match="退出码 3"):
            side.result()


def _wait_forever(inbox: Inbox) -> None:
    inbox.receive()


def test_leaving_the_block_without_the_result_ends_the_process() -> None:
    with pytest.raises(ValueError, match="here"), SideProcess(_wait_forever, "test-wait") as side:
        process = side._process
        assert process.is_alive()
        raise ValueError("an error here")
    assert not process.is_alive()


def test_the_side_process_ends_when_its_parent_is_killed(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import os, signal, sys
        from xtaccounts.core.side_process import SideProcess

        def wait(inbox):
            inbox.receive()

        side = SideProcess(wait, "test-orphan")
        print(side._process.pid, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == -signal.SIGKILL
    child = int(done.stdout.split()[0])
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and _running(child):
        time.sleep(0.05)
    assert not _running(child)


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def _receive_one(inbox: Inbox) -> object:
    return inbox.receive()


def test_a_side_process_sees_its_input_end_while_another_works() -> None:
    """The second one forked closes its copies of the first's pipe: the first sees its input
    end when this process closes it, instead of waiting for the second to end."""

    def too_long(*_args: object) -> None:
        raise AssertionError("the first side process never saw its input end")

    previous = signal.signal(signal.SIGALRM, too_long)
    signal.alarm(20)
    try:
        with (
            SideProcess(_receive_one, "test-first") as first,
            SideProcess(_wait_forever, "test-second"),
            pytest.raises(SideProcessError, match="输入提前结束"),
        ):
            first.result()  # nothing sent: its input ends
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _unpicklable_result(inbox: Inbox) -> object:
    return lambda: None


def test_a_result_that_does_not_pickle_is_a_failure_told_here() -> None:
    with (
        SideProcess(_unpicklable_result, "test-result") as side,
        pytest.raises(RuntimeError, match="lambda"),
    ):
        side.result()
