"""Issue 16's catalogue end to end: every bad input refused cleanly on the demo books, and the
hostile and personal text recorded through every command that takes it found nowhere in clear
(the same runs as `scripts/campaign --only safety`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reliability import catalogue

SLOW_CASES = {"import a zip bomb"}


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(case, marks=pytest.mark.slow) if case.name in SLOW_CASES else case
        for case in catalogue.cases()
    ],
    ids=lambda case: case.name,
)
def test_bad_input_is_refused_cleanly(demo_books: Path, tmp_path: Path, case) -> None:
    outcome = catalogue.run_case(demo_books, tmp_path, case)
    assert not outcome.hang, f"{case.name}: no answer within {catalogue.HANG_SECONDS} s"
    assert not outcome.traceback, f"{case.name}: a traceback reached the user"
    assert outcome.refused, f"{case.name}: exit {outcome.code}: {outcome.message}"
    assert outcome.books_changed == [], f"{case.name}: the books changed"


@pytest.mark.slow
def test_catalogue_is_neutralised_everywhere(demo_books: Path, tmp_path: Path) -> None:
    runs, refusals, leaks = catalogue.injection_check(demo_books, tmp_path)
    assert runs > 10
    assert refusals == []
    assert leaks == []


def test_the_campaign_needs_no_test_extras() -> None:
    """`scripts/campaign` runs from the demo's setup, which installs no pytest or hypothesis."""
    import subprocess
    import sys

    modules = (
        "tests.reliability.harness",
        "tests.reliability.fuzz",
        "tests.reliability.catalogue",
        "tests.helpers",
    )
    code = (
        "import sys\nfor m in ('pytest', '_pytest', 'hypothesis'): sys.modules[m] = None\n"
        + "".join(f"import {m}\n" for m in modules)
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    help_run = subprocess.run(
        [sys.executable, str(root / "scripts" / "campaign"), "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert help_run.returncode == 0 and "safety" in help_run.stdout
