"""Checking appended entries against a `WriteSnapshot` instead of loading all the books again.

`fast_accept` says whether a staged change can be written on the snapshot's word alone: it
answers True only when it can show that the full load would report no error the books do not
already have, and None ("ask the full load") for anything else. It never refuses: a change it
does not accept goes to the full load, which decides and words the errors, so both paths give
the same verdicts and the same errors.

A change is accepted when:
- every file the snapshot was built from has the digest it records (the books are the ones it
  describes), the change only appends to included files other than the top-level file, and the
  writer has no checks of its own;
- the appended text parses without error into transactions and balance assertions only (no
  pushed tags or metadata, no includes); text the writer formatted from entries is read back
  from them instead (`built_text.as_parsed`: the entries the parser would give);
- every transaction is plain: CNY postings with their numbers, no cost or price, adding up to
  exactly zero; none of the kinds or metadata the plugins read across entries (interest
  receipts and their 积数, closes, carries, premiums, rate agreements, policies, applications),
  and no posting to a pool's account or to premiums;
- except an allocation (or the legacy transfer): it may post to pools' accounts, and records
  the receipts it covers, if each of its pool postings is a credit. The plugins read such an
  entry only through the pools' balances (an allocation that only adds to every pool cannot
  make one negative on any day, and the books the snapshot describes have no negative pool)
  and its receipts' lists, which no rule checks at load; the unit funds it credits have no
  rule across entries, and it touches no bank account (积数), income or expense (closed
  periods) or premium (insurance records);
- every account it names is open on its date, never closed, and takes CNY;
- every entry is dated after the last close of a period, and a posting after its account's last
  settled 积数 window, and on or after the last balance assertion of its account and of every
  account above it (so no assertion already in the books sees it);
- an appended balance assertion is dated after the last posting to its account and its
  sub-accounts and after the account's last assertion, and equals, to the fen, the snapshot's
  balance plus the appended postings before it;
- the fund's plugins, run on the appended entries alone, report nothing (their per-entry rules:
  whole fen, unit and household metadata; their rules across entries cannot be touched by such
  entries, see above).

Insurance records (`xt-…` records, premiums and their refunds) are the exception to the rule
on kinds and metadata: a change of records alone is accepted when, beside the other rules, every
plugin of the books vouches for them (`__fast_records__`: the plugin's own rules shown to hold
on the books with them, from the snapshot's folds; docs/writes.md), shown the records with the
lines they will have in their files (the rules read the records of one day in that order).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import os
import re
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from beancount.core import data
from beancount.parser import parser

from xtaccounts.books.built_text import BuiltChunk, as_parsed
from xtaccounts.books.entries_at import located
from xtaccounts.books.voucher_numbers import number_text
from xtaccounts.books.write_snapshot import (
    FAST_PLUGINS,
    WriteSnapshot,
    stat_signature,
)
from xtaccounts.core import chart
from xtaccounts.core.entries import plain_units
from xtaccounts.core.vocabulary import (
    CURRENCY,
    INSURANCE_TYPES,
    KIND_ALLOCATION,
    KIND_CARRY,
    KIND_CLOSE,
    KIND_INTEREST,
    KIND_LEGACY,
    KIND_PREMIUM,
    KIND_PREMIUM_REFUND,
    META_AGREEMENT,
    META_APPLICATION,
    META_BALANCE_DAYS,
    META_BASE_RECEIPTS,
    META_KIND,
    META_POLICY,
    META_RECEIPT,
    META_SPREAD_RECEIPTS,
)

__all__ = ["FastChange", "fast_accept", "is_record", "place", "placed", "snapshot_matches"]

_RECORD_KINDS = frozenset({KIND_PREMIUM, KIND_PREMIUM_REFUND})
# Allocations and the legacy transfer: accepted when they only add to pools (`_transaction_fits`).
_ALLOCATION_KINDS = frozenset({KIND_ALLOCATION, KIND_LEGACY})
_ALLOCATION_META = frozenset({META_BASE_RECEIPTS, META_SPREAD_RECEIPTS})
_CROSS_KINDS = frozenset(
    {
        KIND_INTEREST,
        KIND_CLOSE,
        KIND_CARRY,
        KIND_PREMIUM,
        KIND_PREMIUM_REFUND,
    }
)
_CROSS_META = frozenset(
    {
        META_AGREEMENT,
        META_APPLICATION,
        META_BALANCE_DAYS,
        META_BASE_RECEIPTS,
        META_POLICY,
        META_RECEIPT,
        META_SPREAD_RECEIPTS,
    }
)
_NOT_PLAIN = re.compile(r"^[ \t]*(push|pop)(tag|meta)\b|^[ \t]*include\b", re.MULTILINE)


def _not_plain(text: str) -> bool:
    """Whether text pushes or pops tags or metadata or includes a file (the pattern is tried
    only on text holding one of its words: an import's megabytes are searched fast)."""
    return ("push" in text or "pop" in text or "include" in text) and _NOT_PLAIN.search(
        text
    ) is not None


class FastChange:
    """A change the snapshot accepts: its texts (voucher numbers given), each file's in pieces
    (its text is them joined: a large import's is not made whole), and parsed entries."""

    def __init__(self, texts: dict[Path, list[str]], entries: list[data.Directive]) -> None:
        self.texts = texts
        self.entries = entries


def snapshot_matches(snapshot: WriteSnapshot, ledger_dir: Path) -> bool:
    """Whether every file the snapshot was built from has the content it records (a file whose
    stat signature changed is read and its digest compared; the signature is then updated)."""
    for rel, (signature, digest) in list(snapshot.files.items()):
        path = os.path.join(ledger_dir, rel)
        try:
            now = stat_signature(path)
            if now == signature:
                continue
            with open(path, "rb") as handle:
                content = handle.read()
        except OSError:
            return False
        if hashlib.sha256(content).hexdigest() != digest or stat_signature(path) != now:
            return False
        snapshot.files[rel] = (now, digest)
    return True


def fast_accept(
    snapshot: WriteSnapshot,
    ledger_dir: Path,
    main: Path,
    staged: Mapping[Path, list[str]],
    new: frozenset[Path] = frozenset(),
    built: Mapping[Path, list[BuiltChunk | None]] | None = None,
) -> FastChange | None:
    """The change, voucher-numbered, if the snapshot alone shows it adds no error; else None.

    `new`: staged files that do not exist yet (the writer includes them from the top-level
    file): their entries are checked as any appended entries are. `built`: beside each chunk
    of `staged`, the entries the writer formatted it from (or None): a file whose chunks all
    have them is read back from them (`built_text.as_parsed`) instead of parsed, each let go
    from its chunk once read back (the chunks are the writer's, used once)."""
    rels = {}
    for path in staged:
        rel = os.path.relpath(path, ledger_dir)
        if path == main or (rel not in snapshot.files and path not in new):
            return None
        rels[path] = rel
    if not snapshot_matches(snapshot, ledger_dir):
        return None
    highest = dict(snapshot.vouchers)
    texts: dict[Path, list[str]] = {}
    entries: list[data.Directive] = []
    for path, chunks in staged.items():
        made = (built or {}).get(path)
        filename = os.path.abspath(path)
        read = None
        if made is not None and len(made) == len(chunks) and None not in made:
            # (named by their file already: no copy of each entry to rename it)
            read = as_parsed(
                chunks, [m for m in made if m is not None], highest, filename, release=True
            )
        if read is not None:
            pieces, parsed = read
        else:
            pieces = ["".join(number_text(chunk, highest) for chunk in chunks)]
            parsed = None
        # (each piece is whole lines: the pattern's lines are found in one piece)
        if any(map(_not_plain, pieces)):
            return None
        if parsed is None:
            parsed, errors, _ = parser.parse_string(pieces[0])
            if errors:
                return None
            parsed = _named(parsed, filename)
        texts[path] = pieces
        entries.extend(parsed)
    entries.sort(key=data.entry_sortkey)
    records = [entry for entry in entries if is_record(entry)]
    if records and len(records) != len(entries):
        return None  # records come alone (each plugin vouches for them, below)
    if not _entries_fit(snapshot, entries, records=bool(records)):
        return None
    if records:
        # The plugins see the records with the lines they will have in their files: records of
        # one day are read in the order of their lines (two votes of a day: the later decides).
        bases = _lines_before(snapshot, ledger_dir, rels, new)
        if bases is None:
            return None
        vouched = sorted(placed(entries, bases), key=data.entry_sortkey)
        if not _plugins_vouch(snapshot, vouched, main):
            return None
    elif not _plugins_quiet(snapshot, entries, main):
        return None
    return FastChange(texts, entries)


def _lines_before(
    snapshot: WriteSnapshot, ledger_dir: Path, rels: Mapping[Path, str], new: frozenset[Path]
) -> dict[str, int] | None:
    """By file appended to, how many lines come before the appended text once it is written
    (`load.appended_text`: a newline ends a last line that has none); None: a file is not
    the one the snapshot describes."""
    bases: dict[str, int] = {}
    for path, rel in rels.items():
        if path in new:
            bases[os.path.abspath(path)] = 0
            continue
        try:
            content = Path(ledger_dir, rel).read_bytes()
        except OSError:
            return None
        if not snapshot.holds(rel, content):
            return None
        ended = not content or content.endswith(b"\n")
        bases[os.path.abspath(path)] = content.count(b"\n") + (0 if ended else 1)
    return bases


def is_record(entry: data.Directive) -> bool:
    """An insurance record: an `xt-…` record of the pilot, a premium or its refund."""
    if isinstance(entry, data.Custom):
        return entry.type in INSURANCE_TYPES
    return isinstance(entry, data.Transaction) and entry.meta.get(META_KIND) in _RECORD_KINDS


def _named(entries: list[data.Directive], filename: str) -> list[data.Directive]:
    """Parsed entries named by the file they are appended to (their lines still counted from
    the appended text's first: `placed` moves them once the text is written)."""
    return [located(entry, filename, 0) for entry in entries]


def placed(entries: list[data.Directive], bases: Mapping[str, int]) -> list[data.Directive]:
    """Entries appended to files (`_named`) with the lines they have in them: `bases` gives, by
    file, how many lines came before the appended text."""
    return [located(e, e.meta["filename"], bases.get(e.meta["filename"], 0)) for e in entries]


def place(change: FastChange, bases: Mapping[str, int]) -> list[data.Directive]:
    """`placed` of the change's own entries, moved in place: their metadata are the change's
    own (made by `fast_accept`, shared with no other entry), so that the entries a large import
    appends are not copied once more, each posting and all, only to count their lines."""
    for entry in change.entries:
        shift = bases.get(entry.meta["filename"], 0)
        if not shift:
            continue
        _shift(entry.meta, shift)
        if isinstance(entry, data.Transaction):
            for posting in entry.postings:
                if posting.meta:
                    _shift(posting.meta, shift)
    return change.entries


def _shift(meta: data.Meta, shift: int) -> None:
    if isinstance(meta.get("lineno"), int):
        meta["lineno"] += shift


def _entries_fit(
    snapshot: WriteSnapshot, entries: list[data.Directive], *, records: bool = False
) -> bool:
    """The rules of the module's docstring, on entries in the order the books will have them
    (`records`: insurance records, whose kinds and metadata the plugins vouch for)."""
    pending: dict[str, Decimal] = {}  # appended postings so far, per account
    asserted: set[tuple[str, dt.date]] = set()
    subtrees = _Subtrees(snapshot)
    for entry in entries:
        if snapshot.last_close is not None and entry.date <= snapshot.last_close:
            return False
        if isinstance(entry, data.Transaction):
            if not _transaction_fits(snapshot, entry, subtrees, record=records):
                return False
            for posting in entry.postings:
                number = posting.units.number if posting.units is not None else None
                pending[posting.account] = pending.get(posting.account, Decimal(0)) + (
                    number or Decimal(0)
                )
        elif isinstance(entry, data.Balance):
            if not _balance_fits(snapshot, entry, pending, asserted, subtrees):
                return False
        elif not (records and isinstance(entry, data.Custom)):
            return False
    return True


def _account_usable(snapshot: WriteSnapshot, account: str, day: dt.date) -> bool:
    opened = snapshot.opens.get(account)
    if opened is None or opened[0] > day or account in snapshot.closed:
        return False
    return not opened[1] or CURRENCY in opened[1]


def _transaction_fits(
    snapshot: WriteSnapshot, entry: data.Transaction, subtrees: _Subtrees, *, record: bool = False
) -> bool:
    kind = entry.meta.get(META_KIND)
    allocation = kind in _ALLOCATION_KINDS
    cross_meta = _CROSS_META - _ALLOCATION_META if allocation else _CROSS_META
    if not record and (kind in _CROSS_KINDS or cross_meta & entry.meta.keys()):
        return False
    total = Decimal(0)
    for posting in entry.postings:
        units = plain_units(posting)
        if units is None or units.currency != CURRENCY:
            return False
        if not record and _CROSS_META & (posting.meta or {}).keys():
            return False
        account = posting.account
        to_pool = account == chart.POOL or account.startswith(chart.POOL + ":")
        if (
            (to_pool and not (allocation and units.number is not None and units.number < 0))
            or (account.startswith(chart.PREMIUM_EXPENSE) and not record)
            or not _account_usable(snapshot, account, entry.date)
        ):
            return False
        settled = snapshot.settled.get(account)
        if settled is not None and entry.date <= settled:
            return False
        last = subtrees.last_assertion_above(account)
        if last is not None and entry.date < last:
            return False
        total += units.number or Decimal(0)  # a number, by plain_units
    return bool(entry.postings) and total == 0


def _balance_fits(
    snapshot: WriteSnapshot,
    entry: data.Balance,
    pending: dict[str, Decimal],
    asserted: set[tuple[str, dt.date]],
    subtrees: _Subtrees,
) -> bool:
    account = entry.account
    amount = entry.amount
    if amount.currency != CURRENCY or not _account_usable(snapshot, account, entry.date):
        return False
    balance, last_posting = subtrees.of(account)
    last_balance = snapshot.last_balance.get(account)
    if (last_posting is not None and entry.date <= last_posting) or (
        last_balance is not None and entry.date <= last_balance
    ):
        return False
    if (account, entry.date) in asserted:
        return False
    asserted.add((account, entry.date))
    prefix = account + ":"
    expected = balance + sum(
        (n for a, n in pending.items() if a == account or a.startswith(prefix)), Decimal(0)
    )
    return amount.number == expected


class _Subtrees:
    """The snapshot's balance and last posting of each account's subtree, and the last
    assertion above each account, each found once per change (an import posts to one account
    and asserts its balance every day of its statement)."""

    def __init__(self, snapshot: WriteSnapshot) -> None:
        self._snapshot = snapshot
        self._known: dict[str, tuple[Decimal, dt.date | None]] = {}
        self._above: dict[str, dt.date | None] = {}

    def last_assertion_above(self, account: str) -> dt.date | None:
        """The last balance assertion of the account or of any account above it."""
        if account not in self._above:
            parts = account.split(":")
            days = (
                self._snapshot.last_balance.get(":".join(parts[:depth]))
                for depth in range(1, len(parts) + 1)
            )
            self._above[account] = max((d for d in days if d is not None), default=None)
        return self._above[account]

    def of(self, account: str) -> tuple[Decimal, dt.date | None]:
        known = self._known.get(account)
        if known is None:
            snapshot = self._snapshot
            known = (snapshot.subtree_balance(account), snapshot.subtree_last_posting(account))
            self._known[account] = known
        return known


def _plugins_vouch(snapshot: WriteSnapshot, entries: list[data.Directive], main: Path) -> bool:
    """Every plugin of the books vouches for the appended insurance records: its
    `__fast_records__` function, given the snapshot's folds (`FoldOf`: a fold by its kind, to
    read), shows that its rules would report nothing on the books with them (a plugin without
    one vouches for nothing)."""
    options_map: dict[str, Any] = {"filename": str(main)}
    folds = snapshot.read_fold  # each fold decoded once, only read (by the command too)
    for name, config in snapshot.plugins:
        if name not in FAST_PLUGINS:
            return False
        vouch = getattr(importlib.import_module(name), "__fast_records__", None)
        if vouch is None or not vouch(list(entries), options_map, config, folds):
            return False
    return True


def _plugins_quiet(snapshot: WriteSnapshot, entries: list[data.Directive], main: Path) -> bool:
    """The books' plugins report nothing on the appended entries alone."""
    options_map: dict[str, Any] = {"filename": str(main)}
    for name, config in snapshot.plugins:
        if name not in FAST_PLUGINS:
            return False
        module = importlib.import_module(name)
        for function_name in getattr(module, "__plugins__", ()):
            _, errors = getattr(module, function_name)(list(entries), options_map, config)
            if errors:
                return False
    return True
