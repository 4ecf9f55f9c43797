"""Input checks shared by the mapping filters.

A filter that fails raises `FilterError`, whose message is shown to the user as the reason
a field could not be rendered. The messages are ours, so they may quote the amount or date
at fault, but never anything else from the record.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from jinja2 import Undefined


class FilterError(ValueError):
    """A filter received a value it cannot convert without guessing."""


def fail_if_undefined(value: object) -> None:
    """Raise the strict undefined error now, so an optional field can be left out.

    Without this, a filter would convert the undefined value itself and report a confusing
    type error instead of the missing field.
    """
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()


def describe_type(value: object) -> str:
    """A user-facing name for a value's type that shows no part of the value."""
    if value is None:
        return "none"
    return {bool: "a boolean", float: "a float", str: "text", list: "a list",
            dict: "a mapping"}.get(type(value), type(value).__name__)


def to_decimal(value: object, filter_name: str) -> Decimal:
    """Exact Decimal from an int, a Decimal or numeric text; floats are refused.

    A float has already lost the exact amount (0.1 is not 1/10), so converting it would hide
    the loss instead of preventing it.
    """
    fail_if_undefined(value)
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal):
        hint = " (floats cannot hold exact money amounts)" if isinstance(value, float) else ""
        raise FilterError(
            f"{filter_name} needs a Decimal, an int or numeric text, "
            f"got {describe_type(value)}{hint}"
        )
    try:
        number = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
    except InvalidOperation:
        message = f"{filter_name} needs numeric text, got text that is not a number"
        raise FilterError(message) from None
    if not number.is_finite():
        raise FilterError(f"{filter_name} needs a finite number, got {number}")
    return number
