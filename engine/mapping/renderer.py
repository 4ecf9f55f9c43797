"""Render a compiled mapping tree for one record into the target payload.

Errors name the pipeline, the field path (`lines[2].amount`), the record id and the
expression text, never the context. Errors of the product itself (such as MissingLink from
`link()`) pass through untouched, because the runner reacts to them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from jinja2.exceptions import UndefinedError

from ml_connector.engine.errors import MlConnectorError, RenderError
from ml_connector.engine.mapping.conversions import describe_type
from ml_connector.engine.mapping.expressions import Expression
from ml_connector.engine.mapping.nodes import (
    ForEachNode,
    ListNode,
    MappingNode,
    ObjectNode,
)
from ml_connector.engine.mapping.reasons import explain


class UndefinedValueError(RenderError):
    """A field's value is undefined; an optional field containing it is left out instead."""


def render(node: MappingNode, context: Mapping[str, Any], *, pipeline: str, record_id: str,
           field: str = "") -> Any:
    """The payload `node` describes for one record.

    `field` is the path shown in errors for the node itself (the runner passes, say,
    "match[0]" when it renders a match key on its own).
    """
    return _Renderer(pipeline, record_id).node(node, context, field)


def _child(parent: str, name: str) -> str:
    return f"{parent}.{name}" if parent else name


@dataclass(frozen=True)
class _Renderer:
    pipeline: str
    record_id: str

    def node(self, node: MappingNode, context: Mapping[str, Any], field: str) -> Any:
        if isinstance(node, Expression):
            return self.evaluate(node, context, field)
        if isinstance(node, ObjectNode):
            return self.object(node, context, field)
        if isinstance(node, ListNode):
            return self.list(node, context, field)
        return self.for_each(node, context, field)

    def list(self, node: ListNode, context: Mapping[str, Any], field: str) -> list[Any]:
        """A literal list; a `for_each` item contributes all its items in its place.

        That is how one target list is built from several source lists (sales lines, then
        discounts, then a tax line) without a Python step.
        """
        out: list[Any] = []
        for item in node.items:
            if isinstance(item, ForEachNode):
                out.extend(self.for_each(item, context, field, start=len(out)))
            else:
                out.append(self.node(item, context, f"{field}[{len(out)}]"))
        return out

    def object(self, node: ObjectNode, context: Mapping[str, Any], field: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for child in node.fields:
            try:
                out[child.name] = self.node(child.value, context, _child(field, child.name))
            except UndefinedValueError:
                if not child.optional:
                    raise
        return out

    def for_each(self, node: ForEachNode, context: Mapping[str, Any], field: str,
                 start: int = 0) -> list[Any]:
        """One item per element; `start` numbers them after the items already in the list."""
        elements = self.evaluate(node.source, context, field)
        if isinstance(elements, str | bytes | Mapping) or not isinstance(elements, Iterable):
            raise self.error(node.source, field,
                             f"for_each needs a list, got {describe_type(elements)}")
        return [self.node(node.item, {**context, node.var: element}, f"{field}[{start + i}]")
                for i, element in enumerate(elements)]

    def evaluate(self, expr: Expression, context: Mapping[str, Any], field: str) -> Any:
        try:
            return expr.evaluate(context)
        except MlConnectorError:
            raise
        except UndefinedError as exc:
            raise self.error(expr, field, explain(exc, context), UndefinedValueError) from None
        except Exception as exc:
            raise self.error(expr, field, explain(exc, context)) from None

    def error(self, expr: Expression, field: str, reason: str,
              kind: type[RenderError] = RenderError) -> RenderError:
        return kind(self.pipeline, field or "(value)", self.record_id, expr.source, reason)
