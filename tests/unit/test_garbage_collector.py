"""What a service sets up once started (mumaris.service.tune_garbage_collector): its start-up
objects frozen out of the collector's scans, and fewer young collections."""

import gc
from collections.abc import Iterator

import pytest

from mumaris.service import tune_garbage_collector


@pytest.fixture
def collector_restored() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


@pytest.mark.usefixtures("collector_restored")
def test_once_started_what_exists_is_frozen_and_young_objects_wait_for_the_threshold() -> None:
    gc.unfreeze()
    _, middle, oldest = gc.get_threshold()
    kept_for_life = [[n] for n in range(1000)]
    tune_garbage_collector(20_000)
    assert gc.get_threshold() == (20_000, middle, oldest)
    assert gc.get_freeze_count() >= len(kept_for_life)
    assert not any(o is kept_for_life for o in gc.get_objects(generation=2))  # frozen, not scanned


@pytest.mark.usefixtures("collector_restored")
def test_zero_leaves_pythons_own_collector_alone() -> None:
    gc.unfreeze()
    before = gc.get_threshold()
    tune_garbage_collector(0)
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
