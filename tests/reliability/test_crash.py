"""Crash safety of real command-line runs: SIGKILL at every point of the writer's commit, and at
random times; the next command recovers; the books are exactly before or exactly after.

The points (see `tests.reliability.killrun`) are the writer's steps and, before them, each file
write torn in half. `scripts/campaign` runs more random-time kills.
"""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

import pytest

from tests.helpers import snapshot, xt
from tests.reliability import harness
from tests.reliability.harness import Command, commands, copy_books
from xtaccounts.books.writer import JOURNAL_NAME, TMP_SUFFIX

pytestmark = pytest.mark.slow  # kills at every point of every command

COMMANDS = {cmd.name: cmd for cmd in commands()}
# The points at which the change is decided: from the journal on, recovery rolls forward.
DECIDED = ("journal-written", "replaced:", "journal-removed")


def template_of(cmd: Command, import_template: Path, insurance_template: tuple[Path, Path]):
    return import_template if cmd.books == "import" else insurance_template[0]


@pytest.mark.parametrize("name", list(COMMANDS))
def test_killed_at_every_point_of_the_commit(
    name: str, import_template: Path, insurance_template: tuple[Path, Path], tmp_path: Path
) -> None:
    cmd = COMMANDS[name]
    template = template_of(cmd, import_template, insurance_template)
    before, after = harness.states_of(template, tmp_path, cmd)
    assert before != after
    points = harness.probe(copy_books(template, tmp_path / "probe"), cmd.args, tmp_path / "log")
    assert "journal-written" in points and points[-1] == "journal-removed"
    assert sum(p.startswith("write:") for p in points) >= 2
    # CI: every point of the import; of the others, every writer step and the first torn write
    # (the campaign tries every point of every command).
    first_write = next(p for p in points if p.startswith("write:"))
    chosen = [
        (number, point)
        for number, point in enumerate(points, 1)
        if name == "import" or not point.startswith("write:") or point == first_write
    ]
    states = []
    for number, point in chosen:
        # A rerun after recovery (it must leave the books as after) at the first and the last
        # point keeps CI fast; the campaign reruns at every point.
        rerun = number in (1, len(points))
        outcome = harness.crash_at_point(
            template, tmp_path, cmd, number, point, before, after, rerun=rerun
        )
        assert outcome.held, f"{outcome.label}: {outcome.detail}"
        states.append(outcome.state)
        decided = point.startswith(DECIDED)
        assert outcome.state == ("after" if decided else "before"), outcome.label
    assert "before" in states and "after" in states


def test_killed_at_random_times(
    import_template: Path, insurance_template: tuple[Path, Path], tmp_path: Path
) -> None:
    rng = random.Random(20261128)
    for cmd in (COMMANDS["import"], COMMANDS["premium-buy"]):
        template = template_of(cmd, import_template, insurance_template)
        started = time.monotonic()
        before, after = harness.states_of(template, tmp_path, cmd)
        took = time.monotonic() - started  # kills spread over the command's own run time
        for delay in harness.random_delays(rng, 2, took):
            outcome = harness.crash_at_time(
                template, tmp_path, cmd, delay, before, after, rerun=False
            )
            assert outcome.held, f"{outcome.label}: {outcome.detail}"


def test_a_read_only_command_does_not_need_recovery_to_read_whole_books(
    import_template: Path, tmp_path: Path
) -> None:
    """Killed after the journal and one rename, the books on disk are half-changed until the
    next writer: a reader meanwhile sees an error or the old or new books, never a crash; the
    next writing command rolls forward."""
    cmd = COMMANDS["allocate"]
    before, after = harness.states_of(import_template, tmp_path, cmd)
    main = copy_books(import_template, tmp_path / "trial")
    points = harness.probe(copy_books(import_template, tmp_path / "p"), cmd.args, tmp_path / "l")
    code, _, _ = harness.run(main, cmd.args, points.index("replaced:0") + 1)
    assert code == -9
    assert (main.parent / ".xtaccounts.journal").exists()
    result = xt(main, "units", "--format", "json")
    assert result.returncode in (0, 1) and "Traceback" not in result.stderr
    result = xt(main, *cmd.args)
    assert result.returncode == 0, result.stderr
    assert snapshot(main.parent) == after != before
    assert harness.leftovers(main.parent) == []


def test_the_commit_is_made_durable_in_order(import_template: Path, tmp_path: Path) -> None:
    """What a SIGKILL cannot show (the kernel keeps a killed process's unsynced writes) but a
    power cut would: each new content is fsynced, and then its directory, before the journal
    names it; the journal is durable before the first rename; the renames are durable before
    the journal is removed. A writer that skipped an fsync or journaled late fails here."""
    if not Path("/proc/self/fd").is_dir():
        pytest.skip("needs /proc to name the file behind an fsync")
    main = copy_books(import_template, tmp_path / "books")
    trace = tmp_path / "trace"
    code, _, err = harness.run(main, COMMANDS["import"].args, trace=trace)
    assert code == 0, err
    events = [tuple(line.split("\t")) for line in trace.read_text("utf-8").splitlines()]
    root = Path(os.path.realpath(main.parent))
    journal, journal_tmp = root / JOURNAL_NAME, root / (JOURNAL_NAME + TMP_SUFFIX)

    def where(*event: object) -> int:
        return events.index(tuple(map(str, event)))

    def synced(path: Path, after: int, before: int) -> bool:
        return ("fsync", str(path)) in events[after + 1 : before]

    made = where("replace", journal_tmp, journal)
    removed = where("unlink", journal)
    renames = [
        (number, Path(event[1]), Path(event[2]))
        for number, event in enumerate(events)
        if event[0] == "replace" and event[1].endswith(TMP_SUFFIX) and event[2] != str(journal)
    ]
    assert len(renames) == 3, events  # the statement's archive, the bank's file, main
    assert synced(journal_tmp, -1, made)
    assert synced(root, made, renames[0][0]), "the journal is not durable before the renames"
    for number, tmp, target in renames:
        assert tmp.name == target.name + TMP_SUFFIX and made < number < removed
        content = where("fsync", tmp)
        assert content < made, f"{tmp.name} not fsynced before the journal"
        assert synced(tmp.parent, content, made), f"{tmp.parent} not fsynced before the journal"
        assert synced(target.parent, renames[-1][0], removed), f"rename into {target.parent}"
    assert synced(root, removed, len(events)), "the journal's removal is not made durable"
