"""Encode parameters as Stripe's form bodies: `metadata[k]=v`, `lines[0][amount]=100`.

Booleans become `true`/`false`, `None` is left out, `Decimal` keeps its exact digits, and
lists are indexed (`expand[0]=...`), exactly as the official libraries send them. An empty
string is sent as is: it is how Stripe unsets a field (`metadata[key]=`).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode


def flatten(params: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """(key, value) pairs in the order given; nested keys in brackets."""
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        pairs.extend(_pairs(name, value))
    return pairs


def _pairs(name: str, value: Any) -> list[tuple[str, str]]:
    if value is None:
        return []
    if isinstance(value, Mapping):
        return flatten(value, name)
    if isinstance(value, list | tuple):
        return [pair for index, item in enumerate(value)
                for pair in _pairs(f"{name}[{index}]", item)]
    return [(name, scalar(value))]


def scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        return repr(value)
    return str(value)


def encode(params: Mapping[str, Any]) -> str:
    return urlencode(flatten(params))
