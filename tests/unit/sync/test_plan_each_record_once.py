"""A plan names each source record once, whoever asks for it, as a run counts it once."""

from __future__ import annotations

import pytest
from conftest import World

from ml_connector.engine.planning.plan import plan

PEOPLE = "contacts-to-people"


def test_a_record_read_twice_is_planned_once(world: World,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    connector = world.runtime.connector("alpha")
    read_once = connector.read_changes

    def read_twice(entity: str, cursor: str | None):
        pages = list(read_once(entity, cursor))
        yield from pages
        yield from pages    # the records changed again while they were read

    monkeypatch.setattr(connector, "read_changes", read_twice)
    world.alpha.put("contact", "c1", {"name": "Ann"})
    world.alpha.put("contact", "c2", {"nom": "no name field"})
    result = plan(world.runtime, PEOPLE)
    assert [(c.source_id, c.action) for c in result.changes] == [("c1", "create"),
                                                                 ("c2", "fail")]
    assert result.counts() == {"create": 1, "fail": 1}
    assert result.as_dict()["writes"] == 1
