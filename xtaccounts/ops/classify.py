"""What each line of a bank statement is, in the books' own terms (pure: nothing is written).

`classify(registry, entries, statement)` turns a `Statement` (importers.reader) into an
`ImportPlan`: the entries to add, the lines already in the books (with the reason) and the lines
sent to 待查明款项 (suspense). Rules, in order, for each line:

a. already in the books: a transaction with the same bank account and serial key, or a
   ``td-place`` / ``refund`` / ``interest`` / ``deposit`` / ``claim`` (a suspense item returned
   to its payer) of the same account, date and amount
   that has no serial (booked by hand, e.g. ``xtaccounts time-deposit place``) → skipped;
b. a credit whose memo carries a registry payment-notice number → the deposit of that notice
   (`xtaccounts.ops.owner_deposits`), per unit, or suspense with the reason (a number shaped like
   the registry's but not in it: suspense as an unknown notice; a notice already paid in full:
   suspense saying 已缴清). A top-up counts what already waits in 待查明款项 for that notice
   (`xtaccounts.ops.claims.top_up_entry`): when the credit and those items make up what the
   notice still owes, the notice is settled by one deposit that books the credit and claims
   the waiting items (docs/claims.md);
c. a credit that pays back an open time-deposit certificate of this demand account → its
   maturity or early withdrawal (`time_deposits`): the memo names the certificate, or it says
   定期/到期/销户 or 结息/利息 and exactly one certificate matures that day with principal ≤
   amount < twice the principal (提前支取: one that runs that day, an early withdrawal). This
   comes before the settlements: a maturity credited on a settlement's payment day often says
   利息 (定期到期 本金及利息转活期). A 定期/到期/销户 credit that matches no single certificate
   → suspense saying how many matched;
d. a credit on a demand account whose memo says 结息 or 利息, dated a settlement day
   (20 Mar/Jun/Sep/Dec) or the day after → that quarter's settlement (`demand_interest`),
   flagged ``!`` when it differs from the interest due by more than 0.01; one that differs by
   more than 10% of the interest due AND more than 1.00 (`settlement_is_far`) → suspense with
   both figures (not booked as interest: it is likely something else, or a wrong rate);
e. a debit to a certificate (转定期, 定期开户, 存入定期) that rule a did not find booked →
   suspense: the placement is booked with ``xtaccounts time-deposit place`` first;
f. a debit to an insurer's registered account → Dr that insurer's premium clearing account (a
   credit from it, a premium refund, → Cr that account);
g. anything else → Dr/Cr 待查明款项, flag ``!``, with the reason and the line's text (masked).

Each new transaction carries ``serial`` (the bank's 交易流水号, or a key made of date, time,
signed amount, balance after and position among identical lines: never the free text), a link
``^<account number>-<serial>``, ``statement`` (the file name) and ``row``. The closing balance of
each statement day becomes a fen-exact ``balance`` assertion dated the next day, unless the books
have one for that account and date.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path

from beancount.core import data

from xtaccounts.core import chart
from xtaccounts.core.bank_statement import Statement, StatementError, StatementLine
from xtaccounts.core.calendar import ONE_DAY
from xtaccounts.core.entries import fen_exact_balance
from xtaccounts.core.errors import XtError
from xtaccounts.core.gc_pause import gc_paused
from xtaccounts.core.money import format_money
from xtaccounts.core.outside_text import TextRefused, admit_text
from xtaccounts.core.privacy import mask_account
from xtaccounts.core.vocabulary import (
    CURRENCY,
    KIND_DEPOSIT,
    KIND_INTEREST,
    KIND_PREMIUM_PAYMENT,
    KIND_SUSPENSE,
    META_EXPECTED,
    META_KIND,
    META_SERIAL,
    META_STATEMENT,
    META_SUSPENSE_REASON,
)
from xtaccounts.ops import claims, demand_interest, time_deposits
from xtaccounts.ops import owner_deposits as deposits
from xtaccounts.ops.bank_lines import BankLines, NeedsBooks, OpenCertificate
from xtaccounts.registry import Registry
from xtaccounts.registry.models import AccountKind, BankAccount

__all__ = [
    "BOOKED",
    "SKIPPED",
    "SUSPENSE",
    "Closing",
    "ImportPlan",
    "NeedsBooks",
    "PlannedLine",
    "StatementBooks",
    "bank_file",
    "classify",
    "classify_against",
    "gc_paused",
    "serial_keys",
    "settlement_is_far",
    "statement_bank_account",
]

BOOKED = deposits.BOOKED
SKIPPED = deposits.SKIPPED
SUSPENSE = deposits.SUSPENSE

# A statement's currency is CNY when it is blank or names it in one of these ways.
CNY_WORDS = ("CNY", "RMB", "人民币", "本币", "156")
CNY_CODES = {"", "01", "元", "¥", "￥"}
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*")
_NO_SPACE = re.compile(r"\s")
_LINK_BAD = re.compile(r"[^A-Za-z0-9_/.-]")
_SETTLEMENT_MONTHS = (3, 6, 9, 12)

# A settlement credit further than both of these from the interest due goes to suspense.
FAR_SHARE = Decimal("0.10")
FAR_MIN = Decimal("1.00")

INTEREST_WORDS = ("结息", "利息")
TD_CREDIT_WORDS = ("定期", "到期", "销户", "提前支取")
EARLY_WORDS = ("提前支取",)
TD_DEBIT_WORDS = ("转定期", "定期开户", "存入定期")


@dataclass(frozen=True)
class PlannedLine:
    """One statement line and what the import does with it."""

    line: StatementLine
    serial: str
    status: str  # BOOKED, SKIPPED or SUSPENSE
    rule: str  # which rule decided: duplicate, notice, interest, maturity, withdrawal, ...
    reason: str = ""
    entries: tuple[data.Directive, ...] = ()


@dataclass(frozen=True)
class Closing:
    """The balance at the end of a statement day, and the row of that day's last line."""

    date: dt.date
    balance: Decimal
    row: int


@dataclass(frozen=True)
class ImportPlan:
    """What importing one statement adds to the books, line by line."""

    statement: Statement
    bank: BankAccount
    lines: tuple[PlannedLine, ...]
    assertions: tuple[data.Balance, ...]  # the new ones (the books may hold some already)
    closings: tuple[Closing, ...] = ()  # every statement day's closing balance

    @property
    def entries(self) -> list[data.Directive]:
        """Every directive to add: the lines' transactions (and closes) then the assertions."""
        return [e for line in self.lines for e in line.entries] + list(self.assertions)

    def decided(self) -> ImportPlan:
        """The plan as its report keeps it once its entries are staged: each line's decision
        (status, rule, reason), its entries left to the writer (a large statement's entries
        are not held twice, as the plan's and as the books' text read back)."""
        return replace(self, lines=tuple(replace(line, entries=()) for line in self.lines))

    def _with(self, status: str) -> list[PlannedLine]:
        return [line for line in self.lines if line.status == status]

    @property
    def booked(self) -> list[PlannedLine]:
        return self._with(BOOKED)

    @property
    def skipped(self) -> list[PlannedLine]:
        return self._with(SKIPPED)

    @property
    def suspense(self) -> list[PlannedLine]:
        return self._with(SUSPENSE)


# --- identity -------------------------------------------------------------------------------


def statement_bank_account(registry: Registry, statement: Statement) -> BankAccount:
    """The registry bank account of the statement's 账号 (the file name is never trusted)."""
    number = re.sub(r"\s", "", str(statement.account_no or ""))
    bank = registry.bank_accounts.get(number)
    if bank is None:
        known = ", ".join(sorted(registry.bank_accounts)) or "none"
        shown = number or "(none found in the preamble)"
        raise StatementError(
            str(statement.path),
            0,
            "账号",
            f"account {shown} is not a registry bank account (bank_accounts.csv; known: {known})",
        )
    if statement.bank and statement.bank != bank.bank:
        raise StatementError(
            str(statement.path),
            0,
            "账号",
            f"对账单的格式 {statement.profile} 是 {statement.bank} 的，"
            f"而账号 {number} 在登记册中是 {bank.bank}（{bank.bank_name}）的账户：不导入，"
            "请核对文件或登记册 bank_accounts.csv 的 bank 列 "
            "(the statement's layout belongs to another bank than the account's)",
        )
    currency = re.sub(r"\s", "", str(statement.currency or "")).upper()
    if currency not in CNY_CODES and not any(word in currency for word in CNY_WORDS):
        raise StatementError(
            str(statement.path), 0, "币种", f"currency {statement.currency!r} is not CNY"
        )
    return bank


def bank_file(bank: BankAccount, year: int) -> str:
    """The ledger file of one bank account's imported lines in one year."""
    return f"txns/{year:04d}/bank-{bank.bank}-{bank.account_no[-4:]}.beancount"


def _time_digits(value: str | None) -> str:
    return re.sub(r"\D", "", str(value or ""))


def serial_keys(lines: Sequence[StatementLine], file: str = "") -> list[str]:
    """The identity of each line: the bank's serial, else a key made of the line's figures.

    The key is ``K<yyyymmdd><hhmmss>-<C|D><amount>-B<balance after>-<n>`` where n counts the
    identical lines (same date, time, signed amount and balance) before it in the statement; the
    memo and other free text are left out (they change between exports). A serial given twice in
    one statement gets ``/2``, ``/3`` ... on its later lines, so no line is lost. A serial is
    admitted as an identifier (`admit_text`: HTML neutralised, never masked); one holding a
    control character is a StatementError naming `file`, the row and 流水号.
    """
    keys: list[str] = []
    same: Counter[tuple] = Counter()
    seen: Counter[str] = Counter()
    for line in lines:
        serial = re.sub(r"\s", "", str(line.serial or ""))
        if serial:
            try:
                serial = admit_text(serial, field="流水号", mask=False)
            except TextRefused as exc:
                raise StatementError(file, line.row, "流水号", exc.reason) from exc
            seen[serial] += 1
            keys.append(serial if seen[serial] == 1 else f"{serial}/{seen[serial]}")
            continue
        figures = (line.date, _time_digits(line.time), line.amount, line.balance)
        same[figures] += 1
        side = "C" if line.amount >= 0 else "D"
        balance = "N" if line.balance is None else format_money(line.balance)
        keys.append(
            f"K{line.date:%Y%m%d}{figures[1]}-{side}{format_money(abs(line.amount))}"
            f"-B{balance}-{same[figures]}"
        )
    return keys


def _link(account_no: str, serial: str) -> str:
    link = f"{account_no}-{serial}"
    return link if link.isascii() and link.replace("-", "").isalnum() else _LINK_BAD.sub("_", link)


def _normal(text: str | None) -> str:
    """Text for matching: full-width forms folded (ＮＯ２０２４ → no2024), spaces dropped,
    upper case."""
    if not text:
        return ""
    return _NO_SPACE.sub("", unicodedata.normalize("NFKC", text)).upper()


def _tokens(text: str) -> set[str]:
    """The letter-and-digit runs of a normalised (upper-case) memo."""
    return set(_TOKEN.findall(text))


def _has(text: str, words: Iterable[str]) -> bool:
    return any(word in text for word in words)


def settlement_is_far(received: Decimal, expected: Decimal) -> bool:
    """Whether a settlement credit is too far from the interest due to be booked as it: it
    differs from `expected` by more than `FAR_SHARE` (10%) of it AND by more than `FAR_MIN`
    (1.00). Nearer ones are booked, flagged ``!`` when they differ by more than 0.01."""
    gap = abs(received - expected)
    return gap > FAR_MIN and gap > FAR_SHARE * abs(expected)


def _settlement_day(day: dt.date) -> dt.date | None:
    """The settlement day a demand-interest credit dated `day` pays (that day or the day before)."""
    for candidate in (day, day - ONE_DAY):
        if candidate.month in _SETTLEMENT_MONTHS and candidate.day == 20:
            return candidate
    return None


_ASCII_SHAPE = str.maketrans(
    dict.fromkeys("0123456789", "9")
    | dict.fromkeys("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", "A")
)


def _shape(token: str) -> str:
    """A token's shape: ``N2024-0001`` → ``A9999-9999``."""
    if token.isascii():  # the same as below, for the registry's tens of thousands of notices
        return token.translate(_ASCII_SHAPE)
    return re.sub(r"[A-Za-z]", "A", re.sub(r"\d", "9", token))


def _shapes(notices: Iterable[str]) -> set[str]:
    """The shapes of the registry's notice numbers that hold both letters and digits (a bare
    number in a memo is no notice)."""
    shapes = set()
    for notice in notices:
        if notice.isascii():
            shape = notice.translate(_ASCII_SHAPE)
            if "A" in shape and "9" in shape:
                shapes.add(shape)
        elif re.search(r"[A-Za-z]", notice) and re.search(r"\d", notice):
            shapes.add(_shape(notice))
    return shapes


# --- what the books hold --------------------------------------------------------------------


# --- classification -------------------------------------------------------------------------


class _Classifier:
    def __init__(
        self,
        registry: Registry,
        statement: Statement,
        books: StatementBooks,
    ) -> None:
        self.registry = registry
        self.statement = statement
        self.name = _admit(statement, 0, "文件名", Path(statement.path).name) or ""
        self.bank = statement_bank_account(registry, statement)
        self.account = self.bank.account
        self.books = books
        self.lines = books.lines
        self.deposits = books.deposits
        self.claims = books.claims  # suspense items waiting for a notice
        self.hand_booked = {
            key: list(kinds)
            for key, kinds in self.lines.hand_booked.items()
            if key[0] == self.account
        }
        self.certificates = {c.account: c for c in self.lines.open_certificates(self.account)}
        self.new_serials: set[str] = set()
        self.notices = {n.upper(): n for n in registry.notices}
        self.notice_shapes = _shapes(self.notices)
        self.link_prefix = self.bank.account_no
        self.books_start = registry.pilot.books_start
        self.files: dict[int, str] = {}  # year -> the bank file of that year
        # What the time-deposit functions read, asked of the books when a line needs it: their
        # opens and closes (and new closes).
        self._certificate_entries: list[data.Directive] | None = None
        self.new_closes: list[data.Close] = []
        # What a settlement reads: opens, this account's movements, the interest receipts; the
        # new lines' movements are summed per day (`daily`).
        self._settlement_base: list[data.Directive] | None = None
        self.new_interest: list[data.Transaction] = []
        self.daily: dict[dt.date, Decimal] = defaultdict(Decimal)
        self.insurers = {
            re.sub(r"\s", "", insurer.account_no): insurer.id
            for insurer in registry.insurers.values()
            if insurer.account_no
        }

    # -- helpers --

    def _file(self, year: int) -> str:
        relpath = self.files.get(year)
        if relpath is None:
            relpath = self.files[year] = bank_file(self.bank, year)
        return relpath

    def _source(
        self, entry: data.Transaction, line: StatementLine, serial: str
    ) -> data.Transaction:
        meta = dict(entry.meta)
        meta["filename"] = self._file(entry.date.year)
        meta[META_SERIAL] = serial
        meta[META_STATEMENT] = self.name
        meta["row"] = Decimal(line.row)
        links = frozenset({*(entry.links or ()), _link(self.link_prefix, serial)})
        return data.Transaction(
            meta,
            entry.date,
            entry.flag,
            entry.payee,
            entry.narration,
            entry.tags,
            links,
            entry.postings,
        )

    def _meta(self, line: StatementLine, serial: str, kind: str, **values: object) -> dict:
        meta = {
            "filename": self._file(line.date.year),
            "lineno": 0,
            "kind": kind,
            "serial": serial,
            "statement": self.name,
            "row": Decimal(line.row),
        }
        for key, value in values.items():
            if value is not None:
                meta[key] = value
        return meta

    def _texts(self, line: StatementLine) -> tuple[str | None, str | None]:
        """The line's counterparty and memo as the books keep them, admitted
        (`xtaccounts.core.outside_text`): a person's name masked to the surname wherever it is (the
        memo often repeats it), ID, phone and card numbers masked, HTML neutralised; a control
        or bidirectional character is refused (StatementError naming the row and column)."""
        payer = line.counterparty
        return (
            _admit(self.statement, line.row, "对方户名", payer, names=[payer]),
            _admit(self.statement, line.row, "摘要", line.memo, names=[payer]),
        )

    def _postings(self, amount: Decimal, other: str) -> list[data.Posting]:
        return [
            data.Posting(self.account, data.Amount(amount, CURRENCY), None, None, None, None),
            data.Posting(other, data.Amount(-amount, CURRENCY), None, None, None, None),
        ]

    def _suspense(self, line: StatementLine, serial: str, reason: str) -> PlannedLine:
        payer, memo = self._texts(line)
        amount = line.amount
        meta = self._meta(
            line,
            serial,
            KIND_SUSPENSE,
            memo=memo,
            counterparty=payer,
            counterparty_account=_admit(
                self.statement, line.row, "对方账号", mask_account(line.counterparty_account)
            ),
            counterparty_bank=_admit(
                self.statement, line.row, "对方开户行", line.counterparty_bank
            ),
            suspense_reason=reason,
        )
        word = "待查明来款" if amount > 0 else "待查明付款"
        txn = data.Transaction(
            meta,
            line.date,
            "!",
            payer,
            f"{word} {memo}" if memo else word,
            frozenset(),
            frozenset({_link(self.link_prefix, serial)}),
            self._postings(amount, chart.SUSPENSE),
        )
        return PlannedLine(line, serial, SUSPENSE, "suspense", reason, (txn,))

    def _planned(
        self, line: StatementLine, serial: str, rule: str, entries: Sequence[data.Directive]
    ) -> PlannedLine:
        txn = next(e for e in entries if isinstance(e, data.Transaction))
        status = SUSPENSE if txn.meta.get(META_SUSPENSE_REASON) else BOOKED
        return PlannedLine(
            line, serial, status, rule, str(txn.meta.get(META_SUSPENSE_REASON, "")), tuple(entries)
        )

    # -- rules --

    def classify(self) -> ImportPlan:
        lines = tuple(self.statement.lines)
        serials = serial_keys(lines, str(self.statement.path))
        self._check_bounds(lines, serials)
        planned: list[PlannedLine] = []
        for line, serial in zip(lines, serials, strict=True):
            result = self._line(line, serial)
            for entry in result.entries:
                if isinstance(entry, data.Transaction):
                    self.new_serials.add(str(entry.meta.get(META_SERIAL, "")))
                    self.claims.add(entry)
                    kind = entry.meta.get(META_KIND)
                    if kind == KIND_DEPOSIT:
                        self.deposits.add(entry)
                    if kind == KIND_INTEREST:
                        self.new_interest.append(entry)
                    else:
                        self.daily[entry.date] += line.amount
                elif isinstance(entry, data.Close):
                    self.certificates.pop(entry.account, None)
                    self.new_closes.append(entry)
            planned.append(result)
        closings = tuple(c for c in _closings(lines) if c.date >= self.books_start)
        return ImportPlan(
            self.statement, self.bank, tuple(planned), self._assertions(closings), closings
        )

    def _check_bounds(self, lines: Sequence[StatementLine], serials: Sequence[str]) -> None:
        """NeedsBooks when the indexes, bounded by the last close, may not hold what the books
        say of these lines: a line dated on or before it, a serial booked before it."""
        through = max(
            (d for d in (self.lines.closed_through, self.deposits.closed_through) if d),
            default=None,
        )
        if through is None:
            return
        if any(line.date <= through for line in lines):
            raise NeedsBooks
        old = self.deposits.old_serials
        if old and any(deposits.serial_key(self.account, serial) in old for serial in serials):
            raise NeedsBooks

    def _line(self, line: StatementLine, serial: str) -> PlannedLine:
        amount = line.amount
        if amount == 0:
            return PlannedLine(line, serial, SKIPPED, "zero", "金额为 0，无需记账 (zero amount)")
        if line.date < self.books_start:
            return PlannedLine(
                line,
                serial,
                SKIPPED,
                "before-books",
                f"{line.date} 在账簿起始日 {self.books_start} 之前：已含于期初余额 "
                "(before the books begin: part of the opening balances)",
            )
        duplicate = self._duplicate(line, serial)
        if duplicate:
            return PlannedLine(line, serial, SKIPPED, "duplicate", duplicate)
        memo = _normal(line.memo)
        insurer = self._insurer(line)
        if amount > 0:
            tokens = _tokens(memo)
            notice = self._notice(tokens)
            if notice is not None:
                return self._deposit(line, serial, notice)
            if insurer is not None:
                return self._premium(line, serial, insurer)
            # Certificates before settlements: a maturity paid on a settlement's payment day
            # often says 利息 too (定期到期 本金及利息转活期).
            certificate = self._named_certificate(tokens)
            if certificate is None and _has(memo, (*TD_CREDIT_WORDS, *INTEREST_WORDS)):
                candidates = self._repaid_candidates(line, memo)
                certificate = candidates[0] if len(candidates) == 1 else None
            if certificate is not None or _has(memo, TD_CREDIT_WORDS):
                return self._time_deposit(line, serial, memo, certificate)
            if self._is_interest(line, memo):
                return self._settlement(line, serial)
            if _has(memo, INTEREST_WORDS) and self.bank.kind is AccountKind.DEMAND:
                return self._suspense(
                    line,
                    serial,
                    f"摘要为利息，但 {line.date} 不是结息日 (3/6/9/12月20日) 或其次日，"
                    "也不是本账户定期存单的兑付 (interest memo on a day that is no settlement "
                    "day or the day after, and no certificate of this account)",
                )
            return self._suspense(
                line,
                serial,
                f"来款未注明缴款通知书编号，实收 {format_money(amount)} "
                "(no payment notice number in the memo)",
            )
        if _has(memo, TD_DEBIT_WORDS):
            return self._suspense(
                line,
                serial,
                f"转存定期 {format_money(-amount)} 未见已登记的存单（同账户、同日、同金额）："
                "请先用 xtaccounts time-deposit place 登记 (book the placement with xtaccounts "
                "time-deposit place first)",
            )
        if insurer is not None:
            return self._premium(line, serial, insurer)
        return self._suspense(
            line,
            serial,
            f"付款 {format_money(-amount)} 用途无法识别：不是已登记的定期存款、返还或保险公司账户 "
            "(unrecognised payment)",
        )

    def _insurer(self, line: StatementLine) -> str | None:
        """The registry insurer whose registered account is the line's other side."""
        if not line.counterparty_account:
            return None
        return self.insurers.get(_NO_SPACE.sub("", line.counterparty_account))

    def _duplicate(self, line: StatementLine, serial: str) -> str:
        if (self.account, serial) in self.deposits.serials or serial in self.new_serials:
            return f"流水号 {serial} 已在本账户入账，不重复记账 (already booked: same serial)"
        hand = self.hand_booked.get((self.account, line.date, line.amount))
        if hand:
            kind = hand.pop(0)
            return (
                f"同账户、同日、同金额 {format_money(line.amount)} 的 {kind} "
                "已手工入账（无流水号），即本行，不重复记账 "
                f"(already booked by hand: {kind}, same account, date and amount)"
            )
        return ""

    def _notice(self, tokens: set[str]) -> str | None:
        """A registry notice number in the memo; else a token shaped like one (an unknown
        notice: the deposit goes to suspense saying so)."""
        found = sorted(self.notices[t] for t in tokens if t in self.notices)
        if found:
            return found[0]
        shaped = sorted(t for t in tokens if _shape(t) in self.notice_shapes)
        return shaped[0] if shaped else None

    def _deposit(self, line: StatementLine, serial: str, notice: str) -> PlannedLine:
        payer, memo = self._texts(line)
        # As deposits.deposit_entry would normalise it: account resolved, texts cleaned and
        # masked (the amount is the reader's exact one, the date checked for the statement).
        receipt = deposits.Receipt(
            self.account, line.date, line.amount, notice, serial, payer, memo
        )
        if not (self.deposits.answers(receipt) and self.claims.notices.answers(notice)):
            raise NeedsBooks  # a notice paid before the last close: its payments are not kept
        entry = deposits._deposit_entry(
            self.registry, self.deposits, receipt, self._file(line.date.year)
        )
        entry = claims.top_up_entry(self.registry, self.claims, receipt, entry)
        return self._planned(line, serial, "notice", [self._source(entry, line, serial)])

    def _is_interest(self, line: StatementLine, memo: str) -> bool:
        return (
            self.bank.kind is AccountKind.DEMAND
            and _has(memo, INTEREST_WORDS)
            and _settlement_day(line.date) is not None
        )

    def _settlement(self, line: StatementLine, serial: str) -> PlannedLine:
        settlement = _settlement_day(line.date)
        assert settlement is not None
        try:
            entry = demand_interest.settlement_entry(
                self.registry,
                self._settlement_entries(),
                bank_account=self.account,
                settlement=settlement,
                received=line.amount,
                paid_on=line.date,
            )
        except XtError as exc:
            return self._suspense(
                line, serial, f"结息 {settlement} 无法入账：{exc} (settlement not booked)"
            )
        expected = Decimal(str(entry.meta[META_EXPECTED]))
        difference = line.amount - expected
        if settlement_is_far(line.amount, expected):
            return self._suspense(
                line,
                serial,
                f"结息 {settlement} 实收 {format_money(line.amount)} 与应收 "
                f"{format_money(expected)} 相差 {difference:+.2f}，超过应收的 10% 且超过 "
                f"{format_money(FAR_MIN)} 元：不按结息入账，请核对 (settlement {difference:+.2f} "
                "from expected: more than 10% and more than 1.00, not booked as interest)",
            )
        return self._planned(line, serial, "interest", [self._source(entry, line, serial)])

    def _settlement_entries(self) -> list[data.Directive]:
        """The books as a settlement reads them: opens, this account's movements and every
        interest receipt, with the new lines' movements summed per day."""
        daily = [
            data.Transaction(
                {"filename": "<statement>", "lineno": 0},
                day,
                "*",
                None,
                "",
                frozenset(),
                frozenset(),
                [data.Posting(self.account, data.Amount(amount, CURRENCY), None, None, None, None)],
            )
            for day, amount in sorted(self.daily.items())
        ]
        if self._settlement_base is None:
            self._settlement_base = [
                e
                for e in self.books.entries()
                if isinstance(e, data.Open)
                or (
                    isinstance(e, data.Transaction)
                    and (
                        e.meta.get(META_KIND) == KIND_INTEREST
                        or any(p.account == self.account for p in e.postings)
                    )
                )
            ]
        return [*self._settlement_base, *self.new_interest, *daily]

    def _certificate_books(self) -> list[data.Directive]:
        """The books' opens and closes and the new closes, as the time-deposit functions read
        them."""
        if self._certificate_entries is None:
            self._certificate_entries = [
                e for e in self.books.entries() if isinstance(e, data.Open | data.Close)
            ]
        return [*self._certificate_entries, *self.new_closes]

    def _repaid_candidates(self, line: StatementLine, memo: str) -> list[OpenCertificate]:
        """The open certificates of this demand account that the credit may repay: maturing
        that day (or, the memo saying 提前支取, running that day), principal ≤ amount < twice
        the principal."""
        early = _has(memo, EARLY_WORDS)
        amount = line.amount
        return [
            c
            for c in self.certificates.values()
            if c.principal <= amount < 2 * c.principal
            and ((c.value_date <= line.date < c.maturity) if early else (c.maturity == line.date))
        ]

    def _named_certificate(self, tokens: set[str]) -> OpenCertificate | None:
        for cert in self.certificates.values():
            if cert.certificate.upper() in tokens:
                return cert
        return None

    def _time_deposit(
        self,
        line: StatementLine,
        serial: str,
        memo: str,
        cert: OpenCertificate | None,
    ) -> PlannedLine:
        early = _has(memo, EARLY_WORDS)
        amount = line.amount
        if cert is None:
            candidates = self._repaid_candidates(line, memo)
            if len(candidates) != 1:
                what = "提前支取" if early else f"{line.date} 到期"
                which = "、".join(sorted(c.certificate for c in candidates)) if candidates else "无"
                return self._suspense(
                    line,
                    serial,
                    f"摘要似为定期存款兑付，但本账户{what}且本金相符的未结清存单有 "
                    f"{len(candidates)} 张"
                    f"（{which}）：无法确定是哪一张 (a time-deposit repayment that matches "
                    f"{len(candidates)} open certificates of this account)",
                )
            cert = candidates[0]
        received = amount - cert.principal
        entries = self._certificate_books()
        try:
            if early or line.date < cert.maturity:
                txn, close = time_deposits.withdrawal_entries(
                    self.registry,
                    entries,
                    certificate=cert.certificate,
                    date=line.date,
                    received=received,
                )
                rule = "withdrawal"
            else:
                txn, close = time_deposits.maturity_entries(
                    self.registry,
                    entries,
                    certificate=cert.certificate,
                    received=received,
                    date=line.date,
                )
                rule = "maturity"
        except XtError as exc:
            return self._suspense(
                line,
                serial,
                f"存单 {cert.certificate} 兑付 {format_money(amount)} 无法入账：{exc} "
                "(time-deposit repayment not booked)",
            )
        txn = self._source(txn, line, serial)
        return self._planned(line, serial, rule, [txn, close])

    def _premium(self, line: StatementLine, serial: str, insurer_id: str) -> PlannedLine:
        insurer = self.registry.insurers[insurer_id]
        _, memo = self._texts(line)
        meta = self._meta(line, serial, KIND_PREMIUM_PAYMENT, insurer=insurer_id, memo=memo)
        word = "支付电梯保险费" if line.amount < 0 else "电梯保险费退款"
        narration = f"{word} {memo}" if memo else word
        postings = self._postings(
            line.amount, chart.premium_clearing_account(self.registry, insurer_id)
        )
        if line.amount < 0:
            postings.reverse()  # Dr the clearing account first, as the insurance entries do
        txn = data.Transaction(
            meta,
            line.date,
            "*",
            insurer.name,
            narration,
            frozenset(),
            frozenset({_link(self.link_prefix, serial)}),
            postings,
        )
        return PlannedLine(line, serial, BOOKED, "premium", "", (txn,))

    def _assertions(self, closings: Sequence[Closing]) -> tuple[data.Balance, ...]:
        result = []
        for closing in closings:
            when = closing.date + ONE_DAY
            if (self.account, when) in self.lines.assertions:
                continue
            meta = {
                "filename": self._file(when.year),
                "lineno": 0,
                META_STATEMENT: self.name,
                "row": Decimal(closing.row),
            }
            result.append(fen_exact_balance(when, self.account, closing.balance, meta))
        return tuple(result)


def _closings(lines: Sequence[StatementLine]) -> tuple[Closing, ...]:
    """The balance after each day's last line that gives one, day by day."""
    last: dict[dt.date, tuple[Decimal, int]] = {}
    for line in lines:
        if line.balance is not None:
            last[line.date] = (line.balance, line.row)
    return tuple(Closing(day, *last[day]) for day in sorted(last))


def _admit(
    statement: Statement,
    row: int,
    column: str,
    text: str | None,
    names: Iterable[str | None] = (),
) -> str | None:
    """A statement's text as the books keep it (`admit_text`), None when blank; a refused
    character is a StatementError naming the file, row and column."""
    if not text:
        return None
    try:
        return admit_text(text, field=column, names=names) or None
    except TextRefused as exc:
        raise StatementError(str(statement.path), row, column, exc.reason) from exc


@dataclass
class StatementBooks:
    """What a statement is classified against: the books' indexes (`BankLines`, the deposits'
    serials and paid notices, the suspense items) and `entries()`, the books themselves, asked
    for only by a line the indexes do not answer (a settlement's 积数, a certificate's
    repayment); it raises `NeedsBooks` when the books are not at hand."""

    lines: BankLines
    deposits: deposits.DepositIndex
    claims: claims.ClaimIndex
    entries: Callable[[], Sequence[data.Directive]]

    @classmethod
    def of(cls, entries: Sequence[data.Directive]) -> StatementBooks:
        """The indexes of the books' `entries`, built whole."""
        return cls(
            BankLines.of(entries),
            deposits.DepositIndex.of(entries),
            claims.ClaimIndex.of(entries),
            lambda: entries,
        )


def classify(
    registry: Registry, entries: Sequence[data.Directive], statement: Statement
) -> ImportPlan:
    """Classify every line of `statement` against the books' `entries` (see the module doc).

    Raises StatementError (field 账号) when the statement's account number is not a registry
    bank account, or (币种) when its currency is not CNY.
    """
    with gc_paused():
        return classify_against(registry, StatementBooks.of(entries), statement)


def classify_against(registry: Registry, books: StatementBooks, statement: Statement) -> ImportPlan:
    """`classify` against the books' indexes (the write snapshot's will do); NeedsBooks when a
    line needs what they do not hold: the caller classifies against the books then."""
    with gc_paused():
        return _Classifier(registry, statement, books).classify()
