"""Stripe's published OpenAPI spec (2023-08-16), for what has not changed since.

The spec sits beside the checkout in `../shared/stripe-openapi/` (override with the
`ML_CONNECTOR_STRIPE_OPENAPI` environment variable). It predates the 2025 "basil" changes,
so checks use it only where the `stripe` package still agrees with it.
"""

from __future__ import annotations

import functools
import json
import os
import re
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[3]
DEFAULT_DIR = REPO.parent / "shared" / "stripe-openapi"


def spec_dir() -> Path:
    return Path(os.environ.get("ML_CONNECTOR_STRIPE_OPENAPI", DEFAULT_DIR))


@functools.cache
def spec() -> dict[str, Any]:
    path = spec_dir() / "spec3.json"
    if not path.exists():
        raise FileNotFoundError(f"Stripe's OpenAPI spec is expected at {path}; set "
                                "ML_CONNECTOR_STRIPE_OPENAPI to the folder holding spec3.json")
    return json.loads(path.read_text())


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
