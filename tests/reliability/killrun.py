"""Run the real command line with a fault injected into the writer: SIGKILL at one point.

    XT_KILL_AT=N XT_STEP_LOG=FILE python -m tests.reliability.killrun --ledger L COMMAND ...

Every *point* of a commit is numbered from 1 in the order the process reaches it: the writer's
own steps (`tmp-written`, `journal-written`, `replaced:<n>`, `journal-removed`, through
`xtaccounts.books.writer._after_step`) and, before them, each durable file write (`write:<name>`),
where the kill comes after half of the bytes are written and before the fsync, so the file on
disk is torn. The process kills itself with SIGKILL at point N (0: never) and appends the name of
every point it reaches to XT_STEP_LOG (a probe run lists the points of a command).

With XT_TRACE_LOG=FILE it also appends, in order, every `fsync path`, `replace src dst` and
`unlink path` the process does (tab-separated real paths), so that a test can check the order
that makes a commit durable, which a SIGKILL cannot show: the kernel keeps a killed process's
unsynced writes, a power cut does not.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

from xtaccounts.books import writer
from xtaccounts.books.new_content import NewContent

StrPath = str | os.PathLike[str]

_count = 0


def _reach(point: str) -> bool:
    """Log `point`; whether the process is to die there."""
    global _count
    _count += 1
    log = os.environ.get("XT_STEP_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(point + "\n")
    return _count == int(os.environ.get("XT_KILL_AT", "0"))


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _after_step(step: str) -> None:
    if _reach(step):
        _die()


_real_write = writer._write_durably


def _write_durably(path: Path, content: bytes | NewContent, mode: int) -> None:
    if not _reach(f"write:{Path(path).name}"):
        _real_write(path, content, mode)
        return
    if isinstance(content, NewContent):
        content = content.whole()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.write(fd, content[: len(content) // 2])
    _die()


def _trace(kind: str, *paths: object) -> None:
    with open(os.environ["XT_TRACE_LOG"], "a", encoding="utf-8") as handle:
        handle.write("\t".join([kind, *map(str, paths)]) + "\n")


def _trace_os() -> None:
    """Log every fsync (by the path of its descriptor), replace and unlink, then do it."""
    fsync, replace, unlink = os.fsync, os.replace, os.unlink

    def traced_fsync(fd: int) -> None:
        _trace("fsync", os.readlink(f"/proc/self/fd/{fd}"))
        fsync(fd)

    def traced_replace(src: StrPath, dst: StrPath, **kwargs: Any) -> None:
        _trace("replace", os.path.realpath(src), os.path.realpath(dst))
        replace(src, dst, **kwargs)

    def traced_unlink(path: StrPath, **kwargs: Any) -> None:
        _trace("unlink", os.path.realpath(path))
        unlink(path, **kwargs)

    os.fsync, os.replace, os.unlink = traced_fsync, traced_replace, traced_unlink


def main() -> None:
    writer._after_step = _after_step
    writer._write_durably = _write_durably  # type: ignore[assignment]
    if os.environ.get("XT_TRACE_LOG"):
        _trace_os()
    from xtaccounts.cli.main import cli

    cli(prog_name="xtaccounts")


if __name__ == "__main__":
    main()
