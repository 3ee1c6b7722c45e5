"""Empty registry files for a new ledger: CSV headers and commented TOML."""

from __future__ import annotations

from importlib import resources

from xtaccounts.registry.load import INSURERS_FILE, PILOT_FILE, TABLES

INSURERS_TEMPLATE = """\
# 保险公司与招标结果 — insurers and the public tender results that allow paying them.
# [[insurer]]
# id = "INS01"
# name = "某财产保险股份有限公司湘潭市分公司"
#
# [[tender]]
# id = "T2024-01"
# insurer = "INS01"
# period_start = 2024-09-01
# period_end = 2025-12-31
# max_elevator_age_years = 25
# premium = [
#   { max_age_years = 10, annual_premium = "2400.00" },
#   { max_age_years = 25, annual_premium = "3200.00" },
# ]
"""


def csv_header(file: str) -> str:
    """The header line of one registry table."""
    table = next(t for t in TABLES if t.file == file)
    return ",".join(table.model.model_fields) + "\n"


# The pilot's policy numbers a new ledger's pilot.toml names, commented out: left out, each
# keeps today's value (registry.models.PilotConfig; docs/insurance.md "The pilot's numbers").
POLICY_KEYS_TEMPLATE = """\
# The pilot's policy numbers, today's values (uncomment to change one; docs/insurance.md):
# min_households = 3          # §3.3 distinct households of the pool that may apply
# vote_quorum = "2/3"         # §3.6 share of the area and of the households taking part
# vote_majority = "1/2"       # §3.6 more than this share of those taking part for it
# premium_settle_days = 30    # premiums paid to the insurer within this many days
"""
_POLICY_KEYS_AFTER = "inspection_max_months = 12\n"


def default_pilot_toml() -> str:
    return resources.files("xtaccounts.registry").joinpath("pilot.default.toml").read_text("utf-8")


def new_pilot_toml() -> str:
    """A new ledger's pilot.toml: the default, with the policy keys it leaves out commented in
    after the other rule numbers (the demo writes `default_pilot_toml` as it is)."""
    text = default_pilot_toml()
    if _POLICY_KEYS_AFTER not in text:
        return text
    return text.replace(_POLICY_KEYS_AFTER, _POLICY_KEYS_AFTER + POLICY_KEYS_TEMPLATE, 1)


def registry_templates() -> dict[str, str]:
    """File name -> content of an empty but valid registry."""
    files = {t.file: csv_header(t.file) for t in TABLES}
    files[PILOT_FILE] = new_pilot_toml()
    files[INSURERS_FILE] = INSURERS_TEMPLATE
    return files
