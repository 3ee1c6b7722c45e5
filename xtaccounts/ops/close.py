"""Period close (结转) and the year books that let one year be loaded on its own.

A close (`close_period`) is one transaction dated the period's last day (kind ``close``) that
empties the income and expense accounts as the MoF method prescribes (docs/rules.md §4):

- 交存收入 and 返还支出 postings tagged with a unit are reversed per unit (posting ``unit:``) into
  the unit's 维修资金 account;
- premium postings tagged with a pool are reversed per pool (posting ``pool:``) into the pool;
- every other income and expense account (interest base and spread, other incomes and expenses)
  is emptied into 待分配累计收益.

What is not closed yet is the running net per (account, unit / pool) through the period end:
closing postings carry the same ``unit:`` / ``pool:`` metadata, so they cancel what they closed.
A unit's fund and a pool's balance (`xtaccounts.books.positions`) are the same before and after.
Nothing left to close: nothing is booked.

A period is closed only once it has ended, by the date and by the bank: its last day is before
today (the clock, or $XT_TODAY), and every bank account whose statements the books hold has
them imported through that day (`check_statements`: lines, the balances they gave, and the
statement's period as the audit reads it, so an empty statement of a quiet month counts). An
account with no statement in the books at all is not waited for. A close made too early would
refuse every later import of the period's lines; the year close's carried assertions could
only be undone by hand.

Closing a year (``--period 2024``) closes through 12-31 and also writes the books of the next year:

- ``txns/2025/carried.beancount`` (included by main): fen-exact ``balance … ~ 0.00 CNY``
  assertions dated 2025-01-01 for every balance-sheet account with a balance (each with its
  sub-accounts, as Beancount checks them), so the full books prove the carried figures;
- ``years/2025-opening.beancount``: one transaction dated 2024-12-31 (kind ``carry``, "上年结转
  2024") bringing in every balance-sheet account's balance (it balances by itself, the income and
  expense accounts being empty after the close), plus copies of the ``open`` directives that live
  outside accounts.beancount (so the year book opens every account it uses);
- ``years/2025.beancount``: the year's top-level file, with main.beancount's option and plugin
  lines, including ``../accounts.beancount``, ``2025-opening.beancount`` and
  ``../txns/2025/*.beancount``;
- ``years/2024-household-interest.csv``: each household's base interest through 2024-12-31, with
  the digest of what it was derived from, so that the export's 分户账 starts from it
  (docs/household-interest.md); a side file no ``.beancount`` file includes.

To work on one year alone (a fraction of the load time of the full books)::

    bean-check ledger/years/2025.beancount
    fava ledger/years/2025.beancount

The year book is loaded and checked before anything is written; the carried assertions in the
full books fail (and the writer refuses the change) if anything dated in a carried year changes
its balance sheet afterwards.
"""

from __future__ import annotations

import datetime as dt
import glob
import os
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from beancount import loader
from beancount.core import data
from beancount.parser import printer

from xtaccounts.books.closed_periods import RECLOSE, period_directive, reopened_periods
from xtaccounts.books.init_ledger import DEFAULT_TITLE
from xtaccounts.books.layout import (
    ACCOUNTS_FILE,
    TXNS_DIR,
    LedgerLayout,
    require_ledger,
    year_book_file,
    year_opening_file,
)
from xtaccounts.books.load import LoadedBooks, appended_content, format_error
from xtaccounts.books.positions import POOL_FLOW_ACCOUNTS, UNIT_FLOW_ACCOUNTS
from xtaccounts.books.writer import CommitResult, LedgerWriter
from xtaccounts.core import chart
from xtaccounts.core.bank_statement import statement_period
from xtaccounts.core.dates import closing_day, today
from xtaccounts.core.entries import fen_exact_balance, number_of, units_of
from xtaccounts.core.entries import posting as cny_posting
from xtaccounts.core.errors import XtError
from xtaccounts.core.i18n import _
from xtaccounts.core.vocabulary import (
    CURRENCY,
    KIND_CARRY,
    KIND_CLOSE,
    META_KIND,
    META_PERIOD,
    META_POOL,
    META_STATEMENT,
    META_UNIT,
    ZERO,
)
from xtaccounts.ops.household_interest import household_interest_file, year_carry_text
from xtaccounts.registry import Registry, load_registry

__all__ = [
    "ClosePlan",
    "CloseReport",
    "PeriodNotEnded",
    "YearCarry",
    "carried_file",
    "check_ended",
    "check_statements",
    "close_period",
    "plan_close",
    "plan_year_carry",
    "statement_reach",
    "year_book_file",
    "year_opening_file",
]

CLOSES_FILE_KIND = "closes"
CARRIED_FILE_KIND = "carried"
_OPTION_OR_PLUGIN = re.compile(r"^[ \t]*(option|plugin)\b")
_TITLE = re.compile(r'^([ \t]*option[ \t]+"title"[ \t]+")([^"]*)(".*)$')


# -- a period is closed only once it has ended ----------------------------------------------------


class PeriodNotEnded(XtError):
    """A close refused because its period has not ended, by the date or by the statements."""


def check_ended(period: str, end: dt.date, on: dt.date | None = None) -> None:
    """Refuse (PeriodNotEnded) a period whose last day is not over yet (today: `on`, else
    `xtaccounts.core.dates.today`, the clock or $XT_TODAY)."""
    now = on or today()
    if end >= now:
        raise PeriodNotEnded(f"期间 {period} 到 {end} 才结束（今天 {now}）：只能结账已经结束的期间")


def statement_reach(
    layout: LedgerLayout, registry: Registry, entries: Sequence[data.Directive]
) -> dict[str, dt.date]:
    """The last day the bank statements in the books cover, per bank account (Beancount name)
    of the registry that has any.

    A statement covers its lines' days, the day before each balance assertion it gave (the
    closing balance of that day), and its period (`statement_period`, as the audit reads it):
    from the name of its archived copy under documents/ (built from the statement's own figures)
    or of the file recorded in ``statement:``.
    So a quiet period is covered by a statement that says so, even one without lines.
    """
    accounts = {bank.account for bank in registry.bank_accounts.values()}
    reach: dict[str, dt.date] = {}

    def covers(account: str, day: dt.date, name: object = None) -> None:
        period = statement_period(str(name)) if name else None
        if period is not None and period[1] > day:
            day = period[1]
        if account not in reach or day > reach[account]:
            reach[account] = day

    one_day = dt.timedelta(days=1)
    for entry in entries:
        name = entry.meta.get(META_STATEMENT) if entry.meta else None
        if not name:
            continue
        if isinstance(entry, data.Balance) and entry.account in accounts:
            covers(entry.account, entry.date - one_day, name)
        elif isinstance(entry, data.Transaction):
            for posting in entry.postings:
                if posting.account in accounts:
                    covers(posting.account, entry.date, name)
    for account in sorted(accounts):
        folder = layout.root.joinpath("documents", *account.split(":"))
        if not folder.is_dir():
            continue
        for path in folder.iterdir():
            period = statement_period(path.name) if path.is_file() else None
            if period is not None:
                covers(account, period[1])
    return reach


def check_statements(
    layout: LedgerLayout,
    registry: Registry,
    entries: Sequence[data.Directive],
    period: str,
    end: dt.date,
) -> None:
    """Refuse (PeriodNotEnded) a close while a bank account's statements stop before `end`.

    Every bank account of the registry opened by `end` whose statements the books hold must
    have them reach `end`: its lines of the period may not all be booked yet (owners' deposits
    are known only from the statement). An account without any statement in the books (books
    kept by the commands alone) is not waited for.
    """
    reach = statement_reach(layout, registry, entries)
    short = [
        (bank, reach[bank.account])
        for bank in sorted(registry.bank_accounts.values(), key=lambda b: b.account_no)
        if bank.account in reach and bank.opened <= end and reach[bank.account] < end
    ]
    if short:
        shown = "；".join(
            f"{bank.bank}-{bank.account_no[-4:]}（{bank.account}）只到 {day}" for bank, day in short
        )
        raise PeriodNotEnded(
            f"期间 {period} 不能结账：银行对账单尚未导入到 {end}：{shown}；请先导入这些账户截至 "
            f"{end} 的对账单（没有交易的期间也可导入银行出具的空对账单）"
        )


def carried_file(year: int) -> str:
    """The file of the balance assertions carried into `year`: txns/2025/carried.beancount."""
    return LedgerLayout.txns_file(year, CARRIED_FILE_KIND)


def _root(account: str) -> str:
    return account.split(":", 1)[0]


def _where(entry: data.Directive) -> str:
    return f"{entry.meta.get('filename')}:{entry.meta.get('lineno')}"


# -- the close transaction ----------------------------------------------------------------------


@dataclass(frozen=True)
class ClosePlan:
    """The close of one period: the transaction (None: nothing left) and what it moves."""

    period: str
    date: dt.date
    entry: data.Transaction | None = field(repr=False)
    # (flow account, unit or pool id or None) -> the amount reversed on it (Beancount signs).
    flows: dict[tuple[str, str | None], Decimal]
    unit_totals: dict[str, Decimal]  # unit id -> added to its 维修资金 (positive: it grows)
    pool_totals: dict[str, Decimal]  # pool id -> added to the pool
    undistributed: Decimal  # added to 待分配累计收益


def _flow_nets(
    entries: Sequence[data.Directive], through: dt.date
) -> tuple[dict[tuple[str, str | None], Decimal], list[str]]:
    """Running nets of the flow accounts per (account, unit/pool) through `through`."""
    nets: dict[tuple[str, str | None], Decimal] = defaultdict(lambda: ZERO)
    untagged: list[str] = []
    for entry in entries:
        if not isinstance(entry, data.Transaction) or entry.date > through:
            continue
        for posting in entry.postings:
            account = posting.account
            if _root(account) not in chart.FLOW_ROOTS:
                continue
            if units_of(posting).currency != CURRENCY:
                raise XtError(f"{_where(entry)}: {account} holds {posting.units}; only CNY closes")
            meta = posting.meta or {}
            tag: str | None = None
            if account in UNIT_FLOW_ACCOUNTS or account in POOL_FLOW_ACCOUNTS:
                key = META_UNIT if account in UNIT_FLOW_ACCOUNTS else META_POOL
                if key not in meta:
                    untagged.append(f"{_where(entry)}: {account} posting without {key}:")
                    continue
                tag = str(meta[key])
            nets[(account, tag)] += number_of(posting)
    return {key: net for key, net in nets.items() if net}, untagged


def plan_close(registry: Registry, entries: Sequence[data.Directive], period: str) -> ClosePlan:
    """The close of `period`: everything booked on the flow accounts through its last day and
    not closed yet. Raises XtError for postings that cannot be closed (a unit or pool missing or
    unknown), for a later period closed already while this one still holds flows, and for an
    earlier year not closed yet."""
    end, _start = closing_day(period, registry.pilot.books_start)
    nets, untagged = _flow_nets(entries, end)
    if untagged:
        raise XtError(f"{len(untagged)} posting(s) cannot be closed: " + "; ".join(untagged[:3]))
    if not nets:
        return ClosePlan(period, end, None, {}, {}, {}, ZERO)

    prior_end = dt.date(end.year - 1, 12, 31)
    prior, _flows = _flow_nets(entries, prior_end)
    if prior:
        raise XtError(
            f"income and expenses of {prior_end.year} or earlier are not closed: close the year "
            f"first (xtaccounts close --period {prior_end.year})"
        )
    later = sorted(
        (e.date, str(e.meta.get(META_PERIOD)))
        for e in entries
        if isinstance(e, data.Transaction) and e.meta.get(META_KIND) == KIND_CLOSE and e.date > end
    )
    if later:
        raise XtError(
            f"{period} cannot be closed: the close of {later[0][1]} (dated {later[0][0]}) "
            f"already covers what was booked through {end}; close periods in order"
        )

    pool_ids = set(chart.pool_ids(registry))
    unknown = sorted(
        {
            f"unit {tag}"
            for (a, tag) in nets
            if a in UNIT_FLOW_ACCOUNTS and tag not in registry.units
        }
        | {f"pool {tag}" for (a, tag) in nets if a in POOL_FLOW_ACCOUNTS and tag not in pool_ids}
    )
    if unknown:
        raise XtError(f"cannot close into {', '.join(unknown[:5])}: not in the registry")

    into_units: dict[str, Decimal] = defaultdict(lambda: ZERO)
    into_pools: dict[str, Decimal] = defaultdict(lambda: ZERO)
    undistributed = ZERO
    postings: list[data.Posting] = []
    for (account, tag), net in sorted(nets.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        if account in UNIT_FLOW_ACCOUNTS:
            postings.append(cny_posting(account, -net, unit=tag))
            into_units[str(tag)] += net
        elif account in POOL_FLOW_ACCOUNTS:
            postings.append(cny_posting(account, -net, pool=tag))
            into_pools[str(tag)] += net
        else:
            postings.append(cny_posting(account, -net))
            undistributed += net
    for unit in sorted(into_units):
        if into_units[unit]:
            postings.append(cny_posting(chart.unit_fund_account(registry, unit), into_units[unit]))
    for pool in sorted(into_pools):
        if into_pools[pool]:
            postings.append(cny_posting(chart.pool_account(registry, pool), into_pools[pool]))
    if undistributed:
        postings.append(cny_posting(chart.UNDISTRIBUTED, undistributed))

    meta = data.new_metadata("<close>", 0)
    meta.update({META_KIND: KIND_CLOSE, META_PERIOD: period})
    entry = data.Transaction(
        meta, end, "*", None, f"结转 {period}", frozenset(), frozenset(), postings
    )
    return ClosePlan(
        period,
        end,
        entry,
        dict(sorted(nets.items(), key=lambda kv: (kv[0][0], kv[0][1] or ""))),
        {u: -v for u, v in sorted(into_units.items()) if v},
        {p: -v for p, v in sorted(into_pools.items()) if v},
        -undistributed,
    )


# -- the year books -----------------------------------------------------------------------------


@dataclass(frozen=True)
class YearCarry:
    """The books of the year after a closed one: what is carried and the files that hold it."""

    year: int  # the new year
    balances: dict[str, Decimal]  # own balance of each balance-sheet account at the end of year-1
    asserted: dict[str, Decimal]  # the subtree balance asserted for each of them on year-01-01
    new_assertions: list[data.Balance] = field(repr=False)
    carried_text: str = field(repr=False)  # text appended to carried.beancount ("" if none)
    opening_text: str = field(repr=False)
    book_text: str = field(repr=False)
    changed: list[str] = field(default_factory=list)  # relative paths that will change


def _sheet_balances(
    entries: Sequence[data.Directive], end: dt.date, extra: data.Transaction | None
) -> dict[str, Decimal]:
    """Every account's own balance at the end of `end` (with `extra` booked), non-zero only."""
    own: dict[str, Decimal] = defaultdict(lambda: ZERO)
    txns = [e for e in entries if isinstance(e, data.Transaction) and e.date <= end]
    if extra is not None:
        txns.append(extra)
    for entry in txns:
        for posting in entry.postings:
            if units_of(posting).currency != CURRENCY:
                raise XtError(
                    f"{_where(entry)}: {posting.account} holds {posting.units}; only CNY carries"
                )
            own[posting.account] += number_of(posting)
    left = sorted(a for a, v in own.items() if v and _root(a) in chart.FLOW_ROOTS)
    if left:
        raise XtError(
            f"after the close, {len(left)} income/expense account(s) still hold a balance at "
            f"{end} ({', '.join(left[:3])}): the year cannot be carried"
        )
    return {a: own[a] for a in sorted(own) if own[a] and _root(a) in chart.SHEET_ROOTS}


def _subtree_totals(balances: dict[str, Decimal]) -> dict[str, Decimal]:
    """Each account's balance with its sub-accounts, as a Beancount balance assertion sees it."""
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for account, number in balances.items():
        parts = account.split(":")
        for depth in range(1, len(parts) + 1):
            totals[":".join(parts[:depth])] += number
    return totals


def _year_book_text(main_text: str, year: int) -> str:
    lines = [
        f"; {year}年账簿 — the books of {year} on their own, opening with the balances carried",
        f"; from the end of {year - 1}. Written by `xtaccounts close --period {year - 1}`;",
        f"; check with `bean-check years/{year}.beancount`, browse with `fava "
        f"years/{year}.beancount`.",
        "; The options and plugins are those of main.beancount.",
        "",
    ]
    titled = False
    for line in main_text.splitlines():
        if not _OPTION_OR_PLUGIN.match(line):
            continue
        title = _TITLE.match(line)
        if title:
            line = f"{title.group(1)}{title.group(2)} {year}年{title.group(3)}"
            titled = True
        lines.append(line)
    if not titled:
        lines.insert(5, f'option "title" "{DEFAULT_TITLE} {year}年"')
    lines += [
        "",
        f'include "../{ACCOUNTS_FILE}"',
        f'include "{year:04d}-opening.beancount"',
        f'include "../{TXNS_DIR}/{year:04d}/*.beancount"',
    ]
    return "\n".join(lines) + "\n"


def _opening_text(
    entries: Sequence[data.Directive],
    layout: LedgerLayout,
    year: int,
    balances: dict[str, Decimal],
) -> str:
    end = dt.date(year - 1, 12, 31)
    accounts_path = os.path.normpath(layout.root / ACCOUNTS_FILE)
    next_dir = os.path.normpath(layout.root / TXNS_DIR / f"{year:04d}") + os.sep
    closed = {e.account for e in entries if isinstance(e, data.Close) and e.date <= end}
    opens = [
        e
        for e in entries
        if isinstance(e, data.Open)
        and e.date <= end
        and e.account not in closed
        and os.path.normpath(str(e.meta.get("filename"))) != accounts_path
        and not os.path.normpath(str(e.meta.get("filename"))).startswith(next_dir)
    ]
    meta = data.new_metadata("<carry>", 0)
    meta.update({META_KIND: KIND_CARRY, META_PERIOD: str(year - 1)})
    carry = data.Transaction(
        meta,
        end,
        "*",
        None,
        f"上年结转 {year - 1}",
        frozenset(),
        frozenset(),
        [cny_posting(account, number) for account, number in balances.items()],
    )
    parts = [
        f"; {year}年账簿的期初：{year - 1}-12-31 结转后全部资产、负债、净资产账户的余额。\n"
        f"; Written by `xtaccounts close --period {year - 1}` (rewritten by each such run); "
        "do not edit.\n"
    ]
    if opens:
        parts.append(
            "; Accounts opened outside accounts.beancount, so that this year's book opens them.\n"
        )
        parts.append("".join(printer.format_entry(e) for e in opens))
    parts.append(printer.format_entry(carry))
    return "\n".join(parts)


def plan_year_carry(
    layout: LedgerLayout,
    books: LoadedBooks,
    year_closed: int,
    close_entry: data.Transaction | None,
) -> YearCarry:
    """The next year's books after closing `year_closed` (with `close_entry` booked)."""
    year = year_closed + 1
    end = dt.date(year_closed, 12, 31)
    first = dt.date(year, 1, 1)
    balances = _sheet_balances(books.entries, end, close_entry)
    if sum(balances.values(), ZERO) != 0:
        raise XtError(
            f"the balances carried into {year} do not balance "
            f"({sum(balances.values(), ZERO)}): the year cannot be carried"
        )
    subtree = _subtree_totals(balances)
    asserted = {account: subtree[account] for account in balances}

    carried_path = os.path.normpath(layout.root / carried_file(year))
    existing = {
        e.account: e
        for e in books.entries
        if isinstance(e, data.Balance)
        and e.date == first
        and os.path.normpath(str(e.meta.get("filename"))) == carried_path
    }
    wrong = [
        f"{account}: {e.amount.number} asserted, {subtree.get(account, ZERO)} now"
        for account, e in sorted(existing.items())
        if e.amount.number != subtree.get(account, ZERO)
    ]
    if wrong:
        raise XtError(
            f"{carried_file(year)} no longer agrees with the books at {end} ({len(wrong)} "
            f"account(s): {'; '.join(wrong[:3])}): {year_closed} changed after it was carried"
        )
    new_assertions = []
    for account, number in asserted.items():
        if account in existing:
            continue
        meta = data.new_metadata(carried_file(year), 0)
        new_assertions.append(fen_exact_balance(first, account, number, meta))

    carried_text = ""
    changed: list[str] = []
    if not os.path.exists(carried_path):
        carried_text = (
            f"; {year}-01-01 的期初余额核对：{year_closed}年结转后每个资产、负债、净资产账户"
            "（含下级账户）的余额，逐分核对。\n"
            f"; Written by `xtaccounts close --period {year_closed}`.\n"
        )
    if new_assertions:
        body = "\n".join(printer.format_entry(e) for e in new_assertions)
        if carried_text:
            carried_text += "\n" + body
        else:
            with open(carried_path, "rb") as handle:
                tail = handle.read()[-2:]
            carried_text = ("\n" if tail and not tail.endswith(b"\n\n") else "") + body
    if carried_text:
        changed.append(carried_file(year))

    opening_text = _opening_text(books.entries, layout, year, balances)
    book_text = _year_book_text(layout.main.read_text("utf-8"), year)
    for rel, text in ((year_opening_file(year), opening_text), (year_book_file(year), book_text)):
        path = layout.root / rel
        if not path.exists() or path.read_text("utf-8") != text:
            changed.append(rel)
    return YearCarry(
        year, balances, asserted, new_assertions, carried_text, opening_text, book_text, changed
    )


def validate_year_book(layout: LedgerLayout, carry: YearCarry) -> None:
    """Load the year book as it will be once written; XtError listing its errors if any."""
    year = carry.year
    carried_path = layout.root / carried_file(year)
    old = carried_path.read_bytes() if carried_path.exists() else b""
    carried_full = appended_content(old, carry.carried_text).decode("utf-8")
    lines = [
        line for line in carry.book_text.splitlines() if not re.match(r"^[ \t]*include\b", line)
    ]
    lines.append(f'include "{(layout.root / ACCOUNTS_FILE).as_posix()}"')
    pattern = str(layout.root / TXNS_DIR / f"{year:04d}" / "*.beancount")
    for path in sorted(glob.glob(pattern)):
        if os.path.normpath(path) != os.path.normpath(carried_path):
            lines.append(f'include "{Path(path).as_posix()}"')
    text = "\n".join(lines) + "\n\n" + carry.opening_text + "\n" + carried_full
    _entries, errors, _options = loader.load_string(text)
    if errors:
        shown = "; ".join(format_error(e) for e in errors[:3])
        raise XtError(
            f"the {year} year book would not load clean ({len(errors)} error(s)): {shown}"
        )


# -- writing ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CloseReport:
    """What `close_period` did (or, for a dry run, would do)."""

    period: str
    date: dt.date
    plan: ClosePlan
    carry: YearCarry | None
    result: CommitResult | None
    dry_run: bool
    files: list[str] = field(default_factory=list)  # relative paths written (or to be)

    @property
    def booked(self) -> bool:
        return self.result is not None and not self.dry_run


def _refuse_past_reopened(reopened: set[str], period: str, end: dt.date) -> None:
    """A period reopened (docs/corrections.md) is closed again before any later one."""
    earlier = sorted(p for p in reopened if p != period and closing_day(p)[0] < end)
    if earlier:
        raise XtError(
            _(
                "期间 {earlier} 已重开，尚未再次结账：请先结账 {earlier}"
                "（xtaccounts close --period {earlier}），再结账 {period}"
            ).format(earlier=earlier[0], period=period)
        )


def close_period(main: Path, period: str, *, dry_run: bool = False) -> CloseReport:
    """Close `period` ("2024-05" or "2024"); a year also gets the next year's books.

    Only a period that has ended: its last day is before today (`check_ended`) and every bank
    account's statements in the books reach it (`check_statements`).
    Idempotent: with nothing left to close (and, for a year, the next year's files up to date)
    nothing is written, but for a reopened period: its `xt-reclose` closes it again.
    Raises XtError (nothing written) when the close is refused.
    """
    end, is_year = closing_day(period)
    check_ended(period, end)
    layout = require_ledger(main)
    with LedgerWriter(layout.main) as session:
        books = session.books()
        registry = load_registry(layout.registry)
        check_statements(layout, registry, books.entries, period, end)
        reopened = reopened_periods(books.entries)
        _refuse_past_reopened(reopened, period, end)
        plan = plan_close(registry, books.entries, period)
        files: list[str] = []
        rel = LedgerLayout.txns_file(end.year, CLOSES_FILE_KIND)
        if plan.entry is not None:
            session.append_entries(rel, [plan.entry])
            files.append(rel)
        elif period in reopened:  # reopened, nothing booked since: closed again all the same
            session.append_entries(rel, [period_directive(RECLOSE, period, today(), rel)])
            files.append(rel)
        carry = None
        if is_year:
            carry = plan_year_carry(layout, books, end.year, plan.entry)
            if carry.changed or plan.entry is not None:
                validate_year_book(layout, carry)
            if carry.carried_text:
                session.append(carried_file(carry.year), carry.carried_text)
            if year_opening_file(carry.year) in carry.changed:
                session.put_standalone(year_opening_file(carry.year), carry.opening_text)
            if year_book_file(carry.year) in carry.changed:
                session.put_standalone(year_book_file(carry.year), carry.book_text)
            files += carry.changed
            interest = year_carry_text(registry, books.entries, layout.root, end)
            interest_rel = household_interest_file(end.year)
            interest_path = layout.root / interest_rel
            if interest is not None and (
                not interest_path.exists() or interest_path.read_text("utf-8") != interest
            ):
                session.put_standalone(interest_rel, interest)
                files.append(interest_rel)
        result = session.commit(dry_run=dry_run) if files else None
    return CloseReport(period, end, plan, carry, result, dry_run, files)
