"""Responses as Stripe renders them: `expand[]` of ids and of includable fields.

Stored objects hold ids where Stripe returns ids. A request's `expand[]` replaces them with
the objects (`latest_charge`, `data.balance_transaction` on lists, `payment.payment_intent`
on invoice payments), and adds the fields Stripe includes only on request (`payments` and
`amount_paid_off_stripe` on invoices, `refunds` on charges).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from ml_connector.connectors.stripe.emulator.errors import invalid
from ml_connector.connectors.stripe.emulator.state import EmulatorState

Includer = Callable[[EmulatorState, dict[str, Any]], Any]
_INCLUDERS: dict[tuple[str, str], Includer] = {}
MAX_DEPTH = 4


def includable(kind: str, name: str) -> Callable[[Includer], Includer]:
    """Register how to compute a field Stripe shows only when it is expanded."""

    def register(func: Includer) -> Includer:
        _INCLUDERS[(kind, name)] = func
        return func

    return register


def render(state: EmulatorState, obj: dict[str, Any], expand: list[str]) -> dict[str, Any]:
    """A copy of `obj` with the requested expansions applied."""
    result = copy.deepcopy(obj)
    for path in expand:
        parts = path.split(".")
        if len(parts) > MAX_DEPTH:
            raise invalid(f"You cannot expand more than {MAX_DEPTH} levels of a property",
                          param="expand")
        _expand(state, result, parts, path)
    return result


def _expand(state: EmulatorState, node: Any, parts: list[str], full: str) -> None:
    if isinstance(node, list):
        for item in node:
            _expand(state, item, parts, full)
        return
    if not isinstance(node, dict):
        return
    head, rest = parts[0], parts[1:]
    kind = node.get("object")
    if (kind, head) in _INCLUDERS and head not in node:
        node[head] = _INCLUDERS[(kind, head)](state, node)
    if head not in node:
        raise invalid(f"This property cannot be expanded ({full}).", param="expand")
    value = node[head]
    if isinstance(value, str):
        found = state.find(value)
        if found is None:
            raise invalid(f"This property cannot be expanded ({full}).", param="expand")
        node[head] = value = copy.deepcopy(found)
    if rest:
        _expand(state, value, rest, full)
