"""Shared fixtures: the demo registry written to a temporary directory, the demo books, the
small books, and ledgers written inline in a test (`inline_ledger`)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import (
    InlineBooks,
    InlineLoader,
    inline_template,
    load_inline,
    make_small_books,
    write_files,
    write_inline,
)
from xtaccounts.core.cache_dir import CACHE_DIR_ENV
from xtaccounts.demo.books import demo_registry


@pytest.fixture(scope="session", autouse=True)
def _session_cache_directory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """What the tests' commands cache (the registry, write snapshots, the error log) lands in the
    session's temporary directory, never in the user's home; a test that needs its own sets the
    variable again."""
    patch = pytest.MonkeyPatch()
    patch.setenv(CACHE_DIR_ENV, str(tmp_path_factory.mktemp("cache")))
    yield
    patch.undo()


@pytest.fixture
def demo_registry_dir(tmp_path: Path) -> Path:
    return write_files(tmp_path / "registry", demo_registry())


@pytest.fixture(scope="session")
def demo_books(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The full demo books, built once per test session; copy them before changing anything."""
    from xtaccounts.demo.books import build_demo

    return build_demo(tmp_path_factory.mktemp("demo-session") / "ledger")


@pytest.fixture
def demo_copy(demo_books: Path, tmp_path: Path) -> Path:
    """A private copy of the full demo books: its main.beancount."""
    target = tmp_path / "ledger"
    shutil.copytree(demo_books.parent, target)
    return target / "main.beancount"


@pytest.fixture(scope="session")
def small_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small books (`tests.helpers.make_small_books`), built once; copy them first."""
    return make_small_books(tmp_path_factory.mktemp("small"))


@pytest.fixture
def small_books(small_template: Path, tmp_path: Path) -> Path:
    """A private copy of the small books: its main.beancount."""
    target = tmp_path / "ledger"
    shutil.copytree(small_template.parent, target)
    return target / "main.beancount"


@pytest.fixture(scope="session")
def inline_templates(tmp_path_factory: pytest.TempPathFactory) -> dict[bool, Path]:
    """The empty books inline ledgers are written into, with (True) and without (False) the
    small registry's chart, each built on first use."""

    class Templates(dict[bool, Path]):
        def __missing__(self, chart: bool) -> Path:
            directory = tmp_path_factory.mktemp("inline-chart" if chart else "inline-bare")
            self[chart] = inline_template(directory / "ledger", chart=chart)
            return self[chart]

    return Templates()


@pytest.fixture
def inline_ledger(inline_templates: dict[bool, Path], tmp_path: Path) -> InlineLoader:
    """Load a ledger written inline in the test, as beancount's `loader.load_doc` does:

        books = inline_ledger('''
            2025-02-20 custom "xt-application" "APP-2025-001"
              pool: "C0001-B02"
        ''')
        assert books.messages == [...]

    The text, dedented, follows the project's header (options, the fund's and the insurance
    plugins) in main.beancount, beside the small books' registry and, unless `chart=False`, its
    chart of accounts, with `files` (relative path -> content, e.g. a vote's document) beside
    them; each call writes new books under tmp_path and loads them with `load_books`. The
    result has `main`, `entries`, `errors`, `options` and `messages`."""
    made: list[Path] = []

    def load(text: str, *, chart: bool = True, files: dict[str, str] | None = None) -> InlineBooks:
        target = tmp_path / f"inline-{len(made) + 1}"
        main = write_inline(inline_templates[chart], target, text, files)
        made.append(main)
        return load_inline(main)

    return load
