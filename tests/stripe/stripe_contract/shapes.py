"""Check a JSON object against the `stripe` package's class for its resource.

Rules, strict on purpose (a field the emulator invents or misspells fails, and so does an
enum value the API does not define):

- a top-level object carries every field its class declares, except `deleted`, fields
  Stripe only includes on request (`INCLUDABLE`), and fields the 2023 spec documents as
  not always present (not in its `required` list);
- nested objects carry every non-nullable field (Stripe omits nullable sub-objects, such as
  the payment-method details of methods not used);
- no object carries a field its class does not declare;
- values have the declared types; enums (`Literal[...]`) are closed, even where the package
  also admits `str` for forward compatibility.
"""

from __future__ import annotations

import typing
from decimal import Decimal, InvalidOperation
from typing import Any

import stripe
from stripe._list_object import ListObject
from stripe._stripe_object import StripeObject, UntypedStripeObject

from .annotations import field_types, is_optional
from .spec import resource_schema

RESOURCES: dict[str, type] = {
    "customer": stripe.Customer, "invoice": stripe.Invoice, "invoiceitem": stripe.InvoiceItem,
    "line_item": stripe.InvoiceLineItem, "invoice_payment": stripe.InvoicePayment,
    "payment_intent": stripe.PaymentIntent, "charge": stripe.Charge, "refund": stripe.Refund,
    "dispute": stripe.Dispute, "balance_transaction": stripe.BalanceTransaction,
    "event": stripe.Event, "webhook_endpoint": stripe.WebhookEndpoint,
    "tax_rate": stripe.TaxRate,
}

# Fields Stripe leaves out unless the request asks for them with `expand[]` (or, for
# events, that only Connect platforms see).
INCLUDABLE: dict[str, frozenset[str]] = {
    "event": frozenset({"account", "context"}),
    "customer": frozenset({"cash_balance", "invoice_credit_balance", "sources",
                           "subscriptions", "tax", "tax_ids"}),
    "invoice": frozenset({"payments", "amount_paid_off_stripe"}),
    "charge": frozenset({"refunds"}),
    "webhook_endpoint": frozenset({"secret"}),
}


def check_resource(obj: Any) -> list[str]:
    """Problems of one API object, found by its `object` name; [] when it conforms."""
    if not isinstance(obj, dict) or obj.get("object") not in RESOURCES:
        return [f"not a known resource: {str(obj)[:80]}"]
    name = obj["object"]
    return check_object(obj, RESOURCES[name], name, may_be_absent(name))


def may_be_absent(name: str) -> frozenset[str]:
    schema = resource_schema(name) or {"properties": {}}
    sometimes = set(schema["properties"]) - set(schema.get("required", []))
    return frozenset(sometimes) | INCLUDABLE.get(name, frozenset())


def check_object(obj: Any, cls: type, path: str, includable: frozenset[str] = frozenset(),
                 *, top: bool = True) -> list[str]:
    if not isinstance(obj, dict):
        return [f"{path}: expected an object, got {type(obj).__name__}"]
    fields = field_types(cls)
    problems = [f"{path}.{key}: not a field of {cls.__qualname__}"
                for key in obj if key not in fields]
    for key, kind in fields.items():
        if key in obj:
            problems += check_value(obj[key], kind, f"{path}.{key}")
        elif _must_be_present(key, kind, top, includable):
            problems.append(f"{path}.{key}: missing")
    return problems


def _must_be_present(key: str, kind: Any, top: bool, includable: frozenset[str]) -> bool:
    if key == "deleted" or key in includable:
        return False
    return top or not is_optional(kind)


def check_value(value: Any, kind: Any, path: str) -> list[str]:
    origin = typing.get_origin(kind)
    if kind is Any:
        return []
    if origin is typing.Union:
        return _check_union(value, typing.get_args(kind), path)
    if origin is typing.Literal:
        allowed = typing.get_args(kind)
        return [] if value in allowed else [f"{path}: {value!r} not one of {allowed}"]
    if origin in (list, typing.List):  # noqa: UP006
        if not isinstance(value, list):
            return [f"{path}: expected a list"]
        (item,) = typing.get_args(kind)
        return [p for i, v in enumerate(value) for p in check_value(v, item, f"{path}[{i}]")]
    if origin is ListObject:
        return _check_list_object(value, typing.get_args(kind)[0], path)
    if origin is UntypedStripeObject or kind is UntypedStripeObject:
        return _check_untyped(value, kind, path)
    if isinstance(kind, type):
        return _check_class(value, kind, path)
    return []


def _check_union(value: Any, arms: tuple[Any, ...], path: str) -> list[str]:
    if value is None:
        return [] if type(None) in arms else [f"{path}: null not allowed"]
    literals = [a for a in arms if typing.get_origin(a) is typing.Literal]
    candidates = [a for a in arms if a is not type(None) and not (literals and a is str)]
    first: list[str] = []
    for arm in candidates:
        problems = check_value(value, arm, path)
        if not problems:
            return []
        first = first or problems
    return first


def _check_list_object(value: Any, item: Any, path: str) -> list[str]:
    if not isinstance(value, dict) or value.get("object") != "list":
        return [f"{path}: expected a list object"]
    problems = [] if isinstance(value.get("has_more"), bool) else [f"{path}.has_more: bool"]
    if not isinstance(value.get("url"), str):
        problems.append(f"{path}.url: missing")
    data = value.get("data")
    if not isinstance(data, list):
        return [*problems, f"{path}.data: expected a list"]
    return problems + [p for i, v in enumerate(data)
                       for p in check_value(v, item, f"{path}.data[{i}]")]


def _check_untyped(value: Any, kind: Any, path: str) -> list[str]:
    if not isinstance(value, dict):
        return [f"{path}: expected an object"]
    args = typing.get_args(kind)
    if not args:
        return []
    return [p for k, v in value.items() for p in check_value(v, args[0], f"{path}.{k}")]


def _check_class(value: Any, kind: type, path: str) -> list[str]:
    if kind is bool:
        return [] if isinstance(value, bool) else [f"{path}: expected bool, got {value!r}"]
    if kind is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
        return [] if ok else [f"{path}: expected int, got {value!r}"]
    if kind is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return [] if ok else [f"{path}: expected number, got {value!r}"]
    if kind is str:
        return [] if isinstance(value, str) else [f"{path}: expected string, got {value!r}"]
    if kind is Decimal:
        return _check_decimal(value, path)
    if issubclass(kind, StripeObject):
        return _check_stripe_object(value, kind, path)
    return []


def _check_decimal(value: Any, path: str) -> list[str]:
    try:
        Decimal(str(value))
    except InvalidOperation:
        return [f"{path}: expected a decimal string, got {value!r}"]
    return [] if isinstance(value, str) else [f"{path}: decimals travel as strings"]


def _check_stripe_object(value: Any, kind: type, path: str) -> list[str]:
    object_name = getattr(kind, "OBJECT_NAME", None)
    if object_name:  # an API resource: an expanded object, checked as a resource
        if not isinstance(value, dict) or value.get("object") != object_name:
            return [f"{path}: expected a {object_name} object"]
        return check_object(value, kind, path, may_be_absent(value["object"]))
    return check_object(value, kind, path, top=False)
