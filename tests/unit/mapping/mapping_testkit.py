"""Helpers for the mapping tests: compile YAML text the way the pipeline loader does."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml

from ml_connector.engine.diagnostics import Diagnostic, Location
from ml_connector.engine.mapping import CONTEXT_NAMES, MappingNode, compile_mapping

FILE = "pipelines/test.yaml"


def locator(text: str) -> Callable[[tuple[str | int, ...]], Location]:
    """locate(path) over the YAML node marks of `text`, 1-based like an editor."""
    root = yaml.compose(text)

    def locate(path: tuple[str | int, ...]) -> Location:
        node = root
        for step in path:
            if isinstance(node, yaml.SequenceNode):
                node = node.value[step]
            else:
                node = next(v for k, v in node.value
                            if k.value == step or yaml.safe_load(k.value) == step)
        return Location(FILE, node.start_mark.line + 1, node.start_mark.column + 1)

    return locate


def compile_yaml(text: str, key: str = "mapping") -> tuple[MappingNode, list[Diagnostic]]:
    """Compile the value under `key` of a YAML document, with real line numbers."""
    raw: Any = yaml.safe_load(text)
    return compile_mapping(raw[key], locator(text), CONTEXT_NAMES, (key,))


def messages(diagnostics: list[Diagnostic]) -> list[str]:
    return [str(d) for d in sorted(diagnostics, key=lambda d: d.sort_key())]
