"""Unsigned webhook deliveries are refused, and so is everything when no secret is set.

Through the real service of the sandbox project (both real connectors, secrets in the
encrypted store). A connection whose webhook secret was never configured must not fall back
to accepting deliveries unchecked: it refuses them all, signed or not, until one is set.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import httpx

from ml_connector.connectors.qbo_stripe.sandbox import (
    QBO_REALM,
    QBO_VERIFIER,
    STRIPE_WEBHOOK_SECRET,
    Sandbox,
)
from ml_connector.engine.sync.runtime import Runtime
from ml_connector.engine.testing.servers import serve_in_thread
from ml_connector.engine.triggers.service import Service, ServiceOptions

QBO_BODY = json.dumps([{"specversion": "1.0", "id": "ce-1", "source": "intuit.test",
                        "type": "qbo.customer.updated.v1", "time": "2026-07-01T16:20:31Z",
                        "intuitentityid": "1", "intuitaccountid": QBO_REALM}]).encode()
STRIPE_BODY = json.dumps({"id": "evt_1", "object": "event", "type": "customer.updated",
                          "created": int(time.time()), "livemode": False,
                          "data": {"object": {"id": "cus_1", "object": "customer"}}}).encode()
JSON = {"content-type": "application/json"}


BODIES = {"quickbooks": QBO_BODY, "stripe": STRIPE_BODY}


def signed(connection: str) -> dict[str, str]:
    return signed_body(connection, BODIES[connection], int(time.time()))


@contextmanager
def service_of(runtime: Runtime) -> Iterator[httpx.Client]:
    service = Service(runtime, ServiceOptions(workers=0, poll=False))
    with serve_in_thread(service.app()) as server, \
            httpx.Client(base_url=server.url, timeout=10) as client:
        yield client


def deliver(client: httpx.Client, connection: str, headers: dict[str, str]) -> httpx.Response:
    return client.post(f"/webhooks/{connection}", content=BODIES[connection], headers=headers)


def test_unsigned_deliveries_are_refused_and_signed_ones_accepted(
        sandbox_factory: Callable[..., AbstractContextManager[Sandbox]]) -> None:
    # Protection: each connector's verify() demands its signature header.
    with sandbox_factory() as sandbox:
        runtime = sandbox.runtime()
        try:
            with service_of(runtime) as client:
                for connection in BODIES:
                    refused = deliver(client, connection, JSON)
                    assert 400 <= refused.status_code < 500, (connection, refused.text)
                    assert runtime.store.inbox.depth() == 0
                for connection in BODIES:  # the same bodies, signed: accepted
                    accepted = deliver(client, connection, signed(connection))
                    assert accepted.json()["stored"] == 1, accepted.text
        finally:
            runtime.close()


def test_without_a_configured_secret_every_delivery_is_refused(
        sandbox_factory: Callable[..., AbstractContextManager[Sandbox]]) -> None:
    # Protection: a connection with no webhook secret refuses instead of skipping the check.
    with sandbox_factory() as sandbox:
        text = sandbox.project_file.read_text()
        unset = re.sub(r"\n\s*(webhook_verifier_token|webhook_secret): .*", "", text)
        assert unset.count("webhook") == 0
        sandbox.project_file.write_text(unset)
        runtime = sandbox.runtime()
        try:
            with service_of(runtime) as client:
                for connection in BODIES:
                    for headers in (JSON, signed(connection)):
                        response = deliver(client, connection, headers)
                        assert response.status_code >= 400, (connection, response.text)
                        assert "webhook" in response.json()["error"]
            assert runtime.store.inbox.depth() == 0
        finally:
            runtime.close()


def signed_body(connection: str, body: bytes, stamp: int) -> dict[str, str]:
    if connection == "quickbooks":
        digest = hmac.new(QBO_VERIFIER.encode(), body, hashlib.sha256).digest()
        return {**JSON, "intuit-signature": base64.b64encode(digest).decode()}
    mac = hmac.new(STRIPE_WEBHOOK_SECRET.encode(), f"{stamp}.".encode() + body,
                   hashlib.sha256).hexdigest()
    return {**JSON, "stripe-signature": f"t={stamp},v1={mac}"}


def test_signed_deeply_nested_bodies_are_a_400_not_a_500(
        sandbox_factory: Callable[..., AbstractContextManager[Sandbox]]) -> None:
    # Protection: webhook bodies are parsed with a nesting limit (engine/bounded_json.py).
    deep = {"quickbooks": b"[" * 100_000 + b"]" * 100_000,
            "stripe": (b'{"id": "evt_2", "type": "customer.updated", "data": {"object": '
                       + b"[" * 70 + b"]" * 70 + b"}}")}
    with sandbox_factory() as sandbox:
        runtime = sandbox.runtime()
        try:
            with service_of(runtime) as client:
                for connection, body in deep.items():
                    response = client.post(f"/webhooks/{connection}", content=body,
                                           headers=signed_body(connection, body,
                                                               int(time.time())))
                    assert response.status_code == 400, (connection, response.text[:300])
                    assert "nests deeper than 64 levels" in response.json()["error"]
                    assert "Traceback" not in response.text
            assert runtime.store.inbox.depth() == 0
        finally:
            runtime.close()


def test_a_stripe_signature_stamped_far_in_the_future_is_refused(
        sandbox_factory: Callable[..., AbstractContextManager[Sandbox]]) -> None:
    # Protection: a timestamp ahead of the clock by more than FUTURE_SKEW_SECONDS would stay
    # "recent" for as long as its sender wished, so it is refused like a stale one.
    with sandbox_factory() as sandbox:
        runtime = sandbox.runtime()
        try:
            with service_of(runtime) as client:
                ahead = signed_body("stripe", STRIPE_BODY, int(time.time()) + 3600)
                refused = deliver(client, "stripe", ahead)
                assert refused.status_code == 400, refused.text
                assert "in the future" in refused.json()["error"]
                assert runtime.store.inbox.depth() == 0
                skewed = signed_body("stripe", STRIPE_BODY, int(time.time()) + 20)
                assert deliver(client, "stripe", skewed).json()["stored"] == 1
        finally:
            runtime.close()
