"""Tax rates, so invoice lines can carry exclusive or inclusive tax."""

from __future__ import annotations

from typing import Any

from ml_connector.connectors.stripe.emulator import objects
from ml_connector.connectors.stripe.emulator.errors import invalid
from ml_connector.connectors.stripe.emulator.pagination import list_page
from ml_connector.connectors.stripe.emulator.params import merge_metadata
from ml_connector.connectors.stripe.emulator.routing import LIST_PARAMS, Call, endpoint


def create_tax_rate(call: Call) -> dict[str, Any]:
    params = call.params
    percentage = params.decimal("percentage")
    if percentage is None:
        raise invalid("Missing required param: percentage.", param="percentage",
                      code="parameter_missing")
    if not 0 <= percentage <= 100:
        raise invalid("percentage must be between 0 and 100", param="percentage")
    rate = objects.tax_rate(
        call.state, display_name=params.str("display_name", required=True),
        percentage=float(percentage), inclusive=params.bool("inclusive", required=True),
        description=params.str("description"), jurisdiction=params.str("jurisdiction"),
        country=params.str("country"), state=params.str("state"),
        tax_type=params.str("tax_type"), active=params.bool("active", True),
        metadata=merge_metadata({}, params.raw("metadata")))
    return call.state.add(rate)


def retrieve_tax_rate(call: Call) -> dict[str, Any]:
    return call.state.get("tax_rate", call.path["id"])


def list_tax_rates(call: Call) -> dict[str, Any]:
    items = call.state.newest_first("tax_rate")
    return list_page(items, call.params, "/v1/tax_rates", "tax_rate")


ENDPOINTS = [
    endpoint("POST", "/v1/tax_rates", create_tax_rate, "display_name", "percentage",
             "inclusive", "description", "jurisdiction", "country", "state", "tax_type",
             "active", "metadata"),
    endpoint("GET", "/v1/tax_rates", list_tax_rates, *LIST_PARAMS),
    endpoint("GET", "/v1/tax_rates/{id}", retrieve_tax_rate),
]
