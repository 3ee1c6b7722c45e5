"""The fund's words are defined once, in xtaccounts.core.vocabulary, and imported elsewhere."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from xtaccounts.core import vocabulary

REPO = Path(__file__).resolve().parents[2]
SHARED = re.compile(r"^(ZERO|FEN|CURRENCY|KIND_[A-Z_]+|META_[A-Z_]+)$")


def _assigned(path: Path) -> list[str]:
    names = []
    for node in ast.parse(path.read_text("utf-8")).body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if isinstance(node, ast.AnnAssign):
            targets = [node.target]
        names += [t.id for t in targets if isinstance(t, ast.Name) and SHARED.match(t.id)]
    return names


def test_each_word_is_assigned_only_in_the_vocabulary() -> None:
    own = Path(vocabulary.__file__).resolve()
    elsewhere = {
        f"{path.relative_to(REPO)}: {name}"
        for folder in ("xtaccounts", "importers", "scripts")
        for path in (REPO / folder).rglob("*.py")
        if path.resolve() != own
        for name in _assigned(path)
    }
    assert not elsewhere


def test_the_vocabulary_imports_nothing_of_the_project() -> None:
    tree = ast.parse(Path(vocabulary.__file__).read_text("utf-8"))
    imported = [
        node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
    ] + [
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    ]
    assert not [m for m in imported if m.startswith(("xtaccounts", "importers"))]


def test_kinds_and_keys_are_distinct() -> None:
    kinds = {v for k, v in vars(vocabulary).items() if k.startswith("KIND_")}
    keys = {v for k, v in vars(vocabulary).items() if k.startswith("META_")}
    assert len(kinds) == len([k for k in vars(vocabulary) if k.startswith("KIND_")])
    assert len(keys) == len([k for k in vars(vocabulary) if k.startswith("META_")])
    assert str(vocabulary.ZERO) == "0.00" and str(vocabulary.FEN) == "0.01"
