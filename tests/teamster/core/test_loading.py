"""definitions_load pauses the collector while a location builds, then freezes the result."""

import gc

import pytest

from teamster.core.loading import definitions_load


@pytest.fixture
def collector():
    """Leave the collector as the test found it, frozen objects included."""
    enabled = gc.isenabled()
    yield
    gc.unfreeze()
    if enabled:
        gc.enable()
    else:
        gc.disable()


def test_collection_paused_inside_and_built_objects_frozen(collector) -> None:
    gc.enable()
    gc.unfreeze()
    with definitions_load():
        assert not gc.isenabled()
        built = [{"node": i} for i in range(1000)]
    assert gc.isenabled()
    # the dicts and the list made inside now sit in the permanent generation
    assert gc.get_freeze_count() >= len(built) + 1


def test_a_disabled_collector_stays_disabled(collector) -> None:
    gc.disable()
    with definitions_load():
        pass
    assert not gc.isenabled()


def test_a_failed_load_restores_the_collector(collector) -> None:
    gc.enable()
    with pytest.raises(ValueError, match="bad config"), definitions_load():
        raise ValueError("bad config")
    assert gc.isenabled()


def test_works_as_a_decorator(collector) -> None:
    gc.enable()

    @definitions_load()
    def build() -> bool:
        return gc.isenabled()

    assert build() is False
    assert gc.isenabled()
