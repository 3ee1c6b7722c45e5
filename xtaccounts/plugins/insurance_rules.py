"""Load-time rules of the insurance records, reported by bean-check, Fava and the writer.

The records are the ``xt-*`` custom directives of `xtaccounts.insurance.directives` and the
premium transactions. Checked against the registry (``registry/`` beside the top-level file,
or beside its directory for a year's own books under ``years/``; a plugin config string names
another directory, relative to the top-level file):

- an application names a known pool, elevators of that pool, a known insurer, a cover of whole
  years, and applicants who may apply (§3.3: 3+ distinct households of the pool's unit or
  building, the committee of a community that has one, a property company entrusted on the
  filing day);
- a notice, objection, vote or policy refers to a known application; an application has one
  notice; an objection is dated on a notice day by a household of the pool;
- a vote is not held before any objection; its outcome and quorum are counted again by Civil
  Code art. 278 from its counts (never taken from the record's words); its totals are the
  pool's households and areas in the registry; for, against and abstain add up to those who
  took part; and its document (``documents/votes/<APP>-<date>.csv``, if it names one) is
  recounted with the registry's areas and must give the same counts;
- a written objection's or a cancellation's reason carries no phone number
  (`xtaccounts.core.privacy.mask_free_text` leaves it unchanged);
- a policy is not bought before its notice ended, nor, after an objection, without a passed
  vote held by then; its elevators are its application's; its premium transaction adds up to it;
- a policy is bought inside the pilot window, from an insurer whose tender covers the day, for
  elevators past their warranty (the rules the registry alone decides; the pool's balance and
  the other conditions are the audit's);
- no elevator is insured twice for the same day (cancellations end a policy early);
- a premium posting that names an application names its pool and one of its elevators;
- a premium is paid only under a recorded policy: a premium posting outside a premium (or
  premium-refund) transaction, or one naming a policy that is not recorded, is a premium
  without approval (`xtaccounts audit` also reports a premium transaction naming no policy);
- a cancellation refers to a known policy, within its cover, and its refund adds up.

A year's own books (``years/<Y>.beancount``, recognised by their ``carry`` transaction) do not
hold the earlier years' records: references to those are not reported there (the full books
check them).

Enable with ``plugin "xtaccounts.plugins.insurance_rules"`` in main.beancount. The checks live
in `xtaccounts.plugins.insurance_checks`, imported only when there are records to check.
"""

from __future__ import annotations

from itertools import pairwise
from typing import TYPE_CHECKING, Any

from beancount.core import data

from xtaccounts.core import chart
from xtaccounts.core.vocabulary import (
    INSURANCE_TYPES,
    KIND_PREMIUM,
    KIND_PREMIUM_REFUND,
    META_KIND,
)

if TYPE_CHECKING:
    from xtaccounts.books.write_snapshot import FoldOf

__plugins__ = ("insurance_rules",)


def _has_records(entries: list[data.Directive]) -> bool:
    for entry in entries:
        if isinstance(entry, data.Custom) and entry.type in INSURANCE_TYPES:
            return True
        if isinstance(entry, data.Transaction) and (
            entry.meta.get(META_KIND) in (KIND_PREMIUM, KIND_PREMIUM_REFUND)
            or any(p.account == chart.PREMIUM_EXPENSE for p in entry.postings)
        ):
            return True
    return False


def insurance_rules(
    entries: list[data.Directive], options_map: dict[str, Any], config: str | None = None
) -> tuple[list[data.Directive], list[Any]]:
    """The plugin: entries unchanged, errors for every broken rule."""
    if not _has_records(entries):
        return entries, []
    from xtaccounts.plugins.insurance_checks import check_insurance

    return entries, check_insurance(entries, options_map, config)


def fast_records(
    entries: list[data.Directive],
    options_map: dict[str, Any],
    config: str | None,
    folds: FoldOf,
) -> bool:
    """For the writer's fast path (`books.fast_check`): whether these insurance records,
    appended to the books the write snapshot describes, leave every rule of this plugin
    unbroken: the rules run on every record of the books (the write snapshot's `PremiumIndex`) and
    these, which is all they read of the books (a close's premium postings name no
    application; books with any other premium posting have an error and no snapshot). The
    records come with the lines they will have (`fast_check`): records of one day are read in
    the order of their lines, as the full load sorts them."""
    from xtaccounts.ops.premium_index import PremiumIndex
    from xtaccounts.plugins.insurance_checks import check_insurance

    index = folds(PremiumIndex)
    if index is None:
        return False
    records = sorted([*index.records, *entries], key=data.entry_sortkey)
    keys = [data.entry_sortkey(record) for record in records]
    if any(a == b for a, b in pairwise(keys)):
        return False  # records of one day and line in two files: the files' order decides
    return not check_insurance(records, options_map, config, carried=index.carried)


__fast_records__ = fast_records
