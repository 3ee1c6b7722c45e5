"""What a bank statement layout is: `BankProfile`, and how header text is compared.

The layouts themselves are data, one TOML file each (`importers.layout_files`,
docs/bank-layouts.md); a new variant of a bank's export is a new file, not new code.

Column names are matched after NFKC normalisation with all whitespace removed, so
`借方发生额（支取）` matches `借方发生额(支取)` and `记账日          `; a synonym also
matches a header cell that is the synonym followed by a bracketed note
(`交易金额[ Trade Amount ]`, `借方发生额(支取)`), unless some cell matches it exactly.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

DirectionRule = Literal["split", "signed", "flag"]
Order = Literal["auto", "ascending", "descending"]

# Date forms a statement may use; a profile lists the ones its bank writes.
DATE_FORMS = ("YYYYMMDD", "YYYY-MM-DD", "YYYY/MM/DD", "YYYY.MM.DD", "YYYY年MM月DD日", "excel")


class LayoutRuleError(ValueError):
    """A layout that breaks one of `BankProfile`'s rules, naming the field at fault."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


@dataclass(frozen=True)
class PreambleLabels:
    """Labels of the values above the header (`label：value` in one cell or in the next cell)."""

    account: tuple[str, ...] = ()
    name: tuple[str, ...] = ()
    currency: tuple[str, ...] = ()
    period: tuple[str, ...] = ()
    start: tuple[str, ...] = ()
    end: tuple[str, ...] = ()


@dataclass(frozen=True)
class BankProfile:
    """One bank's statement layout.

    Column fields hold synonyms (the first that the header has wins), except `memo`, which lists
    every column joined into the memo, in order. `direction_rule` says how the sign of a line is
    given: "split" (money out in a `debit` column, money in in a `credit` column, one of them
    filled), "signed" (one `amount` column, + in, − out) or "flag" (an unsigned `amount` and a
    `direction` column whose values are listed in `flag_in` / `flag_out`).
    Where a bank gives payer and payee instead of a counterparty (BOC), `payer_*` / `payee_*`
    name them: the counterparty is the side that is not the statement's own account.
    `serial_parts` says, for a serial column (by its synonym) whose cell holds more than the
    bank's serial, which part of the cell is the serial: a regex with a group named ``serial``,
    matched against the whole cell; a cell it does not match is the serial as it is. (CCB's
    `账户明细编号-交易流水号` is ``<row of this export>-<交易流水号>``: only the 交易流水号 is
    the same in every export.)
    """

    id: str
    bank: str
    bank_name: str
    header_keywords: tuple[str, ...]
    direction_rule: DirectionRule
    date: tuple[str, ...]
    time: tuple[str, ...] = ()
    debit: tuple[str, ...] = ()
    credit: tuple[str, ...] = ()
    amount: tuple[str, ...] = ()
    direction: tuple[str, ...] = ()
    flag_in: tuple[str, ...] = ()
    flag_out: tuple[str, ...] = ()
    balance: tuple[str, ...] = ()
    serial: tuple[str, ...] = ()
    serial_parts: tuple[tuple[str, str], ...] = ()  # (serial synonym, regex with ?P<serial>)
    memo: tuple[str, ...] = ()
    counterparty: tuple[str, ...] = ()
    counterparty_account: tuple[str, ...] = ()
    counterparty_bank: tuple[str, ...] = ()
    payer_name: tuple[str, ...] = ()
    payer_account: tuple[str, ...] = ()
    payer_bank: tuple[str, ...] = ()
    payee_name: tuple[str, ...] = ()
    payee_account: tuple[str, ...] = ()
    payee_bank: tuple[str, ...] = ()
    account_column: tuple[str, ...] = ()
    currency_column: tuple[str, ...] = ()
    date_formats: tuple[str, ...] = DATE_FORMS
    preamble: PreambleLabels = field(default_factory=PreambleLabels)
    trailer_markers: tuple[str, ...] = ()
    trailer_patterns: tuple[str, ...] = ()  # regexes on a row's first non-empty cell
    skip_markers: tuple[str, ...] = ()
    order: Order = "auto"
    note: str = ""

    def __post_init__(self) -> None:
        unknown = set(self.date_formats) - set(DATE_FORMS)
        if unknown:
            raise LayoutRuleError(
                "date_formats",
                f"格式 {self.id}：不认识的日期格式 {sorted(unknown)}"
                f"（可用：{', '.join(DATE_FORMS)}）",
            )
        required = {
            "split": ("debit", "credit"),
            "signed": ("amount",),
            "flag": ("amount", "direction", "flag_in", "flag_out"),
        }[self.direction_rule]
        for name in (*required, "date", "header_keywords"):
            if not getattr(self, name):
                raise LayoutRuleError(
                    _TOML_NAMES.get(name, f"columns.{name}"),
                    f"格式 {self.id}：方向规则 {self.direction_rule} 需要 {name}",
                )
        for synonym, pattern in self.serial_parts:
            if synonym not in self.serial:
                raise LayoutRuleError(
                    "serial_parts",
                    f"格式 {self.id}：serial_parts 的 {synonym!r} 不是 serial 列之一",
                )
            try:
                groups = re.compile(pattern).groupindex
            except re.error as exc:
                raise LayoutRuleError(
                    "serial_parts", f"格式 {self.id}：正则 {pattern!r} 无效：{exc}"
                ) from None
            if "serial" not in groups:
                raise LayoutRuleError(
                    "serial_parts", f"格式 {self.id}：正则 {pattern!r} 没有 (?P<serial>...) 组"
                )

    def serial_part(self, synonym: str) -> re.Pattern[str] | None:
        """The regex that takes the serial out of a cell of the serial column `synonym`."""
        for name, pattern in self.serial_parts:
            if name == synonym:
                return _compiled(pattern)
        return None

    def required_columns(self) -> tuple[str, ...]:
        """The fields without which a line cannot be read."""
        return {
            "split": ("date", "debit", "credit"),
            "signed": ("date", "amount"),
            "flag": ("date", "amount", "direction"),
        }[self.direction_rule]


@lru_cache(maxsize=64)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


# Where a BankProfile field is in a layout file, where it is not `columns.<field>`.
_TOML_NAMES = {
    "direction": "direction.column",
    "flag_in": "direction.in",
    "flag_out": "direction.out",
    "header_keywords": "header_keywords",
}

# Fields whose synonyms are looked up in the header (memo is handled apart: all its columns).
COLUMN_FIELDS = (
    "date",
    "time",
    "debit",
    "credit",
    "amount",
    "direction",
    "balance",
    "serial",
    "counterparty",
    "counterparty_account",
    "counterparty_bank",
    "payer_name",
    "payer_account",
    "payer_bank",
    "payee_name",
    "payee_account",
    "payee_bank",
    "account_column",
    "currency_column",
)

_SPACE = re.compile(r"\s+")
_BRACKET = re.compile(r"[(\[【{<]")


@lru_cache(maxsize=4096)
def norm(text: str) -> str:
    """Text as compared: NFKC (full-width brackets, colons, spaces to ASCII), no whitespace."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", text))


@lru_cache(maxsize=4096)
def base(normalised: str) -> str:
    """A normalised header cell without its bracketed note: `交易金额[TradeAmount]` → `交易金额`."""
    found = _BRACKET.search(normalised, 1)
    return normalised[: found.start()] if found else normalised


def flag_value(text: str) -> str:
    return norm(text).casefold()
