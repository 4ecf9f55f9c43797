"""A field a mapping stops writing leaves the target."""

from __future__ import annotations

from conftest import PEOPLE as PEOPLE_YAML
from conftest import World, with_pipelines

PEOPLE = "contacts-to-people"
DEPT_KEY = PEOPLE_YAML.replace('    contact_id: "{{ source.id }}"\n',
                               '    contact_id: "{{ source.id }}"\n'
                               '    dept?: "{{ record.dept }}"\n')
NO_EMAIL = PEOPLE_YAML.replace('  email?: "{{ record.email }}"\n', "")


def person(world: World, contact: str) -> dict:
    return world.beta.rows["person"][world.runtime.store.links.get(PEOPLE, contact).target_id]


def synced(world: World) -> World:
    world.alpha.put("contact", "c1", {"name": "ANN", "email": "ann@x.example"})
    world.alpha.put("contact", "c2", {"name": "Bob", "email": "bob@x.example", "dept": "red"})
    world.alpha.put("contact", "c3", {"name": "Cy"})
    world.runner().run(PEOPLE)
    return world


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
