"""The pilot's policy numbers come from pilot.toml: min_households, vote_quorum, vote_majority,
premium_settle_days (docs/insurance.md "The pilot's numbers"); left out, today's values."""

from __future__ import annotations

import datetime as dt
import tomllib
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from tests.helpers import small_registry, write_files
from xtaccounts.core.errors import XtError
from xtaccounts.insurance.applications import _vote_entry
from xtaccounts.insurance.directives import TALLY_FIELDS, read_insurance
from xtaccounts.insurance.notice import NoticeContent, paragraphs
from xtaccounts.insurance.rules import Choice, applicant_reasons, tally_votes
from xtaccounts.registry import Registry, load_registry
from xtaccounts.registry.models import PilotConfig
from xtaccounts.registry.templates import POLICY_KEYS_TEMPLATE, registry_templates

D = dt.date.fromisoformat
A = Decimal
UNIT = "C0001-B01-U1"
THREE = [f"{UNIT}-101", f"{UNIT}-102", f"{UNIT}-201"]
AFTER = "inspection_max_months = 12\n"


def _registry(directory: Path, extra: str = "") -> Registry:
    files = small_registry()
    assert AFTER in files["pilot.toml"]
    files["pilot.toml"] = files["pilot.toml"].replace(AFTER, AFTER + extra)
    return load_registry(write_files(directory, files))


@pytest.fixture(scope="module")
def default(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    return _registry(tmp_path_factory.mktemp("reg"))


def test_defaults_are_todays(default: Registry) -> None:
    pilot = default.pilot
    assert pilot.min_households == 3
    assert (pilot.vote_quorum, pilot.vote_majority) == (Fraction(2, 3), Fraction(1, 2))
    assert pilot.premium_settle_days == 30


def test_min_households_from_the_pilot(tmp_path: Path) -> None:
    day = D("2025-02-01")
    four = _registry(tmp_path / "four", "min_households = 4\n")
    found = applicant_reasons(four, UNIT, "households", THREE, day)
    assert [r.rule for r in found] == ["applicants"] and "至少需要 4 户" in found[0].message
    two = _registry(tmp_path / "two", "min_households = 2\n")
    assert applicant_reasons(two, UNIT, "households", THREE[:2], day) == []
    found = applicant_reasons(two, "C0002-B01-U1", "committee", ["C0002"], day)
    assert any("可改由 2 户业主申请" in r.message for r in found)


def test_vote_thresholds_from_the_pilot(tmp_path: Path, default: Registry) -> None:
    households = {f"h{i}": A("10.00") for i in range(1, 13)}
    # 8 of 12 take part (2/3), 5 of 8 for (5/8).
    votes = {f"h{i}": Choice.FOR if i <= 5 else Choice.AGAINST for i in range(1, 9)}
    today = tally_votes(households, votes, default.pilot)
    assert today.quorum and today.passed and "≥ 2/3" in today.explain()
    assert today == tally_votes(households, votes)  # no pilot: today's thresholds
    stricter = _registry(tmp_path, 'vote_quorum = "3/4"\nvote_majority = "2/3"\n').pilot
    tally = tally_votes(households, votes, stricter)
    assert not tally.quorum and not tally.passed
    assert "< 3/4" in tally.explain() and "参与表决的户数或面积未达到规定比例" in tally.explain()
    everyone = {h: Choice.FOR if i < 8 else Choice.AGAINST for i, h in enumerate(households)}
    tally = tally_votes(households, everyone, stricter)  # 8 of 12 for: 2/3, not more
    assert tally.quorum and not tally.passed and "未超过 2/3" in tally.explain()


def test_recorded_votes_are_judged_by_the_pilot(tmp_path: Path, default: Registry) -> None:
    households = {f"h{i}": A("10.00") for i in range(1, 13)}
    votes = {f"h{i}": Choice.FOR if i <= 5 else Choice.AGAINST for i in range(1, 9)}
    entry = _vote_entry("APP-1", D("2025-03-10"), tally_votes(households, votes), "d.csv")
    assert set(TALLY_FIELDS) <= set(entry.meta)
    assert not {"quorum_share", "majority_share"} & set(entry.meta)
    assert read_insurance([entry]).votes["APP-1"][0].passed
    assert read_insurance([entry], default.pilot).votes["APP-1"][0].passed
    stricter = _registry(tmp_path, 'vote_quorum = "3/4"\n').pilot
    assert not read_insurance([entry], stricter).votes["APP-1"][0].passed


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("vote_quorum", "0.67", "不是写成分数的比例"),
        ("vote_quorum", '"0/3"', "之间的比例"),
        ("vote_quorum", '"4/3"', "之间的比例"),
        ("vote_majority", "1", "之间的比例"),
        ("vote_majority", '"1/0"', "不是写成分数的比例"),
        ("min_households", "0", "greater than 0"),
        ("premium_settle_days", "0", "greater than 0"),
    ],
)
def test_invalid_numbers_are_refused(tmp_path: Path, key: str, value: str, message: str) -> None:
    with pytest.raises(XtError, match=message):
        _registry(tmp_path, f"{key} = {value}\n")


def test_new_ledger_template_names_the_keys_commented_out() -> None:
    text = registry_templates()["pilot.toml"]
    assert POLICY_KEYS_TEMPLATE in text
    assert PilotConfig(**tomllib.loads(text, parse_float=Decimal)).min_households == 3
    uncommented = text.replace(
        POLICY_KEYS_TEMPLATE,
        "".join(
            line[2:] + "\n" if "=" in line else line + "\n"
            for line in POLICY_KEYS_TEMPLATE.splitlines()
        ),
    )
    pilot = PilotConfig(**tomllib.loads(uncommented, parse_float=Decimal))
    assert (pilot.min_households, pilot.vote_quorum, pilot.premium_settle_days) == (
        3,
        Fraction(2, 3),
        30,
    )


def _notice(**shares: Fraction) -> str:
    day = D("2025-03-01")
    content = NoticeContent(
        application="APP-1",
        organisation="中心",
        filed=day,
        applicants="业主",
        pool=UNIT,
        pool_name="金泉小区 1栋 1单元",
        pool_level="单元",
        elevators=(),
        insurer="保险公司",
        tender="T1",
        tender_period="",
        premium=A("2400.00"),
        cover_start=day,
        cover_end=day,
        years=1,
        pool_balance=A("5000.00"),
        balance_date=day,
        notice_start=day,
        notice_end=day,
        purchase_from=day,
        **shares,
    )
    return dict(paragraphs(content))["异议方式"]


def test_notice_states_the_thresholds() -> None:
    today = _notice()
    assert "全体业主的三分之二" in today and "面积过半数且人数过半数同意" in today
    changed = _notice(vote_quorum=Fraction(3, 4), vote_majority=Fraction(2, 3))
    assert "全体业主的四分之三" in changed
    assert "面积超过三分之二且人数超过三分之二同意" in changed
