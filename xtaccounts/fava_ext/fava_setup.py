"""How Fava itself shows the books once the pilot's extension is loaded.

Fava's defaults suit an English household ledger: amounts without thousands separators
(``5333479.46``), income, liabilities and equity with Beancount's signs (权益 −5,329,579.46,
净利润 −73,476.12), English labels. On each load the extension sets Fava's own options, unless
the books set them with ``custom "fava-option"``:

- ``language`` ``zh``: Fava's own Chinese labels;
- ``locale`` ``zh_CN``: thousands separators and two decimals, as Chinese statements print them;
- ``invert-income-liabilities-equity`` ``true``: credit balances (income, liabilities, net
  assets, the surplus) shown positive, as on 会住维01表 and 02表.

and adds to Fava's sidebar the pilot's 收支表 (02表 of a period, the closes left out) and Fava's
own income statement with the closes filtered out (``-kind:"close"``), so that a closed
period's income and expense are one click away with no filter to remember.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from xtaccounts.fava_ext.income_view import WITHOUT_CLOSES

OPTION_TYPE = "fava-option"
DEFAULTS: dict[str, Any] = {
    "language": "zh",
    "locale": "zh_CN",
    "invert-income-liabilities-equity": True,
}
INCOME_LINK = "收支表（会住维02表）"
FAVA_INCOME_LINK = "损益表（不含结转）"


def options_set_by_books(fava: Any) -> set[str]:
    """The Fava options the books set themselves."""
    return {
        str(entry.values[0].value)
        for entry in fava.all_entries_by_type.Custom
        if entry.type == OPTION_TYPE and entry.values
    }


def apply_defaults(fava: Any) -> None:
    """Set `DEFAULTS` on Fava's options (those the books do not set), then let Fava's number
    formatting read them again."""
    chosen = options_set_by_books(fava)
    options = fava.fava_options
    for key, value in DEFAULTS.items():
        if key not in chosen:
            setattr(options, key.replace("-", "_"), value)
    fava.format_decimal.load_file()


def sidebar_links(income_url: str, fava_income_url: str) -> list[tuple[str, str]]:
    """The links the extension adds to Fava's sidebar."""
    return [
        (INCOME_LINK, income_url),
        (FAVA_INCOME_LINK, f"{fava_income_url}?{urlencode({'filter': WITHOUT_CLOSES})}"),
    ]


def add_sidebar_links(fava: Any, links: list[tuple[str, str]]) -> None:
    """Add `links` to Fava's sidebar once (Fava rebuilds the list on each load)."""
    current = list(fava.misc.sidebar_links)
    missing = [link for link in links if link not in current]
    if missing:
        fava.misc.sidebar_links = current + missing
