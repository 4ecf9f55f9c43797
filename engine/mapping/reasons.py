"""Turn an exception raised while evaluating an expression into a safe, readable reason.

The reason ends up in logs and the audit trail, so it must never carry the render context:
a record can hold personal data and `params` can hold secrets. Messages we wrote ourselves
(filters, the sandbox) are used as they are; any other message is scrubbed of every text
value found in the context before it is shown.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import fields, is_dataclass
from typing import Any

from jinja2.exceptions import SecurityError, UndefinedError

from ml_connector.engine.mapping.conversions import FilterError

MASK = "***"
MIN_SCRUBBED_LENGTH = 3
_MAX_DEPTH = 12
_MAX_STRINGS = 50_000


def _strings(value: Any, depth: int = 0) -> Iterator[str]:
    """Every text value reachable from `value` (mappings, sequences, dataclasses)."""
    if depth > _MAX_DEPTH:
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():  # keys name fields; only values are data
            yield from _strings(item, depth + 1)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from _strings(item, depth + 1)
    elif is_dataclass(value) and not isinstance(value, type):
        for field in fields(value):
            yield from _strings(getattr(value, field.name), depth + 1)


def scrub(text: str, context: Mapping[str, Any]) -> str:
    """`text` with every context string of three or more characters masked, longest first."""
    found: set[str] = set()
    for value in _strings(dict(context)):
        if len(value) >= MIN_SCRUBBED_LENGTH:
            found.add(value)
        if len(found) >= _MAX_STRINGS:
            break
    for value in sorted(found, key=len, reverse=True):
        text = text.replace(value, MASK)
    return text


def _sentence(message: str) -> str:
    message = message.strip().rstrip(".")
    return message[:1].lower() + message[1:]


def explain(exc: Exception, context: Mapping[str, Any]) -> str:
    """The reason to show for `exc`; never contains anything taken from `context`."""
    if isinstance(exc, FilterError | SecurityError):
        return _sentence(str(exc))
    if isinstance(exc, UndefinedError):
        return scrub(_sentence(exc.message or "undefined value"), context)
    detail = _sentence(str(exc)) or "no detail given"
    return scrub(f"{type(exc).__name__}: {detail}", context)
