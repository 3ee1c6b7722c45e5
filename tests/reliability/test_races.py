"""Races: two writing commands started together on the same books (real subprocesses). Both
end well (the second waits for the writer's lock) or one is refused with a one-line error; the
books are exactly as one of the two orders leaves them: no entry lost, none written twice."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tests.helpers import snapshot, xt
from tests.reliability import harness
from tests.reliability.harness import IMPORT_CCB, IMPORT_ICBC, Command, commands, copy_books
from xtaccounts.books.load import load_books

pytestmark = pytest.mark.slow  # commands in several processes at once

COMMANDS = {cmd.name: cmd for cmd in commands()}


def orders(template: Path, tmp_path: Path, a: Command, b: Command) -> dict[str, dict]:
    """What the two orders leave (in CI neither command may be refused)."""
    return {
        "a,b": harness.sequential(template, tmp_path / "ab", a, b),
        "b,a": harness.sequential(template, tmp_path / "ba", b, a),
    }


def entry_keys(main: Path) -> Counter[str]:
    """Each transaction and balance by date, narration/account and amounts: duplicates show."""
    keys: Counter[str] = Counter()
    for entry in load_books(main).entries:
        postings = getattr(entry, "postings", None)
        if postings is not None:
            amounts = ",".join(f"{p.account}={p.units}" for p in postings)
            keys[f"{entry.date} {entry.narration} {amounts}"] += 1
        elif type(entry).__name__ == "Balance":
            keys[f"{entry.date} balance {entry.account} {entry.amount}"] += 1
    return keys


def test_two_imports_of_two_accounts(base_template: Path, tmp_path: Path) -> None:
    states = orders(base_template, tmp_path, IMPORT_ICBC, IMPORT_CCB)
    outcome = harness.race(base_template, tmp_path, IMPORT_ICBC, IMPORT_CCB, states, jitter=0.05)
    assert outcome.held and not outcome.detail, outcome.detail  # none refused
    main = tmp_path / "race" / "main.beancount"
    assert entry_keys(main) == entry_keys(tmp_path / "ab" / "sequential" / "main.beancount")
    archived = [p for p in (main.parent / "documents").rglob("*") if p.is_file()]
    assert len(archived) == 2


def test_the_same_statement_imported_twice_at_once(import_template: Path, tmp_path: Path) -> None:
    cmd = COMMANDS["import"]
    states = orders(import_template, tmp_path, cmd, cmd)
    assert states["a,b"] == states["b,a"]
    outcome = harness.race(import_template, tmp_path, cmd, cmd, states)
    assert outcome.held and not outcome.detail, outcome.detail  # none refused
    once = copy_books(import_template, tmp_path / "once")
    assert xt(once, *cmd.args).returncode == 0
    assert entry_keys(tmp_path / "race" / "main.beancount") == entry_keys(once)


def test_two_allocations_at_once(import_template: Path, tmp_path: Path) -> None:
    cmd = COMMANDS["allocate"]
    states = orders(import_template, tmp_path, cmd, cmd)
    outcome = harness.race(import_template, tmp_path, cmd, cmd, states)
    assert outcome.held and not outcome.detail, outcome.detail  # none refused
    text = (tmp_path / "race" / "txns" / "2023" / "allocations.beancount").read_text("utf-8")
    assert text.count("2023-12-31 ") == 1


def test_an_import_and_a_premium_purchase_at_once(
    insurance_template: tuple[Path, Path], tmp_path: Path
) -> None:
    template, statement = insurance_template
    importing = Command("import-icbc", "insurance", ("import", str(statement)))
    buying = COMMANDS["premium-buy"]
    states = orders(template, tmp_path, importing, buying)
    outcome = harness.race(template, tmp_path, importing, buying, states)
    assert outcome.held and not outcome.detail, outcome.detail  # none refused
    main = tmp_path / "race" / "main.beancount"
    kinds = Counter(e.type for e in load_books(main).entries if type(e).__name__ == "Custom")
    assert kinds["xt-policy"] == 1, kinds


def test_a_premium_bought_twice_at_once_is_paid_once(
    insurance_template: tuple[Path, Path], tmp_path: Path
) -> None:
    template, _ = insurance_template
    cmd = COMMANDS["premium-buy"]
    before, after = harness.states_of(template, tmp_path, cmd)
    main = copy_books(template, tmp_path / "race")
    procs = [harness.start(main, cmd.args) for _ in range(2)]
    ends = [proc.communicate(timeout=harness.TIMEOUT) for proc in procs]
    codes = sorted(proc.returncode for proc in procs)
    assert codes == [0, 1], ends
    refused = next(err for proc, (_, err) in zip(procs, ends, strict=True) if proc.returncode)
    assert refused.startswith("错误：") and "[bought]" in refused, refused
    assert snapshot(main.parent) == after != before
    assert harness.load_problems(main) == []
