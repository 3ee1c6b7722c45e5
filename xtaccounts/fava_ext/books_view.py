"""The 账簿 pages: 银行存款日记账, 总账, 明细账 and 科目余额表, the export's tables on a page.

A 日记账 is chosen by its bank account, the 明细账 by statutory code (`choice`); the figures are
those of `xtaccounts export` for the same period (export/account_books.py).
"""

from __future__ import annotations

from collections.abc import Sequence

from beancount.core import data

from xtaccounts.export.account_books import (
    bank_journal_tables,
    detail_ledger_table,
    general_ledger_table,
    trial_balance_table,
)
from xtaccounts.export.detail import person_names, text_cleaner
from xtaccounts.export.period import Period
from xtaccounts.export.table import Table
from xtaccounts.registry import Registry
from xtaccounts.reports.journals import bank_journals, detail_ledgers

# (value, label) of the choices a page offers; the chosen one; the table shown.
BookPage = tuple[list[tuple[str, str]], str | None, Table]


def book_page(
    page: str,
    registry: Registry,
    entries: Sequence[data.Directive],
    period: Period,
    choice: str,
) -> BookPage:
    clean = text_cleaner(person_names(entries))
    if page == "bank_journal":
        journals = bank_journals(registry, entries, period.start, period.end, clean)
        choices = [(j.account, j.detail) for j in journals]
        picked = [j for j in journals if j.account == choice] if choice else journals[:1]
        if not picked:
            return choices, None, detail_ledger_table([])
        return choices, picked[0].account, bank_journal_tables(picked)[0]
    if page == "detail_ledger":
        ledgers = detail_ledgers(registry, entries, period.start, period.end, clean)
        codes = list(dict.fromkeys((j.code, f"{j.code} {j.code_name}") for j in ledgers))
        code = choice or (codes[0][0] if codes else "")
        picked = [j for j in ledgers if j.code == code]
        return codes, code if picked else None, detail_ledger_table(picked)
    if page == "general_ledger":
        return [], None, general_ledger_table(registry, entries, period)
    return [], None, trial_balance_table(registry, entries, period)[0]
