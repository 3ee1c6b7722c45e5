"""Check 8 and `xtaccounts seal`: closed periods stay exactly as they were sealed.

`seal_books(main, through)` digests every entry dated up to `through` and records the seal in
the books, through the writer:

- ``seals/<through>.digests`` (a standalone file, not included): one line per day,
  ``date<TAB>count<TAB>day digest<TAB>entry digests…``; the day digest is the SHA-256 of the
  day's sorted entry digests;
- ``custom "xt-seal" "<through>"`` in ``seals.beancount``, dated `through`, with ``digest``
  (SHA-256 of the file's day lines: date, count, day digest), ``entries``, ``days`` and
  ``file``.

An entry's digest is the SHA-256 (first 16 hex digits) of a canonical text of the entry as
loaded: its type, date and fields, metadata sorted, without file names, line numbers, Beancount's
internal keys (``__…``) or a failed assertion's computed difference, so moving an entry within
or between files does not change it. ``xt-seal`` entries, Fava's configuration (``custom
"fava-…"``) and Beancount's generated padding are not digested.

The check recomputes the digests and names what changed: an entry added before the seal's date
(file and line), an entry changed (its new text's file and line), entries removed (the day and
how many), or a digests file that no longer matches its seal entry.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from beancount.core import data

from xtaccounts.audit.context import AuditContext
from xtaccounts.audit.findings import CheckResult, Where
from xtaccounts.books.closed_periods import closes_in
from xtaccounts.books.layout import require_ledger
from xtaccounts.books.registry_snapshot import changes as registry_changes
from xtaccounts.books.registry_snapshot import snapshot_text
from xtaccounts.books.seal_chain import (
    NO_PREVIOUS,
    SEAL_TYPE,
    SEALS_DIR,
    SEALS_FILE,
    SealLink,
    chain_head,
    link_of,
    seal_chain,
    seal_through,
)
from xtaccounts.books.writer import CommitResult, LedgerWriter
from xtaccounts.core.dates import closing_day
from xtaccounts.core.errors import XtError
from xtaccounts.core.i18n import N_, _
from xtaccounts.core.vocabulary import (
    META_CHAIN,
    META_PREVIOUS,
    META_REGISTRY,
    META_REGISTRY_FILE,
)
from xtaccounts.registry import load_registry

NAME = "seal"
TITLE = N_("已封存的期间未被改动")
_SKIP_META = frozenset({"filename", "lineno"})
_SKIP_FIELDS = frozenset({"meta", "diff_amount"})


def _canon(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return _canon_meta(value)
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        fields = [
            _canon(getattr(value, name)) for name in value._fields if name not in _SKIP_FIELDS
        ]
        meta = getattr(value, "meta", None) if "meta" in value._fields else None
        return [type(value).__name__, fields, _canon_meta(meta or {})]
    if isinstance(value, set | frozenset):
        return sorted(str(_canon(v)) for v in value)
    if isinstance(value, list | tuple):
        return [_canon(v) for v in value]
    if isinstance(value, type):
        return value.__name__
    return str(value)


def _canon_meta(meta: dict) -> list:
    return [
        [str(key), _canon(meta[key])]
        for key in sorted(meta, key=str)
        if key not in _SKIP_META and not str(key).startswith("__")
    ]


def _meta_text(meta: dict | None) -> str:
    if not meta:
        return ""
    return "\x1e".join(
        f"{key}={type(value).__name__}:{value}"
        for key, value in sorted(meta.items(), key=lambda item: str(item[0]))
        if key not in _SKIP_META and not str(key).startswith("__")
    )


def _optional(value: Any) -> str:
    return "" if value is None else json.dumps(_canon(value), ensure_ascii=False)


def _transaction_text(entry: data.Transaction) -> str:
    """The canonical text of a transaction (the common case, kept fast): fields separated by
    unit separators, metadata as key=type:value sorted by key, then each posting."""
    parts = [
        "Transaction",
        entry.date.isoformat(),
        entry.flag or "",
        entry.payee or "",
        entry.narration or "",
        ",".join(sorted(entry.tags or ())),
        ",".join(sorted(entry.links or ())),
        _meta_text(entry.meta),
    ]
    for posting in entry.postings:
        units = posting.units
        parts.append(
            "\x1d".join(
                (
                    posting.account,
                    "" if units is None else f"{units.number} {units.currency}",
                    _optional(posting.cost),
                    _optional(posting.price),
                    posting.flag or "",
                    _meta_text(posting.meta),
                )
            )
        )
    return "\x1f".join(parts)


def entry_digest(entry: data.Directive) -> str:
    """The digest of one entry, independent of where in the files it is written."""
    if isinstance(entry, data.Transaction):
        text = _transaction_text(entry)
    elif isinstance(entry, data.Balance):
        text = "\x1f".join(
            (
                "Balance",
                entry.date.isoformat(),
                entry.account,
                f"{entry.amount.number} {entry.amount.currency}",
                "" if entry.tolerance is None else str(entry.tolerance),
                _meta_text(entry.meta),
            )
        )
    elif isinstance(entry, data.Open):
        text = "\x1f".join(
            (
                "Open",
                entry.date.isoformat(),
                entry.account,
                ",".join(entry.currencies or ()),
                "" if entry.booking is None else str(entry.booking),
                _meta_text(entry.meta),
            )
        )
    else:
        text = json.dumps(_canon(entry), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def sealable(entry: data.Directive) -> bool:
    """Entries a seal covers: all but seals, Fava's configuration (``custom "fava-…"``) and
    Beancount's generated padding."""
    if isinstance(entry, data.Custom) and (
        entry.type == SEAL_TYPE or entry.type.startswith("fava-")
    ):
        return False
    return not (isinstance(entry, data.Transaction) and entry.flag == "P")


def day_digests(
    entries: Iterable[data.Directive], through: dt.date
) -> dict[dt.date, list[tuple[str, data.Directive]]]:
    """Per day up to `through`: (entry digest, entry), in the books' order."""
    days: dict[dt.date, list[tuple[str, data.Directive]]] = defaultdict(list)
    for entry in entries:
        if entry.date > through:
            break
        if sealable(entry):
            days[entry.date].append((entry_digest(entry), entry))
    return days


def day_digest(digests: Iterable[str]) -> str:
    return hashlib.sha256(" ".join(sorted(digests)).encode("ascii")).hexdigest()


def _day_line(day: dt.date, digests: Sequence[str]) -> str:
    return f"{day.isoformat()}\t{len(digests)}\t{day_digest(digests)}"


def overall_digest(day_lines: Iterable[str]) -> str:
    return hashlib.sha256("\n".join(day_lines).encode("ascii")).hexdigest()


@dataclass(frozen=True)
class SealRecord:
    """A seal as recorded: its date, digest and per-day digests."""

    through: dt.date
    digest: str
    entries: int
    days: dict[dt.date, list[str]]


def digests_text(through: dt.date, days: dict[dt.date, list[str]]) -> tuple[str, str]:
    """(the digests file's text, the overall digest)."""
    lines = [_day_line(day, days[day]) for day in sorted(days)]
    digest = overall_digest(lines)
    body = [
        f"# xt-seal through {through.isoformat()}: one line per day, date<TAB>count<TAB>"
        "day digest<TAB>entry digests (docs/audit.md)",
        f"# digest {digest}",
    ]
    body += [
        f"{line}\t{' '.join(sorted(days[day]))}"
        for line, day in zip(lines, sorted(days), strict=True)
    ]
    return "\n".join(body) + "\n", digest


def parse_digests(text: str) -> tuple[dict[dt.date, list[str]], str]:
    """The per-day digests of a digests file and the overall digest of its day lines."""
    days: dict[dt.date, list[str]] = {}
    lines = []
    for raw in text.splitlines():
        if not raw.strip() or raw.startswith("#"):
            continue
        parts = raw.split("\t")
        if len(parts) != 4:
            raise XtError(
                _("摘要文件的行 {line!r} 不是 日期、条数、摘要、分录摘要 四列").format(
                    line=raw[:60]
                )
            )
        day = dt.date.fromisoformat(parts[0])
        entries = parts[3].split()
        days[day] = entries
        lines.append("\t".join(parts[:3]))
    return days, overall_digest(lines)


# -- sealing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SealReport:
    through: dt.date
    digest: str
    entries: int
    days: int
    file: str
    chain: str  # the seal's link: the chain's new head
    result: CommitResult


def closed_through(entries: Iterable[data.Directive]) -> dt.date | None:
    """The last day of the latest closed period (a reopened period is not closed)."""
    ends = [closing_day(close.period)[0] for close in closes_in(entries)]
    return max(ends, default=None)


def seal_books(main: Path, through: dt.date, *, dry_run: bool = False) -> SealReport:
    """Seal every entry dated up to `through` (a closed period's end or earlier)."""
    layout = require_ledger(main)
    with LedgerWriter(layout.main) as session:
        books = session.books()
        closed = closed_through(books.entries)
        if closed is None or through > closed:
            raise XtError(
                _("不能封存至 {through}：账簿只结账至 {closed}；请先结账").format(
                    through=through, closed=closed or _("（尚无已结账期间）")
                )
            )
        head = chain_head(books.entries)
        if head is not None and through <= head.through:
            if through == head.through:
                raise XtError(_("账簿已封存至 {through}").format(through=through))
            raise XtError(
                _("账簿已封存至 {head}，不能再封存更早的 {through}：封存链只能向后延伸").format(
                    head=head.through, through=through
                )
            )
        days = {
            day: [d for d, _entry in items]
            for day, items in day_digests(books.entries, through).items()
        }
        text, digest = digests_text(through, days)
        relfile = f"{SEALS_DIR}/{through.isoformat()}.digests"
        kept, registry_digest = snapshot_text(load_registry(layout.registry))
        registry_file = f"{SEALS_DIR}/{through.isoformat()}.registry.json"
        count = sum(len(v) for v in days.values())
        meta = data.new_metadata(SEALS_FILE, 0)
        previous = head.link if head is not None else NO_PREVIOUS
        meta.update(
            {
                "digest": digest,
                "entries": str(count),
                "days": str(len(days)),
                "file": relfile,
                META_REGISTRY: registry_digest,
                META_REGISTRY_FILE: registry_file,
                META_PREVIOUS: previous,
                META_CHAIN: link_of(previous, through, digest, registry_digest),
            }
        )
        entry = data.Custom(meta, through, SEAL_TYPE, [(through.isoformat(), str)])
        session.put_standalone(relfile, text)
        session.put_standalone(registry_file, kept)
        session.append_entries(SEALS_FILE, [entry])
        result = session.commit(dry_run=dry_run)
    return SealReport(through, digest, count, len(days), relfile, str(meta[META_CHAIN]), result)


# -- the check --------------------------------------------------------------------------------


def check(ctx: AuditContext) -> CheckResult:
    result = CheckResult(NAME, _(TITLE))
    chain = seal_chain(ctx.books.entries)
    recorded = {str(link.entry.meta.get("file", "")) for link in chain}
    orphans = [
        path
        for path in sorted((ctx.root / SEALS_DIR).glob("*.digests"))
        if f"{SEALS_DIR}/{path.name}" not in recorded
    ]
    _check_expected_head(ctx, result, chain)
    if not chain and not orphans:
        return result
    latest = max([link.through for link in chain] + [_orphan_day(p) for p in orphans])
    current = day_digests(ctx.books.entries, latest)
    result.count("entries_digested", sum(len(v) for v in current.values()))
    for link in chain:
        result.count("seals")
        _check_link(ctx, result, link)
        _check_seal(ctx, result, link.entry, current)
        _check_registry(ctx, result, link)
    for path in orphans:
        _check_orphan(ctx, result, path, current)
    return result


def _check_link(ctx: AuditContext, result: CheckResult, link: SealLink) -> None:
    """A seal that recorded its place in the chain must still be in that place."""
    previous = link.entry.meta.get(META_PREVIOUS)
    own = link.entry.meta.get(META_CHAIN)
    if previous is not None and str(previous) != link.previous:
        result.add(
            "seal-chain",
            _("封存 {through} 记录的前一环与账簿中前一个封存不符：之前的封存被删除或改动").format(
                through=link.through
            ),
            [ctx.where(link.entry)],
            expected=str(previous),
            booked=link.previous,
        )
    if own is not None and str(own) != link.link:
        result.add(
            "seal-chain",
            _("封存 {through} 的链值与其日期、摘要不符：封存记录被改动").format(
                through=link.through
            ),
            [ctx.where(link.entry)],
            expected=str(own),
            booked=link.link,
        )


def _check_registry(ctx: AuditContext, result: CheckResult, link: SealLink) -> None:
    """The registry rows a seal kept, against the registry now: a change is named at its row."""
    relfile = link.entry.meta.get(META_REGISTRY_FILE)
    if not relfile:
        return
    where = ctx.where(link.entry)
    try:
        text = (ctx.root / str(relfile)).read_text(encoding="utf-8")
        kept = json.loads(text)
    except (OSError, ValueError) as exc:
        result.add(
            "seal-file",
            _("封存 {through}：{file}：{error}").format(
                through=link.through, file=relfile, error=exc
            ),
            [where],
        )
        return
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    if digest != str(link.entry.meta.get(META_REGISTRY, "")):
        result.add(
            "seal-file",
            _("封存 {through} 保存的登记册行 {file} 已被改动").format(
                through=link.through, file=relfile
            ),
            [where],
            expected=str(link.entry.meta.get(META_REGISTRY, "")),
            booked=digest,
        )
        return
    for change in registry_changes(kept, ctx.registry):
        row = _registry_line(ctx, change.file, change.row)
        what = f"{change.field} " if change.field else _("整行")
        result.add(
            "registry-changed",
            _(
                "登记册 {file} 中 {row} 的 {what}封存（{through}）后被改动：封存时为 {sealed}，"
                "现在为 {now}；已封存的分录依赖此行"
            ).format(
                file=change.file,
                row=change.row,
                what=what,
                through=link.through,
                sealed=change.sealed,
                now=_("（已删除）") if change.now is None else change.now,
            ),
            [Where(f"registry/{change.file}", row, link.through, change.row), where],
            expected=json.dumps(change.sealed, ensure_ascii=False),
            booked=json.dumps(change.now, ensure_ascii=False),
        )


def _registry_line(ctx: AuditContext, file: str, row: str) -> int:
    """The line of a row in a registry file: a CSV row starting with its id, or a TOML
    table's `id = "<row>"` line (0 when it is gone)."""
    try:
        lines = (ctx.registry.directory / file).read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError):
        return 0
    for number, text in enumerate(lines, 1):
        if text.startswith(f"{row},") or text.replace(" ", "") == f'id="{row}"':
            return number
    return 0


def _check_expected_head(ctx: AuditContext, result: CheckResult, chain: list[SealLink]) -> None:
    """`--expect-seal`: a head given out (in an export's manifest) must still be a link."""
    expected = (ctx.expect_seal or "").strip().lower()
    if not expected:
        return
    result.count("expected_heads")
    if any(link.link.startswith(expected) for link in chain):
        return
    head = chain[-1] if chain else None
    result.add(
        "seal-expected",
        _("账簿的封存链中没有给出的封存值 {expected}：封存被删除或重写").format(expected=expected),
        [ctx.where(head.entry)] if head else [],
        expected=expected,
        booked=head.link if head else _("未封存"),
    )


def _orphan_day(path: Path) -> dt.date:
    try:
        return dt.date.fromisoformat(path.stem)
    except ValueError:
        return dt.date.min


def _check_orphan(
    ctx: AuditContext,
    result: CheckResult,
    path: Path,
    current: dict[dt.date, list[tuple[str, data.Directive]]],
) -> None:
    """A digests file whose seal record is gone: the removal is itself a finding, and the
    entries it digested are compared with the books all the same."""
    relfile = f"{SEALS_DIR}/{path.name}"
    where = Where(relfile, 0, _orphan_day(path), "digests")
    result.add(
        "seal-record-missing",
        _("{file} 没有对应的封存记录（{seals} 中的 xt-seal）：封存被删除").format(
            file=relfile, seals=SEALS_FILE
        ),
        [where],
    )
    try:
        sealed, digest = parse_digests(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, XtError) as exc:
        result.add("seal-file", f"{relfile}: {exc}", [where])
        return
    _compare(ctx, result, _orphan_day(path), sealed, digest, digest, where, current)


def _check_seal(
    ctx: AuditContext,
    result: CheckResult,
    seal: data.Custom,
    current: dict[dt.date, list[tuple[str, data.Directive]]],
) -> None:
    through = seal_through(seal)
    where = ctx.where(seal)
    relfile = str(seal.meta.get("file", ""))
    path = ctx.root / relfile
    try:
        sealed, file_digest = parse_digests(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, XtError) as exc:
        result.add(
            "seal-file",
            _("封存 {through}：其摘要文件 {file}：{error}").format(
                through=through, file=relfile, error=exc
            ),
            [where],
        )
        return
    recorded = str(seal.meta.get("digest", ""))
    if file_digest != recorded:
        result.add(
            "seal-file",
            _("封存 {through}：{file} 给出的摘要与封存时不同").format(
                through=through, file=relfile
            ),
            [where],
            expected=recorded,
            booked=file_digest,
        )
    _compare(ctx, result, through, sealed, file_digest, recorded, where, current)


def _compare(
    ctx: AuditContext,
    result: CheckResult,
    through: dt.date,
    sealed: dict[dt.date, list[str]],
    file_digest: str,
    recorded: str,
    where: Where,
    current: dict[dt.date, list[tuple[str, data.Directive]]],
) -> None:
    """The books' entries up to `through` against the sealed digests, day by day."""
    days = {day: items for day, items in current.items() if day <= through}
    lines = [_day_line(day, [d for d, _entry in days[day]]) for day in sorted(days)]
    if overall_digest(lines) == recorded and file_digest == recorded:
        result.count("days_unchanged", len(days))
        return
    for day in sorted(set(days) | set(sealed)):
        now = days.get(day, [])
        then = sealed.get(day, [])
        if day_digest(d for d, _entry in now) == day_digest(then):
            result.count("days_unchanged")
            continue
        left = Counter(then)
        new = []
        for digest, entry in now:
            if left[digest]:
                left[digest] -= 1
            else:
                new.append(entry)
        removed = sum(left.values())
        if len(new) == 1 and removed == 1:
            result.add(
                "sealed-changed",
                _(
                    "封存 {through}：{day} 的一笔分录在封存后被改动（应为：封存时的摘要，"
                    "账簿为：现在的摘要）"
                ).format(through=through, day=day),
                [ctx.where(new[0])],
                expected=next(d for d, n in left.items() if n),
                booked=entry_digest(new[0]),
            )
            continue
        for entry in new:
            result.add(
                "sealed-added",
                _("封存 {through}：封存后增加（或改动）了一笔日期为 {day} 的分录").format(
                    through=through, day=day
                ),
                [ctx.where(entry)],
            )
        if removed:
            result.add(
                "sealed-removed",
                _("封存 {through}：{day} 已封存的 {count} 笔分录已不在账簿中").format(
                    through=through, day=day, count=removed
                ),
                [where],
                expected=str(len(then)),
                booked=str(len(now)),
            )
