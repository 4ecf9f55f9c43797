"""Mapping expressions: compiled once when a pipeline loads, rendered once per record."""

from ml_connector.engine.mapping.compile import compile_mapping
from ml_connector.engine.mapping.environment import CONTEXT_NAMES, FILTERS
from ml_connector.engine.mapping.expressions import (
    Expression,
    ExpressionError,
    compile_expression,
    unusable,
)
from ml_connector.engine.mapping.nodes import (
    FieldNode,
    ForEachNode,
    ListNode,
    MappingNode,
    ObjectNode,
)
from ml_connector.engine.mapping.renderer import render

__all__ = [
    "CONTEXT_NAMES",
    "FILTERS",
    "Expression",
    "ExpressionError",
    "FieldNode",
    "ForEachNode",
    "ListNode",
    "MappingNode",
    "ObjectNode",
    "compile_expression",
    "compile_mapping",
    "render",
    "unusable",
]
