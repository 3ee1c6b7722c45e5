"""The command line in the users' language: Chinese by default, English with --lang en or
XTACCOUNTS_LANG=en; every command's help in Chinese."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from tests.helpers import DEMO_LEDGER, copy_books, xt
from xtaccounts.cli.language import walk
from xtaccounts.cli.main import cli
from xtaccounts.core.i18n import set_language

# Four or more English words in a row: a sentence left untranslated. Words are letters only, so
# option names (--as-of), metavars (YYYY-MM) and paths (docs/rules.md) do not count.
ENGLISH = re.compile(r"(?<![-\w/.$<])[A-Za-z][a-z]+(?:[ ,;']+[a-z]+){3,}")


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_books(DEMO_LEDGER / "main.beancount", tmp_path_factory.mktemp("lang") / "ledger")


def english_sentences(text: str) -> list[str]:
    return [m.group(0) for m in ENGLISH.finditer(text)]


@pytest.mark.slow
def test_help_is_chinese_by_default_and_english_with_lang_en(books: Path) -> None:
    chinese = xt(books, "--help")
    assert chinese.returncode == 0
    assert (
        "用法：" in chinese.stdout
        and "选项" in chinese.stdout
        and "显示本帮助并退出" in (chinese.stdout)
    )
    assert english_sentences(chinese.stdout) == []
    english = xt(books, "--lang", "en", "--help")
    assert "Usage:" in english.stdout and "Show this message and exit." in english.stdout
    assert "Record a written objection" in xt(books, "--lang", "en", "application", "--help").stdout


@pytest.mark.slow
def test_the_environment_variable_chooses_english(books: Path) -> None:
    env = {**os.environ, "XTACCOUNTS_LANG": "en"}
    run = subprocess.run(
        [sys.executable, "-m", "xtaccounts", "--ledger", str(books), "premium", "--help"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert "Premiums from a pool: buy, renew, cancel." in run.stdout
    # --lang wins over the environment
    run = subprocess.run(
        [sys.executable, "-m", "xtaccounts", "--ledger", str(books), "--lang", "zh", "--help"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert "用法：" in run.stdout


def test_an_unknown_language_is_a_usage_error(books: Path) -> None:
    result = xt(books, "--lang", "fr", "units")
    assert result.returncode == 2 and "不支持的语言 fr" in result.stderr


@pytest.mark.slow
def test_a_refusal_in_chinese_and_in_english(books: Path) -> None:
    args = ("premium", "buy", "APP-2099-001", "--date", "2025-03-01")
    chinese = xt(books, *args)
    assert chinese.returncode == 1
    assert chinese.stderr.startswith("错误：账簿中没有申请 APP-2099-001"), chinese.stderr
    english = xt(books, "--lang", "en", *args)
    assert english.returncode == 1
    assert english.stderr.startswith("Error: no application APP-2099-001 in the books"), (
        english.stderr
    )


@pytest.mark.slow
def test_an_eligibility_reason_in_chinese_and_in_english(books: Path) -> None:
    args = ("application", "show", "APP-2024-004", "--as-of", "2025-02-10")
    chinese = xt(books, *args).stdout
    assert "统筹账户 C0001-B04 2025-02-10 可用余额 4,684.30 元，不足一年保费 4,800.00 元" in chinese
    assert "holds" not in chinese
    english = xt(books, "--lang", "en", *args).stdout
    assert "pool C0001-B04 holds CNY 4,684.30 on 2025-02-10, less than one year's premium" in (
        english
    )


@pytest.mark.slow
def test_an_audit_finding_in_chinese_and_in_english(books: Path) -> None:
    chinese = xt(books, "audit").stdout
    assert "定期存单 CCB2025001 的约定利率 1.20% 低于基准利率 1.30%：没有利差可分配" in chinese
    assert "的审计：无问题" in chinese
    english = xt(books, "--lang", "en", "audit").stdout
    assert "time deposit CCB2025001: the agreed rate 1.20% is below the base rate 1.30%" in english
    assert ": clean (0 error(s)" in english


def test_no_english_sentence_in_the_help_of_any_command(books: Path) -> None:
    """Every command's --help, as a user sees it by default, is Chinese."""
    set_language("zh")
    try:
        runner = CliRunner()
        found: dict[str, list[str]] = {}
        commands = [(path, item) for path, item in walk(cli) if isinstance(item, click.Command)]
        assert len(commands) > 40
        for path, _command in commands:
            args = ["--ledger", str(books), *path.split()[1:], "--help"]
            result = runner.invoke(cli, args)
            assert result.exit_code == 0, (path, result.output)
            sentences = english_sentences(result.output)
            if sentences:
                found[path] = sentences
        assert found == {}
    finally:
        set_language(None)
