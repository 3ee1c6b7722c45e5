"""Tests of the write snapshot's `DigestSet`: keys kept as 8-byte digests."""

from __future__ import annotations

import pickle

from xtaccounts.books.write_snapshot import DigestSet


def test_keys_added_are_found_by_their_digests_and_others_are_not() -> None:
    keys = [f"Assets:Bank:ICBC-0001 {n:08d}" for n in range(1000)]
    first = DigestSet().with_keys(keys[:500])
    both = first.with_keys(keys[500:] + keys[:10])  # a key twice is kept once
    assert len(first) == 500 and len(both) == 1000
    assert all(key in both for key in keys)
    assert "Assets:Bank:ICBC-0001 00001000" not in both
    assert both == DigestSet(DigestSet.digest(key) for key in reversed(keys))
    assert pickle.loads(pickle.dumps(both)) == both
