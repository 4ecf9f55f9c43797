"""A create cut off before its link, then the source record deleted: nothing stays behind.

Found by the fault run: a QBO invoice's Stripe draft was made, the process was killed before
the link was written, and the invoice was voided in QuickBooks before the next attempt. That
attempt saw a deleted record with no link and skipped it: the draft stayed live in Stripe
and the create intent pending for ever.
"""

from __future__ import annotations

import pytest
from conftest import World

from ml_connector.engine.store.intents import IntentRepository

PEOPLE = "contacts-to-people"


class Crash(BaseException):
    """Stands for the process dying: not an error the engine may catch and handle."""


def test_a_half_made_target_is_removed_when_its_source_is_deleted(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    world.alpha.put("contact", "c1", {"name": "Ann"})
    original = IntentRepository.complete

    def dies(*args: object, **kwargs: object) -> None:
        raise Crash("killed after the create, before the link")

    monkeypatch.setattr(IntentRepository, "complete", dies)
    with pytest.raises(Crash):
        world.runner().run(PEOPLE)
    monkeypatch.setattr(IntentRepository, "complete", original)
    assert len(world.beta.rows["person"]) == 1
    world.alpha.put("contact", "c1", {"name": "Ann", "archived": True})
    outcome = world.runner().sync_id(PEOPLE, "c1")
    assert outcome.action == "remove"
    assert world.beta.rows["person"] == {}
    assert world.runtime.store.intents.pending(PEOPLE, "c1") is None
