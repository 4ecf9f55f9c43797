"""The project file (`ml-connector.yaml`): where state lives and which systems are connected."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ml_connector.engine.diagnostics import Location

PROJECT_FILE = "ml-connector.yaml"
DEFAULT_STORE_URL = "sqlite:///.ml-connector/state.db"


@dataclass(frozen=True)
class Connection:
    """A configured connection to one system.

    `settings` still holds secret *references* (`${env:NAME}`, `${secret:NAME}`), never values:
    they are resolved only when the connection is opened. `webhook_settle_seconds` is None
    when the file leaves the hold of webhook notifications to the connector's default.
    """

    name: str
    connector: str
    settings: Mapping[str, Any]
    base_url: str | None = None
    location: Location | None = None
    webhook_settle_seconds: float | None = None


@dataclass(frozen=True)
class Project:
    """A loaded project. `root` is the folder relative paths (SQLite file, pipelines) start from."""

    root: Path
    store_url: str = DEFAULT_STORE_URL
    pipeline_dirs: tuple[Path, ...] = ()
    connections: Mapping[str, Connection] = field(default_factory=dict)
    path: Path | None = None
    # Records synced at once per run. Real API round trips take 100-400 ms, so this many
    # in flight is what lets a run reach the APIs' own rate limits; the connectors' limiters
    # (not this number) keep it within them.
    workers: int = 32
