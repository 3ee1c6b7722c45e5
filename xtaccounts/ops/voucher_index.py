"""Where the entries a reversal reads are in the books: a fold of the write snapshot.

`reverse VOUCHER` reads the transaction with that voucher number, every transaction that
carries one of its links or names it as the one it reverses, and the books' closes and
reopenings (`ops.reversal.plan_reversal`). The index keeps where each of those is (file and
line: `books.entries_at`), so that the reversal reads those few entries instead of loading the
books, and plans on them with the same code and the same words.

Bounded by the books' last close, like the other folds: the places of the transactions of the
days after it are kept, those before it only as digests of their vouchers, links and reversed
vouchers (the closes and reopenings are always kept). A reversal whose original, or anything
that refers to it, lies before the close is planned on the books, as before.
"""

from __future__ import annotations

import bisect
import datetime as dt
import sys
from dataclasses import dataclass, field, replace

from beancount.core import data

from xtaccounts.books.closed_periods import RECLOSE, REOPEN
from xtaccounts.books.entries_at import Location
from xtaccounts.books.write_snapshot import DigestSet, Fold, register_fold
from xtaccounts.core.vocabulary import (
    KIND_CLOSE,
    META_KIND,
    META_REVERSES,
    META_REVERSES_VOUCHER,
    META_VOUCHER,
)

__all__ = ["VoucherIndex"]

_Place = tuple[str, int, dt.date]  # the file (as the load names it), the line, the day


@register_fold
@dataclass
class VoucherIndex(Fold):
    """Transactions by voucher, by link (carried, or named as the one reversed) and by the
    voucher they reverse; the closes and reopenings (see the module)."""

    vouchers: dict[str, list[_Place]] = field(default_factory=dict)
    links: dict[str, list[_Place]] = field(default_factory=dict)
    reversed_by: dict[str, list[_Place]] = field(default_factory=dict)
    marks: list[_Place] = field(default_factory=list)  # closes, reopenings, reclosings
    closed_through: dt.date | None = None  # the last close's day: what is kept is after it
    old: DigestSet = field(default_factory=DigestSet)  # "v voucher", "l link", "r voucher"
    _last_close: dt.date | None = None

    def add(self, entry: data.Directive) -> None:
        if isinstance(entry, data.Custom) and entry.type in (REOPEN, RECLOSE):
            bisect.insort(self.marks, _place(entry))
        if not isinstance(entry, data.Transaction):
            return
        place = _place(entry)
        if entry.meta.get(META_KIND) == KIND_CLOSE:
            bisect.insort(self.marks, place)
            self._last_close = max(entry.date, self._last_close or entry.date)
        voucher = entry.meta.get(META_VOUCHER)
        if voucher is not None:
            self._put(self.vouchers, "v", str(voucher), place)
        named = {*(entry.links or ())}
        reverses = entry.meta.get(META_REVERSES)
        if reverses:
            named.add(str(reverses).lstrip("^"))
        for link in named:
            self._put(self.links, "l", link, place)
        reversed_voucher = entry.meta.get(META_REVERSES_VOUCHER)
        if reversed_voucher:
            self._put(self.reversed_by, "r", str(reversed_voucher), place)

    def _put(self, table: dict[str, list[_Place]], tag: str, key: str, place: _Place) -> None:
        if self.old and f"{tag} {key}" in self.old:
            return  # also before the close: asked of the books, see `original`
        # In order, whatever the order they came in: a fold fed entries equals one rebuilt.
        bisect.insort(table.setdefault(key, []), place)

    def kept(self) -> VoucherIndex:
        """Without the places of the transactions up to the last close (kept as digests)."""
        day = self._last_close
        if day is None or day == self.closed_through:
            return self
        old: list[str] = []
        tables = []
        for tag, table in (("v", self.vouchers), ("l", self.links), ("r", self.reversed_by)):
            kept: dict[str, list[_Place]] = {}
            for key, places in table.items():
                if any(place[2] <= day for place in places):
                    old.append(f"{tag} {key}")
                else:
                    kept[key] = places
            tables.append(kept)
        vouchers, links, reversed_by = tables
        return replace(
            self,
            vouchers=vouchers,
            links=links,
            reversed_by=reversed_by,
            closed_through=day,
            old=self.old.with_keys(old),
        )

    def original(self, voucher: str) -> Location | None:
        """Where the one transaction with `voucher` is (None: ask the books: it is not there
        or not only there, or it lies before the close)."""
        places = self.vouchers.get(voucher, [])
        if len(places) != 1 or (self.old and f"v {voucher}" in self.old):
            return None
        return places[0][:2]

    def absent(self, voucher: str) -> bool:
        """Whether no transaction of the books carries `voucher`."""
        return voucher not in self.vouchers and not (self.old and f"v {voucher}" in self.old)

    def around(
        self, voucher: str, links: frozenset[str] | set[str]
    ) -> tuple[list[Location], list[Location]] | None:
        """Where the transactions are that carry one of `links` or name it reversed or that
        reverse `voucher`; and where the closes and reopenings are (their headings are what a
        reversal reads of them). None: some lie before the close."""
        if self.old and (
            f"r {voucher}" in self.old or any(f"l {link}" in self.old for link in links)
        ):
            return None
        places = list(self.reversed_by.get(voucher, []))
        for link in links:
            places.extend(self.links.get(link, []))
        return [place[:2] for place in places], [place[:2] for place in self.marks]


def _place(entry: data.Directive) -> _Place:
    """Where an entry is; its file's name shared (interned: pickled once in the snapshot)."""
    filename = sys.intern(str(entry.meta.get("filename", "")))
    return filename, int(entry.meta.get("lineno") or 0), entry.date
