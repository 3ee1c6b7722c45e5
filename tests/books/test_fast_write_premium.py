"""The writer's fast path on insurance records (issue 23): a premium, renewal or cancellation is
planned on the write snapshot's `PremiumIndex` and its records are checked against it, each
plugin vouching for them (`__fast_records__`), with the full load's verdicts.

The small books (tests/helpers/small_books.py) with an application of EC and ED (building
pool C0001-B02, 10,000.00) whose notice has ended. Two copies get the same stream of record
changes — the purchase the command would book, then that purchase broken in each way the
rules see (a pool overdrawn, a premium unlike its policy, an unknown application, bought
before the notice ended, bought twice, mixed with a plain entry, a refund unlike its
cancellation) — one copy through the writer as it is, the other with the snapshot turned off:
the same verdicts, the same errors, the same bytes. Then the commands themselves: on books the
writer has a snapshot of, `premium buy`, `renew` and `cancel` load no books, and write what the
full load would have written, and the premium index their fast writes feed is the rebuilt one.
Then renewals, cancellations and records dated before a purchase, and the records the rules read
in the order of their lines: a failed vote appended on the day of a passed one comes after it,
as in the full load.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from tests.books.test_fast_write_equivalence import (
    ICBC,
    Change,
    _files,
    _txn,
    compare_streams,
    two_copies,
)
from tests.helpers import EC, ED, file_app, households, seed_pools
from tests.helpers.base_books import copy_books
from xtaccounts.books import writer
from xtaccounts.books.load import load_books
from xtaccounts.books.write_snapshot import load_snapshot
from xtaccounts.books.writer import format_entry
from xtaccounts.core import chart
from xtaccounts.insurance import (
    Choice,
    buy_premium,
    cancel_policy,
    post_notice,
    record_objection,
    record_vote,
    renew_policy,
)
from xtaccounts.insurance.checks import BooksNeeded, IndexedInsuranceState, InsuranceState
from xtaccounts.insurance.directives import OBJECTION, custom
from xtaccounts.ops.premium_index import PremiumIndex
from xtaccounts.registry import load_registry

D = dt.date.fromisoformat
APP = "APP-2025-001"
POOL = "C0001-B02"
RECORDS = "txns/2025/insurance.beancount"
BOUGHT = D("2025-03-08")


@pytest.fixture
def noticed(small_books: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The small books with APP-2025-001 (EC, ED; two years from 2025-03-08) noticed on
    2025-03-01: it may be bought from 2025-03-08."""
    monkeypatch.setenv("XT_CACHE_DIR", str(tmp_path / "cache-setup"))
    file_app(small_books, APP, [EC, ED], households("C0001-B02-U1", "101", "102", "201"),
             "2025-02-20", "2025-03-08", "2027-03-07")  # fmt: skip
    post_notice(small_books, APP, D("2025-03-01"))
    return small_books


def _text(entries: tuple) -> str:
    return "\n".join(format_entry(entry) for entry in entries)


def _numbers_times_100(text: str) -> str:
    return re.sub(r"\b(\d+)\.(\d\d)\b", r"\g<1>00.\2", text)


def _stream(purchase: str, cancellation: str) -> list[tuple[str, str]]:
    """(kind, text) of the changes, in order: the refused ones, then the valid purchase."""
    policy_premium = re.search(r'premium: "([\d.]+)"', purchase)
    assert policy_premium
    unlike = purchase.replace(
        f'premium: "{policy_premium[1]}"', f'premium: "{policy_premium[1][:-1]}1"', 1
    )
    plain = _txn(D("2025-03-09"), [(ICBC, "10.00", ""), (chart.SUSPENSE, "-10.00", "")],
                 kind="suspense")  # fmt: skip
    return [
        ("overdrawn", _numbers_times_100(purchase)),
        ("premium unlike its policy", unlike),
        ("unknown application", purchase.replace(APP, "APP-2025-099")),
        ("before the notice ended", purchase.replace(f"{BOUGHT} ", "2025-03-05 ")),
        ("with a plain entry", _numbers_times_100(purchase) + "\n" + plain),
        ("purchase", purchase),
        ("bought twice", purchase),
        ("refund unlike its cancellation", _refund_times_10(cancellation)),
        ("cancellation", cancellation),
        ("cancelled twice", cancellation),
    ]


def _refund_times_10(text: str) -> str:
    return re.sub(r'refund: "([\d.]+)"', lambda m: f'refund: "{Decimal(m[1]) * 10}"', text, count=1)


def test_record_changes_get_the_full_loads_verdicts(
    noticed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast_main, full_main, books = two_copies(noticed, tmp_path, monkeypatch)
    purchase = _text(buy_premium(fast_main, APP, BOUGHT, dry_run=True).entries)
    bought = copy_books(noticed, tmp_path / "bought")  # where the cancellation is planned
    buy_premium(bought, APP, BOUGHT)
    cancelled = cancel_policy(bought, f"{APP}-P1", D("2025-04-01"), "业主撤回", dry_run=True)
    order = _stream(purchase, _text(cancelled.entries))
    position = iter(order)

    def make() -> tuple[str, Change, list]:
        kind, text = next(position)
        return kind, {RECORDS: text}, []

    verdicts, taken = compare_streams(fast_main, full_main, books, make, len(order), monkeypatch)
    assert {k for k, v in verdicts.items() if v == {"accepted"}} == {
        "purchase",
        "cancellation",
    }
    assert {k for k, v in verdicts.items() if v == {"refused"}} == {
        "overdrawn",
        "premium unlike its policy",
        "unknown application",
        "before the notice ended",
        "bought twice",
        "with a plain entry",
        "refund unlike its cancellation",
        "cancelled twice",
    }
    # The records alone went the fast way; the change mixed with a plain entry to the full load.
    assert {"purchase", "cancellation"} <= set(taken)
    assert "with a plain entry" not in taken


class _Loads:
    """How often the books were loaded (by a command or by the writer)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        real = writer.load_books

        def counted(*args: object, **kwargs: object) -> object:
            self.count += 1
            return real(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(writer, "load_books", counted)


def test_premium_commands_load_no_books_and_write_what_the_full_load_would(
    noticed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast_main, full_main, _ = two_copies(noticed, tmp_path, monkeypatch)
    seed_pools(fast_main, {POOL: "3000.00"}, "2025-03-02")  # the write that keeps a snapshot
    loads = _Loads(monkeypatch)

    def both(call: Callable[[Path], object]) -> tuple[object, object]:
        before = loads.count
        fast = call(fast_main)
        assert loads.count == before, "a premium on a snapshot loads no books"
        with monkeypatch.context() as full_only:
            full_only.setattr(writer.WriteSession, "_matching_snapshot", lambda self: None)
            full_only.setattr(writer.WriteSession, "_fast_change", lambda self: None)
            # (its own cache: the snapshot its full check keeps would serve the fast copy next)
            full_only.setenv("XT_CACHE_DIR", str(tmp_path / "cache-full"))
            full = call(full_main)
        return fast, full

    seed_pools(full_main, {POOL: "3000.00"}, "2025-03-02")
    fast, full = both(lambda main: buy_premium(main, APP, BOUGHT, policy_no="X-1"))
    assert fast.entries == full.entries and fast.pool_after == full.pool_after  # type: ignore[attr-defined]
    fast, full = both(lambda main: renew_policy(main, f"{APP}-P1", D("2025-12-01")))
    assert fast.total == full.total  # type: ignore[attr-defined]
    fast, full = both(lambda main: cancel_policy(main, f"{APP}-P2", D("2025-12-10"), "业主撤回"))
    assert fast.amounts == full.amounts  # type: ignore[attr-defined]
    assert _files(fast_main) == _files(full_main)
    assert not load_books(fast_main).errors


def test_the_index_plans_as_the_books_do(noticed: Path, tmp_path: Path) -> None:
    """On every day around the notice and the purchase: the same plan, or the books asked."""
    seed_pools(noticed, {POOL: "300.00"}, "2025-03-20")
    buy_premium(noticed, APP, BOUGHT)
    registry = load_registry(noticed.parent / "registry")
    entries = load_books(noticed).entries
    index = PremiumIndex.of(entries)
    books_state = InsuranceState(registry, entries)
    indexed = IndexedInsuranceState(registry, index)
    answered = 0
    for offset in range(0, 400, 7):
        day = D("2025-03-01") + dt.timedelta(days=offset)
        expected = books_state.renewal_plan(f"{APP}-P1", day)
        try:
            got = indexed.renewal_plan(f"{APP}-P1", day)
        except BooksNeeded:
            assert day < D("2025-03-20")
            continue
        answered += 1
        assert got == expected, day
    assert answered > 40


def _without_document(text: str) -> str:
    """A vote's record without its document (the day's document is another vote's)."""
    return re.sub(r'\n +document: "[^"]*"', "", text)


@pytest.fixture
def voted(noticed: Path, tmp_path: Path) -> tuple[Path, str]:
    """The noticed books with a written objection (2025-03-02), a passed owners' vote
    (2025-03-05) and the purchase (2025-03-08); and the text of a failed vote on 2025-03-05,
    planned before the passed one was recorded."""
    record_objection(noticed, APP, D("2025-03-02"), "C0001-B02-U1-101", "太贵")
    before = copy_books(noticed, tmp_path / "before-the-vote")
    voters = ["C0001-B02-U1-101", "C0001-B02-U1-102", "C0001-B02-U1-201", "C0001-B02-U2-101"]
    against = dict.fromkeys(voters[:2], Choice.AGAINST) | dict.fromkeys(voters[2:], Choice.FOR)
    failed = record_vote(before, APP, D("2025-03-05"), against, dry_run=True)
    assert not failed.detail["tally"].passed
    passing = dict.fromkeys(voters, Choice.FOR)
    assert record_vote(noticed, APP, D("2025-03-05"), passing).detail["tally"].passed
    buy_premium(noticed, APP, BOUGHT)
    return noticed, _without_document(_text(failed.entries))


def test_a_vote_appended_on_another_votes_day_is_ordered_as_the_full_load_orders_it(
    voted: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two votes of one day are ordered by their lines: the one appended comes after the one in
    the books, so a failed vote on the day of the passed one leaves the policy bought without
    a passed vote (the full load's verdict), whatever line it has in the text appended."""
    books_main, failed = voted
    fast_main, full_main, books = two_copies(books_main, tmp_path, monkeypatch)
    seed_pools(fast_main, {POOL: "1.00"}, "2025-03-09")  # the write that keeps a snapshot
    seed_pools(full_main, {POOL: "1.00"}, "2025-03-09")
    order = [
        ("a failed vote on the passed vote's day", failed),
        ("a failed vote after the purchase", failed.replace("2025-03-05 ", "2025-03-09 ", 1)),
    ]
    position = iter(order)

    def make() -> tuple[str, Change, list]:
        kind, text = next(position)
        return kind, {RECORDS: text}, []

    verdicts, taken = compare_streams(fast_main, full_main, books, make, len(order), monkeypatch)
    assert verdicts["a failed vote on the passed vote's day"] == {"refused"}
    assert verdicts["a failed vote after the purchase"] == {"accepted"}
    assert "a failed vote after the purchase" in taken


def _append(main: Path, relpath: str, text: str) -> None:
    with writer.LedgerWriter(main) as session:
        session.append(relpath, text)
        session.commit()


def test_renewals_cancellations_and_late_records_get_the_full_loads_verdicts(
    noticed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A purchase dated before its pool's last movement (the full load decides), an objection
    dated in the notice after the purchase (the policy then wants a passed vote), a renewal, a
    cancellation without a refund and one in the next year's new file: the full load's
    verdicts, and the fast path writes the renewal and the cancellations."""
    seed_pools(noticed, {POOL: "3000.00"}, "2025-03-20")  # the pool's last movement
    fast_main, full_main, books = two_copies(noticed, tmp_path, monkeypatch)
    plan = copy_books(noticed, tmp_path / "plan")  # where each change is planned, then made
    purchase = _text(buy_premium(plan, APP, BOUGHT, dry_run=True).entries)
    buy_premium(plan, APP, BOUGHT)
    objection = _text((custom(OBJECTION, D("2025-03-05"), APP, household="C0001-B02-U1-101",
                              reason="太贵"),))  # fmt: skip
    renewal = _text(renew_policy(plan, f"{APP}-P1", D("2025-12-01"), dry_run=True).entries)
    renew_policy(plan, f"{APP}-P1", D("2025-12-01"))
    cancelled = cancel_policy(plan, f"{APP}-P2", D("2025-12-10"), "业主撤回", dry_run=True)
    no_refund = re.sub(r'refund: "[\d.]+"', 'refund: "0.00"', _text(cancelled.entries[:1]))
    _append(plan, RECORDS, no_refund)
    next_year = _text(cancel_policy(plan, f"{APP}-P1", D("2026-01-10"), "业主撤回",
                                    dry_run=True).entries)  # fmt: skip
    order = [
        ("before the pool's last movement", RECORDS, purchase),
        ("an objection after the purchase", RECORDS, objection),
        ("renewal", RECORDS, renewal),
        ("cancellation without a refund", RECORDS, no_refund),
        ("in the next year's new file", "txns/2026/insurance.beancount", next_year),
    ]
    position = iter(order)

    def make() -> tuple[str, Change, list]:
        kind, relpath, text = next(position)
        return kind, {relpath: text}, []

    verdicts, taken = compare_streams(fast_main, full_main, books, make, len(order), monkeypatch)
    assert verdicts == {
        "before the pool's last movement": {"accepted"},
        "an objection after the purchase": {"refused"},
        "renewal": {"accepted"},
        "cancellation without a refund": {"accepted"},
        "in the next year's new file": {"accepted"},
    }
    assert "before the pool's last movement" not in taken
    assert {"renewal", "cancellation without a refund", "in the next year's new file"} <= set(taken)
    _index_is_the_books(fast_main)


def _index_is_the_books(main: Path) -> None:
    """The premium index the books' snapshot keeps is the one the books give."""
    kept = load_snapshot(main)
    fed = kept.fold(PremiumIndex) if kept is not None else None
    assert fed is not None
    assert fed == PremiumIndex.of(load_books(main).entries)


def test_the_index_fed_by_fast_writes_equals_the_one_rebuilt(
    noticed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A purchase, a renewal and a cancellation written on the snapshot's word: the premium
    index they feed is the one the books give (the same records, balances and last days)."""
    seed_pools(noticed, {POOL: "3000.00"}, "2025-03-02")  # the write that keeps a snapshot
    fast: list[str] = []
    real_fast = writer.WriteSession._commit_fast

    def counted(self: writer.WriteSession, *args: object, **kwargs: object) -> object:
        fast.append("fast")
        return real_fast(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(writer.WriteSession, "_commit_fast", counted)
    buy_premium(noticed, APP, BOUGHT, policy_no="X-1")
    renew_policy(noticed, f"{APP}-P1", D("2025-12-01"))
    cancel_policy(noticed, f"{APP}-P2", D("2025-12-10"), "业主撤回")
    assert len(fast) == 3
    _index_is_the_books(noticed)


def _records_stream(
    noticed: Path, tmp_path: Path, rng: random.Random
) -> Callable[[], tuple[str, Change, list]]:
    """Generated record changes on the noticed books with a written objection (2025-03-02):
    votes passed and failed (alone, two on one day, in another file), objections, the
    purchase (as planned after a passed vote, and moved to other days, and after a vote),
    cancellations (planned, and with no refund), and plain moves of the pool (taking from it
    or giving to it, on days before and after the records)."""
    voters = ["C0001-B02-U1-101", "C0001-B02-U1-102", "C0001-B02-U1-201", "C0001-B02-U2-101"]
    against = dict.fromkeys(voters[:2], Choice.AGAINST) | dict.fromkeys(voters[2:], Choice.FOR)
    votes = {
        outcome: _without_document(
            _text(record_vote(noticed, APP, D("2025-03-05"), choices, dry_run=True).entries)
        )
        for outcome, choices in (("failed", against), ("passed", dict.fromkeys(voters, Choice.FOR)))
    }
    bought = copy_books(noticed, tmp_path / "bought")
    record_vote(bought, APP, D("2025-03-05"), dict.fromkeys(voters, Choice.FOR))
    purchase = _text(buy_premium(bought, APP, BOUGHT, dry_run=True).entries)
    buy_premium(bought, APP, BOUGHT)
    cancellations = [
        _text(cancel_policy(bought, f"{APP}-P1", D(day), "撤回", dry_run=True).entries)
        for day in ("2025-03-08", "2025-04-01", "2025-06-30")
    ]
    pool = "Equity:Undistributed-待分配累计收益:Pool-统筹账户:C0001-金泉小区:B02-2栋"

    def moved(text: str, day: dt.date) -> str:
        return re.sub(r"^2025-\d\d-\d\d ", f"{day} ", text, flags=re.MULTILINE)

    def day(low: str, high: str) -> dt.date:
        return D(low) + dt.timedelta(days=rng.randrange((D(high) - D(low)).days + 1))

    def make() -> tuple[str, Change, list]:
        kind = rng.choice(RECORD_KINDS)
        relpath = RECORDS
        if kind == "purchase":
            text = purchase
        elif kind == "purchase moved":
            text = moved(purchase, day("2025-03-01", "2025-04-30"))
        elif kind == "vote":
            text = moved(votes[rng.choice(["failed", "passed"])], day("2025-03-02", "2025-03-12"))
        elif kind == "vote in another file":
            relpath = SEED_FILE
            text = moved(votes[rng.choice(["failed", "passed"])], day("2025-03-02", "2025-03-12"))
        elif kind == "two votes of a day":
            when = day("2025-03-02", "2025-03-08")
            first, second = rng.sample(list(votes.values()), 2)
            text = moved(first, when) + "\n" + moved(second, when)
        elif kind == "a vote and the purchase":
            vote = moved(votes[rng.choice(["failed", "passed"])], day("2025-03-02", "2025-03-08"))
            text = vote + "\n" + purchase
        elif kind == "objection":
            household = rng.choice([*voters, "C0001-B01-U1-101"])
            objection = custom(OBJECTION, day("2025-03-01", "2025-03-09"), APP,
                               household=household, reason="太贵")  # fmt: skip
            text = _text((objection,))
        elif kind == "cancellation":
            text = rng.choice(cancellations)
        elif kind == "cancellation without a refund":
            record = rng.choice(cancellations).split("\n\n")[0]
            text = re.sub(r'refund: "[\d.]+"', 'refund: "0.00"', record) + "\n"
        else:  # the pool moved (a plain change: the full check's)
            amount = Decimal(rng.choice(["7000.00", "-500.00", "-9000.00"]))
            relpath = SEED_FILE
            when = day("2025-03-02", "2025-05-30")
            text = (f'{when} * "统筹账户"\n  kind: "test-seed"\n'
                    f"  {chart.UNDISTRIBUTED}  {amount} CNY\n"
                    f"  {pool}  {-amount} CNY\n")  # fmt: skip
        return kind, {relpath: text}, []

    return make


SEED_FILE = "txns/2025/seed.beancount"
RECORD_KINDS = [
    "purchase", "purchase", "purchase moved", "vote", "vote", "vote in another file",
    "two votes of a day", "a vote and the purchase", "objection", "cancellation",
    "cancellation without a refund", "pool moved",
]  # fmt: skip


@pytest.mark.parametrize("seed", [1, 4])
def test_generated_record_changes_get_the_full_loads_verdicts(
    noticed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    """Forty generated record changes (`_records_stream`) to the two copies: the same verdicts,
    errors and bytes, and the records the fast path takes of each kind it can take."""
    seed_pools(noticed, {POOL: "3000.00"}, "2025-03-02")
    record_objection(noticed, APP, D("2025-03-02"), "C0001-B02-U1-101", "太贵")
    make = _records_stream(noticed, tmp_path, random.Random(seed))
    fast_main, full_main, books = two_copies(noticed, tmp_path, monkeypatch)
    verdicts, taken = compare_streams(fast_main, full_main, books, make, 40, monkeypatch)
    assert {"accepted", "refused"} <= {v for kind in verdicts.values() for v in kind}
    assert {"vote", "two votes of a day", "objection"} <= set(taken)
    assert "pool moved" not in taken
    _index_is_the_books(fast_main)


def test_records_on_a_snapshot_kept_before_a_registry_edit_get_the_full_loads_verdicts(
    noticed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The registry is read by the rules but is none of the files the snapshot describes: after
    an edit that leaves the books with an error (the tender ended before the purchase), a
    record change is decided by the full check (an error it had already is not a new one), and
    the snapshot never vouches for it."""
    seed_pools(noticed, {POOL: "3000.00"}, "2025-03-02")
    buy_premium(noticed, APP, BOUGHT)
    plan = copy_books(noticed, tmp_path / "plan")
    cancellation = _text(
        cancel_policy(plan, f"{APP}-P1", D("2025-04-01"), "业主撤回", dry_run=True).entries
    )
    fast_main, full_main, books = two_copies(noticed, tmp_path, monkeypatch)
    seed_pools(fast_main, {POOL: "1.00"}, "2025-03-20")  # the write that keeps a snapshot
    seed_pools(full_main, {POOL: "1.00"}, "2025-03-20")
    for main in (fast_main, full_main):
        insurers = main.parent / "registry" / "insurers.toml"
        text = insurers.read_text("utf-8").replace(
            "period_end = 2025-12-31", "period_end = 2025-03-01"
        )
        insurers.write_text(text, "utf-8")
    assert load_books(fast_main).errors  # the policy bought without a tender covering its day
    order = [
        ("cancellation unlike its policy", _refund_times_10(cancellation)),
        ("cancellation", cancellation),
    ]
    position = iter(order)

    def make() -> tuple[str, Change, list]:
        kind, text = next(position)
        return kind, {RECORDS: text}, []

    verdicts, taken = compare_streams(fast_main, full_main, books, make, len(order), monkeypatch)
    assert verdicts == {"cancellation unlike its policy": {"refused"}, "cancellation": {"accepted"}}
    assert not taken
