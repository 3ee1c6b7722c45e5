"""The message catalogue's source: every text of the code in `_()`/`N_()` (babel.cfg) and every
help text of the command line (docstrings and ``help=``, which click keeps as written).

``python -m xtaccounts.cli.catalogue add-help POT`` adds the help texts to a template that
``pybabel extract`` wrote (scripts/messages); `messages` gives both, for the catalogue's test.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

from xtaccounts.cli.language import help_texts

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "N_": None}


def add_help(catalogue: Catalog) -> None:
    """Add every help text of the command line to `catalogue`."""
    from xtaccounts.cli.main import cli

    for path, text in help_texts(cli):
        catalogue.add(text, auto_comments=[path])


def code_messages(root: Path = ROOT) -> set[str]:
    """Every msgid that ``pybabel extract -F babel.cfg -k _ -k N_`` finds under `root`."""
    with (root / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    found = extract_from_dir(str(root), method_map, options_map, keywords=KEYWORDS, comment_tags=())
    return {m for _file, _line, m, _comments, _context in found if isinstance(m, str) and m}


def messages(root: Path = ROOT) -> set[str]:
    """Every msgid the catalogue must hold: the code's and the help texts."""
    catalogue = Catalog()
    add_help(catalogue)
    return code_messages(root) | {str(m.id) for m in catalogue if m.id}


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] != "add-help":
        print("usage: python -m xtaccounts.cli.catalogue add-help POT", file=sys.stderr)
        return 2
    pot = Path(argv[1])
    with pot.open("rb") as handle:
        catalogue = read_po(handle)
    add_help(catalogue)
    with pot.open("wb") as handle:
        write_po(handle, catalogue, sort_output=True, omit_header=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
