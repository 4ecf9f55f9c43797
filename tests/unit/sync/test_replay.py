"""Replay: failed records re-read and synced with today's pipelines, never a second target."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from conftest import PEOPLE as PEOPLE_YAML
from conftest import World, write_project
from test_audit_cli import CliWorld, cli_world  # noqa: F401  (fixture)

from ml_connector.engine.errors import InvalidInput
from ml_connector.engine.loading import load_pipelines
from ml_connector.engine.store.intents import IntentRepository
from ml_connector.engine.sync.replay import Replay

PEOPLE = "contacts-to-people"
BROKEN = PEOPLE_YAML.replace('name: "{{ record.name }}"', 'name: "{{ record.full_name }}"')
SHOUTING = PEOPLE_YAML.replace('name: "{{ record.name }}"', 'name: "{{ record.name | upper }}"')


class Crash(BaseException):
    """Stands for the process dying mid-replay: nothing the engine may catch."""


def use_pipelines(world: World, people: str) -> None:
    """Edit the pipeline file and load it again, as the next command invocation would."""
    project = world.runtime.project
    write_project(project.root, people=people)
    world.runtime.pipelines = load_pipelines(list(project.pipeline_dirs), project=project,
                                             registry=world.runtime.registry)


def people(world: World) -> dict[str, dict]:
    return world.beta.rows["person"]


def failed_ids(world: World) -> list[str]:
    return [item.source_id for item in Replay(world.runtime).all_failed().items]


def test_create_applied_but_never_linked_is_adopted_by_replay_not_made_twice(
        world: World) -> None:
    world.alpha.put("contact", "c1", {"name": "Ann"})
    world.beta.lose_answer_of_next_create = 1
    assert world.runner().run(PEOPLE).failed == 1
    assert len(people(world)) == 1 and world.runtime.store.links.get(PEOPLE, "c1") is None
    replay = Replay(world.runtime)
    report = replay.run(replay.all_failed())
    assert report.ok and [o.source_id for o in report.outcomes] == ["c1"]
    assert len(people(world)) == 1
    link = world.runtime.store.links.get(PEOPLE, "c1")
    assert link is not None and link.target_id in people(world)
    assert world.runtime.store.intents.pending(PEOPLE, "c1") is None
    assert failed_ids(world) == []


def test_mapping_fixed_between_lost_create_and_replay_gives_one_target_with_new_values(
        world: World) -> None:
    world.alpha.put("contact", "c1", {"name": "Ann"})
    world.beta.lose_answer_of_next_create = 1
    world.runner().run(PEOPLE)
    use_pipelines(world, SHOUTING)
    world.beta.keys.clear()  # the idempotency key expired meanwhile; links and matching remain
    replay = Replay(world.runtime)
    assert replay.run(replay.all_failed()).ok
    assert [row["name"] for row in people(world).values()] == ["ANN"]


def test_render_failure_fixed_then_replayed_by_id_creates_exactly_once(world: World) -> None:
    use_pipelines(world, BROKEN)
    world.alpha.put("contact", "c1", {"name": "Ann"})
    assert world.runner().run(PEOPLE).failed == 1
    failure = world.runtime.store.audit.query(outcome="failed")[0]
    use_pipelines(world, PEOPLE_YAML)
    replay = Replay(world.runtime)
    first = replay.run(replay.by_audit_id(failure.id))
    assert [o.action for o in first.outcomes] == ["create"]
    writes = world.beta.writes
    again = replay.run(replay.by_audit_id(failure.id))
    assert [o.action for o in again.outcomes] == ["unchanged"]
    assert world.beta.writes == writes and len(people(world)) == 1


def test_replay_that_crashes_after_creating_is_finished_by_the_next_replay(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    use_pipelines(world, BROKEN)
    world.alpha.put("contact", "c1", {"name": "Ann"})
    world.runner().run(PEOPLE)
    use_pipelines(world, PEOPLE_YAML)
    original = IntentRepository.complete

    def crash(*args: object, **kwargs: object) -> None:
        monkeypatch.setattr(IntentRepository, "complete", original)
        raise Crash("killed between the create and the link")

    monkeypatch.setattr(IntentRepository, "complete", crash)
    replay = Replay(world.runtime)
    with pytest.raises(Crash):
        replay.run(replay.all_failed())
    assert len(people(world)) == 1 and failed_ids(world) == ["c1"]
    assert replay.run(replay.all_failed()).ok
    assert len(people(world)) == 1
    assert world.runtime.store.links.get(PEOPLE, "c1").target_id in people(world)


def test_replay_rereads_the_source_instead_of_reusing_the_failed_attempt(world: World) -> None:
    world.alpha.put("contact", "c1", {"nom": "typo in the source"})
    world.runner().run(PEOPLE)
    world.alpha.put("contact", "c1", {"name": "Fixed at the source"})
    replay = Replay(world.runtime)
    assert replay.run(replay.all_failed()).ok
    assert [row["name"] for row in people(world).values()] == ["Fixed at the source"]


def test_a_permanent_failure_does_not_block_others_and_stays_failed(world: World) -> None:
    for cid, data in (("c1", {"name": "Ann"}), ("c2", {"nom": "x"}), ("c3", {"name": "Cy"})):
        world.alpha.put("contact", cid, data)
    summary = world.runner().run(PEOPLE)
    assert summary.as_dict()["created"] == 2 and summary.failed == 1
    replay = Replay(world.runtime)
    report = replay.run(replay.all_failed())
    assert [(o.source_id, o.action) for o in report.outcomes] == [("c2", "fail")]
    assert not report.ok
    assert failed_ids(world) == ["c2"]   # kept as failed, never dropped
    assert len(people(world)) == 2


def test_by_run_takes_that_runs_failures_and_leaves_out_those_fixed_since(
        world: World) -> None:
    world.alpha.put("contact", "c1", {"nom": "x"})
    world.alpha.put("contact", "c2", {"nom": "y"})
    first = world.runner()
    first.run(PEOPLE)
    world.alpha.put("contact", "c1", {"name": "Ann"})
    second = world.runner()
    second.run(PEOPLE, full=True)
    chosen = Replay(world.runtime).by_run(first.run_id)
    assert [i.source_id for i in chosen.items] == ["c2"]
    assert [(i.source_id, why.split(" (")[0]) for i, why in chosen.left_out] == [
        ("c1", "already synced since")]
    assert [i.source_id for i in Replay(world.runtime).by_run(second.run_id).items] == ["c2"]


def test_by_time_takes_records_whose_latest_attempt_in_the_range_failed(world: World) -> None:
    world.alpha.put("contact", "c1", {"nom": "x"})
    world.runner().run(PEOPLE)
    boundary = datetime.now(UTC)
    world.alpha.put("contact", "c2", {"nom": "y"})
    world.runner().sync_id(PEOPLE, "c2")
    replay = Replay(world.runtime)
    assert [i.source_id for i in replay.by_time(boundary, None).items] == ["c2"]
    assert [i.source_id for i in replay.by_time(None, boundary).items] == ["c1"]


def test_unknown_audit_id_or_run_is_an_input_error(world: World) -> None:
    replay = Replay(world.runtime)
    with pytest.raises(InvalidInput, match="no audit entry 42"):
        replay.by_audit_id(42)
    with pytest.raises(InvalidInput, match="run 'nope' is not in the audit trail"):
        replay.by_run("nope")


def test_replayed_attempts_are_audited_under_a_replay_run(world: World) -> None:
    world.alpha.put("contact", "c1", {"nom": "x"})
    world.runner().run(PEOPLE)
    world.alpha.put("contact", "c1", {"name": "Ann"})
    replay = Replay(world.runtime)
    report = replay.run(replay.all_failed())
    newest = world.runtime.store.audit.query(limit=1, newest_first=True)[0]
    assert (newest.trigger, newest.run_id, newest.outcome) == ("replay", report.run_id, "ok")


# -- the command ------------------------------------------------------------------------------

def test_exactly_one_selector_is_required(cli_world: CliWorld) -> None:  # noqa: F811
    for args in ((), ("--failed", "--run", "r1"), ("--id", "1", "--since", "1d")):
        result = cli_world("replay", *args)
        assert result.code == 2
        assert "choose exactly one of --id, --run, --since/--until or --failed" in result.err


def test_replay_after_fixing_the_mapping_prints_a_summary_and_exits_zero(
        cli_world: CliWorld) -> None:  # noqa: F811
    cli_world.rewrite(people=BROKEN)
    cli_world.alpha.put("contact", "c1", {"name": "Ann"})
    cli_world.alpha.put("contact", "c2", {"name": "Bob"})
    assert cli_world("pipeline", "run", PEOPLE).code == 1
    cli_world.rewrite(people=PEOPLE_YAML)
    result = cli_world("replay", "--failed")
    assert result.code == 0, result.err
    assert "contacts-to-people c1: create -> person_" in result.out
    assert "2 record(s) replayed (2 create), 0 still failing" in result.out
    assert sorted(r["name"] for r in cli_world.beta.rows["person"].values()) == ["Ann", "Bob"]
    assert "nothing to replay" in cli_world("replay", "--failed").out


def test_replay_of_what_still_fails_exits_one_and_says_so(cli_world: CliWorld) -> None:  # noqa: F811
    cli_world.alpha.put("contact", "c1", {"nom": "x"})
    cli_world("pipeline", "run", PEOPLE)
    run_id = cli_world("--json", "audit", "list").json()[0]["run_id"]
    result = cli_world("replay", "--run", run_id, "--json")
    assert result.code == 1
    report = result.json()
    assert (report["replayed"], report["failed"], report["written"]) == (1, 1, 0)
    assert report["results"][0]["source_id"] == "c1"
    assert "no field 'name'" in report["results"][0]["error"]
    assert "1 record(s) still failing" in result.err
