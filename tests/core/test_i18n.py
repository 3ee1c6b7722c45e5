"""The message catalogue: it loads, holds every text of the code, and gives English on demand."""

from __future__ import annotations

import ast
import os
import subprocess
import sys

import pytest
from babel.messages.pofile import read_po

from tests.helpers import REPO
from xtaccounts.cli.catalogue import messages
from xtaccounts.core import i18n
from xtaccounts.core.i18n import _, catalogue_path, current_language, set_language


@pytest.fixture
def english():
    set_language("en")
    yield
    set_language(None)


def test_the_catalogue_loads_and_every_text_has_its_english():
    with catalogue_path("en").open("rb") as handle:
        catalogue = read_po(handle)
    entries = [m for m in catalogue if m.id]
    assert len(entries) > 100
    assert [m.id for m in entries if not m.string] == []
    assert [m.id for m in entries if m.fuzzy] == []


def test_every_text_of_the_code_is_in_the_catalogue():
    """Extract as scripts/messages does (babel.cfg, the help of every command) and compare."""
    with catalogue_path("en").open("rb") as handle:
        held = {m.id for m in read_po(handle) if m.id}
    missing = sorted(messages() - held)
    assert missing == [], f"run scripts/messages and write the English of: {missing[:20]}"


def test_chinese_by_default_and_english_when_chosen(english):
    assert current_language() == "en"
    assert _("文件系统错误：{reason}") == "file system error: {reason}"
    set_language("zh")
    assert _("文件系统错误：{reason}") == "文件系统错误：{reason}"


def test_a_text_the_catalogue_lacks_stays_chinese(english):
    assert _("目录中没有的一句话") == "目录中没有的一句话"


def test_the_environment_variable_chooses_and_an_unknown_value_is_ignored(monkeypatch):
    monkeypatch.setenv(i18n.ENV_VAR, "en_US.UTF-8")
    assert current_language() == "en"
    monkeypatch.setenv(i18n.ENV_VAR, "klingon")
    assert current_language() == "zh"
    monkeypatch.delenv(i18n.ENV_VAR)
    assert current_language() == "zh"


def test_an_unknown_language_is_refused():
    with pytest.raises(i18n.UnknownLanguage):
        set_language("fr")


def test_a_fresh_process_reads_the_catalogue_without_a_compiled_file():
    env = {k: v for k, v in os.environ.items() if k != i18n.ENV_VAR}
    code = "from xtaccounts.core.i18n import _; print(_('已中断（Ctrl-C）'))"
    run = [sys.executable, "-c", code]
    assert subprocess.run(run, capture_output=True, text=True, env=env).stdout == (
        "已中断（Ctrl-C）\n"
    )
    env[i18n.ENV_VAR] = "en"
    assert subprocess.run(run, capture_output=True, text=True, env=env).stdout == (
        "interrupted (Ctrl-C)\n"
    )


def test_no_module_that_translates_binds_the_name_underscore():
    """A function that assigns `_` (``a, _ = pair``) makes `_()` a local string there."""
    offenders = []
    for path in sorted((REPO / "xtaccounts").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = any(
            isinstance(node, ast.ImportFrom) and any(a.name == "_" for a in node.names)
            for node in tree.body
        )
        if not imported:
            continue
        offenders += [
            f"{path.relative_to(REPO)}:{node.lineno}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Name) and node.id == "_" and isinstance(node.ctx, ast.Store)
        ]
    assert offenders == []
