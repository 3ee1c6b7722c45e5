"""Registry validation: every row checked, every problem reported as file:line, all at once."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from xtaccounts.registry import RegistryInvalid, load_registry
from xtaccounts.registry.models import PoolLevel


def _edit(directory: Path, file: str, old: str, new: str, count: int = 1) -> None:
    path = directory / file
    text = path.read_text("utf-8")
    assert old in text, f"{old!r} not in {file}"
    path.write_text(text.replace(old, new, count), "utf-8")


def _line_of(directory: Path, file: str, needle: str) -> int:
    for number, line in enumerate((directory / file).read_text("utf-8").splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(needle)


def test_demo_registry_loads(demo_registry_dir: Path) -> None:
    registry = load_registry(demo_registry_dir)
    assert registry.counts()["households"] == 400
    assert registry.counts()["elevators"] == 20
    assert registry.counts()["units"] == 24
    hh = registry.households["C0001-B01-U1-101"]
    assert isinstance(hh.area_m2, Decimal)
    assert registry.pilot.benchmark_rates["1y"] == Decimal("1.50")
    levels = {registry.pool_level(b) for b in registry.buildings.values()}
    assert levels == {PoolLevel.BUILDING, PoolLevel.UNIT}
    assert registry.pool_of_unit("C0001-B01-U2") == "C0001-B01"
    assert registry.pool_of_unit("C0001-B02-U2") == "C0001-B02-U2"
    assert registry.tenders["T2024-01"].premium_for_age(12) == Decimal("3200.00")
    assert registry.tenders["T2024-01"].premium_for_age(26) is None


def test_every_bad_row_is_reported_with_file_and_line(demo_registry_dir: Path) -> None:
    d = demo_registry_dir
    area_line = _line_of(d, "households.csv", "C0001-B01-U1-102,")
    _edit(
        d,
        "households.csv",
        "C0001-B01-U1-102,C0001-B01-U1,102,",
        "C0001-B01-U1-102,C0001-B01-U1,102,abc#",
    )
    unit_line = _line_of(d, "households.csv", "C0001-B01-U1-201,")
    _edit(d, "households.csv", "C0001-B01-U1-201,C0001-B01-U1,", "C0001-B01-U1-201,C9999-B01-U1,")
    rate_line = _line_of(d, "rate_agreements.csv", "RA-ICBC-1Y-2023")
    _edit(
        d,
        "rate_agreements.csv",
        "RA-ICBC-1Y-2023,ICBC,1y,1.50,pboc,1.95",
        "RA-ICBC-1Y-2023,ICBC,1y,1.50,pboc,abc",
    )
    elevators = (d / "elevators.csv").read_text("utf-8").splitlines()
    first_code = elevators[1].split(",")[0]
    second_code = elevators[2].split(",")[0]
    _edit(d, "elevators.csv", second_code + ",", first_code + ",")
    bank_line = _line_of(d, "bank_accounts.csv", "1904021109200088821")
    _edit(d, "bank_accounts.csv", "1904021109200088821", "1.9040211092E+18")

    with pytest.raises(RegistryInvalid) as caught:
        load_registry(d)
    text = str(caught.value)
    # The area line was broken with '#' after abc so the value is non-numeric.
    assert f"households.csv:{area_line}: area_m2:" in text
    assert f"households.csv:{unit_line}: unit: unknown unit 'C9999-B01-U1'" in text
    # The household's id no longer starts with its unit's id: also reported, on the same line.
    assert f"households.csv:{unit_line}: id:" in text
    assert f"rate_agreements.csv:{rate_line}: agreed_rate: rate: 'abc' is not a number" in text
    assert "elevators.csv:3: code: code " in text  # a duplicate: "code ... 重复"
    assert f"bank_accounts.csv:{bank_line}: account_no:" in text and "是科学计数法" in text
    assert len(caught.value.issues) >= 6


def test_missing_and_unknown_columns(demo_registry_dir: Path) -> None:
    _edit(demo_registry_dir, "units.csv", "id,building,name", "id,building,nom")
    with pytest.raises(RegistryInvalid, match=r"units.csv:1: 缺少列 name；不认识的列 nom"):
        load_registry(demo_registry_dir)


def test_float_in_toml_is_kept_exact_and_bad_toml_is_located(demo_registry_dir: Path) -> None:
    registry = load_registry(demo_registry_dir)
    assert registry.pilot.benchmark_rates["demand"] == Decimal("0.35")
    _edit(demo_registry_dir, "pilot.toml", "notice_days = 7", "notice_days = = 7")
    with pytest.raises(RegistryInvalid, match=r"pilot.toml:\d+: 不是有效的 TOML"):
        load_registry(demo_registry_dir)


def test_unmasked_owner_name_refused(demo_registry_dir: Path) -> None:
    text = (demo_registry_dir / "households.csv").read_text("utf-8").splitlines()
    last = text[1].rsplit(",", 1)[0] + ",张三丰"
    text[1] = last
    (demo_registry_dir / "households.csv").write_text("\n".join(text) + "\n", "utf-8")
    with pytest.raises(RegistryInvalid, match=r"households\.csv:2: owner_masked"):
        load_registry(demo_registry_dir)


def test_gb18030_csv_from_excel_is_read(demo_registry_dir: Path) -> None:
    path = demo_registry_dir / "communities.csv"
    path.write_bytes(path.read_text("utf-8").encode("gb18030"))
    assert load_registry(demo_registry_dir).communities["C0001"].name == "金泉小区"


def test_tender_bands_and_references(demo_registry_dir: Path) -> None:
    _edit(demo_registry_dir, "insurers.toml", 'insurer = "INS01"', 'insurer = "INS99"')
    _edit(demo_registry_dir, "insurers.toml", 'annual_premium = "3200.00"', 'annual_premium = "-1"')
    with pytest.raises(RegistryInvalid) as caught:
        load_registry(demo_registry_dir)
    text = str(caught.value)
    assert "insurers.toml: tender[0].premium.1.annual_premium" in text


def test_unreadable_encoding_is_a_located_problem_not_a_traceback(demo_registry_dir: Path) -> None:
    (demo_registry_dir / "units.csv").write_bytes(b"\x81\x30\xff\xff\xfe garbage")
    with pytest.raises(RegistryInvalid, match=r"units\.csv: 不是 UTF-8、UTF-16 或 GB18030"):
        load_registry(demo_registry_dir)


def test_utf16_csv_is_read(demo_registry_dir: Path) -> None:
    path = demo_registry_dir / "communities.csv"
    path.write_bytes(path.read_text("utf-8").encode("utf-16"))
    assert load_registry(demo_registry_dir).communities["C0002"].name == "湖湘花园"


@pytest.mark.parametrize("name", ["卢小明*", "13812345678*", "张三", "Li Wei"])
def test_owner_names_must_be_masked(demo_registry_dir: Path, name: str) -> None:
    lines = (demo_registry_dir / "households.csv").read_text("utf-8").splitlines()
    lines[1] = lines[1].rsplit(",", 1)[0] + "," + name
    (demo_registry_dir / "households.csv").write_text("\n".join(lines) + "\n", "utf-8")
    with pytest.raises(RegistryInvalid, match=r"households\.csv:2: owner_masked"):
        load_registry(demo_registry_dir)


@pytest.mark.parametrize("written", ["1202400000", "20080209", "2008-W06-6", "٢٠٠٨-٠٢-٠٩"])
def test_registry_dates_are_read_in_the_one_form_only(
    demo_registry_dir: Path, written: str
) -> None:
    path = demo_registry_dir / "elevators.csv"
    lines = path.read_text("utf-8").splitlines()
    lines[1] = lines[1].replace(",2008-02-09,", f",{written},")
    path.write_text("\n".join(lines) + "\n", "utf-8")
    with pytest.raises(RegistryInvalid, match=r"elevators\.csv:2: commissioned"):
        load_registry(demo_registry_dir)


def test_registry_dates_in_full_width_digits_are_read(demo_registry_dir: Path) -> None:
    path = demo_registry_dir / "elevators.csv"
    text = path.read_text("utf-8").replace(",2008-02-09,", ",２００８-０２-０９,", 1)
    path.write_text(text, "utf-8")
    elevator = next(iter(load_registry(demo_registry_dir).elevators.values()))
    assert str(elevator.commissioned) == "2008-02-09"
