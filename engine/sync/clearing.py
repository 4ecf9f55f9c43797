"""Which of the fields a mapping stopped writing a connector is asked to clear.

`update(..., clear=)` came after the first plugins were written: a connector whose
`update` has no `clear` parameter would fail with a TypeError the moment a mapping drops a
field. Such a connector is asked to clear nothing; the fields stay in the target, the link
keeps them among the fields written (so they are not taken for cleared), and plan and run
say that the connector cannot clear them.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

from ml_connector.engine.plugins.protocol import FieldClearing
from ml_connector.engine.records import FieldPath


def takes_clear(connector: Any) -> bool:
    """Whether the connector's `update` accepts `clear` (looked at once per implementation)."""
    update = connector.update
    return _accepts_clear(getattr(update, "__func__", update))


@cache
def _accepts_clear(update: Callable[..., Any]) -> bool:
    try:
        parameters = inspect.signature(update).parameters.values()
    except (TypeError, ValueError):   # no signature to read: do not risk the TypeError
        return False
    return any(p.name == "clear" or p.kind is inspect.Parameter.VAR_KEYWORD
               for p in parameters)


def split_clear(connector: Any, entity: str, clear: Sequence[FieldPath]
                ) -> tuple[tuple[FieldPath, ...], tuple[FieldPath, ...]]:
    """(the fields to ask the connector to clear, those it cannot clear and the target keeps).

    A connector that says which fields it clears (`FieldClearing`) is asked for those only.
    """
    if not clear:
        return (), ()
    if not takes_clear(connector):
        return (), tuple(clear)
    if not isinstance(connector, FieldClearing):
        return tuple(clear), ()
    sent = tuple(path for path in clear if connector.clears(entity, path))
    return sent, tuple(path for path in clear if path not in sent)
