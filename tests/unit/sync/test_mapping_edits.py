"""A mapping edit reaches the records it changes, and a field it drops leaves the target."""

from __future__ import annotations

import pytest
from conftest import PEOPLE as PEOPLE_YAML
from conftest import World, with_pipelines
from sqlalchemy import delete

from ml_connector.engine.errors import AuthError, RetryableError
from ml_connector.engine.planning.plan import plan
from ml_connector.engine.store import tables
from ml_connector.engine.sync.fingerprint import Definitions, definition_fingerprint
from ml_connector.engine.sync.reconcile import reconcile

PEOPLE = "contacts-to-people"
DEPT_KEY = PEOPLE_YAML.replace('    contact_id: "{{ source.id }}"\n',
                               '    contact_id: "{{ source.id }}"\n'
                               '    dept?: "{{ record.dept }}"\n')
UPPER_NAMES = PEOPLE_YAML.replace('name: "{{ record.name }}"', 'name: "{{ record.name | upper }}"')
NO_EMAIL = PEOPLE_YAML.replace('  email?: "{{ record.email }}"\n', "")


def person(world: World, contact: str) -> dict:
    return world.beta.rows["person"][world.runtime.store.links.get(PEOPLE, contact).target_id]


def synced(world: World) -> World:
    world.alpha.put("contact", "c1", {"name": "ANN", "email": "ann@x.example"})
    world.alpha.put("contact", "c2", {"name": "Bob", "email": "bob@x.example", "dept": "red"})
    world.alpha.put("contact", "c3", {"name": "Cy"})
    world.runner().run(PEOPLE)
    world.runner().run(PEOPLE)   # an incremental run: it reads from the stored cursor
    return world


def test_an_ordinary_run_after_a_mapping_edit_reads_everything_once(world: World) -> None:
    synced(world)
    assert world.alpha.cursors[-1] is not None
    edited = with_pipelines(world, people=UPPER_NAMES)
    edited.runner().run(PEOPLE)
    edited.runner().run(PEOPLE)
    assert world.alpha.cursors[-2:] == [None, world.alpha.cursors[-1]]
    assert world.alpha.cursors[-1] is not None


def test_the_edit_writes_only_the_records_it_changes_and_then_nothing(world: World) -> None:
    synced(world)
    updates = world.beta.calls["update"]
    summary = with_pipelines(world, people=UPPER_NAMES).runner().run(PEOPLE)
    assert summary.counts == {"update": 2, "unchanged": 1}     # "ANN" was upper already
    assert world.beta.calls["update"] == updates + 2
    assert [person(world, c)["name"] for c in ("c1", "c2", "c3")] == ["ANN", "BOB", "CY"]
    again = with_pipelines(world, people=UPPER_NAMES).runner().run(PEOPLE, full=True)
    assert again.counts == {"unchanged": 3} and world.beta.calls["update"] == updates + 2


def test_a_new_mapping_key_reaches_the_records_that_have_it(world: World) -> None:
    synced(world)
    with_pipelines(world, people=DEPT_KEY).runner().run(PEOPLE)
    assert person(world, "c2")["metadata"] == {"contact_id": "c2", "dept": "red"}
    assert person(world, "c1")["metadata"] == {"contact_id": "c1"}


def test_plan_says_the_definition_changed_and_how_many_records_it_writes(
        world: World) -> None:
    synced(world)
    edited = with_pipelines(world, people=UPPER_NAMES)
    foreseen = plan(edited.runtime, PEOPLE)
    assert foreseen.definition_changed and foreseen.writes == 2
    assert foreseen.command == f"ml-connector pipeline run {PEOPLE}"
    assert world.alpha.cursors[-1] is None            # the plan read everything, as a run will
    assert plan(edited.runtime, PEOPLE).definition_changed   # and recorded nothing
    edited.runner().run(PEOPLE)
    after = plan(edited.runtime, PEOPLE)
    assert not after.definition_changed and after.writes == 0


def test_a_run_stopped_before_the_end_reads_everything_again_next_time(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    synced(world)
    edited = with_pipelines(world, people=UPPER_NAMES)
    connector = edited.runtime.connector("beta")

    def revoked(*args: object, **kwargs: object) -> None:
        raise AuthError("authorisation revoked; run `ml-connector connections auth beta`")

    monkeypatch.setattr(connector, "update", revoked)
    assert edited.runner().run(PEOPLE).stopped
    monkeypatch.undo()
    edited.runner().run(PEOPLE)
    assert world.alpha.cursors[-1] is None
    assert [person(world, c)["name"] for c in ("c1", "c2", "c3")] == ["ANN", "BOB", "CY"]


def test_a_key_dropped_from_the_mapping_is_cleared_in_the_target(world: World) -> None:
    synced(world)
    with_pipelines(world, people=NO_EMAIL).runner().run(PEOPLE)
    assert "email" not in person(world, "c1") and "email" not in person(world, "c2")
    assert sorted(world.beta.cleared) == [("email",), ("email",)]   # c3 never had one


def test_an_optional_field_whose_source_went_empty_is_cleared(world: World) -> None:
    synced(world)
    with_pipelines(world, people=DEPT_KEY).runner().run(PEOPLE)
    world.alpha.put("contact", "c2", {"name": "Bob", "email": "bob@x.example"})
    with_pipelines(world, people=DEPT_KEY).runner().run(PEOPLE)
    assert person(world, "c2")["metadata"] == {"contact_id": "c2"}
    assert world.beta.cleared == [("metadata", "dept")]


def test_a_field_the_target_cannot_clear_is_reported_by_reconcile(world: World) -> None:
    synced(world)
    world.beta.unclearable.add(("email",))
    edited = with_pipelines(world, people=NO_EMAIL)
    edited.runner().run(PEOPLE)
    assert person(world, "c1")["email"] == "ann@x.example"
    details = {m.source_id: m.detail for r in reconcile(edited.runtime) for m in r.mismatches}
    assert details == {
        "c1": 'email: target has "ann@x.example", which the mapping no longer sets',
        "c2": 'email: target has "bob@x.example", which the mapping no longer sets'}


def test_a_connector_without_clear_still_takes_updates_that_clear_nothing(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Plugins written before `update(..., clear=)` existed keep syncing edits."""
    from memory_system import MemoryConnector

    original = MemoryConnector.update

    def update_without_clear(self, entity, record_id, payload):  # the older signature
        return original(self, entity, record_id, payload)

    synced(world)
    monkeypatch.setattr(MemoryConnector, "update", update_without_clear)
    summary = with_pipelines(world, people=UPPER_NAMES).runner().run(PEOPLE)
    assert summary.counts == {"update": 2, "unchanged": 1}
    assert [person(world, c)["name"] for c in ("c1", "c2", "c3")] == ["ANN", "BOB", "CY"]


def only_changes_since_the_cursor(monkeypatch: pytest.MonkeyPatch, world: World) -> None:
    """The source answers a read from a cursor with nothing: no record changed since."""
    connector = world.runtime.connector("alpha")
    read_all = connector.read_changes

    def read_changes(entity: str, cursor: str | None):
        if cursor is None:
            return read_all(entity, cursor)
        world.alpha.cursors.append(cursor)
        return iter(())
    monkeypatch.setattr(connector, "read_changes", read_changes)


def test_records_that_failed_under_an_edit_are_synced_again_until_they_go_through(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    synced(world)
    edited = with_pipelines(world, people=UPPER_NAMES)
    bob = world.runtime.store.links.get(PEOPLE, "c2").target_id
    target = edited.runtime.connector("beta")
    update = target.update

    def refuse_bob(entity: str, record_id: str, payload: dict, **kwargs: object) -> object:
        if record_id == bob:
            raise RetryableError("beta answered HTTP 503")
        return update(entity, record_id, payload, **kwargs)

    monkeypatch.setattr(target, "update", refuse_bob)
    first = edited.runner().run(PEOPLE)
    assert [f.source_id for f in first.failures] == ["c2"]
    only_changes_since_the_cursor(monkeypatch, edited)
    gets = world.alpha.calls["get"]
    assert edited.runner().run(PEOPLE).failed == 1       # still refused: still owed
    monkeypatch.setattr(target, "update", update)
    again = edited.runner().run(PEOPLE)                  # an ordinary run, from the cursor
    assert again.counts == {"update": 1} and world.alpha.cursors[-1] is not None
    assert person(world, "c2")["name"] == "BOB"
    assert world.alpha.calls["get"] == gets + 2          # c2 alone, once a run
    assert edited.runner().run(PEOPLE).counts == {}      # nothing owed any more
    assert world.alpha.calls["get"] == gets + 2


def test_a_store_from_before_definitions_were_kept_adopts_them_without_reading_all(
        world: World) -> None:
    synced(world)
    with world.runtime.store.database.write() as conn:   # as the upgrade leaves it
        conn.execute(delete(tables.cursors).where(tables.cursors.c.name.like("definition%")))
    pipeline = world.runtime.pipelines.get(PEOPLE)
    assert Definitions(world.runtime.store).stored(pipeline) is None
    foreseen = plan(world.runtime, PEOPLE)
    assert not foreseen.definition_changed and world.alpha.cursors[-1] is not None
    world.runner().run(PEOPLE)
    assert world.alpha.cursors[-1] is not None           # from the cursor, as planned
    assert Definitions(world.runtime.store).stored(pipeline) == definition_fingerprint(pipeline)


def test_a_first_run_stopped_then_edited_reads_everything_again(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    for n in range(7):                                   # two pages: the first one's cursor
        world.alpha.put("contact", f"c{n}", {"name": f"person {n}"})   # is stored
    target = world.runtime.connector("beta")
    create = target.create

    def revoked_at_c6(entity: str, payload: dict, **kwargs: object) -> object:
        if payload["metadata"]["contact_id"] == "c6":
            raise AuthError("authorisation revoked; run `ml-connector connections auth beta`")
        return create(entity, payload, **kwargs)

    monkeypatch.setattr(target, "create", revoked_at_c6)
    assert world.runner().run(PEOPLE).stopped
    monkeypatch.undo()
    with_pipelines(world, people=UPPER_NAMES).runner().run(PEOPLE)
    assert world.alpha.cursors[-1] is None
    assert person(world, "c0")["name"] == "PERSON 0"


def test_a_connector_without_clear_keeps_dropped_fields_and_plan_and_run_say_so(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """A plugin whose `update` has no `clear` is never sent one; what it keeps is said."""
    from memory_system import MemoryConnector

    original = MemoryConnector.update

    def update_without_clear(self, entity, record_id, payload):  # the older signature
        return original(self, entity, record_id, payload)

    synced(world)
    monkeypatch.setattr(MemoryConnector, "update", update_without_clear)
    edited = with_pipelines(world, people=NO_EMAIL)
    planned = {c.source_id: c for c in plan(edited.runtime, PEOPLE).changes}
    assert planned["c1"].kept == ("email",) and planned["c2"].kept == ("email",)
    assert all(c.field != "email" for c in planned["c1"].changes)

    summary = edited.runner().run(PEOPLE)
    assert summary.failed == 0 and summary.kept == {"email": 2}
    assert person(world, "c1")["email"] == "ann@x.example"
    assert ("email",) in world.runtime.store.links.get(PEOPLE, "c1").payload_fields


def test_plan_shows_only_the_clears_the_connector_makes(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """A connector that says which fields it clears is asked for those, and plan says so."""
    from memory_system import MemoryConnector

    from ml_connector.engine import FieldClearing

    def clears(self, entity, path):   # this system cannot unset an email
        return path != ("email",)

    synced(world)
    monkeypatch.setattr(MemoryConnector, "clears", clears, raising=False)
    assert isinstance(world.runtime.connector("beta"), FieldClearing)
    edited = with_pipelines(world, people=NO_EMAIL.replace(
        '    contact_id: "{{ source.id }}"\n', '    contact_id: "{{ source.id }}"\n'
        '    dept?: "{{ record.dept }}"\n'))
    edited.runner().run(PEOPLE)              # c2's dept is written
    world.alpha.put("contact", "c2", {"name": "Bob", "email": "bob@x.example"})
    again = with_pipelines(world, people=NO_EMAIL)
    change = next(c for c in plan(again.runtime, PEOPLE, full=True).changes
                  if c.source_id == "c2")
    assert [(c.field, c.after) for c in change.changes] == [("metadata.dept", None)]
    assert change.kept == ("email",)
    world.beta.cleared.clear()
    summary = again.runner().run(PEOPLE, full=True)
    assert world.beta.cleared == [("metadata", "dept")]
    assert summary.kept == {"email": 1}
