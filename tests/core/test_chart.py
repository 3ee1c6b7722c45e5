"""The chart of accounts from the registry, and `accounts sync` writing it idempotently."""

from __future__ import annotations

from pathlib import Path

from beancount import loader
from beancount.core import account as bc_account
from beancount.core import data

from tests.helpers import snapshot, write_files
from xtaccounts.books.init_ledger import create_ledger, ledger_files
from xtaccounts.core import chart
from xtaccounts.demo.books import demo_registry
from xtaccounts.ops.accounts_sync import sync_accounts
from xtaccounts.registry import load_registry


def test_account_names_carry_chinese_and_are_valid(demo_registry_dir: Path) -> None:
    registry = load_registry(demo_registry_dir)
    assert (
        chart.unit_fund_account(registry, "C0001-B03-U2")
        == "Equity:Fund-维修资金:C0001-金泉小区:B03-3栋:U2-2单元"
    )
    # Building-level pool: one per building; unit-level: one per unit.
    assert chart.pool_account(registry, "C0001-B01") == (
        "Equity:Undistributed-待分配累计收益:Pool-统筹账户:C0001-金泉小区:B01-1栋"
    )
    assert chart.pool_account(registry, "C0001-B02-U3").endswith(":C0001-金泉小区:B02-2栋:U3-3单元")
    specs = chart.required_accounts(registry)
    assert all(bc_account.is_valid(s.name) for s in specs)
    assert len({s.name for s in specs}) == len(specs)


def test_pools_follow_each_buildings_level(demo_registry_dir: Path) -> None:
    registry = load_registry(demo_registry_dir)
    pools = chart.pool_ids(registry)
    # 4 building-level buildings with 2-3 units each give one pool each; the others one per unit.
    building_level = [b for b in registry.buildings.values() if b.pool_level == "building"]
    unit_level_units = [
        u for u in registry.units.values() if registry.buildings[u.building].pool_level == "unit"
    ]
    assert len(pools) == len(building_level) + len(unit_level_units) == 17
    assert "C0001-B01" in pools and "C0001-B01-U1" not in pools
    assert "C0001-B02-U1" in pools and "C0001-B02" not in pools


def test_required_accounts_count(demo_registry_dir: Path) -> None:
    registry = load_registry(demo_registry_dir)
    specs = chart.required_accounts(registry)
    # fixed accounts + 2 bank accounts + 1 insurer clearing + 24 unit funds + 17 pools
    assert len(specs) == len(chart.FIXED_ACCOUNTS) + 2 + 1 + 24 + 17


def test_sync_opens_everything_once(tmp_path: Path) -> None:
    main = create_ledger(tmp_path / "books", ledger_files(registry=demo_registry()))
    first = sync_accounts(main)
    assert len(first.opened) == 62
    entries, errors, _ = loader.load_file(str(main))
    assert errors == []
    opens = [e for e in entries if isinstance(e, data.Open)]
    assert len(opens) == 62
    before = snapshot(main.parent)
    second = sync_accounts(main)
    assert second.opened == [] and second.result is None
    assert snapshot(main.parent) == before


def test_sync_adds_only_the_new_unit_and_reports_removed_ones(tmp_path: Path) -> None:
    main = create_ledger(tmp_path / "books", ledger_files(registry=demo_registry()))
    sync_accounts(main)
    registry_dir = main.parent / "registry"
    units = (registry_dir / "units.csv").read_text("utf-8")
    write_files(registry_dir, {"units.csv": units + "C0001-B04-U3,C0001-B04,3单元\n"})
    report = sync_accounts(main)
    assert [s.name for s in report.opened] == [
        "Equity:Fund-维修资金:C0001-金泉小区:B04-4栋:U3-3单元"
    ]
    write_files(registry_dir, {"units.csv": units})
    report = sync_accounts(main)
    assert report.opened == []
    assert report.unexpected == ["Equity:Fund-维修资金:C0001-金泉小区:B04-4栋:U3-3单元"]


def test_sync_dry_run_writes_nothing(tmp_path: Path) -> None:
    main = create_ledger(tmp_path / "books", ledger_files(registry=demo_registry()))
    before = snapshot(main.parent)
    report = sync_accounts(main, dry_run=True)
    assert len(report.opened) == 62 and report.result is not None and report.result.dry_run
    assert snapshot(main.parent) == before
