"""A third-party plugin, installed with pip into a directory, is found and works end to end.

The package under tests/fixtures/sample_plugin is built and installed the way a user would
install any plugin (no network: no dependencies, no build isolation), into a temporary
target directory that is then put on sys.path.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

import pytest

from ml_connector.engine.errors import InvalidInput, NotFoundError, PermanentError
from ml_connector.engine.plugins.protocol import (
    Connector,
    ConnectorContext,
    ConnectorPlugin,
    WebhookRejected,
)
from ml_connector.engine.plugins.registry import PluginRegistry

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "sample_plugin"


class MemoryCredentials:
    """A CredentialStore the notes connector never needs but the context requires."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def get(self, key: str) -> str | None:
        return self.values.get(key)

    def put(self, key: str, value: str) -> None:
        self.values[key] = value

    def delete(self, key: str) -> None:
        self.values.pop(key, None)

    def locked(self, key: str) -> AbstractContextManager[None]:
        return nullcontext()


@pytest.fixture(scope="module")
def installed_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """pip-install a copy of the fixture (building in place would litter the checkout)."""
    work = tmp_path_factory.mktemp("sample_plugin")
    source, target = work / "src", work / "site"
    shutil.copytree(FIXTURE, source, ignore=shutil.ignore_patterns("build", "*.egg-info"))
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation",
         "--no-index", "--no-input", "--disable-pip-version-check", "--quiet",
         "--target", str(target), str(source)],
        check=True, capture_output=True, text=True)
    return target


@pytest.fixture
def registry(installed_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[PluginRegistry]:
    monkeypatch.syspath_prepend(str(installed_dir))
    yield PluginRegistry.from_entry_points()
    for name in [m for m in sys.modules if m.split(".")[0] == "mlc_sample_plugin"]:
        del sys.modules[name]


def open_notes(registry: PluginRegistry, path: Path, **settings: Any) -> Any:
    context = ConnectorContext(connection="my-notes", settings={"path": str(path), **settings},
                               credentials=MemoryCredentials())
    return registry.get("notes").connect(context)


def test_the_installed_plugin_is_discovered_through_its_entry_point(registry) -> None:
    assert "notes" in registry.names()
    assert "notes" not in {problem.name for problem in registry.problems}
    plugin = registry.get("notes")
    assert isinstance(plugin, ConnectorPlugin)
    assert type(plugin).__module__.startswith("mlc_sample_plugin")
    assert list(plugin.entities()) == ["note"]
    assert plugin.config_schema()["required"] == ["path"]


def test_notes_are_created_in_and_read_back_from_the_json_file(registry, tmp_path) -> None:
    path = tmp_path / "notes.json"
    connector = open_notes(registry, path)
    assert isinstance(connector, Connector)
    created = connector.create("note", {"title": "Call Ada", "metadata": {"source_id": "7"}},
                               idempotency_key="create-7")
    on_disk = json.loads(path.read_text())
    assert on_disk["notes"][created.id]["data"]["title"] == "Call Ada"
    reopened = open_notes(registry, path)
    fetched = reopened.get("note", created.id)
    assert fetched is not None
    assert fetched.data == {"title": "Call Ada", "metadata": {"source_id": "7"},
                            "id": created.id}
    assert reopened.find("note", "metadata.source_id", "7") == [fetched]
    assert reopened.find("note", "title", "Someone else") == []


def test_create_is_idempotent_per_key(registry, tmp_path) -> None:
    connector = open_notes(registry, tmp_path / "notes.json")
    first = connector.create("note", {"title": "A"}, idempotency_key="k1")
    again = connector.create("note", {"title": "A"}, idempotency_key="k1")
    assert again.id == first.id
    assert len(connector.find("note", "title", "A")) == 1
    with pytest.raises(PermanentError, match="different payload"):
        connector.create("note", {"title": "B"}, idempotency_key="k1")
    other = connector.create("note", {"title": "A"}, idempotency_key="k2")
    assert other.id != first.id


def test_update_merges_fields_and_bumps_the_version(registry, tmp_path) -> None:
    connector = open_notes(registry, tmp_path / "notes.json")
    note = connector.create("note", {"title": "A", "body": "x"}, idempotency_key="k")
    updated = connector.update("note", note.id, {"body": "y"})
    assert updated.data == {"title": "A", "body": "y", "id": note.id}
    assert int(updated.version) == int(note.version) + 1
    assert connector.get("note", note.id) == updated
    with pytest.raises(NotFoundError):
        connector.update("note", "999", {"body": "z"})


def test_update_removes_the_fields_it_is_asked_to_clear(registry, tmp_path) -> None:
    connector = open_notes(registry, tmp_path / "notes.json")
    note = connector.create("note", {"title": "A", "body": "x", "tag": "t"},
                            idempotency_key="k")
    updated = connector.update("note", note.id, {"body": "y"}, clear=[("tag",)])
    assert updated.data == {"title": "A", "body": "y", "id": note.id}


def test_read_changes_pages_everything_then_only_what_changed(registry, tmp_path) -> None:
    connector = open_notes(registry, tmp_path / "notes.json", page_size=2)
    ids = [connector.create("note", {"title": f"n{i}"}, idempotency_key=f"k{i}").id
           for i in range(5)]
    pages = list(connector.read_changes("note", None))
    assert [[r.id for r in page.records] for page in pages] == [ids[:2], ids[2:4], ids[4:]]
    cursor = pages[-1].cursor
    assert list(connector.read_changes("note", cursor)) == []

    connector.update("note", ids[1], {"title": "changed"})
    connector.remove("note", ids[3], mode="delete")
    [page] = connector.read_changes("note", cursor)
    assert [(r.id, r.deleted) for r in page.records] == [(ids[1], False), (ids[3], True)]
    assert connector.get("note", ids[3]) is None
    full = [r.id for page in connector.read_changes("note", None) for r in page.records]
    assert sorted(full) == sorted(set(ids) - {ids[3]})


def test_remove_leaves_a_tombstone_and_is_repeatable(registry, tmp_path) -> None:
    connector = open_notes(registry, tmp_path / "notes.json")
    note = connector.create("note", {"title": "gone"}, idempotency_key="k")
    removed = connector.remove("note", note.id, mode="delete")
    assert removed.deleted
    assert connector.remove("note", note.id, mode="delete") == removed
    assert connector.find("note", "title", "gone") == []
    with pytest.raises(PermanentError, match="mode 'delete'"):
        connector.remove("note", note.id, mode="void")
    with pytest.raises(NotFoundError):
        connector.remove("note", "404", mode="delete")


def test_the_connector_refuses_what_it_cannot_do(registry, tmp_path) -> None:
    connector = open_notes(registry, tmp_path / "notes.json")
    with pytest.raises(PermanentError, match="unknown entity 'invoice'"):
        connector.get("invoice", "1")
    with pytest.raises(WebhookRejected) as rejected:
        connector.parse_webhook({}, b"{}")
    assert rejected.value.status == 404
    with pytest.raises(InvalidInput, match="'path'"):
        registry.get("notes").connect(ConnectorContext(
            connection="my-notes", settings={}, credentials=MemoryCredentials()))


def test_a_pipeline_runs_through_the_installed_plugin_from_the_cli(
        registry, tmp_path, monkeypatch) -> None:
    """The whole product path: project file, pipeline YAML, CLI, engine, third-party plugin."""
    from click.testing import CliRunner

    from ml_connector.engine.cli.main import cli

    inbox, archive = tmp_path / "inbox.json", tmp_path / "archive.json"
    source = open_notes(registry, inbox)
    for i, title in enumerate(["call ada", "email bob", "pay rent"]):
        source.create("note", {"title": title}, idempotency_key=f"seed-{i}")
    (tmp_path / "pipelines").mkdir()
    (tmp_path / "pipelines" / "archive.yaml").write_text(
        "name: inbox-to-archive\n"
        "description: Notes are copied to the archive in capitals.\n"
        "source: {connection: inbox, entity: note}\n"
        "target: {connection: archive, entity: note}\n"
        "match:\n"
        "  - target_field: metadata.source_id\n"
        "    value: '{{ source.id }}'\n"
        "mapping:\n"
        "  title: '{{ record.title | upper }}'\n"
        "  metadata: {source_id: '{{ source.id }}'}\n")
    (tmp_path / "ml-connector.yaml").write_text(
        "version: 1\npipelines: [pipelines]\nconnections:\n"
        f"  inbox: {{connector: notes, settings: {{path: '{inbox}'}}}}\n"
        f"  archive: {{connector: notes, settings: {{path: '{archive}'}}}}\n")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    first = runner.invoke(cli, ["--json", "pipeline", "run", "inbox-to-archive"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.output)[0]["created"] == 3
    titles = sorted(n["data"]["title"] for n in json.loads(archive.read_text())["notes"].values())
    assert titles == ["CALL ADA", "EMAIL BOB", "PAY RENT"]

    second = runner.invoke(cli, ["--json", "pipeline", "run", "inbox-to-archive", "--full"])
    assert second.exit_code == 0, second.output
    report = json.loads(second.output)[0]
    assert (report["created"], report["updated"], report["unchanged"]) == (0, 0, 3)
