"""A snapshot built for a write keeps the folds it built unpickled until it is saved or its
entries are folded in (`WriteSnapshot.keep(..., live=True)`), and folds its tail in one fold at
a time: the folds it keeps, and their tail, are those a snapshot that pickled them at once
keeps, whether the write then adds a few entries or more than `TAIL_LIMIT`."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from beancount.core import data

from xtaccounts.books import write_snapshot
from xtaccounts.books.load import ParseCache, load_books
from xtaccounts.books.write_snapshot import WriteSnapshot, build_snapshot
from xtaccounts.ops import claims, owner_deposits, premium_index, voucher_index  # noqa: F401
from xtaccounts.ops.bank_lines import BankLines  # noqa: F401


def _decoded(snapshot: WriteSnapshot) -> dict[str, object]:
    """Each fold the snapshot keeps, as a reader gets it, and the snapshot saved and read."""
    again = pickle.loads(pickle.dumps(snapshot))
    folds = {key: snapshot._fold(key) for key in list(snapshot.folds)}
    assert {key: again._fold(key) for key in list(again.folds)} == folds
    return folds


@pytest.mark.parametrize("added", [3, write_snapshot.TAIL_LIMIT + 40])
def test_live_folds_keep_what_pickled_folds_keep(demo_copy: Path, added: int) -> None:
    books = load_books(demo_copy)
    parsed = ParseCache()
    load_books(demo_copy, parsed=parsed)
    live = build_snapshot(books, parsed)
    pickled = build_snapshot(books, parsed)
    assert live is not None and pickled is not None
    assert live._live and not live.folds
    pickled._pickle_live()  # as every fold was kept before: pickled at once
    assert pickled.folds and not pickled._live
    # The books' own transactions once more: what a fold takes is the same on both sides.
    extra = [e for e in books.entries if isinstance(e, data.Transaction)][-added:]
    live.add(extra)
    pickled.add(extra)
    assert not live._live
    assert len(live.fold_tail) == len(pickled.fold_tail)
    assert _decoded(live) == _decoded(pickled)
    assert list(live.folds) == list(pickled.folds)


def test_a_fold_to_read_is_decoded_once_while_the_snapshot_keeps_it_as_it_is(
    demo_copy: Path,
) -> None:
    """`read_fold` gives every reader one decoded fold (a premium's command and the plugins at
    its commit) while the snapshot's pickle and tail are those it was decoded from; once the
    snapshot takes entries, or is read back from its file, the fold is decoded again, equal to
    what `fold` gives (a copy of its own)."""
    books = load_books(demo_copy)
    parsed = ParseCache()
    load_books(demo_copy, parsed=parsed)
    snapshot = build_snapshot(books, parsed)
    assert snapshot is not None
    kind = premium_index.PremiumIndex
    first = snapshot.read_fold(kind)  # (the live folds are pickled first)
    assert first is not None and snapshot.read_fold(kind) is first
    assert snapshot.fold(kind) == first and snapshot.fold(kind) is not first
    extra = [e for e in books.entries if isinstance(e, data.Transaction)][-3:]
    snapshot.add(extra)
    after = snapshot.read_fold(kind)
    assert after is not first and after == snapshot.fold(kind)
    assert snapshot.read_fold(kind) is after
    again = pickle.loads(pickle.dumps(snapshot))
    assert again.read_fold(kind) == after and again.read_fold(kind) is not after
    # Kept again (or folded in), its decoded copy is let go with its old pickle.
    snapshot.keep(after)
    assert kind.key() not in snapshot._read
    snapshot.read_fold(kind)
    snapshot._fold_in()
    assert not snapshot._read
