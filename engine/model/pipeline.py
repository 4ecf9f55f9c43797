"""A loaded, validated pipeline: what one sync between two entities is made of.

These are plain values. The loader builds them from YAML (with every expression already
compiled), and the runner, planner and CLI only read them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ml_connector.engine.diagnostics import Location
    from ml_connector.engine.mapping.expressions import Expression
    from ml_connector.engine.mapping.nodes import MappingNode


class OnSourceDelete(StrEnum):
    """What happens to the target when its source record is deleted or deactivated."""

    IGNORE = "ignore"
    DELETE = "delete"
    VOID = "void"
    DEACTIVATE = "deactivate"


class OnImmutableChange(StrEnum):
    """What happens when the target can no longer accept a change (a finalized invoice)."""

    VOID_AND_RECREATE = "void_and_recreate"
    FLAG = "flag"
    IGNORE = "ignore"


@dataclass(frozen=True)
class Endpoint:
    """One side of a pipeline: a configured connection and one of its connector's entities."""

    connection: str
    entity: str


@dataclass(frozen=True)
class MatchKey:
    """A target field that identifies an existing target record for a source record."""

    target_field: str
    value: Expression


@dataclass(frozen=True)
class Trigger:
    """When a pipeline runs: `webhook` (from `connection`), `poll` (every N seconds), `manual`."""

    kind: str
    connection: str | None = None
    every_seconds: int | None = None


@dataclass(frozen=True)
class Policies:
    on_source_delete: OnSourceDelete = OnSourceDelete.IGNORE
    on_immutable_change: OnImmutableChange = OnImmutableChange.FLAG


@dataclass(frozen=True)
class Pipeline:
    """One declarative sync from a source entity to a target entity."""

    name: str
    description: str
    source: Endpoint
    target: Endpoint
    mapping: MappingNode
    path: str
    location: Location
    # Of the file text it was loaded from: whether the file changed since (loading/on_disk.py).
    file_digest: str | None = None
    source_filter: Expression | None = None
    # True for a source record that counts as deleted (e.g. deactivated): the delete policy
    # applies to it exactly as to a record the source system reports deleted.
    source_deleted_when: Expression | None = None
    # When the source record came into being for this pipeline; see engine/sync/adoption.py.
    source_occurred_at: Expression | None = None
    match: tuple[MatchKey, ...] = ()
    depends_on: tuple[str, ...] = ()
    triggers: tuple[Trigger, ...] = (Trigger("manual"),)
    policies: Policies = field(default_factory=Policies)
    params: Mapping[str, Any] = field(default_factory=dict)
    # The pipeline that syncs the other way: each target this one creates or adopts is
    # linked there too, the other way round, so that pipeline updates the same pair later
    # instead of taking the record for an echo or making a second counterpart.
    link_back: str | None = None
