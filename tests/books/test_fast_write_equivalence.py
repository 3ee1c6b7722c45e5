"""The proof of the writer's fast path (issue 23): on hundreds of generated changes, valid and
invalid, the fast path's verdict equals the full load's: the same changes accepted, the same
errors, the same bytes on disk.

Two copies of the demo books (with a 2026 demand settlement booked through the command line, so
that the open year has a settled window) get the same stream of changes: one through the writer
as it is (the fast path whenever its snapshot allows), the other with the snapshot turned off
(every change decided by the full load, as before the fast path).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from tests.helpers import DEMO_LEDGER, copy_books, xt
from xtaccounts.books import writer
from xtaccounts.books.load import load_books
from xtaccounts.books.writer import LedgerWriter, WriteRefused
from xtaccounts.core import chart

ICBC = "Assets:Bank-银行存款:ICBC-工商银行:Demand-活期8821"
CCB = "Assets:Bank-银行存款:CCB-建设银行:Demand-活期1234"
BANK_FILE = "txns/2026/bank-ICBC-8821.beancount"
OTHER_FILE = "txns/2026/carried.beancount"
NEW_FILE = "txns/2026/deposits.beancount"
PARENT = "Equity:Undistributed-待分配累计收益"  # open, and above every pool's account
SETTLED = dt.date(2026, 3, 20)  # the demand settlement's window end (booked 2026-03-21)

Change = dict[str, str]  # relpath -> text to append


@pytest.fixture(scope="module")
def settled_books(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo books with a 2026 rate agreement and a demand settlement through 2026-03-20."""
    main = copy_books(DEMO_LEDGER / "main.beancount", tmp_path_factory.mktemp("settled") / "books")
    with (main.parent / "registry" / "rate_agreements.csv").open("a", encoding="utf-8") as f:
        f.write("RA-ICBC-D-2026,ICBC,demand,0.35,pboc,1.15,2026-01-01,2026-12-31\n")
    done = xt(main, "interest", "demand", "--account", ICBC, "--settlement", "2026-03-20",
              "--received", "9000.00")  # fmt: skip
    assert done.returncode == 0, done.stderr
    return main


class Books:
    """What the generator needs to know of the books: accounts, units, running balances."""

    def __init__(self, main: Path) -> None:
        books = load_books(main)
        assert not books.errors
        opens = [e for e in books.entries if type(e).__name__ == "Open"]
        self.pools = [o.account for o in opens if o.account.startswith(chart.POOL + ":")]
        self.units = sorted(
            {
                str(p.meta["unit"])
                for e in books.entries
                if type(e).__name__ == "Transaction"
                for p in e.postings
                if p.account == chart.DEPOSIT_INCOME and p.meta and "unit" in p.meta
            }
        )
        self.balances: dict[str, Decimal] = {}
        self.last = dt.date(2026, 3, 21)
        for entry in books.entries:
            for posting in getattr(entry, "postings", ()):
                self.balances[posting.account] = (
                    self.balances.get(posting.account, Decimal(0)) + posting.units.number
                )

    def subtree(self, account: str) -> Decimal:
        return sum(
            (n for a, n in self.balances.items() if a == account or a.startswith(account + ":")),
            Decimal(0),
        )


def _txn(day: dt.date, postings: list[tuple[str, str, str]], **meta: str) -> str:
    """A transaction's text: postings (account, amount, posting metadata line or '')."""
    lines = [f'{day} * "fast-path equivalence"']
    lines += [f'  {key}: "{value}"' for key, value in meta.items()]
    for account, number, posting_meta in postings:
        lines.append(f"  {account}  {number} CNY")
        if posting_meta:
            lines.append(f"    {posting_meta}")
    return "\n".join(lines) + "\n\n"


def _generator(books: Books, rng: random.Random) -> Callable[[], tuple[str, Change, list]]:
    """A function making the next change: (its kind, its text by file, its postings)."""
    serials: list[str] = []

    def day(low: dt.date, high: dt.date) -> dt.date:
        return low + dt.timedelta(days=rng.randrange((high - low).days + 1))

    def amount() -> str:
        return f"{rng.randrange(1, 500000) / 100:.2f}"

    def deposit(when: dt.date, unit: bool = True, number: str | None = None) -> tuple[str, list]:
        value = number or amount()
        serial = f"S{rng.randrange(10**8)}"
        serials.append(serial)
        bank = rng.choice([ICBC, CCB])
        meta = f'unit: "{rng.choice(books.units)}"' if unit else ""
        text = _txn(when, [(bank, value, ""), (chart.DEPOSIT_INCOME, f"-{value}", meta)],
                    kind="deposit", serial=serial)  # fmt: skip
        return text, [(when, bank, Decimal(value)), (when, chart.DEPOSIT_INCOME, -Decimal(value))]

    def suspense(when: dt.date, bank: str = ICBC, value: str | None = None) -> tuple[str, list]:
        value = value or amount()
        text = _txn(when, [(bank, value, ""), (chart.SUSPENSE, f"-{value}", "")], kind="suspense")
        return text, [(when, bank, Decimal(value)), (when, chart.SUSPENSE, -Decimal(value))]

    def future() -> dt.date:
        return day(books.last, books.last + dt.timedelta(days=3))

    def make() -> tuple[str, Change, list]:
        kind = rng.choice(KINDS)
        target = rng.choice([BANK_FILE, BANK_FILE, OTHER_FILE])
        if kind == "deposit":
            text, moves = deposit(future())
        elif kind == "suspense":
            text, moves = suspense(future(), rng.choice([ICBC, CCB]))
        elif kind == "two entries":
            first, moves_a = deposit(future())
            second, moves_b = suspense(future())
            text, moves = first + second, moves_a + moves_b
        elif kind == "settled quarter":
            text, moves = suspense(day(dt.date(2026, 1, 1), SETTLED))
        elif kind == "closed period":
            text, moves = deposit(day(dt.date(2025, 1, 1), dt.date(2025, 12, 31)))
        elif kind == "closed, balance sheet only":
            text, moves = suspense(day(dt.date(2025, 6, 1), dt.date(2025, 12, 31)), CCB)
        elif kind == "no unit":
            text, moves = deposit(future(), unit=False)
        elif kind == "not whole fen":
            text, moves = deposit(future(), number="12.345")
        elif kind == "unbalanced":
            when = future()
            text = _txn(when, [(ICBC, "10.00", ""), (chart.SUSPENSE, "-9.99", "")])
            moves = []
        elif kind == "unknown account":
            when = future()
            text = _txn(when, [(ICBC, "10.00", ""), ("Liabilities:Nobody-无此账户", "-10.00", "")])
            moves = []
        elif kind in ("pool overdraw", "pool small"):
            pool = rng.choice(books.pools)
            # An overdraft takes from the pool; a small credit gives to it.
            value = "99999999.00" if kind == "pool overdraw" else "-0.01"
            when = future()
            text = _txn(when, [(pool, value, ""), (ICBC, str(-Decimal(value)), "")])
            moves = [(when, pool, Decimal(value)), (when, ICBC, -Decimal(value))]
        elif kind == "premium without policy":
            when = future()
            pool_id = "C0001-B02"
            text = _txn(when, [(chart.PREMIUM_EXPENSE, "10.00", f'pool: "{pool_id}"'),
                               (ICBC, "-10.00", "")])  # fmt: skip
            moves = []
        elif kind == "duplicate serial":
            when = future()
            serial = rng.choice(serials) if serials else "S1"
            text = _txn(when, [(ICBC, "1.00", ""), (chart.SUSPENSE, "-1.00", "")],
                        kind="suspense", serial=serial)  # fmt: skip
            moves = [(when, ICBC, Decimal("1.00")), (when, chart.SUSPENSE, Decimal("-1.00"))]
        elif kind == "duplicate voucher":
            when = future()
            text = _txn(when, [(ICBC, "1.00", ""), (chart.SUSPENSE, "-1.00", "")],
                        voucher=f"记-{when:%Y-%m}-0001")  # fmt: skip
            moves = [(when, ICBC, Decimal("1.00")), (when, chart.SUSPENSE, Decimal("-1.00"))]
        elif kind == "backdated before an assertion":
            text, moves = suspense(day(SETTLED + dt.timedelta(days=2), books.last))
        elif kind == "new file":
            text, moves = deposit(future())
            target = NEW_FILE
        else:  # balance assertions (some on a parent): right, off by a fen, too early
            account = rng.choice([ICBC, CCB, chart.SUSPENSE, PARENT])
            when = books.last + dt.timedelta(days=rng.choice([1, 2]))
            if kind == "balance too early":
                when = day(SETTLED, books.last)
            expected = books.subtree(account)
            if kind == "balance off":
                expected += Decimal("0.01")
            text = f"{when} balance {account}  {expected} CNY\n\n"
            moves = [(when, None, Decimal(0))]
        return kind, {target: text}, moves

    return make


KINDS = [
    "deposit", "deposit", "deposit", "suspense", "suspense", "two entries", "balance",
    "balance", "balance off", "balance too early", "settled quarter", "closed period",
    "closed, balance sheet only", "no unit", "not whole fen", "unbalanced", "unknown account",
    "pool overdraw", "pool small", "premium without policy", "duplicate serial",
    "duplicate voucher", "backdated before an assertion", "new file",
]  # fmt: skip


def _commit(main: Path, change: Change) -> tuple[str, list[str], str]:
    """The writer's verdict on a change: accepted, or refused with its errors."""
    try:
        with LedgerWriter(main) as session:
            for relpath, text in change.items():
                session.append(relpath, text)
            session.commit()
    except WriteRefused as refused:
        where = str(main.parent) + "/"  # the two copies' errors differ only in their directory
        errors = [error.replace(where, "") for error in refused.errors]
        return "refused", errors, (refused.headline or "").replace(where, "")
    return "accepted", [], ""


def _files(main: Path) -> dict[str, bytes]:
    """Every file of the books (the ledgers, the registry, the documents a record stages), not
    the lock file or a history's repository."""
    root = main.parent
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.relative_to(root).parts[0].startswith(".")
    }


def two_copies(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, Path, Books]:
    """Two copies of the books (for the fast path and for the full load alone), a cache of
    their own, and what the generator needs to know of them."""
    monkeypatch.setenv("XT_CACHE_DIR", str(tmp_path / "cache"))
    fast_main = copy_books(source, tmp_path / "fast")
    full_main = copy_books(source, tmp_path / "full")
    return fast_main, full_main, Books(fast_main)


def compare_streams(
    fast_main: Path,
    full_main: Path,
    books: Books,
    make: Callable[[], tuple[str, Change, list]],
    count: int,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[dict[str, set[str]], list[str]]:
    """Feed `count` changes to both copies (the second with the snapshot turned off) and assert
    the same verdicts and the same bytes on disk: each kind's verdicts, and the kinds of the
    changes the fast path wrote."""
    taken: list[str] = []
    real_fast = writer.WriteSession._commit_fast

    def counted(self: writer.WriteSession, *args: object, **kwargs: object) -> object:
        taken.append(kind)
        return real_fast(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(writer.WriteSession, "_commit_fast", counted)
    verdicts: dict[str, set[str]] = {}
    for number in range(count):
        kind, change, moves = make()
        fast = _commit(fast_main, change)
        with monkeypatch.context() as full_only:
            full_only.setattr(writer.WriteSession, "_fast_change", lambda self: None)
            # Its own cache: the snapshot its full check keeps would otherwise be the one the
            # fast copy is checked against next (the copies' files are alike), and the fast
            # copy's snapshot would never be one its own writes fed.
            full_only.setenv("XT_CACHE_DIR", str(full_main.parent.parent / "cache-full"))
            full = _commit(full_main, change)
        assert fast == full, (number, kind, change)
        verdicts.setdefault(kind, set()).add(fast[0])
        if fast[0] == "accepted":
            for when, account, value in moves:
                books.last = max(books.last, when)
                if account is not None:
                    books.balances[account] = books.balances.get(account, Decimal(0)) + value
    monkeypatch.setattr(writer.WriteSession, "_commit_fast", real_fast)
    assert _files(fast_main) == _files(full_main)
    return verdicts, taken


@pytest.mark.slow
def test_the_fast_path_gives_the_full_loads_verdicts(
    settled_books: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast_main, full_main, books = two_copies(settled_books, tmp_path, monkeypatch)
    make = _generator(books, random.Random(23))
    verdicts, taken = compare_streams(fast_main, full_main, books, make, 300, monkeypatch)
    # Every kind of change was generated; the invalid ones were refused, the plain valid
    # ones accepted, and most of those by the fast path.
    assert set(verdicts) == set(KINDS)
    for kind in ("deposit", "suspense", "two entries", "balance", "new file", "pool small"):
        assert verdicts[kind] == {"accepted"}, kind
    for kind in ("balance off", "closed period", "no unit", "not whole fen", "unbalanced",
                 "unknown account", "pool overdraw", "premium without policy"):  # fmt: skip
        assert verdicts[kind] == {"refused"}, kind
    assert "refused" in verdicts["settled quarter"]
    fast_kinds = set(taken)
    assert {"deposit", "suspense", "two entries", "balance"} <= fast_kinds
    # (a new file's first change goes to the full load, later ones append to an included file)
    assert not fast_kinds & {"pool small", "settled quarter", "closed period", "pool overdraw"}
    assert len(taken) > 100
