"""The running engine's shared parts: project, store, plugins, pipelines and open connectors.

One `Runtime` per process. Connectors are opened lazily, once per connection, because each
holds the HTTP client whose rate limiter must be shared by every thread using that connection.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ml_connector.engine.errors import InvalidInput
from ml_connector.engine.loading import PipelineSet, load_workspace
from ml_connector.engine.loading.on_disk import PipelineFiles
from ml_connector.engine.loading.references import resolve_references
from ml_connector.engine.model.project import Project
from ml_connector.engine.plugins.protocol import Connector, ConnectorContext, ConnectorPlugin
from ml_connector.engine.plugins.registry import PluginRegistry
from ml_connector.engine.store import Store

log = logging.getLogger("ml_connector.runtime")


@dataclass
class Runtime:
    """Everything a run needs, opened once. Close it to release connections and the store."""

    project: Project
    registry: PluginRegistry
    store: Store
    pipelines: PipelineSet
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    # Builds each connection's `on_event` hook (the service wires it to its metrics).
    event_hooks: Callable[[str], Callable[[str, Mapping[str, Any]], None]] | None = None
    # Whether the pipelines loaded are still the files on disk (asked before each sync).
    pipeline_files: PipelineFiles = field(default_factory=PipelineFiles)
    _connectors: dict[str, Connector] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def open(cls, project_path: Path | None = None, *, registry: PluginRegistry | None = None,
             env: Mapping[str, str] | None = None) -> Runtime:
        registry = registry or PluginRegistry.from_entry_points()
        project, pipelines = load_workspace(project_path, registry=registry)
        store = Store.open(project.store_url, root=project.root)
        return cls(project=project, registry=registry, store=store, pipelines=pipelines,
                   env=dict(os.environ if env is None else env))

    def plugin_for(self, connection: str) -> ConnectorPlugin:
        return self.registry.get(self._connection(connection).connector)

    def connector(self, connection: str) -> Connector:
        """The open connector for `connection`, opened on first use and shared by all threads."""
        with self._lock:
            if connection not in self._connectors:
                self._connectors[connection] = self._open(connection)
            return self._connectors[connection]

    def _connection(self, name: str) -> Any:
        try:
            return self.project.connections[name]
        except KeyError:
            known = ", ".join(sorted(self.project.connections)) or "none"
            raise InvalidInput(f"unknown connection {name!r}; configured: {known}") from None

    def context(self, name: str) -> ConnectorContext:
        """What a plugin receives for connection `name`: settings with secrets resolved."""
        conn = self._connection(name)
        settings = resolve_references(conn.settings, self.env, self.store.secrets.get,
                                      connection=name)
        return ConnectorContext(connection=name, settings=settings,
                                credentials=self.store.credentials(name), base_url=conn.base_url,
                                on_event=self.event_hooks(name) if self.event_hooks else None,
                                log=logging.getLogger(f"ml_connector.connectors.{name}"))

    def _open(self, name: str) -> Connector:
        return self.plugin_for(name).connect(self.context(name))

    def close(self) -> None:
        with self._lock:
            connectors, self._connectors = list(self._connectors.values()), {}
        for connector in connectors:
            try:
                connector.close()
            except Exception:  # closing must not hide the run's own outcome
                log.warning("closing a connector failed", exc_info=True)
        self.store.close()

    def __enter__(self) -> Runtime:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
