"""Calls of the insurance library the insurance tests share: filing an application, a refusal
that must leave the books byte-identical, the rules a refusal names, the insurance state."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.helpers.files import snapshot
from xtaccounts.books.load import load_books
from xtaccounts.insurance import InspectionReport, InsuranceRefused, file_application
from xtaccounts.insurance.checks import InsuranceState
from xtaccounts.registry import load_registry

D = dt.date.fromisoformat


def refused(main: Path, call: Callable[..., Any], *args: Any, **kwargs: Any) -> InsuranceRefused:
    """Run a library call that must be refused; the books must not change by a byte."""
    before = snapshot(main.parent)
    try:
        call(main, *args, **kwargs)
    except InsuranceRefused as exc:
        assert snapshot(main.parent) == before
        return exc
    raise AssertionError(f"DID NOT RAISE {InsuranceRefused}")


def rules(exc: InsuranceRefused) -> set[str]:
    """The rules a refusal names."""
    return {r.rule for r in exc.reasons}


def state(main: Path) -> InsuranceState:
    """The insurance state of the books of `main`."""
    return InsuranceState(load_registry(main.parent / "registry"), load_books(main).entries)


def file_app(main: Path, app_id: str, elevators: list[str], applicants: list[str], filed: str,
             cover_start: str, cover_end: str | None = None, kind: str = "households",
             inspections: tuple[InspectionReport, ...] = ()) -> None:  # fmt: skip
    """File an application with INS01 through the library."""
    file_application(
        main,
        filed=D(filed),
        elevators=elevators,
        applicant_kind=kind,
        applicants=applicants,
        insurer="INS01",
        cover_start=D(cover_start),
        cover_end=D(cover_end) if cover_end else None,
        app_id=app_id,
        inspections=inspections,
    )


def households(unit: str, *doors: str) -> list[str]:
    """Household ids of a unit from their doors."""
    return [f"{unit}-{door}" for door in doors]
