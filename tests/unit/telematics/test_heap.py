"""The gateway process's collector settings: start-up objects frozen, collections rarer."""

from __future__ import annotations

import gc

from fengkong.telematics import heap


def test_settle_freezes_what_exists_and_raises_the_thresholds() -> None:
    before = gc.get_threshold()
    survivor = [["made before the listeners were up"]]     # lists are always tracked
    try:
        heap.settle()
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == (heap.YOUNG_THRESHOLD, *heap.OLDER_THRESHOLDS)
        # frozen objects are out of every generation a collection walks
        assert not any(obj is survivor for obj in gc.get_objects())
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
    assert any(obj is survivor for obj in gc.get_objects())
