"""A `serve` still holding an older pipeline file never undoes what the newer one wrote.

It used to see the stored definition differ from its own, re-read every record, write its
old payloads back and store its old definition; the next CLI run flipped everything again,
and so on until `serve` was restarted. Now a process whose pipeline file changed on disk
since it loaded it syncs nothing of that pipeline, logs it once, and `/healthz` and
`status` say degraded with the fix.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from conftest import PEOPLE as PEOPLE_YAML
from conftest import World, with_pipelines
from sqlalchemy import update
from test_service_health import Polls, polled  # noqa: F401  (fixture)

from ml_connector.engine.errors import DefinitionChanged
from ml_connector.engine.store import tables
from ml_connector.engine.store.polls import STALE
from ml_connector.engine.store.types import utcnow
from ml_connector.engine.sync.fingerprint import Definitions, definition_fingerprint
from ml_connector.engine.sync.status import collect_status
from ml_connector.engine.triggers.service import Service, ServiceOptions

PEOPLE = "contacts-to-people"
POLLED = PEOPLE_YAML + "triggers:\n  - webhook: alpha\n  - poll: {every: 1m}\n"
UPPER = POLLED.replace('name: "{{ record.name }}"', 'name: "{{ record.name | upper }}"')
FIX = ("pipelines changed on disk since serve started; restart `ml-connector serve` to load "
       "them")


def names(world: World) -> list[str]:
    return sorted(row["name"] for row in world.beta.rows["person"].values())


@pytest.fixture
def edited(polled: World) -> tuple[Service, World, Polls]:  # noqa: F811
    """A service that synced the people under the old mapping, then an edit that a CLI run
    applied: the service still holds the old file."""
    polled.alpha.put("contact", "c1", {"name": "Ann"})
    polled.alpha.put("contact", "c2", {"name": "Bob"})
    service = Service(polled.runtime, ServiceOptions(workers=1, poll=True))
    poll = Polls(service)
    poll()
    assert names(polled) == ["Ann", "Bob"]
    cli = with_pipelines(polled, people=UPPER)
    cli.runner().run(PEOPLE)
    assert names(polled) == ["ANN", "BOB"]
    return service, cli, poll


def test_a_stale_serve_neither_rereads_nor_writes_nor_stores_its_definition(
        edited: tuple[Service, World, Polls], caplog: pytest.LogCaptureFixture) -> None:
    _, cli, poll = edited
    reads, writes = cli.alpha.calls["read"], cli.beta.writes
    with caplog.at_level(logging.DEBUG, logger="ml_connector.schedule"):
        poll()
        poll()
    assert cli.alpha.calls["read"] == reads and cli.beta.writes == writes
    assert names(cli) == ["ANN", "BOB"]
    pipeline = cli.runtime.pipelines.get(PEOPLE)
    assert Definitions(cli.runtime.store).stored(pipeline) == definition_fingerprint(pipeline)
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [f"poll of {PEOPLE} failed: {FIX}"]       # once, not every poll
    again = cli.runner().run(PEOPLE)                            # and nothing flips back
    assert again.counts == {"unchanged": 2} and cli.alpha.cursors[-1] is not None


def test_healthz_and_status_say_degraded_with_the_fix(
        edited: tuple[Service, World, Polls]) -> None:
    service, cli, poll = edited
    report = service.health()                  # at once, before any poll or event
    assert [(p.check, p.subject, str(p)) for p in report.problems] == [
        ("pipeline", PEOPLE, f"pipeline {PEOPLE}: {FIX}")]
    poll()
    assert cli.runtime.store.polls.get(PEOPLE).outcome == STALE
    assert [str(p) for p in service.health().problems] == [f"pipeline {PEOPLE}: {FIX}"]
    status = collect_status(cli.runtime)       # `status`, in a process with the new file
    assert [str(p) for p in status.problems] == [f"pipeline {PEOPLE}: {FIX}"]


def test_a_stale_serve_keeps_webhook_events_for_its_restart(
        edited: tuple[Service, World, Polls]) -> None:
    service, cli, _ = edited
    cli.alpha.put("contact", "c3", {"name": "Cy"})
    cli.runtime.store.inbox.add("alpha", "evt_1", "contact", "c3", "update", {})
    (worker,) = service.workers
    writes = cli.beta.writes
    assert worker.drain_once() == 1
    assert cli.beta.writes == writes                  # not synced under the old mapping
    item = cli.runtime.store.inbox.get(1)
    assert item is not None and item.status == "pending"
    assert item.last_error == f"pipeline {PEOPLE}: {FIX}"
    with cli.runtime.store.database.write() as conn:     # its retry comes due
        conn.execute(update(tables.inbox).values(available_at=utcnow()))
    restarted = Service(cli.runtime, ServiceOptions(workers=1, poll=False))
    assert restarted.health().ok                     # it loaded the files as they are
    assert restarted.workers[0].drain_once() == 1
    assert names(cli) == ["ANN", "BOB", "CY"]        # the event, under the new mapping


def test_any_run_of_a_changed_file_is_refused_and_a_file_put_back_runs_again(
        world: World, tmp_path: Path) -> None:
    people = tmp_path / "pipelines" / "people.yaml"
    loaded = people.read_text()
    people.write_text(loaded.replace("Contacts become people.", "Contacts, as people."))
    with pytest.raises(DefinitionChanged, match=f"pipeline {PEOPLE}: .*people.yaml changed on "
                                                "disk since it was loaded"):
        world.runner().run(PEOPLE)
    with pytest.raises(DefinitionChanged):
        world.runner().sync_id(PEOPLE, "c1")
    assert Definitions(world.runtime.store).stored(world.runtime.pipelines.get(PEOPLE)) is None
    people.write_text(loaded)
    world.alpha.put("contact", "c1", {"name": "Ann"})
    assert world.runner().run(PEOPLE).counts == {"create": 1}
