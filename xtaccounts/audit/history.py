"""Check 9, `history`: the books as their history last recorded them, and the history not
rewritten.

- Every file that differs from the last recorded change (changed outside the writer: a hand
  edit, a script) is an error, with its difference (`xtaccounts.books.outside_changes`).
- A history head held outside the centre (the `history_head` of an export's or a backup's
  manifest, `audit --manifest`, or given as `--history-ref`) must be a recorded change of the
  books' history (the head or before it): a history rewritten since no longer contains it.
- Books without a history are a warning: their changes cannot be traced.
- Counted: the recorded changes, and those of the registry (`registry_changes`).
"""

from __future__ import annotations

import re

from xtaccounts.audit.context import AuditContext
from xtaccounts.audit.findings import WARNING, CheckResult, Where
from xtaccounts.books.history import History, HistoryError
from xtaccounts.books.layout import REGISTRY_DIR
from xtaccounts.books.outside_changes import outside_changes
from xtaccounts.core.i18n import N_, _

NAME = "history"
TITLE = N_("账簿与最后一次记录的变更一致，变更历史未被改写")
_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)")


def check(ctx: AuditContext) -> CheckResult:
    result = CheckResult(NAME, _(TITLE))
    history = History.of(ctx.root)
    if history is None:
        result.add(
            "no-history",
            _("账簿没有变更历史：修改无从追溯（xtaccounts history adopt 纳入）"),
            severity=WARNING,
        )
        for ref, source in ctx.history_refs:
            result.add(
                "history-ref",
                _("{source} 记录的历史头 {ref} 无从核对：账簿没有变更历史").format(
                    source=source, ref=ref
                ),
                expected=ref,
            )
        return result
    try:
        head = history.head()
        result.count("changes", history.count())
        # The registry's recorded changes (`xtaccounts registry history` lists them).
        result.count("registry_changes", len(history.changes(file=REGISTRY_DIR)))
        changes = outside_changes(ctx.root) or []
    except HistoryError as exc:
        result.add("history-unreadable", _("变更历史无法读取：{error}").format(error=exc))
        return result
    result.count("unrecorded", len(changes))
    for change in changes:
        difference = history.difference(change)
        line = next((int(m.group(1)) for m in map(_HUNK.match, difference) if m), 1)
        result.add(
            "unrecorded-change",
            _(
                "{path}：{label}，与最后一次记录的变更 {head} 不一致（在本工具之外修改，"
                "未记入变更历史）；差异："
            ).format(path=change.path, label=change.label, head=(head or "")[:12])
            + "\n    "
            + "\n    ".join(difference),
            [Where(change.path, max(line, 1), what=change.label)],
        )
    for ref, source in ctx.history_refs:
        result.count("refs")
        if not history.contains(ref):
            result.add(
                "history-rewritten",
                _(
                    "{source} 记录的历史头 {ref} 不在本账簿的变更历史中：历史被改写、"
                    "截断或替换过（或这不是同一套账簿）"
                ).format(source=source, ref=ref),
                expected=ref,
                booked=head,
            )
    return result
