"""Events: what changed, recorded as Stripe records it, and the Events API to read them.

Every state change calls `emit`. The event carries a snapshot of the object as it is now,
the previous values of changed fields on `*.updated` events, and the request that caused
it (`request.id` is null for changes Stripe makes on its own, such as a customer paying).
Listeners (the webhook hub) are told about each new event.
"""

from __future__ import annotations

import copy
from typing import Any

from ml_connector.connectors.stripe.emulator.errors import invalid, missing
from ml_connector.connectors.stripe.emulator.pagination import list_page
from ml_connector.connectors.stripe.emulator.params import Params, created_filter, in_range
from ml_connector.connectors.stripe.emulator.routing import LIST_PARAMS, Call, endpoint
from ml_connector.connectors.stripe.emulator.state import EmulatorState

RETENTION_SECONDS = 30 * 24 * 3600
MAX_TYPES = 20


def emit(state: EmulatorState, event_type: str, obj: dict[str, Any],
         previous: dict[str, Any] | None = None) -> dict[str, Any]:
    """Record one event about `obj` and tell the listeners."""
    data: dict[str, Any] = {"object": copy.deepcopy(obj)}
    if previous:
        data["previous_attributes"] = copy.deepcopy(previous)
    request = state.request
    event = {
        "id": state.new_id("event"), "object": "event",
        "api_version": state.options.api_version, "created": state.clock.now(),
        "data": data, "livemode": state.livemode, "pending_webhooks": 0,
        "request": {"id": request.id, "idempotency_key": request.idempotency_key},
        "type": event_type,
    }
    state.events.append(event)
    state.events_by_id[event["id"]] = event
    for listener in state.event_listeners:
        listener(event)
    return event


def changed(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """`previous_attributes`: the old value of every top-level field that changed."""
    return {key: before.get(key) for key in after if before.get(key) != after.get(key)}


def visible_events(state: EmulatorState) -> list[dict[str, Any]]:
    """Events inside the 30-day window, newest first."""
    oldest = state.clock.now() - RETENTION_SECONDS
    return [e for e in reversed(state.events) if e["created"] >= oldest]


def _type_matcher(params: Params) -> Any:
    single, many = params.str("type"), params.list("types")
    if single and many:
        raise invalid("You may only specify one of these parameters: type, types.",
                      param="types")
    if many is not None and len(many) > MAX_TYPES:
        raise invalid(f"You may pass at most {MAX_TYPES} types.", param="types")
    patterns = [single] if single else list(many or [])
    if not patterns:
        return lambda _name: True
    return lambda name: any(_matches(p, name) for p in patterns)


def _matches(pattern: str, name: str) -> bool:
    if pattern.endswith("*"):
        return name.startswith(pattern[:-1])
    return name == pattern


def list_events(call: Call) -> dict[str, Any]:
    params = call.params
    wanted = _type_matcher(params)
    bounds = created_filter(params)
    delivered = params.bool("delivery_success")
    items = [e for e in visible_events(call.state)
             if wanted(e["type"]) and in_range(e["created"], bounds)
             and (delivered is None or (e["pending_webhooks"] == 0) == delivered)]
    return list_page(items, params, "/v1/events", "event")


def retrieve_event(call: Call) -> dict[str, Any]:
    event_id = call.path["id"]
    event = call.state.events_by_id.get(event_id)
    if event is None or event["created"] < call.state.clock.now() - RETENTION_SECONDS:
        raise missing("event", event_id)
    return event


ENDPOINTS = [
    endpoint("GET", "/v1/events", list_events, *LIST_PARAMS, "type", "types",
             "delivery_success"),
    endpoint("GET", "/v1/events/{id}", retrieve_event),
]
