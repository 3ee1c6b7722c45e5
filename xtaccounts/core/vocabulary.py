"""The fund's words, defined once: the currency, the fen, every transaction kind, metadata keys.

Every module names these through this module instead of spelling the strings again, so a kind or
a key cannot drift between the code that writes the books and the code that reads them. The
conventions themselves (which directive carries which key) are in docs/metadata.md. This module
imports nothing of the project, so any layer may import it.
"""

from __future__ import annotations

from decimal import Decimal

CURRENCY = "CNY"
FEN = Decimal("0.01")  # the smallest amount of the books: every amount is a whole number of fen
ZERO = Decimal("0.00")

# Transaction kinds: the `kind:` metadata of the transactions the project writes.
KIND_OPENING = "opening"  # fund balances brought in from before the books
KIND_DEPOSIT = "deposit"  # an owner deposit receipt (缴款)
KIND_REFUND = "refund"  # 返还支出
KIND_TD_PLACE = "td-place"  # a time deposit placed
KIND_TD_MATURE = "td-mature"
KIND_TD_WITHDRAW = "td-withdraw"
KIND_INTEREST = "interest"  # an interest receipt with its base/spread split
KIND_ALLOCATION = "allocation"  # base interest and spread shared by 积数
KIND_LEGACY = "legacy-transfer"  # the once-only move of spread received since 2023
KIND_CLOSE = "close"  # 结转 of a period
KIND_CARRY = "carry"  # the year books' opening transaction (years/<Y>-opening.beancount)
KIND_SUSPENSE = "suspense"  # a statement line no rule recognises: Dr/Cr 待查明款项
KIND_PREMIUM = "premium"  # an insurance premium bought or renewed
KIND_PREMIUM_REFUND = "premium-refund"  # the unearned premium of a cancelled policy

# The insurance records (custom directives, `xtaccounts.insurance.directives`).
APPLICATION = "xt-application"
INSPECTION = "xt-inspection"
NOTICE = "xt-notice"
OBJECTION = "xt-objection"
VOTE = "xt-vote"
POLICY = "xt-policy"
CANCELLATION = "xt-cancellation"
INSURANCE_TYPES = (APPLICATION, INSPECTION, NOTICE, OBJECTION, VOTE, POLICY, CANCELLATION)
KIND_PREMIUM_PAYMENT = "premium-payment"  # premiums paid to an insurer: Dr its clearing account
KIND_REVERSAL = "reversal"  # 红字冲销 of the transaction whose link `reverses:` names

# Metadata keys of transactions, postings and `open` directives (docs/metadata.md).
META_KIND = "kind"
META_UNIT = "unit"
META_POOL = "pool"
META_HOUSEHOLD = "household"
META_HOUSEHOLDS = "households"
META_PERIOD = "period"
META_NOTICE = "notice"
META_SERIAL = "serial"
META_STATEMENT = "statement"
META_SUSPENSE_REASON = "suspense_reason"
META_RECEIPT = "receipt"
META_SOURCE = "source"
META_BANK_ACCOUNT = "bank_account"
META_WINDOW_START = "window_start"
META_WINDOW_END = "window_end"
META_BALANCE_DAYS = "balance_days"
META_EXPECTED = "expected"
META_DIFFERENCE = "difference"
META_BASE_RECEIPTS = "base_receipts"
META_SPREAD_RECEIPTS = "spread_receipts"
META_CERTIFICATE = "certificate"
META_DEMAND_ACCOUNT = "demand_account"
META_PRINCIPAL = "principal"
META_MONTHS = "months"
META_VALUE_DATE = "value_date"
META_MATURITY = "maturity"
META_CHAIN = "chain"  # a seal's link in the chain of seals
META_PREVIOUS = "previous"  # the link of the seal before it
META_REGISTRY = "registry"  # the SHA-256 of the registry rows a seal keeps
META_REGISTRY_FILE = "registry_file"  # where a seal keeps them
META_AGREED_RATE = "agreed_rate"
META_BASE_RATE = "base_rate"
META_BASE_SOURCE = "base_source"
META_AGREEMENT = "agreement"
META_APPLICATION = "application"
META_ELEVATOR = "elevator"
META_POLICY = "policy"
META_VOUCHER = "voucher"  # 记账凭证号 记-YYYY-MM-NNNN, given by the writer at commit
META_REVERSES = "reverses"  # a reversal's: the link of the transaction it reverses
META_REVERSES_VOUCHER = "reverses_voucher"  # a reversal's: the voucher number it reverses
META_CORRECTS = "corrects"  # a corrected entry's: the voucher number of the entry it replaces
META_REASON = "reason"  # why: a refund's, a reversal's, a reopen's, a claim's
KIND_CLAIM = "claim"  # a 待查明款项 item claimed to an account or returned to its payer
META_CLAIM = "claim"  # a posting on 待查明款项: the id of the item it claims (books/links.py)
