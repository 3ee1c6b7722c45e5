"""Time deposits (整存整取): placement, maturity with its interest split, early withdrawal.

Each certificate (存单) has its own account under its bank, beside the demand account it was
placed from: ``Assets:Bank-银行存款:ICBC-工商银行:TD-定期<certificate>``. Its `open` directive
(in accounts.beancount) carries the contract: principal, product, term, value date, maturity,
agreed and base rates and where the base comes from (docs/metadata.md). At maturity (or on an
early withdrawal) one `interest` transaction brings principal and interest back to the demand
account and splits the interest into base and spread (docs/rules.md §5); the certificate account is
closed the next day.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from beancount.core import account as bc_account
from beancount.core import data

from xtaccounts.books.layout import ACCOUNTS_FILE, LedgerLayout, require_ledger
from xtaccounts.books.writer import LedgerWriter
from xtaccounts.core import chart
from xtaccounts.core.calendar import LAST_DAY, ONE_DAY, add_months
from xtaccounts.core.dates import meta_day
from xtaccounts.core.errors import XtError
from xtaccounts.core.interest import (
    InterestSplit,
    split_early_withdrawal,
    split_time_deposit,
)
from xtaccounts.core.money import format_money
from xtaccounts.core.vocabulary import (
    CURRENCY,
    KIND_INTEREST,
    KIND_TD_PLACE,
    META_AGREED_RATE,
    META_AGREEMENT,
    META_BASE_RATE,
    META_BASE_SOURCE,
    META_CERTIFICATE,
    META_DEMAND_ACCOUNT,
    META_MATURITY,
    META_MONTHS,
    META_PRINCIPAL,
    META_VALUE_DATE,
)
from xtaccounts.ops.owner_deposits import (
    Booked,
    check_date,
    entry_meta,
    format_rate,
    lowest_balance_from,
    parse_amount,
    parse_rate,
    posting,
    resolve_bank_account,
    stage,
)
from xtaccounts.registry import Registry, load_registry
from xtaccounts.registry.models import (
    AccountKind,
    BankAccount,
    BaseRateSource,
    Product,
    RateAgreement,
)

__all__ = [
    "CERTIFICATE_PREFIX",
    "MANUAL_AGREEMENT",
    "Certificate",
    "TimeDepositError",
    "certificate_account",
    "certificate_receipt_id",
    "find_certificate",
    "mature",
    "maturity_entries",
    "place",
    "place_entries",
    "rate_agreement",
    "withdraw",
    "withdrawal_entries",
]

FILE_KIND = "time_deposits"  # txns/YYYY/time_deposits.beancount: placements
INTEREST_FILE_KIND = "interest"  # txns/YYYY/interest.beancount: maturities and withdrawals
CERTIFICATE_PREFIX = "TD-定期"
# The `agreement` recorded when the rates were given explicitly instead of from the registry.
MANUAL_AGREEMENT = "manual"

_CERTIFICATE = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*")


class TimeDepositError(XtError):
    """A time deposit that cannot be placed, matured or withdrawn as asked."""


# --- lookups --------------------------------------------------------------------------------


def rate_agreement(registry: Registry, bank: str, product: str, day: dt.date) -> RateAgreement:
    """The registry's one rate agreement of `bank` for `product` valid on `day`."""
    found = [
        agreement
        for agreement in registry.rate_agreements.values()
        if agreement.bank == bank
        and agreement.product.value == product
        and agreement.valid_from <= day
        and (agreement.valid_to is None or day <= agreement.valid_to)
    ]
    if not found:
        raise TimeDepositError(
            f"no rate agreement of bank {bank} for product {product} is valid on {day} "
            "(rate_agreements.csv)"
        )
    if len(found) > 1:
        ids = ", ".join(sorted(a.id for a in found))
        raise TimeDepositError(
            f"several rate agreements of bank {bank} for product {product} are valid on {day}: "
            f"{ids}; name one"
        )
    return found[0]


def certificate_account(demand_account: str, certificate: str) -> str:
    """The certificate's account: beside the demand account, under the same bank."""
    parent = bc_account.parent(demand_account)
    return f"{parent}:{CERTIFICATE_PREFIX}{certificate}"


def certificate_receipt_id(certificate: str) -> str:
    """The interest receipt id of a certificate (matured or withdrawn early): R-TD<certificate>."""
    return f"R-TD{certificate}"


@dataclass(frozen=True)
class Certificate:
    """A time deposit as its `open` directive records it."""

    certificate: str
    account: str
    demand_account: str
    principal: Decimal
    product: str
    months: int
    value_date: dt.date
    maturity: dt.date
    agreed_rate: Decimal
    base_rate: Decimal
    base_source: str
    agreement: str
    closed: dt.date | None


def _check_certificate_no(certificate: str, what: str = "certificate") -> str:
    text = str(certificate or "").strip()
    if not _CERTIFICATE.fullmatch(text):
        raise TimeDepositError(
            f"{what}: {certificate!r} is not a usable certificate number "
            "(letters, digits and '-', starting with a letter or digit)"
        )
    return text


def find_certificate(entries: Iterable[data.Directive], certificate: str) -> Certificate:
    """The certificate placed under this number, from its `open` metadata."""
    certificate = _check_certificate_no(certificate)
    entries = list(entries)
    opened = next(
        (
            e
            for e in entries
            if isinstance(e, data.Open) and str(e.meta.get(META_CERTIFICATE, "")) == certificate
        ),
        None,
    )
    if opened is None:
        raise TimeDepositError(f"certificate {certificate}: no such time deposit in the books")
    meta = opened.meta
    closed = next(
        (e.date for e in entries if isinstance(e, data.Close) and e.account == opened.account),
        None,
    )
    try:
        return Certificate(
            certificate=certificate,
            account=opened.account,
            demand_account=str(meta[META_DEMAND_ACCOUNT]),
            principal=Decimal(str(meta[META_PRINCIPAL])),
            product=str(meta["product"]),
            months=int(str(meta[META_MONTHS])),
            value_date=meta_day(meta[META_VALUE_DATE]),
            maturity=meta_day(meta[META_MATURITY]),
            agreed_rate=Decimal(str(meta[META_AGREED_RATE])),
            base_rate=Decimal(str(meta[META_BASE_RATE])),
            base_source=str(meta[META_BASE_SOURCE]),
            agreement=str(meta.get(META_AGREEMENT, "")),
            closed=closed,
        )
    except (KeyError, ValueError, ArithmeticError) as exc:
        raise TimeDepositError(
            f"certificate {certificate}: the open directive of {opened.account} lacks or garbles "
            f"its metadata ({exc!r})"
        ) from exc


def _certificate_taken(entries: Iterable[data.Directive], certificate: str, account: str) -> bool:
    return any(
        isinstance(e, data.Open)
        and (e.account == account or str(e.meta.get(META_CERTIFICATE, "")) == certificate)
        for e in entries
    )


def _demand_bank(registry: Registry, account: str) -> BankAccount:
    bank = resolve_bank_account(registry, account)
    if bank.kind is not AccountKind.DEMAND:
        raise TimeDepositError(
            f"{bank.account_no} ({bank.account}) is a {bank.kind.value} account; time deposits "
            "are placed from and paid back to a demand account"
        )
    return bank


def _product(product: str) -> Product:
    try:
        value = Product(str(product).strip().lower())
    except ValueError:
        value = None
    if value is None or value is Product.DEMAND:
        terms = ", ".join(p.value for p in Product if p is not Product.DEMAND)
        raise TimeDepositError(f"product: {product!r} is not a time-deposit term ({terms})")
    return value


def _maturity_date(certificate: str, value_date: dt.date, term: Product) -> dt.date:
    """The value date plus the term; refused when it falls after `LAST_DAY`."""
    try:
        maturity = add_months(value_date, term.months)
    except (XtError, ValueError, OverflowError):
        maturity = None
    if maturity is None or maturity > LAST_DAY:
        raise TimeDepositError(
            f"certificate {certificate}: placed on {value_date} for {term.value} it would mature "
            f"after {LAST_DAY}, the last day the books can hold"
        )
    return maturity


def _split(compute, *args) -> InterestSplit:
    try:
        return compute(*args)
    except ValueError as exc:
        raise TimeDepositError(str(exc)) from exc


# --- placing --------------------------------------------------------------------------------


def place_entries(
    registry: Registry,
    entries: Sequence[data.Directive],
    *,
    demand_account: str,
    certificate: str,
    principal: Decimal,
    product: str,
    value_date: dt.date,
    agreement_id: str | None = None,
    agreed_rate: Decimal | None = None,
    base_rate: Decimal | None = None,
    base_source: str | None = None,
) -> tuple[data.Open, data.Transaction]:
    """The certificate's `open` and the `td-place` transaction (pure: nothing is written).

    Rates come from the registry's agreement for the demand account's bank and this product
    valid on the value date (or the one named by `agreement_id`), unless `agreed_rate` and
    `base_rate` are both given, with `base_source` (``pboc`` or ``listed``); `agreement` is then
    recorded as ``manual``. Refused when the demand account holds less than the principal on the
    value date (or any later day), or the certificate is already in the books.
    """
    bank = _demand_bank(registry, demand_account)
    certificate = _check_certificate_no(certificate)
    principal = parse_amount(principal, "principal")
    check_date(registry, value_date, "value date", error=TimeDepositError)
    term = _product(product)
    maturity = _maturity_date(certificate, value_date, term)
    account = certificate_account(bank.account, certificate)
    if not bc_account.is_valid(account):
        raise TimeDepositError(f"certificate {certificate}: {account!r} is not a valid account")
    if _certificate_taken(entries, certificate, account):
        raise TimeDepositError(f"certificate {certificate} is already in the books ({account})")

    explicit = (agreed_rate, base_rate, base_source)
    if any(value is not None for value in explicit):
        if agreement_id is not None:
            raise TimeDepositError(
                "give either an agreement id or explicit rates (agreed, base, base source)"
            )
        if agreed_rate is None or base_rate is None or base_source is None:
            raise TimeDepositError(
                "explicit rates need all three of agreed_rate, base_rate and base_source"
            )
        agreed = parse_rate(agreed_rate, "agreed_rate")
        base = parse_rate(base_rate, "base_rate")
        try:
            source = BaseRateSource(str(base_source).strip().lower()).value
        except ValueError as exc:
            raise TimeDepositError(
                f"base_source: {base_source!r} is not pboc (PBoC benchmark) or listed "
                "(the bank's listed rate)"
            ) from exc
        agreement = MANUAL_AGREEMENT
    else:
        found: RateAgreement | None
        if agreement_id is None:
            found = rate_agreement(registry, bank.bank, term.value, value_date)
        else:
            found = registry.rate_agreements.get(agreement_id)
            if found is None:
                raise TimeDepositError(f"rate agreement {agreement_id!r} is not in the registry")
            if found.bank != bank.bank or found.product is not term:
                raise TimeDepositError(
                    f"rate agreement {found.id} is for {found.bank} {found.product.value}, "
                    f"not {bank.bank} {term.value}"
                )
            if value_date < found.valid_from or (
                found.valid_to is not None and value_date > found.valid_to
            ):
                raise TimeDepositError(
                    f"rate agreement {found.id} is valid {found.valid_from}..{found.valid_to}, "
                    f"not on the value date {value_date}"
                )
        agreed, base, source, agreement = (
            found.agreed_rate,
            found.base_rate,
            found.base_source.value,
            found.id,
        )

    available = lowest_balance_from(entries, bank.account, value_date)
    if available < principal:
        raise TimeDepositError(
            f"certificate {certificate}: {bank.account_no} holds {format_money(available)} on "
            f"{value_date} (or a later day), less than the principal {format_money(principal)}"
        )

    months = term.months
    open_meta = entry_meta(
        ACCOUNTS_FILE,
        certificate=certificate,
        demand_account=bank.account,
        principal=format_money(principal),
        product=term.value,
        months=str(months),
        value_date=value_date.isoformat(),
        maturity=maturity.isoformat(),
        agreed_rate=format_rate(agreed),
        base_rate=format_rate(base),
        base_source=source,
        agreement=agreement,
    )
    opened = data.Open(open_meta, value_date, account, [CURRENCY], None)
    relpath = LedgerLayout.txns_file(value_date.year, FILE_KIND)
    narration = (
        f"存入定期 {term.value} 存单 {certificate} 本金 {format_money(principal)} "
        f"约定利率 {format_rate(agreed)}% (基准 {format_rate(base)}% {source}) 到期 {maturity}"
    )
    txn = data.Transaction(
        entry_meta(relpath, kind=KIND_TD_PLACE, certificate=certificate),
        value_date,
        "*",
        bank.bank_name,
        narration,
        frozenset(),
        frozenset(),
        [posting(account, principal), posting(bank.account, -principal)],
    )
    return opened, txn


def place(
    main: Path,
    *,
    demand_account: str,
    certificate: str,
    principal: Decimal,
    product: str,
    value_date: dt.date,
    agreement_id: str | None = None,
    agreed_rate: Decimal | None = None,
    base_rate: Decimal | None = None,
    base_source: str | None = None,
    dry_run: bool = False,
) -> Booked:
    """Place a time deposit: open its certificate account and move the principal into it."""
    layout = require_ledger(main)
    registry = load_registry(layout.registry)
    with LedgerWriter(layout.main) as session:
        opened, txn = place_entries(
            registry,
            session.books().entries,
            demand_account=demand_account,
            certificate=certificate,
            principal=principal,
            product=product,
            value_date=value_date,
            agreement_id=agreement_id,
            agreed_rate=agreed_rate,
            base_rate=base_rate,
            base_source=base_source,
        )
        stage(session, [opened], FILE_KIND)
        stage(session, [txn], FILE_KIND)
        result = session.commit(dry_run=dry_run)
    return Booked((opened, txn), result)


# --- maturity and early withdrawal ----------------------------------------------------------


def _interest_txn(
    cert: Certificate,
    *,
    day: dt.date,
    split: InterestSplit,
    source: str,
    window_end: dt.date,
    term: dict[str, str],
    agreed: Decimal,
    base: Decimal,
    base_source: str,
    agreement: str,
    narration: str,
    payee: str | None,
) -> data.Transaction:
    relpath = LedgerLayout.txns_file(day.year, INTEREST_FILE_KIND)
    meta = entry_meta(
        relpath,
        kind=KIND_INTEREST,
        receipt=certificate_receipt_id(cert.certificate),
        source=source,
        bank_account=cert.demand_account,
        certificate=cert.certificate,
        window_start=cert.value_date.isoformat(),
        window_end=window_end.isoformat(),
        principal=format_money(cert.principal),
        **term,
        agreed_rate=format_rate(agreed),
        base_rate=format_rate(base),
        base_source=base_source,
        agreement=agreement,
        expected=format_money(split.expected),
        base_expected=format_money(split.base_expected),
        difference=format_money(split.difference),
        flag_reason=split.reason if split.flagged else None,
    )
    postings = [
        posting(cert.demand_account, cert.principal + split.received),
        posting(cert.account, -cert.principal),
    ]
    if split.base:
        postings.append(posting(chart.INTEREST_BASE, -split.base))
    if split.spread:
        postings.append(posting(chart.INTEREST_SPREAD, -split.spread))
    return data.Transaction(
        meta,
        day,
        "!" if split.flagged else "*",
        payee,
        narration,
        frozenset(),
        frozenset(),
        postings,
    )


def _close(cert: Certificate, day: dt.date) -> data.Close:
    return data.Close(data.new_metadata(ACCOUNTS_FILE, 0), day + ONE_DAY, cert.account)


def _open_certificate(entries: Sequence[data.Directive], certificate: str) -> Certificate:
    cert = find_certificate(entries, certificate)
    if cert.closed is not None:
        raise TimeDepositError(
            f"certificate {cert.certificate} was already paid back: {cert.account} is closed "
            f"on {cert.closed}"
        )
    return cert


def _received(received: Decimal) -> Decimal:
    amount = parse_amount(received, "received interest", positive=False)
    if amount < 0:
        raise TimeDepositError(f"received interest {format_money(amount)} is negative")
    return amount


def maturity_entries(
    registry: Registry,
    entries: Sequence[data.Directive],
    *,
    certificate: str,
    received: Decimal,
    date: dt.date | None = None,
) -> tuple[data.Transaction, data.Close]:
    """The maturity `interest` transaction (source ``time``) and the certificate's `close`.

    Dr demand account principal + interest / Cr certificate principal / Cr base / Cr spread
    (a zero posting is left out; the metadata keeps every figure). Expected interest is
    principal × agreed rate × months / 12, the base part at the base rate; a receipt that
    differs from expected by more than 0.01 is booked as received with flag ``!``.
    """
    return _maturity_entries(registry, _open_certificate(entries, certificate), received, date)


def _maturity_entries(
    registry: Registry, cert: Certificate, received: Decimal, date: dt.date | None
) -> tuple[data.Transaction, data.Close]:
    """`maturity_entries` of a certificate found already."""
    day = date or cert.maturity
    if date is not None:
        check_date(registry, date, "maturity payment date", error=TimeDepositError)
    if day < cert.maturity:
        raise TimeDepositError(
            f"certificate {cert.certificate} matures on {cert.maturity}; paid back on {day} it is "
            "an early withdrawal (use withdraw)"
        )
    amount = _received(received)
    split = _split(
        split_time_deposit, amount, cert.principal, cert.agreed_rate, cert.base_rate, cert.months
    )
    bank = resolve_bank_account(registry, cert.demand_account)
    narration = (
        f"定期存款到期 存单 {cert.certificate} 本金 {format_money(cert.principal)} "
        f"利息 {format_money(amount)} ({cert.product} 约定 {format_rate(cert.agreed_rate)}%)"
    )
    txn = _interest_txn(
        cert,
        day=day,
        split=split,
        source="time",
        window_end=cert.maturity,
        term={"months": str(cert.months)},
        agreed=cert.agreed_rate,
        base=cert.base_rate,
        base_source=cert.base_source,
        agreement=cert.agreement,
        narration=narration,
        payee=bank.bank_name,
    )
    return txn, _close(cert, day)


def withdrawal_entries(
    registry: Registry,
    entries: Sequence[data.Directive],
    *,
    certificate: str,
    date: dt.date,
    received: Decimal,
) -> tuple[data.Transaction, data.Close]:
    """An early withdrawal: `interest` transaction (source ``early``) and the `close`.

    Expected interest is the bank's demand rate (its registry agreement for ``demand`` valid on
    the withdrawal day) on the days held (withdrawal day − value date); the base part is at that
    agreement's base rate. The window is value date..withdrawal day.
    """
    cert = _open_certificate(entries, certificate)
    check_date(registry, date, "withdrawal date", error=TimeDepositError)
    if date < cert.value_date:
        raise TimeDepositError(
            f"certificate {cert.certificate}: withdrawal {date} is before its value date "
            f"{cert.value_date}"
        )
    if date >= cert.maturity:
        raise TimeDepositError(
            f"certificate {cert.certificate} matures on {cert.maturity}; on {date} it is not an "
            "early withdrawal (use mature)"
        )
    amount = _received(received)
    bank = resolve_bank_account(registry, cert.demand_account)
    demand = rate_agreement(registry, bank.bank, Product.DEMAND.value, date)
    split = _split(
        split_early_withdrawal,
        amount,
        cert.principal,
        demand.agreed_rate,
        demand.base_rate,
        cert.value_date,
        date,
    )
    days = (date - cert.value_date).days
    narration = (
        f"定期存款提前支取 存单 {cert.certificate} 本金 {format_money(cert.principal)} "
        f"持有 {days} 天 按活期 {format_rate(demand.agreed_rate)}% 计息 {format_money(amount)}"
    )
    txn = _interest_txn(
        cert,
        day=date,
        split=split,
        source="early",
        window_end=date,
        term={"days": str(days)},
        agreed=demand.agreed_rate,
        base=demand.base_rate,
        base_source=demand.base_source.value,
        agreement=demand.id,
        narration=narration,
        payee=bank.bank_name,
    )
    return txn, _close(cert, date)


def mature(
    main: Path,
    *,
    certificate: str,
    received: Decimal,
    date: dt.date | None = None,
    rollover_certificate: str | None = None,
    dry_run: bool = False,
) -> Booked:
    """Book a certificate's maturity (and close it); with `rollover_certificate`, 自动转存.

    The rollover places the same principal for the same product at the rate agreement valid on
    the maturity date, value-dated on the maturity date, in the same commit; the interest stays
    in the demand account. A rollover requires the maturity to be booked on the maturity date.
    """
    layout = require_ledger(main)
    registry = load_registry(layout.registry)
    with LedgerWriter(layout.main) as session:
        entries = session.books().entries
        cert = _open_certificate(entries, certificate)
        txn, close = _maturity_entries(registry, cert, received, date)
        booked: list[data.Directive] = [txn, close]
        if rollover_certificate is not None:
            if txn.date != cert.maturity:
                raise TimeDepositError(
                    f"a rollover of certificate {cert.certificate} happens on its maturity "
                    f"{cert.maturity}, not on {txn.date}"
                )
            opened, placed = place_entries(
                registry,
                [*entries, txn],
                demand_account=cert.demand_account,
                certificate=rollover_certificate,
                principal=cert.principal,
                product=cert.product,
                value_date=cert.maturity,
            )
            booked += [opened, placed]
            stage(session, [opened], FILE_KIND)
            stage(session, [placed], FILE_KIND)
        stage(session, [txn, close], INTEREST_FILE_KIND)
        result = session.commit(dry_run=dry_run)
    return Booked(tuple(booked), result)


def withdraw(
    main: Path,
    *,
    certificate: str,
    date: dt.date,
    received: Decimal,
    dry_run: bool = False,
) -> Booked:
    """Book an early withdrawal at the demand rate on the days held, and close the certificate."""
    layout = require_ledger(main)
    registry = load_registry(layout.registry)
    with LedgerWriter(layout.main) as session:
        txn, close = withdrawal_entries(
            registry, session.books().entries, certificate=certificate, date=date, received=received
        )
        stage(session, [txn, close], INTEREST_FILE_KIND)
        result = session.commit(dry_run=dry_run)
    return Booked((txn, close), result)
