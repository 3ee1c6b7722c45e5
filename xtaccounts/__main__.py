"""`python -m xtaccounts` runs the command line."""

from __future__ import annotations

from xtaccounts.cli.main import cli

cli(prog_name="xtaccounts")
