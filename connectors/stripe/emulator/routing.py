"""The shape of an emulator endpoint: which route, which parameters, which handler.

Resource modules list their `ENDPOINTS`; `app.py` turns them into Starlette routes that all
go through the same dispatcher (auth, faults, rate limits, idempotency, error bodies).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ml_connector.connectors.stripe.emulator.params import Params
from ml_connector.connectors.stripe.emulator.state import EmulatorState

LIST_PARAMS = frozenset({"limit", "starting_after", "ending_before", "created"})


@dataclass
class Call:
    """One request as a handler sees it: decoded parameters and path values."""

    state: EmulatorState
    params: Params
    path: dict[str, str]
    method: str


Handler = Callable[[Call], dict[str, Any]]


@dataclass(frozen=True)
class Endpoint:
    """A route of the Stripe API. `params` are the accepted top-level parameter names."""

    method: str
    path: str
    handler: Handler
    params: frozenset[str] = frozenset()
    search: bool = False

    @property
    def mutates(self) -> bool:
        return self.method in ("POST", "DELETE")


def endpoint(method: str, path: str, handler: Handler, *params: str,
             search: bool = False) -> Endpoint:
    return Endpoint(method, path, handler, frozenset(params), search)
