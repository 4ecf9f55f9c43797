"""Which pipelines a mapping links to, so a misspelt `link('custmers', ...)` fails at load.

`link(pipeline, source_id)` looks up the target id another pipeline recorded. Naming a
pipeline that does not exist would only fail when the first record is synced; reading the
names from the compiled expressions catches it with the other load errors.
"""

from __future__ import annotations

from collections.abc import Iterator

from jinja2 import nodes

from ml_connector.engine.mapping import Expression, ForEachNode, ListNode, ObjectNode
from ml_connector.engine.model.pipeline import Pipeline

LINK_FUNCTIONS = frozenset({"link", "linked_source"})


def pipeline_expressions(pipeline: Pipeline) -> Iterator[Expression]:
    """Every compiled expression of a pipeline: filter, match values and the mapping tree."""
    yield from _decision_expressions(pipeline)
    yield from _mapping_expressions(pipeline.mapping)


def pulled_on_demand(pipeline: Pipeline) -> set[str]:
    """Dependencies this pipeline reaches only through `link()` in its mapping.

    Rendering the mapping syncs an unlinked parent on demand, so such a dependency need not
    have finished before this pipeline starts. A dependency read any other way (through
    `linked_source()`, or in a filter or match value, which decide before anything is
    pulled) must have finished: otherwise a record could be filtered out, and its cursor
    passed, only because its parent was not synced yet.
    """
    pulled = {name for expression in _mapping_expressions(pipeline.mapping)
              for name in linked_pipelines(expression, functions=frozenset({"link"}))}
    read_as_is = {name for expression in _decision_expressions(pipeline)
                  for name in linked_pipelines(expression)}
    read_as_is |= {name for expression in _mapping_expressions(pipeline.mapping)
                   for name in linked_pipelines(expression,
                                                functions=frozenset({"linked_source"}))}
    return pulled - read_as_is


def _decision_expressions(pipeline: Pipeline) -> Iterator[Expression]:
    """The expressions evaluated before the mapping: filter, deletion, time, match values."""
    if pipeline.source_filter is not None:
        yield pipeline.source_filter
    if pipeline.source_deleted_when is not None:
        yield pipeline.source_deleted_when
    if pipeline.source_occurred_at is not None:
        yield pipeline.source_occurred_at
    for key in pipeline.match:
        yield key.value


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


def linked_pipelines(expression: Expression,
                     functions: frozenset[str] = LINK_FUNCTIONS) -> list[str]:
    """Pipeline names passed as a literal first argument to `link()` or `linked_source()`."""
    if not functions & set(expression.names) or expression.ast is None:
        return []
    names = []
    for call in expression.ast.find_all(nodes.Call):
        target, args = call.node, call.args
        if isinstance(target, nodes.Name) and target.name in functions and args \
                and isinstance(args[0], nodes.Const) and isinstance(args[0].value, str):
            names.append(args[0].value)
    return names
