"""Work done beside this process, in a forked process of its own fed through a pipe.

For work that needs nothing of this process once it is handed its input, on a machine with a
core to spare (the export's workbook written while this process writes the CSV and JSON). The
process is forked when `SideProcess` is made: made before the books are loaded, it shares the
interpreter's pages with this process and copies almost none of them (the cycle collector is
kept off the objects it inherits, whose pages it would otherwise copy by writing to each).

Messages go one way, each pickled whole; the work's result or its exception comes back once.
The process never outlives this one: when this process stops sending or dies, it ends.
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import multiprocessing
import multiprocessing.connection
import pickle
import signal
import traceback
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from xtaccounts.core import progress
from xtaccounts.core.errors import XtError
from xtaccounts.core.i18n import _

T = TypeVar("T")

_FORK = multiprocessing.get_context("fork")
# This process's ends of the pipes of its side processes still working: a side process forked
# later closes its copies, or a side process would not see its pipe close when this one ends.
_LIVE_ENDS: set[multiprocessing.connection.Connection] = set()
_PIPE_BYTES = 1 << 20  # the pipe's capacity asked for: a batch of rows handed without waiting
_F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)


class SideProcessError(XtError):
    """The side process ended without its result (killed, or its input cut short)."""


class InputEnded(Exception):
    """The sending process closed the pipe or ended before the work had all its input."""


class Inbox:
    """What the side process reads its input from."""

    def __init__(self, connection: multiprocessing.connection.Connection) -> None:
        self._connection = connection
        parent = multiprocessing.parent_process()
        self._parent = parent.sentinel if parent is not None else None

    def receive(self) -> Any:
        """The next message; InputEnded when no more will come."""
        if self._parent is not None and not self._connection.poll():
            ready = multiprocessing.connection.wait([self._connection, self._parent])
            if self._connection not in ready:
                raise InputEnded
        try:
            return pickle.loads(self._connection.recv_bytes())
        except EOFError:
            raise InputEnded from None

    def sender_gone(self) -> bool:
        """Whether the sending process has ended (for a work that reads no input to ask)."""
        return self._parent is not None and bool(
            multiprocessing.connection.wait([self._parent], timeout=0)
        )


def _serve(
    work: Callable[[Inbox], Any],
    inbox: multiprocessing.connection.Connection,
    results: multiprocessing.connection.Connection,
    parents_ends: tuple[multiprocessing.connection.Connection, ...],
) -> None:
    """The side process's life: the work run on its inbox, its outcome sent back."""
    for end in (*parents_ends, *_LIVE_ENDS):
        end.close()
    _LIVE_ENDS.clear()
    # Ctrl-C reaches the whole process group: the sender handles it and ends this process.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gc.disable()  # the work makes no cycles worth a pass over what it received
    progress._reporter = None  # nothing is shown from here: this process's terminal is shared
    try:
        outcome: tuple[Any, ...] = ("done", work(Inbox(inbox)))
    except InputEnded:
        error = SideProcessError(
            _("并行工作进程的输入提前结束：{name}").format(
                name=multiprocessing.current_process().name
            )
        )
        outcome = ("failed", error, traceback.format_exc())
    except BaseException as error:  # every failure goes back to the sender
        outcome = ("failed", _portable(error), traceback.format_exc())
    # The inbox closed first: a sender still sending is told at once (its send fails) and
    # reads the outcome, however large, instead of waiting on a full pipe.
    inbox.close()
    try:
        data = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as error:  # a result that does not pickle is a failure, told as such
        failure = RuntimeError(f"{type(error).__name__}: {error}")
        data = pickle.dumps(("failed", failure, traceback.format_exc()))
    with contextlib.suppress(OSError):
        results.send_bytes(data)


def _portable(error: BaseException) -> BaseException:
    """`error` if it survives pickling, else a RuntimeError with its text."""
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:  # one that does not pickle is described instead
        return RuntimeError(f"{type(error).__name__}: {error}")
    return error


class SideProcess(Generic[T]):
    """`work(inbox)` run in a process forked now; `send` its input, then take its `result`.

    Used as a context manager: leaving the block without the result (an error here) ends the
    process. An error in the work is raised again by `send` or `result`, the work's traceback
    attached as its cause. Several may work at once: each closes its copies of the others'
    pipes.
    """

    def __init__(self, work: Callable[[Inbox], T], name: str) -> None:
        inbox, self._outbox = _FORK.Pipe(duplex=False)
        self._results, results = _FORK.Pipe(duplex=False)
        with contextlib.suppress(OSError):  # a smaller pipe only makes the sender wait more
            fcntl.fcntl(self._outbox.fileno(), _F_SETPIPE_SZ, _PIPE_BYTES)
        self._process = _FORK.Process(
            target=_serve,
            args=(work, inbox, results, (self._outbox, self._results)),
            name=name,
            daemon=True,
        )
        gc.freeze()  # what both share stays out of the child's collections (and page copies)
        try:
            self._process.start()
        except BaseException:
            self._outbox.close()
            self._results.close()
            raise
        finally:
            gc.unfreeze()
            inbox.close()
            results.close()
        self._finished = False
        _LIVE_ENDS.update((self._outbox, self._results))

    def __enter__(self) -> SideProcess[T]:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.end()

    def send(self, message: Any) -> None:
        """Hand `message` to the work (waits while the pipe is full)."""
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        try:
            self._outbox.send_bytes(data)
        except OSError:  # the work ended early: its outcome says why
            self._outcome()
            raise SideProcessError(
                _("并行工作进程提前结束：{name}").format(name=self._process.name)
            ) from None

    def result(self) -> T:
        """The work's result once all its input is sent (its error raised again)."""
        self._outbox.close()
        return self._outcome()

    def end(self) -> None:
        """The process ended (killed if still working) and the pipes closed."""
        if not self._finished:
            self._finished = True
            if self._process.is_alive():
                self._process.kill()
            self._process.join()
        self._outbox.close()
        self._results.close()
        _LIVE_ENDS.difference_update((self._outbox, self._results))

    def _outcome(self) -> T:
        try:
            outcome = pickle.loads(self._results.recv_bytes())
        except (EOFError, OSError):
            self._process.join()
            self._finished = True
            raise SideProcessError(
                _("并行工作进程异常退出（退出码 {code}）：{name}").format(
                    code=self._process.exitcode, name=self._process.name
                )
            ) from None
        self._process.join()
        self._finished = True
        if outcome[0] == "done":
            return outcome[1]
        _kind, error, text = outcome
        raise error from _WorkTraceback(text)


class _WorkTraceback(Exception):
    """The side process's traceback of an error raised again here."""


__all__ = ["Inbox", "InputEnded", "SideProcess", "SideProcessError"]
