"""The emulators' fault controls the fault suite relies on: rates, counters, held-back and
duplicated webhooks. The suite's printed figures come from these counters, so they must count
what a client really met, no more and no less.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ml_connector.connectors.quickbooks.emulator import create_app as qbo_app
from ml_connector.connectors.stripe.emulator import create_app as stripe_app
from ml_connector.engine.testing.servers import serve_in_thread

REALM = "9341455000000"
STRIPE_KEY = "sk_test_fake123controls"


class Receiver:
    """A webhook endpoint that answers 200 and keeps every body it got."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self.lock = threading.Lock()
        self.url = ""

    async def endpoint(self, request: Request) -> Response:
        body = await request.body()
        with self.lock:
            self.bodies.append(body)
        return Response(status_code=200)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    target = Receiver()
    app = Starlette(routes=[Route("/hook", target.endpoint, methods=["POST"])])
    with serve_in_thread(app) as server:
        target.url = f"{server.url}/hook"
        yield target


@contextmanager
def qbo(**options: Any) -> Iterator[tuple[str, httpx.Client]]:
    """A QBO emulator and a client holding a token for its realm."""
    app = qbo_app({"realm_id": REALM, "webhook_retry_scale": 0.001, **options})
    with serve_in_thread(app) as server:
        token = httpx.post(f"{server.url}/_emulator/connect", json={}).json()["access_token"]
        with httpx.Client(base_url=f"{server.url}/v3/company/{REALM}", timeout=10,
                          headers={"Authorization": f"Bearer {token}",
                                   "Accept": "application/json"}) as client:
            yield server.url, client
        app.state.emulator.webhooks.close()


@contextmanager
def stripe(**options: Any) -> Iterator[httpx.Client]:
    app = stripe_app({"api_keys": [STRIPE_KEY], "random_seed": 7, **options})
    with serve_in_thread(app) as server, httpx.Client(
            base_url=server.url, auth=(STRIPE_KEY, ""), timeout=10) as client:
        yield client
        app.state.emulator.close()


def wait_for(condition: Any, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def qbo_counts(url: str) -> dict[str, int]:
    return dict(httpx.get(f"{url}/_emulator/faults/counts").json()["counts"])


def customer(client: httpx.Client, name: str) -> httpx.Response:
    return client.post("/customer", params={"minorversion": "75"},
                       json={"DisplayName": name})


# -- QuickBooks ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("settings", "kind"), [
    ({"rate_5xx": 1.0}, "5xx"), ({"rate_429": 1.0}, "429"),
    ({"rate_drop": 1.0}, "drop"), ({"rate_slow": 1.0, "slow_seconds": 0.01}, "slow"),
    ({"rate_expire": 1.0}, "expired_token")])
def test_qbo_counts_each_fault_a_request_meets(settings: dict[str, Any], kind: str) -> None:
    with qbo() as (url, client):
        httpx.post(f"{url}/_emulator/faults", json=settings)
        answers = []
        for index in range(3):
            with contextlib.suppress(httpx.TransportError):  # a drop is the fault itself
                answers.append(customer(client, f"Counted {index}").status_code)
        # An expired token fails every later call at the door, before any fault is drawn.
        assert qbo_counts(url) == {kind: 1 if kind == "expired_token" else 3}
        assert set(answers) <= {"5xx": {500, 503}, "429": {429}, "drop": set(),
                                "slow": {200}, "expired_token": {401}}[kind]


def test_qbo_counts_survive_a_settings_change_and_can_restart_at_zero() -> None:
    with qbo() as (url, client):
        httpx.post(f"{url}/_emulator/faults", json={"rate_5xx": 1.0})
        customer(client, "First")
        httpx.post(f"{url}/_emulator/faults", json={})
        assert customer(client, "Second").status_code == 200
        assert httpx.post(f"{url}/_emulator/faults/counts").json()["counts"] == {"5xx": 1}
        assert qbo_counts(url) == {}


def test_qbo_sends_each_webhook_one_to_three_times_and_counts_the_copies(
        receiver: Receiver) -> None:
    with qbo(webhook_url=receiver.url, faults={"webhook_duplicates_max": 2,
                                               "seed": 3}) as (url, client):
        for index in range(8):
            customer(client, f"Copied {index}")
            httpx.post(f"{url}/_emulator/webhooks/flush")
        distinct = set(receiver.bodies)
        extra = len(receiver.bodies) - len(distinct)
        copies = [receiver.bodies.count(body) for body in distinct]
        assert len(distinct) == 8 and set(copies) <= {1, 2, 3} and len(set(copies)) > 1
        assert qbo_counts(url) == {"webhook_duplicate": extra}


def test_qbo_holds_a_webhook_back_and_counts_it(receiver: Receiver) -> None:
    with qbo(webhook_url=receiver.url, faults={"rate_webhook_delay": 1.0,
                                               "webhook_delay_seconds": 120}) as (url, client):
        customer(client, "Held back")
        assert wait_for(lambda: qbo_counts(url).get("webhook_delayed") == 1)
        assert receiver.bodies == []


def test_qbo_refuses_a_bad_delay_setting() -> None:
    with qbo() as (url, _client):
        reply = httpx.post(f"{url}/_emulator/faults", json={"rate_webhook_delay": 2})
        assert reply.status_code == 400 and "rate_webhook_delay" in reply.json()["error"]


# -- Stripe -------------------------------------------------------------------------------------

def stripe_counts(client: httpx.Client) -> dict[str, int]:
    return dict(client.get("/_emulator/faults/counts").json()["counts"])


def test_stripe_rate_faults_hit_a_share_of_requests_and_are_counted() -> None:
    with stripe() as client:
        client.post("/_emulator/faults", json={"faults": [
            {"kind": "error", "status": 500, "rate": 0.3},
            {"kind": "error", "status": 429, "rate": 0.3}]})
        statuses = [client.get("/v1/customers").status_code for _ in range(60)]
        assert 200 in statuses and 500 in statuses and 429 in statuses
        assert stripe_counts(client) == {f"error_{s}": statuses.count(s)
                                         for s in (500, 429)}


def test_stripe_counts_slow_and_dropped_requests() -> None:
    with stripe() as client:
        client.post("/_emulator/faults", json={"faults": [
            {"kind": "slow", "delay": 0.01, "times": 2}, {"kind": "drop", "times": 1}]})
        with pytest.raises(httpx.TransportError):
            client.post("/v1/customers", data={"name": "Dropped but made"})
        assert client.post("/v1/customers", data={"name": "Slow"}).status_code == 200
        assert len(client.get("/v1/customers").json()["data"]) == 2
        assert stripe_counts(client) == {"slow": 2, "drop": 1}
        assert client.post("/_emulator/faults/counts").json()["counts"] == {"slow": 2,
                                                                             "drop": 1}
        assert stripe_counts(client) == {}


def test_stripe_refuses_a_rate_outside_zero_to_one() -> None:
    with stripe() as client:
        reply = client.post("/_emulator/faults", json={"faults": [
            {"kind": "error", "rate": 1.5}]})
        assert reply.status_code == 400


def _endpoint(client: httpx.Client, url: str) -> None:
    client.post("/_emulator/webhook_endpoints", json={"url": url, "secret": "whsec_fake1"})


def test_stripe_duplicates_are_counted_as_the_extra_copies_sent(receiver: Receiver) -> None:
    with stripe() as client:
        _endpoint(client, receiver.url)
        client.post("/_emulator/webhooks/chaos", json={"duplicate": True})
        for index in range(6):
            client.post("/v1/customers", data={"name": f"Echoed {index}"})
        client.post("/_emulator/webhooks/flush", json={"timeout": 10})
        events = [json.loads(body)["id"] for body in receiver.bodies]
        extra = len(events) - len(set(events))
        assert len(set(events)) == 6 and extra > 0
        assert stripe_counts(client) == {"webhook_duplicate": extra}


def test_stripe_holds_a_share_of_deliveries_back(receiver: Receiver) -> None:
    with stripe() as client:
        _endpoint(client, receiver.url)
        client.post("/_emulator/webhooks/chaos", json={"delay": 120, "delay_rate": 1.0})
        client.post("/v1/customers", data={"name": "Late"})
        assert stripe_counts(client) == {"webhook_delayed": 1}
        assert client.post("/_emulator/webhooks/flush", json={"timeout": 0.2}).json() == {
            "idle": False}
        assert receiver.bodies == []


def test_stripe_refuses_a_negative_delay() -> None:
    with stripe() as client:
        reply = client.post("/_emulator/webhooks/chaos", json={"delay": -1})
        assert reply.status_code == 400



# -- Requests that are not the client under test ------------------------------------------------

EXEMPT = {"X-Emulator-Faults": "off"}


def test_qbo_never_faults_a_request_marked_exempt() -> None:
    with qbo(faults={"rate_5xx": 1.0}) as (url, client):
        marked = client.post("/customer", params={"minorversion": "75"}, headers=EXEMPT,
                             json={"DisplayName": "Bookkeeper"})
        assert marked.status_code == 200
        assert customer(client, "Connector").status_code in (500, 503)
        assert qbo_counts(url) == {"5xx": 1}


def test_stripe_never_faults_a_request_marked_exempt() -> None:
    with stripe() as client:
        client.post("/_emulator/faults", json={"faults": [{"kind": "error", "status": 500}]})
        assert client.get("/v1/customers", headers=EXEMPT).status_code == 200
        assert client.get("/v1/customers").status_code == 500
        assert stripe_counts(client) == {"error_500": 1}


def test_qbo_counts_refreshes_made_with_a_superseded_token_in_its_grace() -> None:
    """The fault run reports how often a kill cost a refresh answer and grace saved it."""
    with qbo(client_id="cid", client_secret="secret-fake123", refresh_token_grace=60) as (
            url, _client):
        first = httpx.post(f"{url}/_emulator/connect", json={}).json()["refresh_token"]

        def refresh(token: str) -> httpx.Response:
            return httpx.post(f"{url}/oauth2/v1/tokens/bearer", auth=("cid", "secret-fake123"),
                              data={"grant_type": "refresh_token", "refresh_token": token})

        assert refresh(first).status_code == 200
        assert refresh(first).status_code == 200      # the answer to the first was lost
        oauth = httpx.get(f"{url}/_emulator/state").json()["oauth"]
        assert oauth["grace_refreshes"] == 1 and oauth["refreshes"] == 2
