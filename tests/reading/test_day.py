"""The day every report shows: asked for, else the books' last entry or today if earlier."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from beancount.core import data

from tests.helpers import xt
from xtaccounts.reading.day import shown_day

D = dt.date


def _entries(*days: dt.date) -> list[data.Directive]:
    return [
        data.Note(data.new_metadata("<test>", i), day, "Assets:Bank", "x", None, None)
        for i, day in enumerate(days)
    ]


def test_the_default_is_the_last_entry_or_today_if_earlier() -> None:
    books = _entries(D(2025, 1, 5), D(2026, 1, 1))
    shown = shown_day(books, None, on=D(2026, 12, 6))
    assert (shown.day, shown.asked, shown.past_books, shown.warning) == (
        D(2026, 1, 1),
        False,
        False,
        None,
    )
    assert "默认：账簿最后一笔分录的日期" in shown.explanation
    early = shown_day(books, None, on=D(2025, 6, 1))
    assert early.day == D(2025, 6, 1) and "今天" in early.explanation
    assert shown_day([], None, on=D(2025, 6, 1)).day == D(2025, 6, 1)


def test_a_day_past_the_books_is_shown_with_a_note() -> None:
    shown = shown_day(_entries(D(2026, 1, 1)), D(2026, 6, 1), on=D(2026, 12, 6))
    assert shown.day == D(2026, 6, 1) and shown.asked and shown.past_books
    assert shown.warning is not None and "晚于账簿最后一笔分录（2026-01-01）" in shown.warning
    inside = shown_day(_entries(D(2026, 1, 1)), D(2025, 6, 1))
    assert not inside.past_books and inside.warning is None


@pytest.mark.parametrize(
    "command",
    [["pools"], ["units"], ["policies"], ["coverage"], ["application", "list"]],
    ids=lambda c: " ".join(c),
)
def test_every_report_takes_the_same_default_day(
    demo_books: Path, command: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The demo's last entry is 2026-01-01 (the carried balances); today is later."""
    monkeypatch.setenv("XT_TODAY", "2026-12-06")
    result = xt(demo_books, *command, "--format", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["as_of"] == "2026-01-01"
    assert "注意" not in result.stderr
    past = xt(demo_books, *command, "--as-of", "2026-06-01")
    assert past.returncode == 0 and "注意：所选日期 2026-06-01 晚于账簿最后一笔分录" in past.stderr
