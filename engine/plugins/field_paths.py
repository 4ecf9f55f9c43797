"""Key paths into records, for connectors that say which fields they clear and show.

A field is named by its path of keys, `("metadata", "order_id")`. The engine walks a
payload against a target's record (its `reconcile_view`) to find what differs, and names
the fields a mapping stopped writing so `update(..., clear=)` can unset them; a connector
uses the same paths and the same idea of "holds a value" to answer `clears` and to build
its requests, so the engine and the connector cannot disagree about what a field is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from ml_connector.engine.records import FieldPath

__all__ = ["WRITE_ONLY", "FieldPath", "holds", "value_at"]

_ABSENT: Final = object()


class _WriteOnly:
    """The type of `WRITE_ONLY`: one value, named so it reads well in a debugger."""

    def __repr__(self) -> str:
        return "WRITE_ONLY"


WRITE_ONLY: Final = _WriteOnly()
"""What a `reconcile_view` shows at a payload key the system does not read back.

Some payload keys ask for a step rather than set a field (an invoice's `finalize`): the
record holds nothing there to compare. A view that puts `WRITE_ONLY` at such a key keeps
plan and reconcile from reporting it as a field the target lacks.
"""


def value_at(data: Any, path: FieldPath) -> Any:
    """The value at a key path; a private marker (never equal to a value) when the path
    leads nowhere."""
    for key in path:
        if not isinstance(data, Mapping) or key not in data:
            return _ABSENT
        data = data[key]
    return data


def holds(data: Mapping[str, Any], path: FieldPath) -> bool:
    """Whether `data` holds a value at `path` (not nothing, an empty text, object or list)."""
    value = value_at(data, path)
    return value is not _ABSENT and value not in (None, "", {}, [])
