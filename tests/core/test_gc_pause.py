"""The cycle collector paused around bulk work, and with `keep` what the work made moved to the
oldest generation as it ends, without a collection."""

from __future__ import annotations

import gc

from xtaccounts.core.gc_pause import gc_paused


class Thing:
    """A tracked object the test can find among the collector's generations."""


def _generation(thing: object) -> int | None:
    for generation in range(3):
        if any(o is thing for o in gc.get_objects(generation=generation)):
            return generation
    return None


def test_the_collector_is_paused_and_enabled_again() -> None:
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():  # nested: the outer pause enables it again
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_keep_moves_what_the_work_made_to_the_oldest_generation() -> None:
    with gc_paused(keep=True):
        made = [Thing() for _ in range(1000)]
        assert _generation(made[0]) == 0
    assert gc.isenabled()
    assert _generation(made[0]) == 2
    assert gc.get_count()[0] < 100  # no young collection has all of it to go through
    assert gc.get_freeze_count() == 0  # nothing stays frozen: cycles are still collected
