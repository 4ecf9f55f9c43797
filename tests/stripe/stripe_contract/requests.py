"""Check a request the connector sent against Stripe's own descriptions of the API.

- the method and path are an operation of the current API (the `stripe` package's services);
- every parameter, at every depth, is a field of that operation's params TypedDict, with a
  value of the declared type (integers, `true`/`false`, decimals, closed enums, lists,
  nested objects with their required keys);
- where the 2023 spec describes the operation, the path is there too, and integer and
  boolean parameters it lists are sent as such.
"""

from __future__ import annotations

import re
import typing
from decimal import Decimal, InvalidOperation
from typing import Any

from stripe._request_options import RequestOptions
from stripe._stripe_object import UntypedStripeObject
from typing_extensions import is_typeddict

from ml_connector.connectors.stripe.emulator.forms import decode_form

from .annotations import field_types
from .operations import operation_for
from .spec import covered_resources
from .spec import operation as spec_operation

# Operations added after the 2023 spec was published.
LATER_THAN_SPEC = frozenset({"/v1/invoice_payments", "/v1/invoice_payments/{invoice_payment}",
                             "/v1/invoices/{invoice}/add_lines"})
_INT = re.compile(r"^-?\d+$")
_OPTIONS = frozenset(RequestOptions.__annotations__)


def check_request(method: str, path: str, query: str, body: str) -> list[str]:
    where = f"{method} {path}"
    found = operation_for(method, path)
    if found is None:
        return [f"{where}: not an operation of the current Stripe API"]
    template, params_type = found
    params = {**decode_form(query), **decode_form(body)}
    problems = check_params(params, params_type, where, top=True)
    spec_op = spec_operation(method, path)
    if spec_op is None:
        if template not in LATER_THAN_SPEC:
            problems.append(f"{where}: {template} is {_absence(template)}")
    else:
        problems += _check_spec(spec_op[1], params, where)
    return problems


def _absence(template: str) -> str:
    covered = covered_resources()
    resource = template.split("/")[2]
    if covered is None or resource in covered:
        return "missing from the 2023 spec"
    return (f"outside the spec subset kept in the repository: add {resource!r} to RESOURCES "
            "in make_spec_subset.py and regenerate it")


def check_params(values: dict[str, Any], typed: type, where: str, *,
                 top: bool = False) -> list[str]:
    fields = {k: v for k, v in field_types(typed).items() if not (top and k in _OPTIONS)}
    problems = [f"{where}: unknown parameter {key!r}" for key in values if key not in fields]
    required = getattr(typed, "__required_keys__", frozenset()) - (_OPTIONS if top else set())
    problems += [f"{where}: missing required {key!r}" for key in sorted(required)
                 if key not in values]
    for key, value in values.items():
        if key in fields:
            problems += check_value(value, fields[key], f"{where} {key}")
    return problems


def check_value(value: Any, kind: Any, where: str) -> list[str]:
    origin = typing.get_origin(kind)
    if origin is typing.Union:
        return _union(value, typing.get_args(kind), where)
    if origin is typing.Literal:
        allowed = [str(v) for v in typing.get_args(kind)]
        return [] if value in allowed else [f"{where}: {value!r} not one of {allowed}"]
    if origin in (list, typing.List):  # noqa: UP006
        if not isinstance(value, list):
            return [f"{where}: expected a list"]
        item = typing.get_args(kind)[0]
        return [p for i, v in enumerate(value) for p in check_value(v, item, f"{where}[{i}]")]
    if origin in (dict, typing.Dict) or origin is UntypedStripeObject:  # noqa: UP006
        ok = isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
        return [] if ok else [f"{where}: expected a hash of strings"]
    if is_typeddict(kind):
        if not isinstance(value, dict):
            return [f"{where}: expected a hash"]
        return check_params(value, kind, where)
    return _scalar(value, kind, where)


def _union(value: Any, arms: tuple[Any, ...], where: str) -> list[str]:
    literals = [a for a in arms if typing.get_origin(a) is typing.Literal]
    candidates = [a for a in arms if a is not type(None) and not (
        literals and a is str and not any("" in typing.get_args(lit) for lit in literals))]
    first: list[str] = []
    for arm in candidates:
        problems = check_value(value, arm, where)
        if not problems:
            return []
        first = first or problems
    return first


def _scalar(value: Any, kind: Any, where: str) -> list[str]:
    if not isinstance(value, str):
        return [f"{where}: expected a single value"]
    if kind is bool:
        return [] if value in ("true", "false") else [f"{where}: {value!r} is not a boolean"]
    if kind is int:
        return [] if _INT.match(value) else [f"{where}: {value!r} is not an integer"]
    if kind in (float, Decimal):
        try:
            Decimal(value)
        except InvalidOperation:
            return [f"{where}: {value!r} is not a number"]
    return []


def _check_spec(op: dict[str, Any], params: dict[str, Any], where: str) -> list[str]:
    declared: dict[str, dict[str, Any]] = {p["name"]: p.get("schema", {})
                                           for p in op.get("parameters", [])}
    body = (op.get("requestBody", {}).get("content", {})
            .get("application/x-www-form-urlencoded", {}).get("schema", {}))
    declared.update(body.get("properties", {}))
    problems = []
    for key, value in params.items():
        schema = declared.get(key, {})
        if schema.get("type") in ("integer", "boolean") and isinstance(value, str):
            kind = int if schema["type"] == "integer" else bool
            problems += [f"{p} (2023 spec)" for p in _scalar(value, kind, f"{where} {key}")]
    return problems
