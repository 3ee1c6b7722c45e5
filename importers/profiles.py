"""Bank statement layouts as data: one `BankProfile` per layout a bank exports.

A new variant of a bank's export is a new entry in `PROFILES`, not new code. The layouts follow
docs/rules.md §6 (corporate, 对公, exports as public parsers built on real files see them).

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

# Rows after the header that end the table (the first one found stops reading the sheet).
TRAILER_MARKERS = (
    "合计",
    "总计",
    "笔数",
    "共计",
    "以上数据仅供参考",
    "具体内容请以柜台为准",
    "以下空白",
    "期末余额",
    "本期余额",
    "本期发生额",
)
# Rows to pass over without ending the table: page subtotals, carried-forward and opening rows.
SKIP_MARKERS = (
    "本页小计",
    "本页合计",
    "小计",
    "承前页",
    "过次页",
    "承上页",
    "转下页",
    "期初余额",
    "上日余额",
)


@dataclass(frozen=True)
class PreambleLabels:
    """Labels of the values above the header (`label：value` in one cell or in the next cell)."""

    account: tuple[str, ...] = (
        "账号",
        "帐号",
        "账户",
        "帐户",
        "账户号",
        "账户号码",
        "查询账号",
        "银行账号",
        "客户账号",
        "单位账号",
        "本方账号",
        "卡号",
    )
    name: tuple[str, ...] = (
        "户名",
        "账户名称",
        "帐户名称",
        "账户名",
        "账号名称",
        "单位名称",
        "公司名称",
        "客户名称",
        "查询账户名称",
    )
    currency: tuple[str, ...] = ("币种", "币别", "货币", "货币种类", "交易货币")
    period: tuple[str, ...] = (
        "起止日期",
        "起讫日期",
        "查询期间",
        "期间",
        "日期范围",
        "查询日期",
        "交易日期范围",
        "查询时间段",
    )
    start: tuple[str, ...] = ("起始日期", "开始日期", "查询起始日期", "起始时间")
    end: tuple[str, ...] = ("终止日期", "截止日期", "结束日期", "查询截止日期", "终止时间")


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
    trailer_markers: tuple[str, ...] = TRAILER_MARKERS
    trailer_patterns: tuple[str, ...] = ()  # regexes on a row's first non-empty cell
    skip_markers: tuple[str, ...] = SKIP_MARKERS
    order: Order = "auto"
    note: str = ""

    def __post_init__(self) -> None:
        unknown = set(self.date_formats) - set(DATE_FORMS)
        if unknown:
            raise ValueError(f"profile {self.id}: unknown date formats {sorted(unknown)}")
        required = {
            "split": ("debit", "credit"),
            "signed": ("amount",),
            "flag": ("amount", "direction", "flag_in", "flag_out"),
        }[self.direction_rule]
        for name in (*required, "date", "header_keywords"):
            if not getattr(self, name):
                raise ValueError(f"profile {self.id}: {self.direction_rule} needs {name}")
        for synonym, pattern in self.serial_parts:
            if synonym not in self.serial:
                raise ValueError(f"profile {self.id}: serial_parts names {synonym!r}, no serial")
            if "serial" not in re.compile(pattern).groupindex:
                raise ValueError(f"profile {self.id}: serial_parts {pattern!r} has no (?P<serial>)")

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


ICBC_HISTORYDETAIL = BankProfile(
    id="icbc-corporate",
    bank="ICBC",
    bank_name="中国工商银行",
    note="企业网银 [HISTORYDETAIL] 明细 (13 columns), CSV in GB18030 or xls; split 借方/贷方",
    header_keywords=("凭证号", "本方账号", "对方账号", "交易时间", "对方单位名称"),
    direction_rule="split",
    date=("交易时间", "交易日期"),
    time=("交易时间",),
    debit=("借方发生额",),
    credit=("贷方发生额",),
    balance=("余额",),
    serial=("凭证号",),  # the only per-row key ICBC gives
    memo=("摘要", "用途", "个性化信息"),
    counterparty=("对方单位名称", "对方单位"),
    counterparty_account=("对方账号",),
    counterparty_bank=("对方行名", "对方行号"),
    account_column=("本方账号",),
    trailer_markers=("人民币合计", "合计金额", *TRAILER_MARKERS),
)

ICBC_FLAG = BankProfile(
    id="icbc-corporate-flag",
    bank="ICBC",
    bank_name="中国工商银行",
    note="企业网银 明细 with 借贷标志 and one unsigned 发生额 (variant ② of planc)",
    header_keywords=("对方账号", "交易时间", "借贷标志", "对方单位", "附言"),
    direction_rule="flag",
    date=("交易时间", "交易日期"),
    time=("交易时间",),
    amount=("发生额",),
    direction=("借贷标志",),
    flag_in=("贷", "贷方", "来账"),
    flag_out=("借", "借方", "往账"),
    balance=("余额",),
    serial=("凭证号", "交易流水号"),
    memo=("摘要", "用途", "附言"),
    counterparty=("对方单位", "对方单位名称"),
    counterparty_account=("对方账号",),
    counterparty_bank=("对方行名", "对方行号"),
    currency_column=("币种",),
    trailer_markers=("人民币合计", "合计金额", *TRAILER_MARKERS),
)

CCB_CORPORATE = BankProfile(
    id="ccb-corporate",
    bank="CCB",
    bank_name="中国建设银行",
    note="单位账户交易明细 xls/csv; 借方发生额（支取）/贷方发生额（收入）; 账户明细编号-交易流水号",
    header_keywords=("账户名称", "交易时间", "对方户名", "账户明细编号-交易流水号"),
    direction_rule="split",
    date=("记账日期", "交易时间"),
    time=("交易时间",),
    debit=("借方发生额(支取)", "借方发生额"),
    credit=("贷方发生额(收入)", "贷方发生额"),
    balance=("余额", "账户余额"),
    serial=("账户明细编号-交易流水号", "交易流水号"),
    # `<账户明细编号>-<交易流水号>`: the first part numbers the rows of one export (another export
    # of the same lines numbers them otherwise), so the key is the 交易流水号 after it.
    serial_parts=(("账户明细编号-交易流水号", r"\d+-(?P<serial>.+)"),),
    memo=("摘要", "备注"),
    counterparty=("对方户名",),
    counterparty_account=("对方账号",),
    counterparty_bank=("对方开户机构", "对方开户行"),
    account_column=("账号",),
    currency_column=("币种",),
)

BOC_CORPORATE = BankProfile(
    id="boc-corporate",
    bank="BOC",
    bank_name="中国银行",
    note="企业网银 bilingual CSV (UTF-8 BOM) or xls; one signed 交易金额; payer/payee columns",
    header_keywords=("交易流水号", "交易日期", "付款人名称", "收款人名称"),
    direction_rule="signed",
    date=("交易日期",),
    time=("交易时间",),
    amount=("交易金额",),
    balance=("交易后余额", "余额"),
    serial=("交易流水号",),
    memo=("摘要", "用途", "交易附言", "备注"),
    payer_name=("付款人名称",),
    payer_account=("付款人账号",),
    payer_bank=("付款人开户行名", "付款人开户行"),
    payee_name=("收款人名称",),
    payee_account=("收款人账号",),
    payee_bank=("收款人开户行名", "收款人开户行"),
    currency_column=("交易货币", "币种"),
)

ABC_CORPORATE = BankProfile(
    id="abc-corporate",
    bank="ABC",
    bank_name="中国农业银行",
    note="对公账户明细 xlsx/xls with 借贷标志 and an unsigned 交易金额; no serial number",
    header_keywords=("交易时间", "借贷标志", "对方户名", "账户余额"),
    direction_rule="flag",
    date=("交易时间", "交易日期"),
    time=("交易时间",),
    amount=("交易金额", "发生额"),
    direction=("借贷标志",),
    flag_in=("贷", "贷方", "收", "收入"),
    flag_out=("借", "借方", "付", "支出"),
    balance=("账户余额", "余额"),
    memo=("摘要", "交易用途", "用途", "附言"),
    counterparty=("对方户名",),
    counterparty_account=("对方账号",),
    counterparty_bank=("对方开户行", "对方行名"),
    # ABC footers such as `5 收 91,007,497.02`: a count, 收/付, a total.
    trailer_patterns=(r"^\d+\s*[收付]\s*[\d,，.]+$",),
)

RCB_XIANGTAN = BankProfile(
    id="rcb-xiangtan",
    bank="RCB",
    bank_name="湘潭农村商业银行",
    note="农商行 (湖南农信) 账户明细; 支出金额/收入金额; often a tab-separated text named .xls",
    header_keywords=("交易流水号", "交易日期", "对方户名", "账户余额"),
    direction_rule="split",
    date=("交易日期",),
    time=("交易时间",),
    debit=("支出金额", "支出"),
    credit=("收入金额", "收入"),
    balance=("账户余额", "余额"),
    serial=("交易流水号", "核心流水号"),
    memo=("摘要", "用途", "附言"),
    counterparty=("对方户名", "对方账户名"),
    counterparty_account=("对方账号",),
    counterparty_bank=("对方开户行", "对方行名"),
    account_column=("交易账号",),
)

BOCOM_CORPORATE = BankProfile(
    id="bocom-corporate",
    bank="BOCOM",
    bank_name="交通银行",
    note="对公账户明细 with 借贷标志 `借 Dr`/`贷 Cr` and 发生额; no serial number",
    header_keywords=("交易时间", "对方户名", "借贷标志", "余额"),
    direction_rule="flag",
    date=("交易时间", "交易日期"),
    time=("交易时间",),
    amount=("发生额", "交易金额"),
    direction=("借贷标志", "借贷"),
    flag_in=("贷", "贷cr", "cr"),
    flag_out=("借", "借dr", "dr"),
    balance=("余额",),
    memo=("摘要", "用途", "附言"),
    counterparty=("对方户名",),
    counterparty_account=("对方账号",),
    counterparty_bank=("对方开户行",),
)

PROFILES: tuple[BankProfile, ...] = (
    ICBC_HISTORYDETAIL,
    ICBC_FLAG,
    CCB_CORPORATE,
    BOC_CORPORATE,
    ABC_CORPORATE,
    RCB_XIANGTAN,
    BOCOM_CORPORATE,
)
