"""The engine keeps a target that refuses removal, and re-points a merged record's link.

Against the in-memory systems: a removal refused by the target is flagged once and kept
(later syncs skip it, a record that returns updates it); a merge points the merged
record's link at the survivor's target, marks the merged one's own target, and doing it
again, or syncing the merged record afterwards, changes nothing.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import World
from memory_system import MemoryConnector

from ml_connector.engine.errors import RemovalRefused
from ml_connector.engine.records import Record
from ml_connector.engine.store.links import LinkState
from ml_connector.engine.sync.actions import Action
from ml_connector.engine.sync.context import LinkLookup

PEOPLE = "contacts-to-people"


class Guarded(MemoryConnector):
    """Refuses to remove what holds invoices, and can mark a record merged."""

    marked: list[tuple[str, str]]

    def remove(self, entity: str, record_id: str, *, mode: str) -> Record | None:
        raise RemovalRefused(f"person {record_id} has invoices")

    def mark_merged(self, entity: str, record_id: str, *, into: str) -> Record | None:
        self.system.rows[entity][record_id]["merged_into"] = into
        return None


@pytest.fixture
def guarded(world: World, monkeypatch: pytest.MonkeyPatch) -> World:
    connector = Guarded(world.beta)
    monkeypatch.setattr(world.runtime.plugin_for("beta"), "connect", lambda _ctx: connector)
    return world


def _person(world: World, contact: str) -> dict[str, Any]:
    link = world.runtime.store.links.get(PEOPLE, contact)
    assert link is not None
    return world.beta.rows["person"][link.target_id]


def test_a_refused_removal_is_flagged_once_and_the_target_kept(guarded: World) -> None:
    world = guarded
    world.alpha.put("contact", "c1", {"name": "Ada"})
    world.runner().run(PEOPLE)
    world.alpha.put("contact", "c1", {"name": "Ada", "archived": True})
    first = world.runner().sync_id(PEOPLE, "c1")
    assert first.action is Action.FLAG and "refused, the target is kept" in (first.error or "")
    assert "has invoices" in (first.error or "")
    assert world.runtime.store.links.get(PEOPLE, "c1").state is LinkState.KEPT
    again = world.runner().sync_id(PEOPLE, "c1")
    assert again.action is Action.SKIP and "kept" in (again.reason or "")
    assert _person(world, "c1")["name"] == "Ada"

    world.alpha.put("contact", "c1", {"name": "Ada Lovelace"})
    back = world.runner().sync_id(PEOPLE, "c1")
    assert back.action is Action.UPDATE and _person(world, "c1")["name"] == "Ada Lovelace"
    assert world.runtime.store.links.get(PEOPLE, "c1").state is LinkState.SYNCED
    assert len(world.beta.rows["person"]) == 1


def test_a_merge_repoints_the_link_and_marks_the_merged_target(guarded: World) -> None:
    world = guarded
    world.alpha.put("contact", "keep", {"name": "Acme"})
    world.alpha.put("contact", "dupe", {"name": "ACME"})
    world.runner().run(PEOPLE)
    links = world.runtime.store.links
    survivor, merged = links.get(PEOPLE, "keep").target_id, links.get(PEOPLE, "dupe").target_id

    outcome = world.runner().merge(PEOPLE, "keep", "dupe")
    assert (outcome.action, outcome.target_id) == (Action.MERGE, survivor)
    assert merged in (outcome.reason or "")
    link = links.get(PEOPLE, "dupe")
    assert (link.state, link.target_id, link.merged_into) == (LinkState.MERGED, merged, "keep")
    assert world.beta.rows["person"][merged]["merged_into"] == "keep"
    lookup = LinkLookup(world.runtime.store, world.runtime.pipelines)
    assert lookup.link(PEOPLE, "dupe") == survivor
    assert lookup.linked_source(PEOPLE, merged) == "keep"
    assert lookup.linked_source(PEOPLE, survivor) == "keep"

    # Order invoices that still name the merged contact reach the survivor's target.
    world.order("o1", "dupe", "12.00")
    world.runner().run("orders-to-invoices")
    invoice = world.runtime.store.links.get("orders-to-invoices", "o1").target_id
    assert world.beta.rows["invoice"][invoice]["person"] == survivor

    assert world.runner().merge(PEOPLE, "keep", "dupe").action is Action.SKIP
    world.alpha.put("contact", "dupe", {"name": "ACME", "archived": True})
    assert world.runner().sync_id(PEOPLE, "dupe").action is Action.SKIP
    world.alpha.put("contact", "dupe", {"name": "ACME again"})
    assert world.runner().sync_id(PEOPLE, "dupe").action is Action.SKIP
    assert world.beta.rows["person"][survivor]["name"] == "Acme"
    assert set(world.beta.rows["person"]) == {survivor, merged}


def test_a_merge_into_an_unlinked_record_links_it_first(guarded: World) -> None:
    world = guarded
    world.alpha.put("contact", "dupe", {"name": "Dupe"})
    world.runner().run(PEOPLE)
    world.alpha.put("contact", "keep", {"name": "Keep"})
    outcome = world.runner().merge(PEOPLE, "keep", "dupe")
    assert outcome.action is Action.MERGE
    survivor = world.runtime.store.links.get(PEOPLE, "keep").target_id
    assert outcome.target_id == survivor
    assert LinkLookup(world.runtime.store, world.runtime.pipelines).link(PEOPLE, "dupe") \
        == survivor


def test_a_merged_record_without_a_link_gets_one_to_the_survivor(guarded: World) -> None:
    world = guarded
    world.alpha.put("contact", "keep", {"name": "Keep"})
    world.runner().run(PEOPLE)
    assert world.runner().merge(PEOPLE, "keep", "never-synced").action is Action.MERGE
    links = world.runtime.store.links
    link = links.get(PEOPLE, "never-synced")
    assert (link.state, link.target_id) == (LinkState.MERGED, links.get(PEOPLE, "keep").target_id)
    assert LinkLookup(world.runtime.store, world.runtime.pipelines).linked_source(
        PEOPLE, link.target_id) == "keep"


def test_merges_are_followed_to_the_last_survivor(guarded: World) -> None:
    world = guarded
    for contact in ("a", "b", "c"):
        world.alpha.put("contact", contact, {"name": contact.upper()})
    world.runner().run(PEOPLE)
    world.runner().merge(PEOPLE, "b", "a")
    world.runner().merge(PEOPLE, "c", "b")
    links = world.runtime.store.links
    lookup = LinkLookup(world.runtime.store, world.runtime.pipelines)
    assert lookup.link(PEOPLE, "a") == links.get(PEOPLE, "c").target_id
    assert lookup.linked_source(PEOPLE, links.get(PEOPLE, "a").target_id) == "c"


def test_a_merge_into_a_record_that_cannot_be_linked_waits(guarded: World) -> None:
    world = guarded
    world.alpha.put("contact", "dupe", {"name": "Dupe"})
    world.runner().run(PEOPLE)
    outcome = world.runner().merge(PEOPLE, "missing", "dupe")
    assert outcome.action is Action.FAIL and outcome.retryable
    assert world.runtime.store.links.get(PEOPLE, "dupe").state is LinkState.SYNCED
