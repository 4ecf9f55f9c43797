"""Loading the project file `ml-connector.yaml` into a `Project`.

A project without a file is valid: the defaults keep state in a SQLite file beside the
current folder, run the shipped pipelines, and give each installed connector a connection of
its own name, so `ml-connector demo` works in an empty folder.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from importlib.resources import files
from pathlib import Path
from typing import Any

from ml_connector.engine.diagnostics import Diagnostic, Location
from ml_connector.engine.loading.connections import PluginRegistry, check_connection
from ml_connector.engine.loading.files import read_document
from ml_connector.engine.loading.schema_errors import validate
from ml_connector.engine.loading.schemas import project_schema
from ml_connector.engine.loading.yaml_nodes import YamlDocument
from ml_connector.engine.model.project import DEFAULT_STORE_URL, PROJECT_FILE, Connection, Project

RELATIVE_SQLITE = re.compile(r"^(sqlite(?:\+\w+)?):///(?!/)([^?]+)(\?.*)?$")


def shipped_pipelines_dir() -> Path:
    """The folder of pipeline files that ship with the product (package data)."""
    return Path(str(files("ml_connector.pipelines")))


def find_project_file(start: Path) -> Path | None:
    """The nearest `ml-connector.yaml` in `start` or one of its parents."""
    for folder in (start, *start.parents):
        candidate = folder / PROJECT_FILE
        if candidate.is_file():
            return candidate
    return None


def resolve_store_url(url: str, root: Path) -> str:
    """Anchor a relative SQLite path at the project folder, so any cwd finds the same state."""
    match = RELATIVE_SQLITE.match(url)
    if match is None or match.group(2) == ":memory:":
        return url
    scheme, relative, query = match.group(1), match.group(2), match.group(3) or ""
    return f"{scheme}:///{(root / relative).as_posix()}{query}"


def default_project(root: Path, registry: PluginRegistry) -> Project:
    """The project used when there is no project file at all."""
    return Project(
        root=root,
        store_url=resolve_store_url(DEFAULT_STORE_URL, root),
        pipeline_dirs=(shipped_pipelines_dir(),),
        connections=_default_connections(registry),
    )


def _default_connections(registry: PluginRegistry) -> dict[str, Connection]:
    return {name: Connection(name=name, connector=name, settings={}) for name in registry.names()}


def read_project(path: Path, registry: PluginRegistry) -> tuple[Project, list[Diagnostic]]:
    """Load the project file at `path`: a best-effort project and every problem found.

    The project is returned even when it has problems, so pipelines can still be checked
    against the connections that are fine and all diagnostics reported together.
    """
    root = path.absolute().parent
    doc = read_document(path)
    if doc.empty:
        doc.diagnostics.append(Diagnostic(Location(doc.file, 1, 1),
                                          "file is empty: expected at least 'version: 1'"))
    data = doc.value if isinstance(doc.value, Mapping) else None
    if data is None:
        if doc.value is not None:
            validate(doc, doc.value, project_schema())
        return Project(root=root, path=path.absolute()), doc.diagnostics
    bad = validate(doc, data, project_schema())
    project = Project(
        root=root,
        store_url=_store_url(data, root, bad),
        pipeline_dirs=_pipeline_dirs(doc, data, root, bad),
        connections=_connections(doc, data, registry),
        path=path.absolute(),
        workers=(data["workers"] if ("workers",) not in bad and "workers" in data
                 else Project.workers),
    )
    return project, doc.diagnostics


def _store_url(data: Mapping[str, Any], root: Path, bad: set) -> str:
    store = data.get("store")
    if not isinstance(store, Mapping) or any(p[:1] == ("store",) for p in bad):
        return resolve_store_url(DEFAULT_STORE_URL, root)
    return resolve_store_url(store["url"], root)


def _pipeline_dirs(doc: YamlDocument, data: Mapping[str, Any], root: Path, bad: set) -> tuple:
    if "pipelines" not in data:
        return (shipped_pipelines_dir(),)
    if any(p[:1] == ("pipelines",) for p in bad):
        return ()
    folders = []
    for i, entry in enumerate(data["pipelines"]):
        folder = root / entry
        if not folder.is_dir():
            doc.error(("pipelines", i), f"pipelines folder '{entry}' does not exist")
            continue
        folders.append(folder)
    return tuple(folders)


def _connections(
    doc: YamlDocument, data: Mapping[str, Any], registry: PluginRegistry
) -> dict[str, Connection]:
    if "connections" not in data:
        return _default_connections(registry)
    raw = data["connections"]
    if not isinstance(raw, Mapping):
        return {}
    found = {}
    for name, entry in raw.items():
        if _usable_connection(entry):
            found[name] = check_connection(doc, name, entry, registry)
    return found


def _usable_connection(entry: object) -> bool:
    """Whether an entry is shaped well enough to check its connector and settings."""
    if not isinstance(entry, Mapping) or not isinstance(entry.get("connector"), str):
        return False
    return isinstance(entry.get("settings") or {}, Mapping)
