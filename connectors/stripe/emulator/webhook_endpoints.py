"""`/v1/webhook_endpoints`: register where events are delivered.

The signing secret is returned once, by the create call, as Stripe does; the emulator keeps
it privately to sign deliveries.
"""

from __future__ import annotations

from typing import Any

from ml_connector.connectors.stripe.emulator import objects
from ml_connector.connectors.stripe.emulator.errors import invalid
from ml_connector.connectors.stripe.emulator.pagination import list_page
from ml_connector.connectors.stripe.emulator.params import Params, merge_metadata
from ml_connector.connectors.stripe.emulator.routing import Call, endpoint
from ml_connector.connectors.stripe.emulator.state import EmulatorState
from ml_connector.connectors.stripe.emulator.webhooks import new_secret


def _events(params: Params, required: bool) -> list[str] | None:
    events = params.list("enabled_events")
    if events is None:
        if required:
            raise invalid("Missing required param: enabled_events.", param="enabled_events",
                          code="parameter_missing")
        return None
    return [str(e) for e in events]


def _url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise invalid(f"Invalid URL: {value}", param="url", code="url_invalid")
    return value


def register(state: EmulatorState, url: str, events: list[str], secret: str | None = None,
             **fields: Any) -> dict[str, Any]:
    """Store an endpoint; the response (only this one) shows its secret."""
    endpoint_obj = state.add(objects.webhook_endpoint(state, url=_url(url),
                                                      enabled_events=events, **fields))
    secret = secret or new_secret()
    state.webhooks.set_secret(endpoint_obj["id"], secret)
    return {**endpoint_obj, "secret": secret}


def deliver_to(state: EmulatorState, url: str, secret: str | None) -> dict[str, Any]:
    """Make the endpoint signed with `secret` deliver its events to `url`.

    A saved account keeps its endpoints, but the receiver may now listen elsewhere (`serve`
    on another port): the endpoint whose signing secret the receiver holds is the one to
    move. Without one (or without a secret), an endpoint is registered.
    """
    for found in state.objects["webhook_endpoint"].values():
        if secret is not None and secret in state.webhooks.secrets_for(found["id"]):
            found.update(url=_url(url), status="enabled")
            return found
    return register(state, url, ["*"], secret, api_version=state.options.api_version)


def create_endpoint(call: Call) -> dict[str, Any]:
    params = call.params
    return register(call.state, params.str("url", required=True), _events(params, True) or [],
                    api_version=params.str("api_version"),
                    description=params.nullable_str("description"),
                    metadata=merge_metadata({}, params.raw("metadata")))


def update_endpoint(call: Call) -> dict[str, Any]:
    params = call.params
    obj = call.state.get("webhook_endpoint", call.path["id"])
    if params.has("url"):
        obj["url"] = _url(params.str("url"))
    events = _events(params, False)
    if events is not None:
        obj["enabled_events"] = events
    if params.has("disabled"):
        obj["status"] = "disabled" if params.bool("disabled") else "enabled"
    if params.has("description"):
        obj["description"] = params.nullable_str("description")
    obj["metadata"] = merge_metadata(obj["metadata"], params.raw("metadata"))
    return obj


def retrieve_endpoint(call: Call) -> dict[str, Any]:
    return call.state.get("webhook_endpoint", call.path["id"])


def delete_endpoint(call: Call) -> dict[str, Any]:
    obj = call.state.get("webhook_endpoint", call.path["id"])
    call.state.remove("webhook_endpoint", obj["id"])
    return {"id": obj["id"], "object": "webhook_endpoint", "deleted": True}


def list_endpoints(call: Call) -> dict[str, Any]:
    items = call.state.newest_first("webhook_endpoint")
    return list_page(items, call.params, "/v1/webhook_endpoints", "webhook_endpoint")


ENDPOINTS = [
    endpoint("POST", "/v1/webhook_endpoints", create_endpoint, "url", "enabled_events",
             "api_version", "description", "metadata", "connect"),
    endpoint("GET", "/v1/webhook_endpoints", list_endpoints, "limit", "starting_after",
             "ending_before"),
    endpoint("GET", "/v1/webhook_endpoints/{id}", retrieve_endpoint),
    endpoint("POST", "/v1/webhook_endpoints/{id}", update_endpoint, "url", "enabled_events",
             "disabled", "description", "metadata"),
    endpoint("DELETE", "/v1/webhook_endpoints/{id}", delete_endpoint),
]
