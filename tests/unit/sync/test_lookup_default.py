"""`lookup()` with a default: no record answers the default; several are still an error."""

from __future__ import annotations

import pytest
from conftest import World

from ml_connector.engine.errors import RecordError
from ml_connector.engine.sync.context import LinkLookup


def _lookup(world: World) -> LinkLookup:
    runtime = world.runtime
    return LinkLookup(runtime.store, runtime.pipelines, connectors=runtime.connector)


def test_no_match_answers_the_default_and_a_match_its_id(world: World) -> None:
    world.beta.put("person", "p7", {"name": "Workshop ticket"})
    lookup = _lookup(world)
    assert lookup.lookup("beta", "person", "name", "Workshop ticket", "fallback") == "p7"
    assert lookup.lookup("beta", "person", "name", "Mooring", "fallback") == "fallback"
    assert lookup.lookup("beta", "person", "name", "Mooring", None) is None


def test_without_a_default_no_match_is_an_error_and_several_always_are(world: World) -> None:
    world.beta.put("person", "p1", {"name": "Twin"})
    world.beta.put("person", "p2", {"name": "Twin"})
    lookup = _lookup(world)
    with pytest.raises(RecordError, match="no person record"):
        lookup.lookup("beta", "person", "name", "Nobody")
    with pytest.raises(RecordError, match="2 person record"):
        lookup.lookup("beta", "person", "name", "Twin", "fallback")


def test_a_record_added_later_is_found_by_the_same_lookup(world: World) -> None:
    lookup = _lookup(world)
    assert lookup.lookup("beta", "person", "name", "Late", "fallback") == "fallback"
    world.beta.put("person", "p9", {"name": "Late"})
    assert lookup.lookup("beta", "person", "name", "Late", "fallback") == "p9"
