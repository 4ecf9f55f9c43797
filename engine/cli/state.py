"""What every CLI command shares: the project path, output mode, and a lazily opened runtime."""

from __future__ import annotations

import json
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from ml_connector.engine.plugins.registry import PluginRegistry
from ml_connector.engine.sync.runtime import Runtime


@dataclass
class CliState:
    project: Path | None = None
    json_output: bool = False
    _runtime: Runtime | None = None
    _registry: PluginRegistry | None = None
    console: Console = field(default_factory=Console)
    err: Console = field(default_factory=lambda: Console(stderr=True))

    @property
    def registry(self) -> PluginRegistry:
        if self._registry is None:
            self._registry = PluginRegistry.from_entry_points()
        return self._registry

    def runtime(self) -> Runtime:
        if self._runtime is None:
            self._runtime = Runtime.open(self.project, registry=self.registry)
        return self._runtime

    def close(self) -> None:
        if self._runtime is not None:
            self._runtime.close()
            self._runtime = None

    def emit_json(self, value: Any) -> None:
        click.echo(json.dumps(value, indent=2, default=str))

    def program(self) -> str:
        """How to call the CLI on this project again, for commands quoted in messages."""
        if self.project is None:
            return "ml-connector"
        return f"ml-connector -p {shlex.quote(str(self.project))}"

    @property
    def interactive(self) -> bool:
        return not self.json_output and sys.stderr.isatty()


pass_state = click.make_pass_decorator(CliState)
