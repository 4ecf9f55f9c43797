"""`status` as the engineer on call reads it: runs, cursors, backlog, and token health."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import World, make_plugins
from memory_system import MemoryConnector, MemoryPlugin
from sqlalchemy import update
from test_audit_cli import CliWorld, cli_world, make_cli_world  # noqa: F401  (fixture)

from ml_connector.engine.cli.status import ago
from ml_connector.engine.plugins.protocol import ConnectorContext
from ml_connector.engine.store import tables
from ml_connector.engine.store.polls import BROKE
from ml_connector.engine.sync.status import collect_status

PEOPLE, INVOICES = "contacts-to-people", "orders-to-invoices"


class ReportingConnector(MemoryConnector):
    """A connector that offers the optional `health()` probe."""

    report: Mapping[str, Any] | Exception = {}

    def health(self) -> Mapping[str, Any]:
        if isinstance(self.report, Exception):
            raise self.report
        return self.report


class ReportingPlugin(MemoryPlugin):
    def __init__(self, plugin: MemoryPlugin, report: Mapping[str, Any] | Exception):
        super().__init__(plugin.name, plugin.entities())
        self.report = report

    def connect(self, context: ConnectorContext) -> MemoryConnector:
        connector = ReportingConnector(self.system)
        connector.report = self.report
        return connector


def world_with_health(tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch,
                      capsys: pytest.CaptureFixture[str],
                      report: Mapping[str, Any] | Exception) -> CliWorld:
    alpha, beta = make_plugins()
    plugins = {"alpha": alpha, "beta": ReportingPlugin(beta, report)}
    return make_cli_world(tmp_path, store_url, monkeypatch, capsys, plugins)


def pipeline_entry(status: dict, name: str) -> dict:
    return next(p for p in status["pipelines"] if p["name"] == name)


def test_a_fresh_project_shows_nothing_run_yet(cli_world: CliWorld) -> None:  # noqa: F811
    result = cli_world("status")
    assert result.code == 0
    lines = result.out.splitlines()
    assert lines[0] == PEOPLE and "  last run   never" in lines
    assert "  cursor     none stored" in lines and "  links      0" in lines
    assert "inbox: 0 event(s) waiting" in lines
    assert "  alpha (alpha): n/a" in lines and "  beta (beta): n/a" in lines
    assert lines[-1] == "health: ok"
    assert cli_world("--json", "status").json()["health"] == {"status": "ok", "problems": []}


def test_after_a_run_it_shows_counts_cursor_links_and_failing_records(
        cli_world: CliWorld) -> None:  # noqa: F811
    cli_world.alpha.put("contact", "c1", {"name": "Ann"})
    cli_world.alpha.put("contact", "c2", {"nom": "x"})
    cli_world.alpha.put("contact", "c3", {"name": "Cy"})
    cli_world("pipeline", "run", PEOPLE)
    run_id = cli_world("--json", "audit", "list").json()[0]["run_id"]
    status = cli_world("status", "--json").json()
    people = pipeline_entry(status, PEOPLE)
    assert people["last_run"]["run_id"] == run_id
    assert people["last_run"]["counts"] == {"ok": 2, "failed": 1}
    assert people["last_run"]["trigger"] == "manual"
    assert people["cursor"]["value"] == "page0" and people["cursor"]["age_seconds"] >= 0
    assert (people["links"], people["pending_intents"], people["failing_records"]) == (2, 0, 1)
    assert pipeline_entry(status, INVOICES)["last_run"] is None
    text = cli_world("status").out
    assert f"  run        {run_id}: 1 failed, 2 ok" in text
    assert "ago), manual" in text
    assert "failing    1 record(s); retry with `ml-connector replay --failed`" in text


def test_a_create_whose_answer_was_lost_shows_as_pending(cli_world: CliWorld) -> None:  # noqa: F811
    cli_world.alpha.put("contact", "c1", {"name": "Ann"})
    cli_world.beta.lose_answer_of_next_create = 1
    cli_world("pipeline", "run", PEOPLE)
    status = cli_world("--json", "status").json()
    assert pipeline_entry(status, PEOPLE)["pending_intents"] == 1
    assert "pending    1 create(s) not yet confirmed" in cli_world("status").out


def test_inbox_depth_counts_events_waiting(cli_world: CliWorld) -> None:  # noqa: F811
    with cli_world.store() as store:
        for event in ("evt_1", "evt_2"):
            store.inbox.add("alpha", event, "contact", "c1", "update", {})
    inbox = cli_world("--json", "status").json()["inbox"]
    assert inbox["depth"] == 2 and inbox["oldest_waiting_seconds"] >= 0
    assert "inbox: 2 event(s) waiting, the oldest received " in cli_world("status").out


def test_token_health_shows_what_a_connector_reports_with_secrets_masked(
        tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    report = {"access_token_expires_in_seconds": 3300, "refresh_token_days_left": 87,
              "refresh_token": "rt_made_up_value_123456"}
    world = world_with_health(tmp_path, store_url, monkeypatch, capsys, report)
    result = world("status")
    assert result.code == 0
    # Wrapped at 80 columns under the values, which read as one text.
    assert ("  beta (beta): access_token_expires_in_seconds: 3300, refresh_token_days_left:\n"
            "               87, refresh_token: ***") in result.out
    assert max(len(line) for line in result.out.splitlines()) <= 80
    assert "  alpha (alpha): n/a" in result.out
    health = {c["name"]: c["health"] for c in world("--json", "status").json()["connections"]}
    assert health["alpha"] is None
    assert health["beta"]["refresh_token_days_left"] == 87
    assert "rt_made_up_value_123456" not in result.out


def test_a_failing_health_probe_is_shown_and_the_rest_still_reported(
        tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    world = world_with_health(tmp_path, store_url, monkeypatch, capsys,
                              RuntimeError("token store unreadable"))
    result = world("status")
    assert result.code == 0
    assert "  beta (beta): unavailable: token store unreadable" in result.out
    assert result.out.startswith(PEOPLE)


def test_polls_failing_in_a_row_show_under_the_pipeline_and_in_the_verdict(
        cli_world: CliWorld) -> None:  # noqa: F811
    with cli_world.store() as store:       # as `serve`, in its own process, recorded them
        store.polls.succeeded(INVOICES)
        for _ in range(3):
            store.polls.failed(PEOPLE, BROKE, "alpha answered HTTP 503 five times")
        since = store.polls.get(PEOPLE).failing_since  # type: ignore[union-attr]
    result = cli_world("status")
    assert result.code == 0
    assert re.search(r" last poll [-\d: ]+ UTC \(\d+s ago\): failed 3 times in a row since "
                     f"{since:%Y-%m-%d %H:%M:%S} UTC: alpha answered HTTP 503 five times ",
                     flat(result.out))
    assert re.search(r"\n  last poll  [-\d: ]+ UTC \(\d+s ago\): ok\n", result.out)
    assert flat(result.out).endswith(
        "health: degraded, 1 problem(s): - poll contacts-to-people: failed 3 times in a row: "
        "alpha answered HTTP 503 five times")
    assert max(len(line) for line in result.out.splitlines()) <= 80
    status = cli_world("--json", "status").json()
    assert pipeline_entry(status, PEOPLE)["last_poll"]["failures_in_row"] == 3
    assert status["health"]["status"] == "degraded"
    assert [p["check"] for p in status["health"]["problems"]] == ["poll"]


def test_an_inbox_not_drained_shows_how_long_it_waits_and_why(
        cli_world: CliWorld) -> None:  # noqa: F811
    with cli_world.store() as store:
        store.inbox.add("alpha", "evt_1", "contact", "c1", "update", {})
        (item,) = store.inbox.claim(1, worker="w")
        store.inbox.failed(item.id, "authorisation revoked; run `x`", retry=True, delay=60)
        with store.database.write() as conn:
            conn.execute(update(tables.inbox).values(
                received_at=datetime.now(UTC) - timedelta(minutes=20)))
    out = cli_world("status").out
    assert "inbox: 1 event(s) waiting, the oldest received 20m ago" in out
    assert "  retrying after: authorisation revoked; run `x`" in out
    assert ("- inbox: 1 event(s) waiting, the oldest for 20m, over the 15m limit (retried "
            "after: authorisation revoked; run `x`)") in flat(out)


def test_a_broken_authorisation_shows_as_broken_with_the_command_that_fixes_it(
        tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    report = {"authorised": False, "problem": "the refresh token was refused",
              "fix": "run `ml-connector connections auth beta`"}
    world = world_with_health(tmp_path, store_url, monkeypatch, capsys, report)
    out = world("status").out
    assert ("beta (beta): broken: the refresh token was refused; run "
            "`ml-connector connections auth beta`") in flat(out)
    assert flat(out).endswith(
        "health: degraded, 1 problem(s): - authorisation beta: the refresh token was refused; "
        "run `ml-connector connections auth beta`")


def flat(out: str) -> str:
    """The output with its line wrapping undone: wrapped text reads as one line again."""
    return " ".join(out.split())


def test_ages_read_in_the_largest_whole_unit() -> None:
    now = datetime(2024, 5, 1, 12, tzinfo=UTC)
    assert [ago(now - timedelta(seconds=s), now) for s in (5, 90, 7300, 200000)] == [
        "5s ago", "1m ago", "2h ago", "2d ago"]
    assert ago(None, now) == "never"


def counting(monkeypatch: pytest.MonkeyPatch, owner: object, *methods: str) -> list[str]:
    """The names of `owner`'s `methods` in the order they are called from now on."""
    calls: list[str] = []

    def spy(name: str) -> Any:
        real = getattr(owner, name)

        def called(*args: Any, **kwargs: Any) -> Any:
            calls.append(name)
            return real(*args, **kwargs)
        return called

    for name in methods:
        monkeypatch.setattr(owner, name, spy(name))
    return calls


def test_status_reads_each_part_of_the_store_once(world: World,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    world.alpha.put("contact", "c1", {"name": "Ann"})
    world.runner().run(PEOPLE)
    world.runtime.store.polls.failed(PEOPLE, BROKE, "alpha answered HTTP 503")
    polls = counting(monkeypatch, world.runtime.store.polls, "all", "get")
    inbox = counting(monkeypatch, world.runtime.store.inbox, "backlog", "depth")
    snapshot = collect_status(world.runtime)
    assert polls == ["all"] and inbox == ["backlog"]
    assert snapshot.inbox.depth == 0 and snapshot.pipelines[0].last_poll is not None
