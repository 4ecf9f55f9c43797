"""The project file: found upward from the current folder, defaults without one."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ml_connector.engine.errors import InvalidInput, PipelineInvalid
from ml_connector.engine.loading import load_project, load_workspace
from ml_connector.engine.loading.project_loader import resolve_store_url, shipped_pipelines_dir
from ml_connector.engine.model.project import Connection

Write = Callable[[str, str], Path]

PROJECT = """\
version: 1
store: {url: "sqlite:///state/sync.db"}
pipelines: [flows]
workers: 3
connections:
  books:
    connector: ledger
    base_url: "http://127.0.0.1:8001"
    settings:
      environment: sandbox
      client_id: "${env:BOOKS_CLIENT_ID}"
      client_secret: "${secret:books.client_secret}"
"""


def test_project_file_is_found_from_a_subfolder(
    write: Write, registry: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write("ml-connector.yaml", PROJECT)
    write("flows/.keep", "")
    monkeypatch.chdir(write("deep/er/.keep", "").parent)
    project = load_project(registry=registry)
    assert project.root == tmp_path
    assert project.path == tmp_path / "ml-connector.yaml"
    assert project.store_url == f"sqlite:///{tmp_path}/state/sync.db"
    assert project.pipeline_dirs == (tmp_path / "flows",)
    assert project.workers == 3
    assert project.connections["books"] == Connection(
        name="books", connector="ledger", base_url="http://127.0.0.1:8001",
        settings={"environment": "sandbox", "client_id": "${env:BOOKS_CLIENT_ID}",
                  "client_secret": "${secret:books.client_secret}"},
        location=project.connections["books"].location,
    )
    assert project.connections["books"].location.line == 6


def test_without_a_project_file_the_defaults_apply(
    registry: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    project = load_project(registry=registry)
    assert project.root == tmp_path and project.path is None
    assert project.store_url == f"sqlite:///{tmp_path}/.ml-connector/state.db"
    assert project.pipeline_dirs == (shipped_pipelines_dir(),)
    assert sorted(project.connections) == ["ledger", "payments"]
    assert project.connections["payments"].connector == "payments"


def test_omitted_sections_take_their_defaults(write: Write, registry: Any, tmp_path: Path) -> None:
    project = load_project(write("ml-connector.yaml", "version: 1\n"), registry=registry)
    assert project.store_url == f"sqlite:///{tmp_path}/.ml-connector/state.db"
    assert project.pipeline_dirs == (shipped_pipelines_dir(),)
    assert sorted(project.connections) == ["ledger", "payments"]
    assert project.workers == 32


def test_shipped_pipelines_folder_is_package_data() -> None:
    assert (shipped_pipelines_dir() / "__init__.py").is_file()


@pytest.mark.parametrize(("url", "expected"), [
    ("sqlite:///state.db", "sqlite:////proj/state.db"),
    ("sqlite+pysqlite:///a/b.db?timeout=5", "sqlite+pysqlite:////proj/a/b.db?timeout=5"),
    ("sqlite:////abs/state.db", "sqlite:////abs/state.db"),
    ("sqlite:///:memory:", "sqlite:///:memory:"),
    ("sqlite://", "sqlite://"),
    ("postgresql+psycopg://postgres@127.0.0.1:5432/test", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
])
def test_relative_sqlite_paths_are_anchored_at_the_project(url: str, expected: str) -> None:
    assert resolve_store_url(url, Path("/proj")) == expected


def test_empty_project_file_is_reported(write: Write, registry: Any) -> None:
    with pytest.raises(PipelineInvalid, match=re.escape("ml-connector.yaml:1:1: file is empty")):
        load_project(write("ml-connector.yaml", "\n"), registry=registry)


def test_project_and_pipeline_problems_are_reported_together(
    write: Write, registry: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write("ml-connector.yaml", PROJECT.replace("connector: ledger", "connector: ledgers"))
    write("flows/p.yaml", "name: p\n")
    with pytest.raises(PipelineInvalid) as raised:
        load_workspace(registry=registry)
    assert [str(d) for d in raised.value.diagnostics] == [
        "flows/p.yaml:1:1: missing required field 'mapping'",
        "flows/p.yaml:1:1: missing required field 'source'",
        "flows/p.yaml:1:1: missing required field 'target'",
        "ml-connector.yaml:7:16: unknown connector 'ledgers' (did you mean 'ledger'?); "
        "installed connectors: ledger, payments",
    ]


def test_a_plugin_that_fails_to_load_is_a_diagnostic(
    write: Write, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Broken:
        def get(self, name: str) -> Any:
            raise ImportError("No module named 'ledger_sdk'")

        def names(self) -> list[str]:
            return ["ledger"]

    write("ml-connector.yaml", PROJECT)
    write("flows/.keep", "")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(PipelineInvalid) as raised:
        load_project(Path("ml-connector.yaml"), registry=Broken())
    assert str(raised.value) == ("ml-connector.yaml:7:16: connector 'ledger' could not be "
                                 "loaded: ImportError: No module named 'ledger_sdk'")


def test_a_registry_error_keeps_its_own_words(
    write: Write, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Unusable:
        def get(self, name: str) -> Any:
            raise InvalidInput(f"connector {name!r} is installed but cannot be used: no spec")

        def names(self) -> list[str]:
            return ["ledger"]

    write("ml-connector.yaml", PROJECT)
    write("flows/.keep", "")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(PipelineInvalid) as raised:
        load_project(Path("ml-connector.yaml"), registry=Unusable())
    assert str(raised.value) == ("ml-connector.yaml:7:16: connector 'ledger' is installed but "
                                 "cannot be used: no spec")


def test_a_folder_stands_for_its_project_file(write: Write, registry: Any, tmp_path: Path) -> None:
    write("ml-connector.yaml", PROJECT)
    write("flows/.keep", "")
    assert load_project(tmp_path, registry=registry).workers == 3
    with pytest.raises(PipelineInvalid, match="cannot read file"):
        load_project(tmp_path / "flows", registry=registry)


def test_a_connection_may_set_how_long_its_webhooks_settle(write: Write, registry: Any) -> None:
    write("flows/.keep", "")
    held = PROJECT.replace("    base_url:", "    webhook_settle_seconds: 0.5\n    base_url:")
    project = load_project(write("ml-connector.yaml", held), registry=registry)
    assert project.connections["books"].webhook_settle_seconds == 0.5
    unset = load_project(write("ml-connector.yaml", PROJECT), registry=registry)
    assert unset.connections["books"].webhook_settle_seconds is None
    too_long = PROJECT.replace("    base_url:", "    webhook_settle_seconds: 600\n    base_url:")
    with pytest.raises(PipelineInvalid, match="webhook_settle_seconds: must be at most 60"):
        load_project(write("ml-connector.yaml", too_long), registry=registry)
