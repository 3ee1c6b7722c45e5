"""What a write of simple entries is checked against, kept outside the books between writes.

After a full load the writer keeps a `WriteSnapshot`: each loaded file's content digest (with
its stat signature, so an unchanged file is not read again), each account's open and close,
CNY balance, last posting and last balance assertion, the highest voucher number of each month,
the last close of a period and each bank account's last settled 积数 window. It lives in the
cache directory (`$XT_CACHE_DIR`, else ~/.cache/xtaccounts), named by the digest of the books'
top-level file (the list of included files): a copy of the books finds it, and it is used only
while every file it was built from still has the digest it records (`fast_check`).

A snapshot is built only from books without errors, without `pad` directives, with the fund's
own plugins only and no include globs or pushed tags: the fast path is for plain books.

A snapshot also carries the commands' indexes of the books (`Fold`: the serials and paid
notices a receipt is checked against, the open suspense items a claim takes from): each built
from all the entries when the snapshot is, then fed every entry a fast write adds, so that a
command finds it without loading the books (`WriteSession.index`). Each is kept pickled on its
own, so that a command decodes only the one it reads and always gets its own copy; the entries
written since it was pickled are kept beside it (`fold_tail`) and fed to it when it is read, so
that a write decodes and encodes no fold it does not read (the tail is folded in every
`TAIL_LIMIT` entries).

On disk the per-account state is kept in columns (the accounts' names once, days as ordinals,
balances as one text): a city's tens of thousands of accounts then load and save in a few
milliseconds rather than a large part of a write.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import os
import pickle
import re
from array import array
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar, Protocol, Self, TypeVar

from beancount.core import data

from xtaccounts.books.load import LoadedBooks, ParseCache
from xtaccounts.books.voucher_numbers import highest_numbers
from xtaccounts.core.cache_dir import cache_root
from xtaccounts.core.gc_pause import gc_paused
from xtaccounts.core.vocabulary import (
    CURRENCY,
    KIND_CLOSE,
    KIND_INTEREST,
    META_BALANCE_DAYS,
    META_BANK_ACCOUNT,
    META_KIND,
    META_WINDOW_END,
)

__all__ = [
    "FAST_PLUGINS",
    "DigestSet",
    "Fold",
    "FoldOf",
    "WriteSnapshot",
    "build_snapshot",
    "load_snapshot",
    "register_fold",
    "save_snapshot",
    "shared",
    "stat_signature",
]

_FORMAT = 3  # 2: the folds; 3: the folds' tail, the per-account state in columns
TAIL_LIMIT = 256  # entries written since the folds were pickled, before they are folded in
KEEP = 8  # snapshots kept in the cache directory (the books of as many directories)
_MAGIC = b"xtaccounts write snapshot\n"
# The plugins whose rules `fast_check` knows to be local for the entries it accepts.
FAST_PLUGINS = frozenset({"xtaccounts.plugins.fund_rules", "xtaccounts.plugins.insurance_rules"})
# Text that makes a file's parse depend on more than its own entries.
_NOT_PLAIN = re.compile(rb'^[ \t]*(push|pop)(tag|meta)\b|^[ \t]*include[ \t]+"[^"\n]*[*?[]', re.M)
# A word each match of `_NOT_PLAIN` holds: a file with none of them is plain without the pattern
# being tried on it (a city's 100 MB of books are searched for words five times faster).
_NOT_PLAIN_WORDS = (b"tag", b"meta", b"include")

Signature = tuple[int, int, int, int]
_ZERO = Decimal(0)


class Fold:
    """An index of the books a command reads before it writes, kept in the write snapshot.

    `of` builds it from all the books' entries (in the books' order), `add` takes one more entry
    (a transaction or balance assertion a fast write appended). Both must give what `of` gives
    on the books with the entry: tests show it for each fold. A fold holds plain data (text,
    dates, Decimals; Beancount entries only where a check needs them as entries and they are
    few: the insurance records) and is pickled; one that cannot vouch for an added
    entry sets `stale`, and is then built again from the books the next time it is asked for.
    Its `KEY` (module, name and `VERSION`) names it in the snapshot.
    """

    VERSION: ClassVar[int] = 1
    stale: bool = False

    @classmethod
    def key(cls) -> str:
        return f"{cls.__module__}.{cls.__qualname__}:{cls.VERSION}"

    @classmethod
    def of(cls, entries: Iterable[data.Directive]) -> Self:
        """The fold of all the books' entries."""
        fold = cls()
        for entry in entries:
            fold.add(entry)
        return fold

    def add(self, entry: data.Directive) -> None:
        """Take one more entry."""
        raise NotImplementedError

    def kept(self) -> Fold:
        """What the snapshot keeps of the fold (itself, or less: what a write after the last
        close can need; the fold's own queries say when they need the whole of it)."""
        return self


_F = TypeVar("_F", bound=Fold)


class FoldOf(Protocol):
    """The write snapshot's fold of a kind, to read (None: the snapshot keeps none)."""

    def __call__(self, kind: type[_F], /) -> _F | None: ...


_H = TypeVar("_H", bound=Hashable)
_SHARED: dict[Hashable, Hashable] = {}


def shared(value: _H) -> _H:
    """One object for all equal values (an account's name, a day) a fold keeps: pickle writes
    an object once however often it is referred to, so a fold of thousands of receipts on a few
    accounts and days is smaller and decodes faster."""
    return _SHARED.setdefault(value, value)  # type: ignore[return-value]


def shared_days(ordinals: Iterable[int]) -> dict[int, dt.date]:
    """Each distinct ordinal of a fold's column of days, as its `shared` day."""
    return {o: shared(dt.date.fromordinal(o)) for o in set(ordinals)}


TEXT_SEPARATOR = "\x1f"  # the unit separator, between the texts of a fold's column


def join_texts(texts: Iterable[str]) -> str | None:
    """A fold's column of texts as one text (pickled as one object, not each with its memo
    entry); None when a text holds the separator (the fold keeps its objects then)."""
    texts = list(texts)
    joined = TEXT_SEPARATOR.join(texts)
    return joined if joined.count(TEXT_SEPARATOR) == max(len(texts) - 1, 0) else None


def split_texts(joined: str, count: int) -> list[str]:
    """The `count` texts `join_texts` joined."""
    return joined.split(TEXT_SEPARATOR) if count else []


_blake2b = hashlib.blake2b
_bisect_left = bisect.bisect_left
_from_bytes = int.from_bytes


class DigestSet:
    """Keys a fold no longer keeps whole (those of closed periods) as sorted 8-byte digests: a
    query on one of them is answered from the books. Compact, and quick to unpickle."""

    def __init__(self, digests: Iterable[int] = ()) -> None:
        self._digests = array("Q", sorted(set(digests)))
        self._last: tuple[str, bool] | None = None  # the last key asked, and the answer

    @staticmethod
    def digest(key: str) -> int:
        return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big")

    def __contains__(self, key: object) -> bool:
        # The sorted array is searched as it is (a set of a city's 145,000 digests cost 0.17 s
        # and 12 MiB at each command's first query); an import asks several times a line,
        # often the same key twice running.
        text = key if type(key) is str else str(key)
        last = self._last
        if last is not None and last[0] == text:
            return last[1]
        digests = self._digests
        # (`digest` written out: an import asks several keys a line, in several folds)
        wanted = _from_bytes(_blake2b(text.encode(), digest_size=8).digest(), "big")
        at = _bisect_left(digests, wanted)
        found = at < len(digests) and digests[at] == wanted
        self._last = (text, found)
        return found

    def __getstate__(self) -> dict[str, object]:
        return {"_digests": self._digests}

    def __setstate__(self, state: dict[str, object]) -> None:
        self._digests = state["_digests"]  # type: ignore[assignment]
        self._last = None

    def __len__(self) -> int:
        return len(self._digests)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DigestSet) and self._digests == other._digests

    def with_keys(self, keys: Iterable[str]) -> DigestSet:
        """This set and `keys` (each key's `digest`, written out: a snapshot of a city digests
        hundreds of thousands of them)."""
        blake2b, from_bytes = hashlib.blake2b, int.from_bytes
        digests = [from_bytes(blake2b(k.encode(), digest_size=8).digest(), "big") for k in keys]
        return DigestSet([*self._digests, *digests])


# The folds every full check builds into the snapshot it keeps: those registered by the
# modules of this process (`register_fold`), and those a session was asked for.
_FOLDS: dict[str, type[Fold]] = {}


def register_fold(kind: type[_F]) -> type[_F]:
    """Have every snapshot built in this process carry `kind` (a class decorator)."""
    _FOLDS[kind.key()] = kind
    return kind


def stat_signature(path: str | Path) -> Signature:
    """(inode, size, mtime, ctime) of a file: unchanged, its content is taken as unchanged."""
    st = os.stat(path)
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


@dataclass
class WriteSnapshot:
    """The state appended entries are checked against (see the module's docstring)."""

    main_digest: str
    files: dict[str, tuple[Signature, str]]  # path relative to the ledger dir -> (stat, sha256)
    plugins: tuple[tuple[str, str | None], ...]
    opens: dict[str, tuple[dt.date, tuple[str, ...]]] = field(default_factory=dict)
    closed: dict[str, dt.date] = field(default_factory=dict)
    balances: dict[str, Decimal] = field(default_factory=dict)  # CNY units, own postings only
    last_posting: dict[str, dt.date] = field(default_factory=dict)
    last_balance: dict[str, dt.date] = field(default_factory=dict)
    vouchers: dict[tuple[int, int], int] = field(default_factory=dict)
    last_close: dt.date | None = None  # the last close, reopen or reclose of a period
    settled: dict[str, dt.date] = field(default_factory=dict)  # account -> last 积数 window end
    # Fold.key() -> the pickled fold, and how many entries of `fold_tail` it has taken
    folds: dict[str, tuple[bytes, int]] = field(default_factory=dict)
    fold_tail: list[data.Directive] = field(default_factory=list)  # written since pickled
    # Folds just built and not yet pickled (`keep(..., live=True)`): a snapshot built for a
    # write that then folds its entries in feeds them these, and pickles each fold once.
    _live: dict[str, Fold] = field(default_factory=dict, repr=False, compare=False)
    # Folds decoded to be read (`read_fold`): key -> (the pickle and the tail's length they were
    # decoded from, the fold).
    _read: dict[str, tuple[tuple[bytes, int], int, Fold]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def add(self, entries: Iterable[data.Directive]) -> None:
        """Take accepted entries (transactions and balance assertions) into the state."""
        entries = list(entries)
        balances, last_posting = self.balances, self.last_posting
        for entry in entries:
            if isinstance(entry, data.Transaction):
                # Each posting's CNY units and day, here rather than in a method: a city's books
                # have hundreds of thousands of postings.
                day = entry.date
                for posting in entry.postings:
                    account = posting.account
                    units = posting.units
                    if units is not None:
                        amount = units.number
                        if units.currency == CURRENCY and amount is not None:
                            balances[account] = balances.get(account, _ZERO) + amount
                    last = last_posting.get(account)
                    if last is None or day > last:
                        last_posting[account] = day
            elif isinstance(entry, data.Balance):
                self._assert(entry.account, entry.date)
        for month, number in highest_numbers(entries).items():
            self.vouchers[month] = max(number, self.vouchers.get(month, 0))
        if self._live and len(self.fold_tail) + len(entries) <= TAIL_LIMIT:
            self._pickle_live()  # kept as before: pickled, the entries in their tail
        live = self._live
        if self.folds:
            self.fold_tail.extend(entries)
        if live:  # the tail is folded in now: the live folds take the entries themselves
            with gc_paused():
                for fold in live.values():
                    for entry in entries:
                        fold.add(entry)
        if live or len(self.fold_tail) > TAIL_LIMIT:
            self._fold_in()

    def _fold_in(self) -> None:
        """Feed every fold its tail and pickle it again; the tail is then empty. One fold at a
        time: only one is decoded at once (a city's folds take tens of MiB each)."""
        with gc_paused():
            live, self._live = self._live, {}
            self._read = {}  # (the folds decoded to be read, and their pickles, let go too)
            kept: dict[str, tuple[bytes, int]] = {}
            # Each fold's old pickle let go as soon as its new one is made: the old and the
            # new pickles of all the folds are never in memory together.
            for key in list(self.folds):
                fold = self._fold(key)
                self.folds.pop(key, None)
                if fold is not None:
                    kept[fold.key()] = (pickle.dumps(fold.kept(), protocol=5), 0)
                del fold
            for fold in live.values():
                if not fold.stale:
                    kept[fold.key()] = (pickle.dumps(fold.kept(), protocol=5), 0)
            self.fold_tail = []
            self.folds = kept

    def _pickle_live(self) -> None:
        """Pickle the live folds as `keep` would have (their entries so far taken)."""
        live, self._live = self._live, {}
        for key, fold in live.items():
            if not fold.stale:
                self.folds[key] = (pickle.dumps(fold, protocol=5), len(self.fold_tail))

    def fold(self, kind: type[_F]) -> _F | None:
        """A copy of the fold `kind` the snapshot keeps (None: it keeps none, or a stale one)."""
        fold = self._fold(kind.key())
        return fold if isinstance(fold, kind) else None

    def read_fold(self, kind: type[_F]) -> _F | None:
        """The fold `kind` to read and never change: decoded once while the snapshot keeps it
        as it is (the same pickle, the same tail), then the same object for every reader (a
        premium's command and the plugins that vouch for its records read one index)."""
        key = kind.key()
        read = self._read.get(key)
        fresh = read is not None and self.folds.get(key) is read[0]
        if read is not None and fresh and not self._live and len(self.fold_tail) == read[1]:
            return read[2] if isinstance(read[2], kind) else None
        decoded = self._fold(key)
        pickled = self.folds.get(key)
        if decoded is not None and pickled is not None and not self._live:
            self._read[key] = (pickled, len(self.fold_tail), decoded)
        return decoded if isinstance(decoded, kind) else None

    def keep(self, fold: Fold, *, live: bool = False) -> None:
        """Keep `fold` (as it is now) with the snapshot; a stale one is dropped. `live`: the
        fold is the snapshot's own (no caller holds it), kept unpickled until the snapshot is
        saved or its entries folded in (`add`), or the fold is read."""
        self._read.pop(fold.key(), None)
        if fold.stale:
            self.folds.pop(fold.key(), None)
            self._live.pop(fold.key(), None)
        elif live:
            self.folds.pop(fold.key(), None)
            self._live[fold.key()] = fold.kept()
        else:
            self._live.pop(fold.key(), None)
            kept = pickle.dumps(fold.kept(), protocol=5)
            self.folds[fold.key()] = (kept, len(self.fold_tail))

    def keep_pickled(self, key: str, pickled: bytes) -> None:
        """Keep a fold pickled as `keep` pickles it (`pickle.dumps(fold.kept())`) of the books
        the snapshot is built from, before any entry was added."""
        self._live.pop(key, None)
        self._read.pop(key, None)
        self.folds[key] = (pickled, len(self.fold_tail))

    def _fold(self, key: str) -> Fold | None:
        """The fold `key` decoded, fed the tail it has not taken (None: none, or stale)."""
        if self._live:
            self._pickle_live()  # (a caller's copy is a decoded one)
        raw = self.folds.get(key)
        if raw is None:
            return None
        pickled, taken = raw
        try:
            fold = pickle.loads(pickled)
        except Exception:  # a fold whose class changed is no fold
            fold = None
        if isinstance(fold, Fold):
            for entry in self.fold_tail[taken:]:
                fold.add(entry)
        if not isinstance(fold, Fold) or fold.stale:
            self.folds.pop(key, None)
            return None
        return fold

    def __getstate__(self) -> dict[str, Any]:
        """The state with the per-account dicts in columns (see the module's docstring)."""
        if self._live:
            self._pickle_live()
        state = dict(self.__dict__)
        state.pop("_live", None)
        state.pop("_read", None)
        accounts: dict[str, int] = {}
        for name in _ACCOUNT_DICTS:
            for account in state[name]:
                accounts.setdefault(account, len(accounts))
        state["accounts"] = list(accounts)
        opens = state.pop("opens")
        currencies = {c: i for i, c in enumerate(dict.fromkeys(v[1] for v in opens.values()))}
        state["opens"] = (
            _rows(accounts, opens),
            array("i", (v[0].toordinal() for v in opens.values())),
            list(currencies),
            array("I", (currencies[v[1]] for v in opens.values())),
        )
        balances = state.pop("balances")
        state["balances"] = (_rows(accounts, balances), "\n".join(map(str, balances.values())))
        for name in _DAY_DICTS:
            days = state.pop(name)
            state[name] = (
                _rows(accounts, days),
                array("i", (d.toordinal() for d in days.values())),
            )
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        accounts: list[str] = state.pop("accounts")
        rows: array[int]
        ordinals: array[int]
        rows, ordinals, currencies, which = state.pop("opens")
        day = dt.date.fromordinal
        state["opens"] = {
            accounts[r]: (day(o), currencies[c])
            for r, o, c in zip(rows, ordinals, which, strict=True)
        }
        rows, numbers = state.pop("balances")
        state["balances"] = (
            dict(zip((accounts[r] for r in rows), map(Decimal, numbers.split("\n")), strict=True))
            if rows
            else {}
        )
        for name in _DAY_DICTS:
            rows, ordinals = state.pop(name)
            state[name] = {accounts[r]: day(o) for r, o in zip(rows, ordinals, strict=True)}
        for name, value in state.items():
            setattr(self, name, value)
        self._live = {}
        self._read = {}

    def holds(self, rel: str, content: bytes) -> bool:
        """Whether the file `rel` (relative to the ledger dir) has `content` by the snapshot."""
        kept = self.files.get(rel)
        return kept is not None and kept[1] == _digest(content)

    def took(self, rel: str, path: Path, digest: str) -> None:
        """The file `rel` (at `path`) was just written with a content of sha256 `digest`
        (hex): its new digest and stat."""
        self.files[rel] = (stat_signature(path), digest)

    def subtree_balance(self, account: str) -> Decimal:
        """The CNY balance of an account and its sub-accounts (what a balance assertion sees)."""
        prefix = account + ":"
        return sum(
            (n for a, n in self.balances.items() if a == account or a.startswith(prefix)),
            Decimal(0),
        )

    def subtree_last_posting(self, account: str) -> dt.date | None:
        prefix = account + ":"
        days = [d for a, d in self.last_posting.items() if a == account or a.startswith(prefix)]
        return max(days, default=None)

    def _assert(self, account: str, day: dt.date) -> None:
        last = self.last_balance.get(account)
        if last is None or day > last:
            self.last_balance[account] = day


# The per-account dicts kept in columns: all of them, and those of days.
_DAY_DICTS = ("closed", "last_posting", "last_balance", "settled")
_ACCOUNT_DICTS = ("opens", "balances", *_DAY_DICTS)


def _rows(accounts: dict[str, int], values: dict[str, object]) -> array[int]:
    """The rows (in `accounts`) of the keys of `values`, in its order."""
    return array("I", (accounts[account] for account in values))


def _digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def build_snapshot(
    books: LoadedBooks,
    parsed: ParseCache,
    written: Mapping[Path, bytes] | None = None,
    folds: Iterable[type[Fold]] = (),
    pickled: Mapping[str, bytes] | None = None,
) -> WriteSnapshot | None:
    """The snapshot of books just loaded (None: they are not plain books, see the module), with
    the registered folds and `folds` built from their entries (`pickled`: folds of these very
    books built already, as `WriteSnapshot.keep` pickles them, by their key).

    A file's digest is taken only if it is unchanged since it was parsed for `books` (its stat
    signature is the one `parsed` recorded) or was just written with the content in `written`.
    """
    options = books.options
    if books.errors or options.get("documents") or options["plugin_processing_mode"] != "default":
        return None
    plugins = tuple((name, config) for name, config in options["plugin"])
    if any(name not in FAST_PLUGINS for name, _ in plugins):
        return None
    ledger_dir = books.path.parent
    contents = {os.path.normpath(path): content for path, content in (written or {}).items()}
    files: dict[str, tuple[Signature, str]] = {}
    for filename in options["include"]:
        content = contents.get(os.path.normpath(filename))
        signature = stat_signature(filename)
        if content is None:
            if parsed.signature_of(filename) != signature:
                return None
            content = Path(filename).read_bytes()
            if stat_signature(filename) != signature:
                return None
        if any(word in content for word in _NOT_PLAIN_WORDS) and _NOT_PLAIN.search(content):
            return None
        rel = os.path.relpath(filename, ledger_dir)
        files[rel] = (signature, _digest(content))
    main_rel = os.path.relpath(books.path, ledger_dir)
    if main_rel not in files:
        return None
    snapshot = WriteSnapshot(main_digest=files[main_rel][1], files=files, plugins=plugins)
    for entry in books.entries:
        if isinstance(entry, data.Pad):
            return None
        if isinstance(entry, data.Open):
            snapshot.opens[entry.account] = (entry.date, tuple(entry.currencies or ()))
        elif isinstance(entry, data.Close):
            snapshot.closed[entry.account] = entry.date
        elif isinstance(entry, data.Custom) and entry.type in ("xt-reopen", "xt-reclose"):
            snapshot.last_close = _later(snapshot.last_close, entry.date)
        elif isinstance(entry, data.Transaction):
            _settlement(snapshot, entry)
    snapshot.add(e for e in books.entries if isinstance(e, data.Transaction | data.Balance))
    with gc_paused():  # (the folds allocate much; the books' entries need no collecting)
        for key, kind in {**_FOLDS, **{kind.key(): kind for kind in folds}}.items():
            made = (pickled or {}).get(key)
            if made is not None:
                snapshot.keep_pickled(key, made)
            else:
                snapshot.keep(kind.of(books.entries), live=True)
    return snapshot


def _settlement(snapshot: WriteSnapshot, entry: data.Transaction) -> None:
    """A close moves the last closed day; a demand settlement with 积数 its account's window."""
    kind = entry.meta.get(META_KIND)
    if kind == KIND_CLOSE:
        snapshot.last_close = _later(snapshot.last_close, entry.date)
    elif kind == KIND_INTEREST and META_BALANCE_DAYS in entry.meta:
        account = str(entry.meta.get(META_BANK_ACCOUNT, ""))
        end = entry.meta.get(META_WINDOW_END)
        end_day = end if isinstance(end, dt.date) else _day(end)
        # Any receipt's, whatever its source: a later day than needed only sends more writes
        # to the full load.
        snapshot.settled[account] = _later(snapshot.settled.get(account), end_day or entry.date)


def _day(value: object) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def _later(a: dt.date | None, b: dt.date) -> dt.date:
    return b if a is None or b > a else a


# --- where it is kept -----------------------------------------------------------------------


def _path(main_digest: str) -> Path:
    """In the cache directory of the registry cache (`$XT_CACHE_DIR`, else ~/.cache/…)."""
    return cache_root() / f"write-snapshot-{main_digest[:32]}.pickle"


def load_snapshot(main: Path) -> WriteSnapshot | None:
    """The snapshot kept for books whose top-level file has `main`'s content, if any (not yet
    checked against the other files: `fast_check` does that)."""
    try:
        path = _path(_digest(main.read_bytes()))
        raw = path.read_bytes()
    except OSError:
        return None
    if not raw.startswith(_MAGIC):
        return None
    try:
        version, snapshot = pickle.loads(memoryview(raw)[len(_MAGIC) :])  # (no copy)
    except Exception:  # a damaged cache is no cache
        return None
    if version != _FORMAT or not isinstance(snapshot, WriteSnapshot):
        return None
    return snapshot


def save_snapshot(snapshot: WriteSnapshot) -> None:
    """Keep a snapshot (written atomically; a cache that cannot be written is no error), and
    only the `KEEP` most recently written of them."""
    path = _path(snapshot.main_digest)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tmp.open("wb") as out:  # (pickled into the file: no copy of tens of MB in memory)
            out.write(_MAGIC)
            pickle.dump((_FORMAT, snapshot), out, protocol=5)
        os.replace(tmp, path)
        kept = sorted(
            path.parent.glob("write-snapshot-*.pickle"),
            key=lambda p: p.stat().st_mtime_ns,
            reverse=True,
        )
        for old in kept[KEEP:]:
            old.unlink(missing_ok=True)
    except OSError:
        tmp.unlink(missing_ok=True)
