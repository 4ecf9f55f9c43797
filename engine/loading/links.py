"""Which pipelines a mapping links to, so a misspelt `link('custmers', ...)` fails at load.

`link(pipeline, source_id)` looks up the target id another pipeline recorded. Naming a
pipeline that does not exist would only fail when the first record is synced; reading the
names from the compiled expressions catches it with the other load errors.
"""

from __future__ import annotations

from collections.abc import Iterator

from jinja2 import nodes
from jinja2.exceptions import TemplateSyntaxError

from ml_connector.engine.mapping import Expression, ForEachNode, ListNode, ObjectNode
from ml_connector.engine.mapping.environment import default_environment
from ml_connector.engine.model.pipeline import Pipeline

LINK_FUNCTIONS = frozenset({"link", "linked_source"})


def pipeline_expressions(pipeline: Pipeline) -> Iterator[Expression]:
    """Every compiled expression of a pipeline: filter, match values and the mapping tree."""
    if pipeline.source_filter is not None:
        yield pipeline.source_filter
    if pipeline.source_deleted_when is not None:
        yield pipeline.source_deleted_when
    if pipeline.source_occurred_at is not None:
        yield pipeline.source_occurred_at
    for key in pipeline.match:
        yield key.value
    yield from _mapping_expressions(pipeline.mapping)


def _mapping_expressions(node: object) -> Iterator[Expression]:
    if isinstance(node, Expression):
        yield node
    elif isinstance(node, ObjectNode):
        for field in node.fields:
            yield from _mapping_expressions(field.value)
    elif isinstance(node, ListNode):
        for item in node.items:
            yield from _mapping_expressions(item)
    elif isinstance(node, ForEachNode):
        yield node.source
        yield from _mapping_expressions(node.item)


def linked_pipelines(expression: Expression) -> list[str]:
    """Pipeline names passed as a literal first argument to `link()` or `linked_source()`."""
    if "link" not in expression.names and "linked_source" not in expression.names:
        return []
    try:
        ast = default_environment().parse(expression.source)
    except TemplateSyntaxError:  # cannot happen for a compiled expression; nothing to report
        return []
    names = []
    for call in ast.find_all(nodes.Call):
        target, args = call.node, call.args
        if isinstance(target, nodes.Name) and target.name in LINK_FUNCTIONS and args \
                and isinstance(args[0], nodes.Const) and isinstance(args[0].value, str):
            names.append(args[0].value)
    return names
