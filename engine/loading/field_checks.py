"""A pipeline's field names checked against what its connectors declare about their entities.

Every expression is read for the source fields it uses (`source_fields`), with each
`for_each` variable standing for an item of the list it walks, and every key of the mapping
is checked against the fields the target accepts (`target_fields`). A side whose entity
declares no fields is not checked.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from jinja2.exceptions import TemplateSyntaxError

from ml_connector.engine.diagnostics import Diagnostic
from ml_connector.engine.loading.pipeline_checks import Side
from ml_connector.engine.loading.schema_errors import label
from ml_connector.engine.loading.source_fields import Known, Scope, element, read_fields
from ml_connector.engine.loading.target_fields import target_problems
from ml_connector.engine.loading.yaml_nodes import Path, YamlDocument
from ml_connector.engine.mapping import (
    Expression,
    ForEachNode,
    ListNode,
    MappingNode,
    ObjectNode,
)
from ml_connector.engine.mapping.checks import template_location
from ml_connector.engine.mapping.environment import default_environment
from ml_connector.engine.plugins.protocol import EntitySpec


def field_problems(doc: YamlDocument, source: Side | None, target: Side | None,
                   expressions: Sequence[tuple[Path, Expression]],
                   mapping: MappingNode | None) -> list[Diagnostic]:
    """Source fields read by `expressions` (filter, match values...) and by the mapping, and
    mapping keys, that the connectors say do not exist."""
    problems: list[Diagnostic] = []
    if source is not None and source.spec is not None \
            and source.spec.record_fields is not None:
        scope = {"record": Known(source.spec.record_fields)}
        entity = entity_label(source.connector, source.spec)
        for path, expression in expressions:
            problems += _read(expression, path, scope, entity)[0]
        if mapping is not None:
            problems += _mapping_reads(mapping, ("mapping",), scope, entity)
    if target is not None and target.spec is not None \
            and target.spec.payload_fields is not None and mapping is not None:
        entity = entity_label(target.connector, target.spec)
        problems += target_problems(mapping, target.spec.payload_fields, entity, doc.locate_key)
    return problems


def entity_label(connector: str | None, spec: EntitySpec) -> str:
    """How messages name an entity: as its connector labels it, or `connector 'name'`."""
    return spec.label or f"{connector} '{spec.name}'"


def _mapping_reads(node: MappingNode, path: Path, scope: Scope,
                   entity: str) -> Iterator[Diagnostic]:
    if isinstance(node, Expression):
        yield from _read(node, path, scope, entity)[0]
    elif isinstance(node, ObjectNode):
        for child in node.fields:
            yield from _mapping_reads(child.value, (*path, child.key), scope, entity)
    elif isinstance(node, ListNode):
        for index, item in enumerate(node.items):
            yield from _mapping_reads(item, (*path, index), scope, entity)
    elif isinstance(node, ForEachNode):
        problems, whole = _read(node.source, (*path, "for_each"), scope, entity)
        yield from problems
        item = element(whole)
        inner = {**scope, node.var: item} if item is not None else \
            {name: known for name, known in scope.items() if name != node.var}
        yield from _mapping_reads(node.item, (*path, "item"), inner, entity)


def _read(expression: Expression, path: Path, scope: Scope,
          entity: str) -> tuple[list[Diagnostic], Known | None]:
    if expression.kind == "literal":
        return [], None
    ast = expression.ast
    if ast is None:   # unusable: its problem is reported; the fields it names still count
        try:
            ast = default_environment().parse(expression.source)
        except TemplateSyntaxError:  # it failed to compile, and that is reported already
            return [], None
    found, whole = read_fields(ast, scope, entity)
    where = label(path)
    return [Diagnostic(template_location(expression.location, expression.source, line),
                       f"{where}: {message}") for line, message in found], whole
