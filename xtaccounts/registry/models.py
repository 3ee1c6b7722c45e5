"""The registry's rows as pydantic models: one class per table, every field validated."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)
from pydantic_core import PydanticKnownError

from xtaccounts.core.dates import DateInputError, read_day
from xtaccounts.core.i18n import N_, _
from xtaccounts.core.money import Money, MoneyError, Rate, parse_decimal
from xtaccounts.core.outside_text import TextRefused, admit_text
from xtaccounts.core.privacy import is_masked_name

_ID = re.compile(r"[A-Z0-9][A-Za-z0-9-]*")
_SCIENTIFIC = re.compile(r"^[+-]?\d+(?:\.\d+)?[eE][+-]?\d+$")
_FORBIDDEN_IN_NAME = re.compile(r"[\s:：\"]")
_PLAIN_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]+)?")
# Short ASCII text that admit_text leaves as it is (fewer than ten digits: no number to mask).
_PLAIN = re.compile(r"[A-Za-z0-9_./#-]{1,9}")


def _ident(value: str) -> str:
    if not _ID.fullmatch(value):
        raise ValueError(
            _("{value!r} 不是有效的编号（字母、数字和 '-'，以 A-Z 或 0-9 开头）").format(
                value=value
            )
        )
    return value


def _free_text(value: str) -> str:
    """Text that reaches the books and pages: admitted as all text from outside is
    (`xtaccounts.core.outside_text`: control characters refused, personal data masked, HTML
    neutralised)."""
    if _PLAIN.fullmatch(value):
        return value  # nothing to refuse, mask or neutralise (a door number): quickly
    try:
        return admit_text(value, field="")
    except TextRefused as exc:
        raise ValueError(exc.reason) from exc


def _account_name_part(value: str) -> str:
    if not value:
        raise ValueError(_("不能为空"))
    if _FORBIDDEN_IN_NAME.search(value):
        raise ValueError(_("{value!r} 不能含空格、冒号或引号").format(value=value))
    return value


def _digits(kind: str, low: int, high: int):
    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError(_("{kind}须为文本，不能是数字（否则会丢失位数）").format(kind=_(kind)))
        text = value.strip().replace(" ", "")
        if _SCIENTIFIC.match(text):
            raise ValueError(
                _(
                    "{text!r} 是科学计数法：电子表格把{kind}变成了数字并丢失了位数；"
                    "请把该列设为文本格式后重新输入"
                ).format(text=text, kind=_(kind))
            )
        if not text.isdigit() or not low <= len(text) <= high:
            raise ValueError(
                _("{text!r} 不是{kind}（{low}-{high} 位数字）").format(
                    text=text, kind=_(kind), low=low, high=high
                )
            )
        return text

    return check


def _decimal(value: Any) -> Decimal:
    if isinstance(value, str) and _PLAIN_DECIMAL.fullmatch(value):
        return Decimal(value)  # what parse_decimal makes of plain ASCII digits, only sooner
    try:
        return parse_decimal(value, what="number")
    except MoneyError as exc:
        raise ValueError(str(exc).removeprefix("number: ")) from exc


def _count_digits(num_digits: int, exponent: int) -> tuple[int, int]:
    """(decimal places, total digits) of `num_digits` digits scaled by 10**exponent."""
    if exponent >= 0:
        return 0, num_digits + exponent
    return -exponent, max(num_digits, -exponent)


def _digits_info(number: Decimal) -> tuple[tuple[int, int], tuple[int, int]]:
    """(places, digits) as written and with trailing zeros stripped, as pydantic counts them."""
    _sign, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)  # _decimal refuses NaN and infinities
    total = significant = len(digits)
    while significant and digits[significant - 1] == 0:
        significant -= 1
    normalised = (
        (0, 1) if not significant else _count_digits(significant, exponent + total - significant)
    )
    return _count_digits(total, exponent), normalised


_AREA_MAX_DIGITS = 12
_AREA_PLACES = 2


def _area(value: Any) -> Decimal:
    """A floor area: a number > 0 with at most 12 digits, 2 of them decimals.

    The same checks and errors as `Field(gt=0, max_digits=12, decimal_places=2)` on a Decimal,
    done in one pass (pydantic runs those constraints as three slow Python validators).
    """
    number = _decimal(value)
    if not number > 0:
        raise PydanticKnownError("greater_than", {"gt": 0})
    (places, digits), (norm_places, norm_digits) = _digits_info(number)
    if digits > _AREA_MAX_DIGITS and norm_digits > _AREA_MAX_DIGITS:
        raise PydanticKnownError("decimal_max_digits", {"max_digits": _AREA_MAX_DIGITS})
    if places > _AREA_PLACES and norm_places > _AREA_PLACES:
        raise PydanticKnownError("decimal_max_places", {"decimal_places": _AREA_PLACES})
    whole = _AREA_MAX_DIGITS - _AREA_PLACES
    if digits - places > whole and norm_digits - norm_places > whole:
        raise PydanticKnownError("decimal_whole_digits", {"whole_digits": whole})
    return number


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "y", "是", "有"}:
        return True
    if text in {"0", "false", "no", "n", "否", "无"}:
        return False
    raise ValueError(_("{value!r} 不是 是/否 值（是/否、yes/no、1/0）").format(value=value))


Ident = Annotated[str, AfterValidator(_ident)]
FreeText = Annotated[str, AfterValidator(_free_text)]
NamePart = Annotated[str, AfterValidator(_free_text), AfterValidator(_account_name_part)]
Flag = Annotated[bool, BeforeValidator(_flag)]
Area = Annotated[Decimal, BeforeValidator(_area)]
ElevatorCode = Annotated[str, BeforeValidator(_digits(N_("20 位电梯注册代码"), 20, 20))]
BankAccountNo = Annotated[str, BeforeValidator(_digits(N_("银行账号"), 8, 32))]


class PoolLevel(StrEnum):
    """Where a building's spread pool sits: one pool for the building, or one per unit."""

    BUILDING = "building"
    UNIT = "unit"


class AccountKind(StrEnum):
    DEMAND = "demand"
    TIME = "time"


class BaseRateSource(StrEnum):
    """Where a base rate comes from: the PBoC benchmark or the bank's listed rate that day."""

    PBOC = "pboc"
    LISTED = "listed"


class Product(StrEnum):
    """Deposit products with a rate: demand, and time deposits by term."""

    DEMAND = "demand"
    M3 = "3m"
    M6 = "6m"
    Y1 = "1y"
    Y2 = "2y"
    Y3 = "3y"
    Y5 = "5y"

    @property
    def months(self) -> int:
        return {"demand": 0, "3m": 3, "6m": 6, "1y": 12, "2y": 24, "3y": 36, "5y": 60}[self.value]


def _strict_day(value: Any) -> Any:
    """A registry date: a date already (TOML), or text in the one accepted form (no
    ``20260115``, week dates or timestamps, which pydantic alone would take)."""
    if isinstance(value, dt.date) or value is None:
        return value
    try:
        return read_day(value, field="日期")
    except DateInputError as exc:
        raise ValueError(str(exc).removeprefix("日期：")) from None


Day = Annotated[dt.date, BeforeValidator(_strict_day)]


class Row(BaseModel):
    """A registry row: frozen, no unknown fields, blank cells are None."""

    # The validators are built when a model first validates: a registry restored from the
    # cache validates nothing, and a command that reads it does not pay for building them.
    model_config = ConfigDict(
        frozen=True, extra="forbid", str_strip_whitespace=True, defer_build=True
    )

    @model_validator(mode="before")
    @classmethod
    def _blank_is_none(cls, data: Any) -> Any:
        if isinstance(data, dict):
            # Rows read by load.py carry None for blank cells already: copy only when needed.
            for v in data.values():
                if isinstance(v, str) and (not v or v.isspace()):
                    return {
                        k: (None if isinstance(v, str) and not v.strip() else v)
                        for k, v in data.items()
                    }
        return data


class Community(Row):
    id: Ident
    name: NamePart
    district: FreeText
    has_committee: Flag
    property_company: FreeText | None = None
    management_orderly: Flag


class Building(Row):
    id: Ident
    community: Ident
    name: NamePart
    pool_level: PoolLevel | None = None


class Unit(Row):
    id: Ident
    building: Ident
    name: NamePart


HOUSING_TYPES = ("商品住宅", "已售公有住房")


class Household(Row):
    id: Ident
    unit: Ident
    door_no: FreeText
    area_m2: Area
    owner_masked: str | None = None
    # 商品住宅 (blank: the default) or 已售公有住房: the forms split 维修资金 by it.
    housing_type: Literal["商品住宅", "已售公有住房"] | None = None

    @property
    def public_housing(self) -> bool:
        """Whether the household is 已售公有住房 (else 商品住宅)."""
        return self.housing_type == HOUSING_TYPES[1]

    @model_validator(mode="after")
    def _owner_is_masked(self) -> Household:
        name = self.owner_masked
        if name and not is_masked_name(name):
            raise ValueError(
                _("owner_masked {name!r} 没有遮盖：只保留姓，后面用星号（张*）").format(name=name)
            )
        return self


class Elevator(Row):
    code: ElevatorCode
    unit: Ident
    commissioned: Day
    maintenance_company: FreeText
    maintenance_normal: Flag
    last_inspection: Day | None = None
    inspection_passed: Flag | None = None


class BankAccount(Row):
    account_no: BankAccountNo
    bank: Ident
    bank_name: FreeText
    name: FreeText
    kind: AccountKind
    account: str
    opened: Day


class RateAgreement(Row):
    id: Ident
    bank: Ident
    product: Product
    base_rate: Rate
    base_source: BaseRateSource
    agreed_rate: Rate
    valid_from: Day
    valid_to: Day | None = None

    @model_validator(mode="after")
    def _period(self) -> RateAgreement:
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError(
                _("valid_to {to} 早于 valid_from {since}").format(
                    to=self.valid_to, since=self.valid_from
                )
            )
        return self


class Entrustment(Row):
    community: Ident
    property_company: FreeText
    valid_from: Day
    valid_to: Day | None = None
    document: FreeText | None = None


class PaymentNotice(Row):
    """One household's line of a 缴款通知书: a notice may cover many households."""

    notice_no: Ident
    household: Ident
    amount: Money = Field(gt=0)
    issued: Day


class Insurer(Row):
    id: Ident
    name: FreeText
    account_no: BankAccountNo | None = None  # where premiums are paid (matched on statements)
    bank_name: FreeText | None = None


class PremiumBand(Row):
    max_age_years: int = Field(gt=0)
    annual_premium: Money = Field(gt=0)


class Tender(Row):
    id: Ident
    insurer: Ident
    period_start: Day
    period_end: Day
    max_elevator_age_years: int | None = Field(default=None, gt=0)
    premium: tuple[PremiumBand, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _bands(self) -> Tender:
        if self.period_end < self.period_start:
            raise ValueError(_("period_end {end} 早于 period_start").format(end=self.period_end))
        ages = [band.max_age_years for band in self.premium]
        if ages != sorted(set(ages)):
            raise ValueError(_("保费档次须按 max_age_years 递增排列，不能重复"))
        return self

    def premium_for_age(self, age_years: int) -> Decimal | None:
        """The annual premium for an elevator of this age, or None when no band covers it."""
        for band in self.premium:
            if age_years <= band.max_age_years:
                return band.annual_premium
        return None


class CoverageTarget(Row):
    date: Day
    percent: Annotated[Decimal, BeforeValidator(_decimal), Field(ge=0, le=100)]


_SHARE = re.compile(r"([0-9]+)\s*/\s*([0-9]+)")

# Today's values of the pilot's policy numbers (docs/rules.md §3.3, §3.6; docs/insurance.md):
# the defaults of `PilotConfig`, so a pilot.toml without the keys keeps these.
MIN_HOUSEHOLDS = 3
VOTE_QUORUM = Fraction(2, 3)
VOTE_MAJORITY = Fraction(1, 2)
PREMIUM_SETTLE_DAYS = 30


def _share(value: Any) -> Fraction:
    """A share of a whole, exact: ``"2/3"``, or an integer (0 or 1); floats and decimals are
    refused (2/3 has no exact decimal)."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Fraction(value)
    match = _SHARE.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None or int(match.group(2)) == 0:
        raise ValueError(_('{value!r} 不是写成分数的比例，例如 "2/3"').format(value=value))
    return Fraction(int(match.group(1)), int(match.group(2)))


Share = Annotated[Fraction, BeforeValidator(_share)]
"""A share of a whole (a quorum, a majority) as an exact fraction, written ``"2/3"`` in TOML."""


class MofAccount(Row):
    """One statutory account of 财会〔2020〕7号 and the ledger accounts it sums."""

    code: str
    name: FreeText
    accounts: tuple[str, ...]
    confirmed: bool = False


class PilotConfig(Row):
    """The pilot's settings (pilot.toml): everything a later notice may change."""

    title: FreeText
    organisation: FreeText
    books_start: Day
    window_start: Day
    window_end: Day
    spread_since: Day
    pool_default: PoolLevel = PoolLevel.BUILDING
    interest_year_end: Annotated[str, Field(pattern=r"^\d{2}-\d{2}$")] = "12-31"
    notice_days: int = Field(default=7, gt=0)
    warranty_years: int = Field(default=5, gt=0)
    inspection_max_months: int = Field(default=12, gt=0)
    # §3.3: at least this many distinct households of the pool may apply.
    min_households: int = Field(default=MIN_HOUSEHOLDS, gt=0)
    # §3.6: the owners' vote has a quorum when at least `vote_quorum` of the pool's area and of
    # its households take part, and passes when more than `vote_majority` of the participating
    # area and of the participants are for.
    vote_quorum: Share = VOTE_QUORUM
    vote_majority: Share = VOTE_MAJORITY
    # Premiums booked are paid to the insurer within this many days (the audit's settlement).
    premium_settle_days: int = Field(default=PREMIUM_SETTLE_DAYS, gt=0)
    coverage_targets: tuple[CoverageTarget, ...] = ()
    benchmark_rates: dict[Product, Rate]
    mof_accounts: tuple[MofAccount, ...] = ()

    @model_validator(mode="after")
    def _window(self) -> PilotConfig:
        if self.window_end < self.window_start:
            raise ValueError(_("window_end 早于 window_start"))
        if not 0 < self.vote_quorum <= 1:
            raise ValueError(
                _("vote_quorum {value} 不是 (0, 1] 之间的比例").format(value=self.vote_quorum)
            )
        if not 0 < self.vote_majority < 1:
            raise ValueError(
                _("vote_majority {value} 不是 (0, 1) 之间的比例").format(value=self.vote_majority)
            )
        return self
