"""Check: every reversal (红字冲销) negates exactly the transaction it names.

A reversal (kind ``reversal``) names its original by `reverses_voucher` (else by its `reverses`
link, when one transaction carries it). The pair is void for the other checks' rules
(`AuditContext.transactions`); one whose original is not in the books, or that does not negate
every posting of it exactly (account, amount, unit/household/pool), or that reverses an entry
reversed already, is an error here and is not void. docs/corrections.md.
"""

from __future__ import annotations

from xtaccounts.audit.context import AuditContext
from xtaccounts.audit.findings import CheckResult
from xtaccounts.core.i18n import N_, _
from xtaccounts.core.vocabulary import META_REVERSES, META_REVERSES_VOUCHER

NAME = "reversals"
TITLE = N_("红字冲销：每笔冲销逐笔冲掉它所注明的分录")


def check(ctx: AuditContext) -> CheckResult:
    result = CheckResult(NAME, TITLE)
    found = ctx.reversals
    result.count("pairs", len(found.pairs))
    for reversal in found.missing:
        named = reversal.meta.get(META_REVERSES_VOUCHER) or reversal.meta.get(META_REVERSES)
        result.add(
            "reversal-original-missing",
            _(
                "红字冲销 {date} 所冲销的分录 {named} 不在账簿中（按 reverses_voucher 凭证号、"
                "或唯一带 reverses 链接的分录查找）"
            ).format(date=reversal.date, named=named or _("（未注明）")),
            [ctx.where(reversal)],
        )
    for reversal, original in found.inexact:
        result.add(
            "reversal-inexact",
            _(
                "红字冲销 {date} 没有逐笔冲掉它所冲销的分录（科目、金额、单元/户/统筹账户须与原分录"
                "相同、方向相反；同一分录也只能冲销一次）"
            ).format(date=reversal.date),
            [ctx.where(reversal), ctx.where(original)],
        )
    return result
