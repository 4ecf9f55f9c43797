"""Checks of one pipeline file against the project: connections, entities, match keys,
triggers and policies.

The schema only knows shapes. Whether `crm` is a configured connection, whether
`Invoce` is an entity of its connector, or whether a target can void a record depends on the
project and the installed plugins, so those are checked here, each at its own key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from ml_connector.engine.loading.connections import PluginRegistry
from ml_connector.engine.loading.durations import parse_duration
from ml_connector.engine.loading.suggest import did_you_mean, one_of
from ml_connector.engine.loading.yaml_nodes import Path, YamlDocument
from ml_connector.engine.model.pipeline import (
    Endpoint,
    OnImmutableChange,
    OnSourceDelete,
    Policies,
    Trigger,
)
from ml_connector.engine.model.project import Connection
from ml_connector.engine.plugins.protocol import EntitySpec

NEEDED_OPERATIONS = {"source": ("read",), "target": ("create", "update")}


@dataclass(frozen=True)
class Side:
    """A checked endpoint, with the connector and entity spec when they could be found."""

    endpoint: Endpoint
    connector: str | None = None
    spec: EntitySpec | None = None


@dataclass(frozen=True)
class Scope:
    """What a pipeline is checked against: the project's connections and the plugins."""

    connections: Mapping[str, Connection]
    registry: PluginRegistry

    def connection(
        self, doc: YamlDocument, path: Path, name: str, role: str = ""
    ) -> Connection | None:
        """The connection `name`, or None after reporting it as unknown at `path`."""
        found = self.connections.get(name)
        if found is None:
            names = list(self.connections)
            doc.error(path, f"unknown connection '{name}'{role}{did_you_mean(name, names)}; "
                            f"configured connections: {one_of(names)}")
        return found

    def entities(self, connector: str) -> Mapping[str, EntitySpec] | None:
        """The connector's entities; None when the connector is not installed (the project
        file reports that)."""
        try:
            plugin = self.registry.get(connector)
        except Exception:  # unknown or broken connectors are reported with the project file
            return None
        return plugin.entities()


def check_side(doc: YamlDocument, side: str, raw: Mapping[str, Any], scope: Scope) -> Side:
    """Check `source` or `target`: its connection exists and its entity belongs to it."""
    endpoint = Endpoint(connection=raw["connection"], entity=raw["entity"])
    connection = scope.connection(doc, (side, "connection"), endpoint.connection)
    if connection is None:
        return Side(endpoint)
    entities = scope.entities(connection.connector)
    if entities is None:
        return Side(endpoint, connection.connector)
    spec = entities.get(endpoint.entity)
    if spec is None:
        doc.error((side, "entity"), _unknown_entity(endpoint, connection.connector, entities))
        return Side(endpoint, connection.connector)
    _check_operations(doc, side, spec, connection.connector)
    return Side(endpoint, connection.connector, spec)


def _unknown_entity(endpoint: Endpoint, connector: str, entities: Mapping[str, Any]) -> str:
    return (
        f"unknown entity '{endpoint.entity}' for connection '{endpoint.connection}' "
        f"(connector '{connector}'){did_you_mean(endpoint.entity, entities)}; "
        f"available entities: {one_of(entities)}"
    )


def _check_operations(doc: YamlDocument, side: str, spec: EntitySpec, connector: str) -> None:
    needed = NEEDED_OPERATIONS[side]
    if not any(op in spec.operations for op in needed):
        doc.error((side, "entity"), f"{connector} '{spec.name}' cannot be used as a {side}: "
                                    f"it supports {one_of(spec.operations)}, "
                                    f"a {side} needs {' or '.join(needed)}")


def check_match_field(doc: YamlDocument, index: int, field: str, target: Side) -> None:
    """A match key must be a field the target system can search by."""
    spec = target.spec
    if spec is None or any(fnmatchcase(field, allowed) for allowed in spec.match_fields):
        return
    doc.error(("match", index, "target_field"),
              f"match field '{field}' cannot be used to find {target.connector} '{spec.name}' "
              f"records{did_you_mean(field, spec.match_fields)}; "
              f"allowed match fields: {one_of(spec.match_fields)}")


def build_triggers(
    doc: YamlDocument, entries: list[tuple[int, Any]], scope: Scope, source: Side | None
) -> tuple[Trigger, ...]:
    """The model triggers of schema-valid `(index, entry)` pairs; webhook triggers must name
    the source's configured connection."""
    triggers = []
    for i, entry in entries:
        if entry == "manual":
            triggers.append(Trigger("manual"))
        elif "poll" in entry:
            triggers.append(Trigger("poll", every_seconds=parse_duration(entry["poll"]["every"])))
        else:
            _check_webhook(doc, (i, entry["webhook"]), scope, source)
            triggers.append(Trigger("webhook", connection=entry["webhook"]))
    return tuple(triggers)


def _check_webhook(doc: YamlDocument, entry: tuple[int, str], scope: Scope,
                   source: Side | None) -> None:
    index, name = entry
    path: Path = ("triggers", index, "webhook")
    known = scope.connection(doc, path, name, " in webhook trigger") is not None
    if not known or source is None or source.connector is None:
        return
    if name != source.endpoint.connection:
        doc.error(path, f"webhook trigger '{name}' is not the source connection "
                        f"'{source.endpoint.connection}': a webhook only announces changes "
                        "of the source")


def build_policies(doc: YamlDocument, raw: Mapping[str, Any], target: Side | None) -> Policies:
    """The model policies; a delete policy must be a removal the target entity supports."""
    policies = Policies(
        on_source_delete=OnSourceDelete(raw.get("on_source_delete", Policies.on_source_delete)),
        on_immutable_change=OnImmutableChange(
            raw.get("on_immutable_change", Policies.on_immutable_change)),
    )
    mode = policies.on_source_delete
    spec = target.spec if target else None
    if spec is None or mode is OnSourceDelete.IGNORE:
        return policies
    if "remove" not in spec.operations or mode.value not in spec.remove_modes:
        modes = spec.remove_modes if "remove" in spec.operations else ()
        doc.error(("policies", "on_source_delete"),
                  f"policies.on_source_delete: {target.connector} '{spec.name}' records cannot "
                  f"be removed with '{mode.value}'; possible: {one_of(('ignore', *modes))}")
    return policies
