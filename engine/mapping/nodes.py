"""The compiled shape of a pipeline's `mapping:` block: a tree the renderer walks per record.

Plain frozen values, built once at load time by `compile_mapping`; every node keeps its
place in the YAML file so later checks can point at it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ml_connector.engine.diagnostics import Location
from ml_connector.engine.mapping.expressions import Expression

OPTIONAL_MARKER = "?"
"""Ends the key of a field left out when its value is undefined (`email?:`)."""


@dataclass(frozen=True)
class FieldNode:
    """One key of a mapped object; `optional` fields (`name?:`) are left out when undefined."""

    name: str
    value: MappingNode
    optional: bool
    location: Location

    @property
    def key(self) -> str:
        """The key as the file writes it (`email?` for an optional field), to locate it."""
        return f"{self.name}{OPTIONAL_MARKER}" if self.optional else self.name


@dataclass(frozen=True)
class ObjectNode:
    """A YAML mapping: renders to a dict with one entry per field."""

    fields: tuple[FieldNode, ...]
    location: Location


@dataclass(frozen=True)
class ListNode:
    """A literal YAML list: renders to a list of the same length."""

    items: tuple[MappingNode, ...]
    location: Location


@dataclass(frozen=True)
class ForEachNode:
    """`{for_each: ..., as: var, item: ...}`: one rendered `item` per element of `source`."""

    source: Expression
    var: str
    item: MappingNode
    location: Location


MappingNode = Expression | ObjectNode | ListNode | ForEachNode
