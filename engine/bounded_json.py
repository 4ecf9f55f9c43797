"""JSON from unauthenticated or merely signed senders, parsed with a nesting limit.

A signed webhook proves who sent it, not that it is sane: a few kilobytes of `[[[[...` make
the standard parser raise `RecursionError`, which escaped as a 500 with a traceback. Here
any body nested deeper than `max_depth` is a `ValueError` naming the limit, which webhook
parsers already answer with a 400. No event either API documents comes near the limit.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

MAX_DEPTH = 64


class TooDeep(ValueError):
    """The body nests arrays or objects deeper than the limit."""


def loads(raw: bytes | str, *, max_depth: int = MAX_DEPTH,
          parse_float: Callable[[str], Any] | None = None) -> Any:
    """Parse `raw`, refusing it when it nests deeper than `max_depth` levels."""
    try:
        value = json.loads(raw, parse_float=parse_float)
        too_deep = _depth_exceeds(value, max_depth)
    except RecursionError:
        too_deep = True
    if too_deep:
        raise TooDeep(f"the JSON body nests deeper than {max_depth} levels")
    return value


def _depth_exceeds(value: Any, limit: int) -> bool:
    """Walk iteratively, so checking a deep value cannot itself overflow the stack."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children)
    return False
