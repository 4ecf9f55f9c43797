"""Decode Stripe's form-encoded bodies into nested dicts and lists.

Stripe's v1 API takes `application/x-www-form-urlencoded` bodies with bracketed keys:
`metadata[qbo_id]=58`, `lines[0][amount]=100`, `expand[]=payments`. Values stay strings here,
because only the endpoint knows whether `true` is a boolean or a metadata value; the typed
accessors in `params.py` convert them.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_SEGMENT = re.compile(r"\[([^\[\]]*)\]")


class FormError(ValueError):
    """A key that is not `name[seg][seg]...` or that mixes list and dict shapes."""


def decode_form(body: str) -> dict[str, Any]:
    """`a[b][0][c]=x&e[]=1` -> `{"a": {"b": [{"c": "x"}]}, "e": ["1"]}`."""
    root: dict[str, Any] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        _assign(root, _split_key(key), value)
    return _listify(root)


def _split_key(key: str) -> list[str]:
    match = _KEY.match(key)
    if not match:
        raise FormError(f"Invalid parameter name: {key}")
    return [match.group(1), *_SEGMENT.findall(match.group(2))]


def _assign(root: dict[str, Any], path: list[str], value: str) -> None:
    node = root
    for depth, segment in enumerate(path[:-1]):
        if segment == "":
            raise FormError("`[]` may only end a parameter name")
        nxt = path[depth + 1]
        child = node.get(segment)
        if child is None or isinstance(child, str):
            child = node[segment] = {}
        if nxt == "":
            child.setdefault("", [])
        node = child
    last = path[-1]
    if last == "":
        node.setdefault("", []).append(value)
    else:
        node[last] = value


def _listify(node: Any) -> Any:
    """Turn dicts keyed by indices (or by `[]`) into lists, recursively."""
    if not isinstance(node, dict):
        return node
    if set(node) == {""}:
        return [_listify(item) for item in node[""]]
    if node and all(key.isdigit() for key in node):
        return [_listify(node[key]) for key in sorted(node, key=int)]
    if "" in node:
        raise FormError("Cannot mix list and named keys in one parameter")
    return {key: _listify(value) for key, value in node.items()}
