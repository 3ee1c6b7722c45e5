"""The crash and race campaigns' parts, shared by the tests and `scripts/campaign`.

Two small books are built once (`make_import_books`, `make_insurance_books`); every trial runs
on a fresh copy. A *command* is a real `xtaccounts` command line that writes to the books
(import, allocate, pool transfer-legacy, close, premium buy). A crash trial kills it (SIGKILL) at
one point of its commit (`tests.reliability.killrun`) or after a random delay, lets the next
command (the same one with `--dry-run`, which takes the writer's lock and so recovers) finish
the journal, and checks that the books are byte for byte as before or as after the command,
and load without an error; then the command is run again and must leave the books as after.
A race trial starts two commands together and checks the books are as one of the two orders
would leave them.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.helpers import snapshot, xt
from xtaccounts.books.load import load_books
from xtaccounts.books.writer import JOURNAL_NAME, TMP_SUFFIX

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "tests" / "importers" / "samples"
ICBC_H1 = SAMPLES / "icbc-2023h1.csv"
CCB_H1 = SAMPLES / "ccb-2023h1.xls"
APP = "APP-2025-001"
TIMEOUT = 120

Snapshot = dict[str, bytes]


@dataclass(frozen=True)
class Command:
    """A writing command line, the books it runs on (`import` or `insurance`), and its name."""

    name: str
    books: str
    args: tuple[str, ...]

    @property
    def dry_run(self) -> tuple[str, ...]:
        return (*self.args, "--dry-run")


IMPORT_ICBC = Command("import-icbc-h1", "base", ("import", str(ICBC_H1)))
IMPORT_CCB = Command("import-ccb-h1", "base", ("import", str(CCB_H1)))


def commands(statement: Path | None = None) -> list[Command]:
    """The five writing commands of the campaigns (`statement`: the insurance books' one)."""
    found = [
        Command("import", "import", ("import", str(CCB_H1))),
        Command("allocate", "import", ("allocate", "--through", "2023-12-31")),
        Command("transfer-legacy", "import", ("pool", "transfer-legacy")),
        # 2023-05: the ICBC statement imported runs to 2023-06-21, so June cannot be closed yet
        Command("close", "import", ("close", "--period", "2023-05")),
        Command("premium-buy", "insurance", ("premium", "buy", APP, "--date", "2025-03-08")),
    ]
    if statement is not None:
        found.append(Command("import-icbc", "insurance", ("import", str(statement))))
    return found


# --- the books ---------------------------------------------------------------------------------


def make_base_books(directory: Path) -> Path:
    """The importer tests' base books: demo registry and chart, openings, three time deposits."""
    from tests.helpers import build_base

    return build_base(directory)


def make_import_books(directory: Path, base: Path | None = None) -> Path:
    """The base books with the ICBC statement of 2023 H1 imported: the CCB one is left to
    import, its interest receipts to allocate, the spread before the window to transfer,
    2023-05 to close."""
    from importers import read_statement_file
    from xtaccounts.ops.bank_statement_import import import_statements

    main = copy_books(base, directory) if base else make_base_books(directory)
    report = import_statements(main, [ICBC_H1], read=read_statement_file)
    assert report.ok, report
    return main


def make_insurance_books(directory: Path) -> tuple[Path, Path]:
    """The insurance tests' small books with APP-2025-001 filed (pool C0001-B02, two elevators)
    and its notice posted: bought on 2025-03-08 at the earliest. Also an ICBC statement of
    2025-03-05 (a payer's name and phone in it) to import on them: (main, statement)."""
    from tests.helpers import EC, ED, make_small_books

    main = make_small_books(directory)
    filing = (
        f"application file --date 2025-02-20 --elevator {EC},{ED} "
        "--households C0001-B02-U1-101,C0001-B02-U1-102,C0001-B02-U2-101 --insurer INS01 "
        "--premium 6400.00 --cover-start 2025-03-08 --cover-end 2026-03-07"
    ).split()
    for args in (filing, ["application", "notice", APP, "--start", "2025-03-01"]):
        result = xt(main, *args)
        assert result.returncode == 0, result.stderr
    statement = directory / "icbc-20250305.csv"
    statement.write_bytes(payer_statement(main))
    return main, statement


PAYER_NAME = "欧阳锦程"
PAYER_PHONE = "139" + "0732" + "5678"  # invented; split so the repository scan skips it
PAYER_ACCOUNT = "6222021904009876543"


def payer_statement(main: Path, day: str = "2025-03-05") -> bytes:
    """An ICBC [HISTORYDETAIL] statement of one day on the small books' ICBC account: an owner's
    transfer with the owner's full name as counterparty and a phone number in the memo."""
    import datetime as dt
    from decimal import Decimal

    from tests.helpers import BANK
    from xtaccounts.demo.bank_statements import BankLine, StatementFile, icbc_csv

    when = dt.date.fromisoformat(day)
    books = load_books(main)
    opening = sum(
        (
            p.units.number
            for e in books.entries
            if getattr(e, "postings", None) and e.date < when
            for p in e.postings
            if p.account == BANK
        ),
        Decimal("0.00"),
    )
    line = BankLine(
        when,
        Decimal("1000.00"),
        f"维修资金 联系电话{PAYER_PHONE}",
        counterparty=PAYER_NAME,
        counterparty_account=PAYER_ACCOUNT,
        counterparty_bank="中国工商银行湘潭分行",
        serial="ICBC20250305000001",
    )
    file = StatementFile(
        "1904021109200088821", "湘潭市物业专项维修资金管理中心", when, when, opening, (line,)
    )
    return icbc_csv(file)


def copy_books(template: Path, directory: Path) -> Path:
    """A private copy of the books of `template` (its main.beancount) in `directory`."""
    if directory.exists():
        shutil.rmtree(directory)
    shutil.copytree(template.parent, directory)
    return directory / template.name


# --- running commands --------------------------------------------------------------------------


def _env(kill_at: int, log: Path | None, trace: Path | None = None) -> dict[str, str]:
    unset = ("XT_LEDGER", "XT_STEP_LOG", "XT_TRACE_LOG")
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env["PYTHONPATH"] = str(REPO)
    env["XT_KILL_AT"] = str(kill_at)
    if log is not None:
        env["XT_STEP_LOG"] = str(log)
    if trace is not None:
        env["XT_TRACE_LOG"] = str(trace)
    return env


def start(
    main: Path, args: Sequence[str], kill_at: int = 0, log: Path | None = None,
    trace: Path | None = None,
):  # fmt: skip
    """Start the command line on `main` under the fault injector (not waiting for it); `trace`:
    where it logs its fsyncs, replaces and unlinks (see `tests.reliability.killrun`)."""
    return subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.killrun", "--ledger", str(main), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(kill_at, log, trace),
        cwd=REPO,
    )


def run(
    main: Path, args: Sequence[str], kill_at: int = 0, log: Path | None = None,
    trace: Path | None = None,
):  # fmt: skip
    """Run the command line to its end: (returncode, stdout, stderr)."""
    proc = start(main, args, kill_at, log, trace)
    out, err = proc.communicate(timeout=TIMEOUT)
    return proc.returncode, out, err


def probe(main: Path, args: Sequence[str], log: Path) -> list[str]:
    """The points the command reaches (run on `main`, which it changes)."""
    log.unlink(missing_ok=True)
    code, _, err = run(main, args, 0, log)
    assert code == 0, err
    return log.read_text("utf-8").split() if log.exists() else []


def leftovers(root: Path) -> list[str]:
    """Journal and temporary files under the ledger dir."""
    return sorted(
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.name.endswith(TMP_SUFFIX) or p.name == JOURNAL_NAME
    )


def load_problems(main: Path) -> list[str]:
    """The books' load errors (beancount's and the plugins'), as text."""
    books = load_books(main)
    return [str(getattr(err, "message", err)) for err in books.errors]


# --- trials ------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What one trial found: its label, whether the books held, and why not."""

    label: str
    held: bool
    detail: str = ""
    state: str = ""  # before / after (crash), or the order (race)


def states_of(template: Path, workdir: Path, cmd: Command) -> tuple[Snapshot, Snapshot]:
    """(before, after): the books' files before and after the command, on a copy."""
    main = copy_books(template, workdir / "states")
    before = snapshot(main.parent)
    code, _, err = run(main, cmd.args)
    assert code == 0, err
    return before, snapshot(main.parent)


def refused_clearly(code: int | None, out: str, err: str) -> bool:
    """Exit 1 with the project's one-line error (`错误：...` on stderr, or an import's file
    row marked error on stdout), no traceback."""
    return code == 1 and "Traceback" not in err and (err.startswith("错误：") or "error" in out)


def clear_end(result: subprocess.CompletedProcess[str]) -> bool:
    """Done (exit 0), or refused with the project's one-line error (exit 1: a command done once,
    such as the legacy transfer or a premium already bought, refuses a second run)."""
    return result.returncode == 0 or refused_clearly(
        result.returncode, result.stdout, result.stderr
    )


def recover_and_check(
    main: Path, cmd: Command, before: Snapshot, after: Snapshot, *, rerun: bool = True
) -> tuple[bool, str, str]:
    """After a kill: the dry run recovers; the books are before or after and load clean; a
    rerun leaves them as after. (held, detail, state)."""
    result = xt(main, *cmd.dry_run)
    if not clear_end(result):
        return False, f"dry run after the kill failed: {result.stderr.strip()[-300:]}", ""
    left = leftovers(main.parent)
    if left:
        return False, f"left behind after recovery: {left}", ""
    now = snapshot(main.parent)
    state = "before" if now == before else "after" if now == after else ""
    if not state:
        names = sorted(set(now) | set(before) | set(after))
        torn = [k for k in names if now.get(k) not in (before.get(k), after.get(k))]
        new = [k for k in names if now.get(k) == after.get(k) != before.get(k)]
        old = [k for k in names if now.get(k) == before.get(k) != after.get(k)]
        detail = f"files neither before nor after {torn[:5]}" if torn else ""
        detail = detail or f"half changed: as after {new[:5]}, as before {old[:5]}"
        return False, f"books are neither before nor after: {detail}", ""
    problems = load_problems(main)
    if problems:
        return False, f"books load with errors: {problems[:3]}", state
    if rerun:
        result = xt(main, *cmd.args)
        if not clear_end(result):
            return False, f"rerun after recovery failed: {result.stderr.strip()[-300:]}", state
        if snapshot(main.parent) != after:
            return False, "rerun after recovery did not give the books after", state
    return True, "", state


def crash_at_point(
    template: Path, workdir: Path, cmd: Command, point: int, name: str,
    before: Snapshot, after: Snapshot, *, rerun: bool = True,
) -> Outcome:  # fmt: skip
    """Kill the command at its `point`-th point, recover, check."""
    main = copy_books(template, workdir / "trial")
    code, _, err = run(main, cmd.args, point)
    label = f"{cmd.name} killed at {point}:{name}"
    if code != -9:
        return Outcome(label, False, f"expected SIGKILL, exit {code}: {err.strip()[-300:]}")
    held, detail, state = recover_and_check(main, cmd, before, after, rerun=rerun)
    return Outcome(label, held, detail, state)


def crash_at_time(
    template: Path, workdir: Path, cmd: Command, delay: float,
    before: Snapshot, after: Snapshot, *, rerun: bool = True,
) -> Outcome:  # fmt: skip
    """Kill the command `delay` seconds after it starts (if still running), recover, check."""
    main = copy_books(template, workdir / "trial")
    proc = start(main, cmd.args)
    time.sleep(delay)
    proc.kill()
    proc.communicate(timeout=TIMEOUT)
    label = f"{cmd.name} killed after {delay:.3f} s (exit {proc.returncode})"
    held, detail, state = recover_and_check(main, cmd, before, after, rerun=rerun)
    return Outcome(label, held, detail, state)


def sequential(template: Path, workdir: Path, *cmds: Command) -> Snapshot:
    """The books after `cmds` run one after the other on a copy (a command may be refused with
    a one-line error, as a second premium purchase is)."""
    main = copy_books(template, workdir / "sequential")
    for cmd in cmds:
        code, out, err = run(main, cmd.args)
        assert code == 0 or refused_clearly(code, out, err), out + err
    return snapshot(main.parent)


def race_states(template: Path, workdir: Path, a: Command, b: Command) -> dict[str, Snapshot]:
    """The books each order leaves ("a,b", "b,a"), and each command alone ("a", "b": the other
    refused, as a command that waited longer than the lock timeout is)."""
    return {
        "a,b": sequential(template, workdir / "ab", a, b),
        "b,a": sequential(template, workdir / "ba", b, a),
        "a": sequential(template, workdir / "a", a),
        "b": sequential(template, workdir / "b", b),
    }


def race(
    template: Path, workdir: Path, first: Command, second: Command,
    orders: dict[str, Snapshot], *, jitter: float = 0.0,
) -> Outcome:  # fmt: skip
    """Start both commands together (the second `jitter` seconds later). Each must end well
    (exit 0) or be refused with a one-line error (exit 1); the books must be as one of `orders`
    leaves them ("a" / "b" only when the other was refused), and load clean."""
    main = copy_books(template, workdir / "race")
    label = f"{first.name} | {second.name}"
    procs = [start(main, first.args)]
    if jitter:
        time.sleep(jitter)
    procs.append(start(main, second.args))
    ends = [proc.communicate(timeout=TIMEOUT) for proc in procs]
    refused = []
    for name, proc, (out, err) in zip("ab", procs, ends, strict=True):
        if refused_clearly(proc.returncode, out, err):
            refused.append(name)
        elif proc.returncode != 0:
            return Outcome(label, False, f"exit {proc.returncode}: {err.strip()[-300:]}")
    now = snapshot(main.parent)
    order = next((name for name, state in orders.items() if state == now), "")
    if not order:
        return Outcome(label, False, "the books are as neither order leaves them")
    if order in ("a", "b") and ("b" if order == "a" else "a") not in refused:
        return Outcome(label, False, f"only {order} is in the books, the other ended well", order)
    problems = load_problems(main)
    if problems:
        return Outcome(label, False, f"books load with errors: {problems[:3]}", order)
    detail = f"refused: {','.join(refused)}" if refused else ""
    return Outcome(label, True, detail, order)


def random_delays(rng: random.Random, count: int, span: float) -> list[float]:
    """`count` delays spread over [0, span]."""
    return [rng.uniform(0.0, span) for _ in range(count)]
