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


def default_pilot_toml() -> str:
    return resources.files("xtaccounts.registry").joinpath("pilot.default.toml").read_text("utf-8")


def registry_templates() -> dict[str, str]:
    """File name -> content of an empty but valid registry."""
    files = {t.file: csv_header(t.file) for t in TABLES}
    files[PILOT_FILE] = default_pilot_toml()
    files[INSURERS_FILE] = INSURERS_TEMPLATE
    return files
