"""Turn the raw `mapping:` value of a pipeline file into a checked tree of nodes.

Every problem in the whole mapping is collected, each at its own line and column, so the
user sees all of them at once instead of fixing one per run.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ml_connector.engine.diagnostics import Diagnostic, Location
from ml_connector.engine.mapping.checks import did_you_mean
from ml_connector.engine.mapping.expressions import (
    Expression,
    ExpressionError,
    compile_expression,
    unusable,
)
from ml_connector.engine.mapping.nodes import (
    OPTIONAL_MARKER,
    FieldNode,
    ForEachNode,
    ListNode,
    MappingNode,
    ObjectNode,
)

Path = tuple[str | int, ...]
FOR_EACH_KEYS = ("as", "for_each", "item")
DEFAULT_LOOP_NAME = "item"
_JINJA_CONSTANTS = frozenset({"true", "false", "none", "True", "False", "None"})


@dataclass
class _Walk:
    """What every step of the walk shares: the locator and the problems found so far."""

    locate: Callable[[Path], Location]
    diagnostics: list[Diagnostic]

    def report(self, path: Path, message: str) -> None:
        self.diagnostics.append(Diagnostic(self.locate(path), message))


def compile_mapping(raw: Any, locate: Callable[[Path], Location],
                    allowed_names: frozenset[str], path: Path = ()
                    ) -> tuple[MappingNode, list[Diagnostic]]:
    """Compile a raw YAML value (as PyYAML loaded it) into a mapping tree.

    `locate(path)` gives the Location of the YAML node at `path` (keys and indexes from the
    document root). The tree is only meant to be used when the diagnostics list is empty.
    """
    walk = _Walk(locate, [])
    node = _compile_node(raw, walk, allowed_names, path)
    return node, walk.diagnostics


def _compile_node(raw: Any, walk: _Walk, allowed: frozenset[str], path: Path) -> MappingNode:
    if isinstance(raw, Mapping):
        if "for_each" in raw:
            return _compile_for_each(raw, walk, allowed, path)
        return _compile_object(raw, walk, allowed, path)
    if isinstance(raw, list):
        items = tuple(_compile_node(item, walk, allowed, (*path, i)) for i, item in enumerate(raw))
        return ListNode(items, walk.locate(path))
    return _compile_value(raw, walk, allowed, path)


def _compile_value(raw: Any, walk: _Walk, allowed: frozenset[str], path: Path) -> Expression:
    """One scalar; on error a placeholder keeps the walk going so later problems surface."""
    location = walk.locate(path)
    try:
        return compile_expression(raw, location, allowed)
    except ExpressionError as exc:
        walk.diagnostics.extend(exc.diagnostics)
        return unusable(raw, location)


def _field_name(key: Any, walk: _Walk, path: Path) -> tuple[str, bool] | None:
    """(name, optional) of a key as written, or None after reporting why it is unusable."""
    if not isinstance(key, str):
        shown = {True: "true", False: "false", None: "null"}.get(key, str(key))
        walk.report((*path, key), f"field name {shown} is not text; put it in quotes")
        return None
    optional = key.endswith(OPTIONAL_MARKER)
    name = key[: -len(OPTIONAL_MARKER)] if optional else key
    if not name.strip():
        walk.report((*path, key), "empty field name")
        return None
    return name, optional


def _compile_object(raw: Mapping[Any, Any], walk: _Walk, allowed: frozenset[str],
                    path: Path) -> ObjectNode:
    fields: list[FieldNode] = []
    seen: set[str] = set()
    for key, value in raw.items():
        parsed = _field_name(key, walk, path)
        if parsed is None:
            continue
        name, optional = parsed
        if name in seen:
            walk.report((*path, key), f"field {name!r} is mapped twice")
            continue
        seen.add(name)
        node = _compile_node(value, walk, allowed, (*path, key))
        fields.append(FieldNode(name, node, optional, walk.locate((*path, key))))
    return ObjectNode(tuple(fields), walk.locate(path))


def _loop_name(raw: Mapping[Any, Any], walk: _Walk, allowed: frozenset[str],
               path: Path) -> str:
    """The `as` name, checked to be usable in expressions and not to hide another name."""
    name = raw.get("as", DEFAULT_LOOP_NAME)
    where = (*path, "as")
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name) \
            or name in _JINJA_CONSTANTS:
        walk.report(where, "'as' needs a plain name such as 'line'")
        return DEFAULT_LOOP_NAME
    if name in allowed:
        walk.report(where, f"'as: {name}' would hide the name {name!r} already available "
                           "here; choose another name")
    return name


def _loop_source(raw: Any, walk: _Walk, allowed: frozenset[str], path: Path) -> Expression:
    """The for_each expression; it must be one `{{ }}` so it yields a list, not text."""
    location = walk.locate(path)
    try:
        source = compile_expression(raw, location, allowed)
    except ExpressionError as exc:
        walk.diagnostics.extend(exc.diagnostics)
        return unusable(raw, location)
    if source.kind != "native":
        walk.report(path, "for_each needs one {{ }} expression that yields a list, "
                          "such as \"{{ record.Line }}\"")
    return source


def _compile_for_each(raw: Mapping[Any, Any], walk: _Walk, allowed: frozenset[str],
                      path: Path) -> ForEachNode:
    for key in raw:
        if key not in FOR_EACH_KEYS:
            hint = did_you_mean(key, FOR_EACH_KEYS) if isinstance(key, str) else ""
            walk.report((*path, key), f"unknown key {key!r} beside for_each{hint}; "
                                      f"expected: {', '.join(FOR_EACH_KEYS)}")
    var = _loop_name(raw, walk, allowed, path)
    source = _loop_source(raw["for_each"], walk, allowed, (*path, "for_each"))
    if "item" in raw:
        item = _compile_node(raw["item"], walk, allowed | {var}, (*path, "item"))
    else:
        walk.report(path, "for_each needs an 'item' that says what each element becomes")
        item = unusable(None, walk.locate(path))
    return ForEachNode(source, var, item, walk.locate(path))
