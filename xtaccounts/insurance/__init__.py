"""Elevator maintenance insurance: applications, the public notice, objections and votes,
eligibility, premiums, policies and the coverage KPI (docs/rules.md §3; docs/insurance.md).

One idea per module: `directives` (the records in the books and reading them back), `dates`
(calendar arithmetic), `rules` (the pilot's rules as pure functions), `checks` (the rules
applied to the books), `applications` (filing, notice, objection, vote), `notice` (the 公示 as
HTML and PDF), `premiums` (buy, renew, cancel), `status` (where applications and policies
stand), `coverage` (the KPI).
"""

from __future__ import annotations

from xtaccounts.insurance.applications import (
    InspectionReport,
    Recorded,
    file_application,
    parse_inspection,
    parse_votes,
    post_notice,
    read_vote_file,
    record_objection,
    record_vote,
)
from xtaccounts.insurance.coverage import Coverage, coverage
from xtaccounts.insurance.premiums import (
    PremiumBooked,
    buy_premium,
    cancel_policy,
    refund_for,
    renew_policy,
)
from xtaccounts.insurance.rules import Choice, InsuranceRefused, Reason, tally_votes
from xtaccounts.insurance.status import application_statuses, policy_rows

__all__ = [
    "Choice",
    "Coverage",
    "InspectionReport",
    "InsuranceRefused",
    "PremiumBooked",
    "Reason",
    "Recorded",
    "application_statuses",
    "buy_premium",
    "cancel_policy",
    "coverage",
    "file_application",
    "parse_inspection",
    "parse_votes",
    "policy_rows",
    "post_notice",
    "read_vote_file",
    "record_objection",
    "record_vote",
    "refund_for",
    "renew_policy",
    "tally_votes",
]
