"""Check 1: Beancount's own validation (balances, open/close, assertions) and the load-time
plugins (fund_rules, insurance_rules) are clean: every error of the one load, with file and line."""

from __future__ import annotations

from typing import Any

from beancount.core import data

from xtaccounts.audit.context import AuditContext
from xtaccounts.audit.findings import CheckResult, Where
from xtaccounts.core.i18n import N_, _

NAME = "beancount"
TITLE = N_("Beancount 校验与加载时插件")


def _code(err: Any) -> str:
    name = type(err).__name__
    return {
        "BalanceError": "balance-assertion",
        "FundRuleError": "fund-rule",
        "InsuranceRuleError": "insurance-rule",
    }.get(name, name.replace("Error", "").lower() or "error")


def check(ctx: AuditContext) -> CheckResult:
    result = CheckResult(NAME, _(TITLE))
    result.count("entries", len(ctx.books.entries))
    result.count("load_errors", len(ctx.books.errors))
    banks = {b.account for b in ctx.registry.bank_accounts.values()}
    for err in ctx.books.errors:
        entry = getattr(err, "entry", None)
        if (
            _code(err) == "balance-assertion"
            and isinstance(entry, data.Balance)
            and entry.account in banks
            and entry.date <= ctx.as_of
        ):
            result.count("bank_assertions_in_bank_check")  # reported once, by the bank check
            continue
        source = getattr(err, "source", None) or {}
        where = ctx.where(entry, meta=source if isinstance(source, dict) else {})
        if not where.file and entry is not None:
            where = ctx.where(entry)
        if where.date is None and entry is not None:
            where = Where(where.file, where.line, getattr(entry, "date", None), where.what)
        message = str(getattr(err, "message", err)).splitlines()[0]
        result.add(_code(err), message, [where])
    return result
