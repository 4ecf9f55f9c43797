"""Find every API object inside a JSON document (lists, expansions, event payloads)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .shapes import RESOURCES


def resources_in(document: Any) -> Iterator[dict[str, Any]]:
    if isinstance(document, dict):
        kind = document.get("object")
        if isinstance(kind, str) and kind in RESOURCES and "deleted" not in document:
            yield document
        for value in document.values():
            yield from resources_in(value)
    elif isinstance(document, list):
        for item in document:
            yield from resources_in(item)
