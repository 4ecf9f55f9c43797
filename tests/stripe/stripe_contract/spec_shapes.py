"""Check a response object against the 2023 spec where the spec and package agree.

- every field the spec lists as `required` that the package still declares is present;
- a field whose primitive type (string, integer, boolean, number) is the same in the spec
  and the package has a value of that type;
- a field is null only where the spec allows null (Stripe leaves out, rather than nulls, a
  non-nullable field it has no value for; the package's `Optional` does not tell the two
  apart).
"""

from __future__ import annotations

import typing
from typing import Any

from .annotations import field_types
from .shapes import RESOURCES
from .spec import resource_schema

_PRIMITIVES: dict[str, tuple[type, ...]] = {
    "string": (str,), "integer": (int,), "boolean": (bool,), "number": (int, float)}
_PACKAGE_PRIMITIVE = {str: "string", int: "integer", bool: "boolean", float: "number"}


def _package_primitive(kind: Any) -> str | None:
    arms = [a for a in typing.get_args(kind) if a is not type(None)] or [kind]
    names = set()
    for arm in arms:
        if typing.get_origin(arm) is typing.Literal:
            names.add("string")
        else:
            names.add(_PACKAGE_PRIMITIVE.get(arm, "other"))
    return names.pop() if len(names) == 1 else None


def check_against_spec(obj: dict[str, Any]) -> list[str]:
    name = obj.get("object", "")
    schema = resource_schema(name)
    if schema is None or name not in RESOURCES:
        return []
    fields = field_types(RESOURCES[name])
    problems = [f"{name}.{f}: required by the spec, missing"
                for f in schema.get("required", []) if f in fields and f not in obj]
    for key, prop in schema["properties"].items():
        if key not in obj or key not in fields:
            continue
        if obj[key] is None and not prop.get("nullable"):
            problems.append(f"{name}.{key}: null, the spec says leave it out or give a value")
            continue
        if prop.get("type") not in _PRIMITIVES:
            continue
        if _package_primitive(fields[key]) != prop["type"]:
            continue  # changed since 2023: the package decides
        problems += _check_primitive(f"{name}.{key}", obj[key], prop)
    return problems


def _check_primitive(path: str, value: Any, prop: dict[str, Any]) -> list[str]:
    if value is None:
        return []
    expected = _PRIMITIVES[prop["type"]]
    if isinstance(value, bool) and bool not in expected:
        return [f"{path}: boolean where the spec says {prop['type']}"]
    return [] if isinstance(value, expected) else [f"{path}: {value!r} is not {prop['type']}"]
