"""Ledger accounts by their statutory codes: each account's code by the longest prefix of
pilot.toml's ``[[mof_accounts]]``, with the code's name and the account's 明细科目 (what the
statements, vouchers and journals print)."""

from __future__ import annotations

from xtaccounts.registry import Registry


class AccountCodes:
    """Ledger account -> statutory code, by the longest prefix of pilot.toml's mof_accounts."""

    def __init__(self, registry: Registry) -> None:
        self._prefixes = sorted(
            (
                (prefix, account.code)
                for account in registry.pilot.mof_accounts
                for prefix in account.accounts
            ),
            key=lambda pc: -len(pc[0]),
        )
        self._cache: dict[str, str | None] = {}

    def __call__(self, account: str) -> str | None:
        if account not in self._cache:
            self._cache[account] = next(
                (code for prefix, code in self._prefixes if _under(account, prefix)),
                None,
            )
        return self._cache[account]


class StatutoryNames:
    """Ledger account -> (statutory code, its name, 明细科目)."""

    def __init__(self, registry: Registry) -> None:
        self._code_of = AccountCodes(registry)
        self._names = {a.code: a.name for a in registry.pilot.mof_accounts}
        self._prefixes = {
            prefix: a.code for a in registry.pilot.mof_accounts for prefix in a.accounts
        }

    def code(self, account: str) -> str:
        return self._code_of(account) or ""

    def name(self, code: str) -> str:
        return self._names.get(code, "")

    def detail(self, account: str) -> str:
        """The Chinese names of the account's parts below its statutory prefix."""
        code = self._code_of(account)
        prefix = max(
            (p for p, c in self._prefixes.items() if c == code and _under(account, p)),
            key=len,
            default="",
        )
        rest = account[len(prefix) :].lstrip(":") if prefix else account
        return " ".join(part.partition("-")[2] or part for part in rest.split(":") if part)


def _under(account: str, prefix: str) -> bool:
    return account == prefix or account.startswith(prefix + ":")
