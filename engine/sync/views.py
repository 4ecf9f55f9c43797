"""What a plan and a reconciliation compare a payload with: the target as the mapping sees it.

A target read back rarely has the payload's shape (a list written as an array comes back as
a page of objects, a subtotal line the system adds on read). A connector may present its
records in the shape its mappings write with the optional `reconcile_view(entity, record)`;
`differences` then walks the payload against that view, field by field, for a plan's
changes (`diff`) and a reconciliation's mismatches alike, so both see the same fields differ.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from ml_connector.engine.plugins.field_paths import WRITE_ONLY, holds, value_at
from ml_connector.engine.plugins.protocol import Connector, UpdateCheck
from ml_connector.engine.records import FieldPath, Record
from ml_connector.engine.sync.values import same_value

ABSENT: Final = object()
"""What `differences` gives as the target's value where the target holds nothing at all."""


@dataclass(frozen=True)
class FieldChange:
    """One field a write would change: `before` is what the target shows now."""

    field: str
    before: Any
    after: Any


def shown(target: Connector, entity: str, record: Record) -> Mapping[str, Any]:
    """The target record in the shape the mapping writes (its `reconcile_view`, if any)."""
    view = getattr(target, "reconcile_view", None)
    return view(entity, record) if view is not None else record.data


def refusal(target: Connector, entity: str, current: Record,
            payload: Mapping[str, Any]) -> str | None:
    """Why the target would refuse this update, when its connector can tell without writing."""
    if isinstance(target, UpdateCheck):
        return target.refuses_update(entity, current, payload)
    return None


def diff(payload: Any, current: Any) -> Iterator[FieldChange]:
    """What writing the payload would change, leaf by leaf (`before` None: nothing there)."""
    for path, want, have in differences(payload, current):
        yield FieldChange(path, None if have is ABSENT else have, want)


def differences(payload: Any, current: Any, path: str = "") -> Iterator[tuple[str, Any, Any]]:
    """(path, what the mapping gives, what the target holds) where they disagree.

    Only fields the payload sets are compared: the target's other fields are not ours. A
    field the target lacks is a difference (its value is `ABSENT`), unless the payload
    sets it to nothing or the connector's view shows `WRITE_ONLY` there. A list is written
    whole: items beyond the payload's differ too (the mapping gives None for them).
    Amounts compare as numbers (`same_value`).
    """
    if current is WRITE_ONLY:
        return   # a step the connector takes, not a field it reads back
    if isinstance(payload, Mapping):
        current_map = current if isinstance(current, Mapping) else {}
        for key, value in payload.items():
            yield from differences(value, current_map.get(key, ABSENT),
                                   f"{path}.{key}" if path else str(key))
    elif isinstance(payload, list):
        current_list = current if isinstance(current, list) else []
        for index, value in enumerate(payload):
            have = current_list[index] if index < len(current_list) else ABSENT
            yield from differences(value, have, f"{path}[{index}]")
        for index in range(len(payload), len(current_list)):
            yield f"{path}[{index}]", None, current_list[index]
    elif current is ABSENT:
        if not same_value(payload, None):
            yield path, payload, ABSENT
    elif isinstance(current, Mapping | list) or not same_value(payload, current):
        yield path, payload, current


def cleared_changes(clear: Sequence[FieldPath], current: Mapping[str, Any]
                    ) -> Iterator[FieldChange]:
    """The fields an update clears, as changes to nothing, where the target holds a value."""
    for path in clear:
        if holds(current, path):
            yield FieldChange(dotted(path), value_at(current, path), None)


def dotted(path: FieldPath) -> str:
    return ".".join(path)
