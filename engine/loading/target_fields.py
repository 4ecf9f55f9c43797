"""The keys of a mapping, checked against the fields the target entity accepts.

A payment API answers a misspelt parameter with an error on every record; a ledger may
ignore it and book the record without the value. Either way the pipeline file is where the
mistake is, so it is reported there, at the key, when the pipeline loads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ml_connector.engine.diagnostics import Diagnostic, Location
from ml_connector.engine.loading.schema_errors import label
from ml_connector.engine.loading.suggest import did_you_mean
from ml_connector.engine.loading.yaml_nodes import Path
from ml_connector.engine.mapping import ForEachNode, ListNode, MappingNode, ObjectNode
from ml_connector.engine.plugins.fields import Fields, ListOf, Shape


@dataclass(frozen=True)
class _Walk:
    entity: str
    locate_key: Callable[[Path], Location]


def target_problems(mapping: MappingNode, accepted: Fields, entity: str,
                    locate_key: Callable[[Path], Location]) -> list[Diagnostic]:
    """Every mapped field, at any depth, that `accepted` says the target does not take.

    `entity` names the target in messages ("Payments customer"); `locate_key(path)` places a
    key of the pipeline file.
    """
    return list(_node(mapping, accepted, "", ("mapping",), _Walk(entity, locate_key)))


def _node(node: MappingNode, shape: Shape, where: str, path: Path,
          walk: _Walk) -> Iterator[Diagnostic]:
    if isinstance(node, ObjectNode) and isinstance(shape, Fields):
        yield from _object(node, shape, where, path, walk)
    elif isinstance(node, ListNode) and isinstance(shape, ListOf):
        for index, item in enumerate(node.items):
            if isinstance(item, ForEachNode):  # its items take this place in the list
                yield from _node(item.item, shape.item, f"{where}[]", (*path, index, "item"),
                                 walk)
            else:
                yield from _node(item, shape.item, f"{where}[]", (*path, index), walk)
    elif isinstance(node, ForEachNode) and isinstance(shape, ListOf):
        yield from _node(node.item, shape.item, f"{where}[]", (*path, "item"), walk)


def _object(node: ObjectNode, shape: Fields, where: str, path: Path,
            walk: _Walk) -> Iterator[Diagnostic]:
    inside = f" in {where}" if where else ""
    for child in node.fields:
        key = child.key
        accepted = shape.named.get(child.name)
        if accepted is not None:
            written = f"{where}.{child.name}" if where else child.name
            yield from _node(child.value, accepted, written, (*path, key), walk)
        elif not shape.open:
            yield Diagnostic(walk.locate_key((*path, key)),
                             f"{label((*path, key))}: {walk.entity} does not accept a field "
                             f"'{child.name}'{inside}{did_you_mean(child.name, shape.named)}")
