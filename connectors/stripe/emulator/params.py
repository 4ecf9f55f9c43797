"""Typed access to a request's decoded parameters, with Stripe's validation errors.

Every endpoint declares the parameter names it accepts; anything else is answered with
`parameter_unknown`, as Stripe does, so a client that sends a misspelt or removed parameter
fails against the emulator exactly as it would against the real API.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from ml_connector.connectors.stripe.emulator.errors import StripeError, invalid

_ALWAYS = frozenset({"expand"})


class Params:
    """The decoded parameters of one request, read through typed accessors."""

    def __init__(self, values: Mapping[str, Any]):
        self.values = dict(values)

    def check_known(self, allowed: Iterable[str]) -> None:
        known = _ALWAYS | set(allowed)
        for name in self.values:
            if name not in known:
                raise StripeError(400, f"Received unknown parameter: {name}",
                                  code="parameter_unknown", param=name)

    def has(self, name: str) -> bool:
        return name in self.values

    def raw(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)

    def str(self, name: str, default: str | None = None, *, required: bool = False) -> Any:
        value = self.values.get(name)
        if value is None:
            if required:
                raise missing_param(name)
            return default
        if not isinstance(value, str):
            raise invalid(f"Invalid string: {value!r}", param=name)
        return value

    def nullable_str(self, name: str) -> str | None:
        """A string where an empty value means "unset" (Stripe's `param=` convention)."""
        value = self.str(name)
        return value or None

    def int(self, name: str, default: int | None = None, *, required: bool = False) -> Any:
        value = self.str(name, required=required)
        if value is None:
            return default
        return parse_int(value, name)

    def decimal(self, name: str) -> Decimal | None:
        value = self.str(name)
        if value is None:
            return None
        try:
            return Decimal(value)
        except InvalidOperation:
            raise invalid(f"Invalid decimal: {value}", param=name) from None

    def bool(self, name: str, default: bool | None = None, *, required: bool = False) -> Any:
        value = self.str(name, required=required)
        if value is None:
            return default
        return parse_bool(value, name)

    def enum(self, name: str, choices: Iterable[str], default: str | None = None) -> Any:
        value = self.str(name)
        if value is None:
            return default
        allowed = tuple(choices)
        if value not in allowed:
            raise invalid(f"Invalid {name}: must be one of {', '.join(allowed)}", param=name)
        return value

    def dict(self, name: str) -> dict[str, Any] | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if not isinstance(value, dict):
            raise invalid(f"Invalid object: {name} must be a hash", param=name)
        return value

    def list(self, name: str) -> list[Any] | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if not isinstance(value, list):
            raise invalid(f"Invalid array: {name} must be an array", param=name)
        return value

    def expand(self) -> list[str]:
        value = self.values.get("expand") or []
        return value if isinstance(value, list) else [value]


def missing_param(name: str) -> StripeError:
    return StripeError(400, f"Missing required param: {name}.", code="parameter_missing",
                       param=name)


def parse_int(value: Any, name: str) -> int:
    try:
        return int(str(value))
    except ValueError:
        raise StripeError(400, f"Invalid integer: {value}", code="parameter_invalid_integer",
                          param=name) from None


def parse_bool(value: Any, name: str) -> bool:
    if value in ("true", True):
        return True
    if value in ("false", False):
        return False
    raise invalid(f"Invalid boolean: {value}", param=name)


def merge_metadata(current: Mapping[str, str] | None, update: Any) -> dict[str, str]:
    """Apply a `metadata` parameter: `""` clears all, a key with `""` removes that key."""
    if update is None:
        return dict(current or {})
    if update == "":
        return {}
    if not isinstance(update, dict):
        raise invalid("Invalid metadata: must be a hash", param="metadata")
    merged = dict(current or {})
    for key, value in update.items():
        _check_metadata_pair(key, value)
        if value == "":
            merged.pop(key, None)
        else:
            merged[key] = value
    if len(merged) > 50:
        raise invalid("Invalid metadata: at most 50 keys are allowed", param="metadata")
    return merged


def _check_metadata_pair(key: str, value: Any) -> None:
    if not isinstance(value, str):
        raise invalid(f"Invalid metadata value for key {key}", param=f"metadata[{key}]")
    if len(key) > 40:
        raise invalid("Metadata keys can have at most 40 characters", param=f"metadata[{key}]")
    if len(value) > 500:
        raise invalid("Metadata values can have at most 500 characters",
                      param=f"metadata[{key}]")


def created_filter(params: Params, name: str = "created") -> dict[str, int]:
    """`created=123` or `created[gte]=...`: a dict of comparison -> bound."""
    value = params.raw(name)
    if value is None:
        return {}
    if isinstance(value, str):
        return {"eq": parse_int(value, name)}
    if not isinstance(value, dict):
        raise invalid(f"Invalid {name}", param=name)
    bad = set(value) - {"gt", "gte", "lt", "lte"}
    if bad:
        raise StripeError(400, f"Received unknown parameter: {name}[{sorted(bad)[0]}]",
                          code="parameter_unknown", param=f"{name}[{sorted(bad)[0]}]")
    return {op: parse_int(bound, f"{name}[{op}]") for op, bound in value.items()}


def in_range(value: int, bounds: Mapping[str, int]) -> bool:
    checks = {"eq": value.__eq__, "gt": value.__gt__, "gte": value.__ge__,
              "lt": value.__lt__, "lte": value.__le__}
    return all(checks[op](bound) for op, bound in bounds.items())
