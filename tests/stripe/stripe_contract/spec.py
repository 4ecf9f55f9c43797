"""Stripe's published OpenAPI spec (2023-08-16), for what has not changed since.

The tests read the subset kept in `openapi/spec3.subset.json` beside this module (its README
says where it comes from and how to regenerate it); `ML_CONNECTOR_STRIPE_OPENAPI` may name a
folder holding a full `spec3.json` to use instead. It predates the 2025 "basil" changes, so
checks use it only where the `stripe` package still agrees with it.
"""

from __future__ import annotations

import functools
import json
import os
import re
from pathlib import Path
from typing import Any

SUBSET = Path(__file__).with_name("openapi") / "spec3.subset.json"
OVERRIDE = "ML_CONNECTOR_STRIPE_OPENAPI"


def spec_path() -> Path:
    override = os.environ.get(OVERRIDE)
    return Path(override) / "spec3.json" if override else SUBSET


@functools.cache
def spec() -> dict[str, Any]:
    path = spec_path()
    if not path.exists():
        raise FileNotFoundError(f"Stripe's OpenAPI spec is expected at {path} "
                                f"(from {OVERRIDE}); unset it to use the subset kept in "
                                f"{SUBSET.parent.name}/")
    return json.loads(path.read_text(encoding="utf-8"))


def covered_resources() -> frozenset[str] | None:
    """The resources a subset covers (None for a full spec): a path outside them is unknown
    to the subset, not necessarily to the 2023 spec."""
    listed = spec()["info"].get("x-subset-resources")
    return frozenset(listed) if listed is not None else None


def resource_schema(name: str) -> dict[str, Any] | None:
    """The schema of an API resource by its `object` name, if the 2023 spec has it."""
    for schema in spec()["components"]["schemas"].values():
        if schema.get("x-resourceId") == name:
            return schema
    return None


@functools.cache
def _path_patterns() -> list[tuple[re.Pattern[str], str]]:
    patterns = []
    for template in spec()["paths"]:
        regex = re.sub(r"\{[^}/]+\}", "[^/]+", re.escape(template).replace(r"\{", "{")
                       .replace(r"\}", "}"))
        patterns.append((re.compile(f"^{regex}$"), template))
    # Literal segments beat parameters: /v1/customers/search before /v1/customers/{id}.
    patterns.sort(key=lambda p: p[1].count("{"))
    return patterns


def operation(method: str, path: str) -> tuple[str, dict[str, Any]] | None:
    """(path template, operation) for a concrete request path, or None if unknown."""
    for pattern, template in _path_patterns():
        if pattern.match(path):
            found = spec()["paths"][template].get(method.lower())
            if found is not None:
                return template, found
    return None
