"""A pay link carried by a QuickBooks transaction, so QuickBooks' own e-mail shows it.

The link goes into one field, named by the pipeline's `pay_link_field`:

    CustomerMemo         the message shown to the customer on the form and its e-mail
    PrivateNote          the internal memo (max 4000 characters)
    CustomField:<Name>   a string custom field of the sales form, found by its Name;
                         written by its DefinitionId, as QuickBooks identifies it

In a memo the link is a line of its own, `Pay online: <link>`, after what a person wrote,
which stays as it is. `without` removes exactly what `with_link` adds (the line and the line
break before it), so a record shows the same before and after a write-back: the engine
renders it without the link, and its own write is then no change to sync.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from ml_connector.engine.errors import PermanentError
from ml_connector.engine.records import Record

MEMOS = ("CustomerMemo", "PrivateNote")
CUSTOM = "CustomField:"
MARK = "Pay online: "
PRIVATE_NOTE_MAX = 4000
_LINE = re.compile(r"\n?^" + re.escape(MARK) + r"[^\n]*$", re.MULTILINE)


def field_problem(field: str) -> str | None:
    """Why `field` cannot carry a link (None when it can)."""
    if field in MEMOS:
        return None
    if field.startswith(CUSTOM) and field[len(CUSTOM):].strip():
        return None
    return (f"pay_link_field {field!r} is not CustomerMemo, PrivateNote or "
            "CustomField:<name> (the Name of a string custom field of the sales form)")


def _checked(field: str) -> None:
    problem = field_problem(field)
    if problem is not None:
        raise PermanentError(problem)


def _memo(data: Mapping[str, Any], field: str) -> str | None:
    value = data.get(field)
    if field == "CustomerMemo":
        value = value.get("value") if isinstance(value, Mapping) else None
    return value if isinstance(value, str) else None


def _with_memo(data: dict[str, Any], field: str, text: str | None) -> dict[str, Any]:
    if text is None:
        data.pop(field, None)
    else:
        data[field] = {"value": text} if field == "CustomerMemo" else text
    return data


def _custom_name(field: str) -> str:
    return field[len(CUSTOM):].strip()


def _custom_fields(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    fields = data.get("CustomField")
    return [dict(f) for f in fields if isinstance(f, Mapping)] if isinstance(fields, list) else []


def without(record: Record, field: str) -> Record:
    """The record as it was before any pay link was written into `field`."""
    _checked(field)
    data = dict(record.data)
    if field in MEMOS:
        memo = _memo(data, field)
        if memo is None or MARK not in memo:
            return record
        stripped = _LINE.sub("", memo)
        return replace(record, data=_with_memo(data, field, stripped or None))
    name = _custom_name(field)
    fields = _custom_fields(data)
    if not any(f.get("Name") == name and "StringValue" in f for f in fields):
        return record
    data["CustomField"] = [{k: v for k, v in f.items() if k != "StringValue"}
                           if f.get("Name") == name else f for f in fields]
    return replace(record, data=data)


def holds(record: Record, field: str, link: str) -> bool:
    """Whether `field` of the record already carries `link`."""
    _checked(field)
    if field in MEMOS:
        return f"{MARK}{link}" in (_memo(record.data, field) or "").split("\n")
    name = _custom_name(field)
    return any(f.get("Name") == name and f.get("StringValue") == link
               for f in _custom_fields(record.data))


def with_link(record: Record, field: str, link: str) -> dict[str, Any]:
    """The sparse-update fields that put `link` into `field`, replacing an older link."""
    _checked(field)
    if field in MEMOS:
        base = _memo(without(record, field).data, field) or ""
        text = f"{base}\n{MARK}{link}" if base else f"{MARK}{link}"
        if field == "PrivateNote" and len(text) > PRIVATE_NOTE_MAX:
            raise PermanentError(f"QuickBooks {record.entity} {record.id}: the PrivateNote "
                                 f"with the pay link would be {len(text)} characters; "
                                 f"QuickBooks takes at most {PRIVATE_NOTE_MAX}")
        return _with_memo({}, field, text)
    name = _custom_name(field)
    fields = _custom_fields(record.data)
    if not any(f.get("Name") == name for f in fields):
        known = ", ".join(sorted(str(f.get("Name")) for f in fields)) or "none"
        raise PermanentError(f"QuickBooks {record.entity} {record.id} has no custom field "
                             f"named {name!r} (it has: {known}); define it on the sales form "
                             "or set pay_link_field to CustomerMemo or PrivateNote")
    # Every custom field is sent, the others as they are: a sparse update then leaves them
    # alone whether QuickBooks merges the list by DefinitionId or replaces it.
    return {"CustomField": [
        {"DefinitionId": f.get("DefinitionId"), "Name": f.get("Name"), "Type": "StringType",
         "StringValue": link} if f.get("Name") == name else f for f in fields]}
