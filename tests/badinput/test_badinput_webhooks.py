"""Bad webhook deliveries through the real service and both real connectors.

Each delivery is answered with the status its case calls for, nothing reaches the inbox or
the audit trail, no API is called for it, and the service goes on accepting genuine
deliveries afterwards.

Statuses, and why:
- forged, missing or stale signatures, malformed JSON: 4xx. These never come from the real
  sender (or come from it only when something is genuinely wrong), so a retry is harmless
  and the sender's dashboard shows the failure. QuickBooks answers 401 to a bad signature;
  Stripe's own libraries answer 400, and we do the same.
- a content type that is not JSON: 415, the HTTP answer for "cannot read this format".
- an oversized body: 413, decided before the body is parsed (or even fully read).
- an unknown event type, or an event for a company or account this connection does not
  serve: 2xx and ignored. The delivery is genuine; a 4xx would make the sender retry it for
  days (Intuit also holds back later events while one is unacknowledged), and no retry can
  ever make it useful.
"""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Callable

import httpx
import pytest
from badinput_world import (
    OTHER_REALM,
    World,
    qbo_classic,
    qbo_cloudevent,
    qbo_headers,
    qbo_signature,
    running,
    stripe_event,
    stripe_headers,
    stripe_signature,
)

Delivery = tuple[str, dict[str, str], bytes]  # connection, headers, body


def genuine(connection: str, event_id: str) -> Delivery:
    """A delivery that must be stored: the control that shows the service still accepts."""
    if connection == "quickbooks":
        body = qbo_cloudevent(event_id=event_id)
        return connection, qbo_headers(body), body
    body = stripe_event(event_id=event_id)
    return connection, stripe_headers(body), body


def post(client: httpx.Client, delivery: Delivery) -> httpx.Response:
    connection, headers, body = delivery
    return client.post(f"/webhooks/{connection}", content=body, headers=headers)


UNSIGNED = {"content-type": "application/json"}


MALFORMED = b'{"eventNotifications": [{"realmId": '

REJECTED: dict[str, tuple[Callable[[], Delivery], int]] = {
    # Protection: HMAC check of intuit-signature over the raw body (connector verify()).
    "qbo-forged-signature": (lambda: ("quickbooks", {
        "content-type": "application/json",
        "intuit-signature": qbo_signature(qbo_classic(), "someone-elses-token")},
        qbo_classic()), 401),
    # Protection: a delivery without intuit-signature is refused, not trusted.
    "qbo-missing-signature": (lambda: ("quickbooks", UNSIGNED, qbo_classic()), 401),
    # Protection: the signed body must parse as JSON in one of the two formats.
    "qbo-malformed-json": (lambda: ("quickbooks", qbo_headers(MALFORMED), MALFORMED), 400),
    # Protection: the content type must be JSON (application/json or cloudevents+json).
    "qbo-wrong-content-type": (lambda: ("quickbooks", qbo_headers(
        qbo_classic(), **{"content-type": "text/plain"}), qbo_classic()), 415),
    "qbo-form-content-type": (lambda: ("quickbooks", qbo_headers(
        qbo_classic(), **{"content-type": "application/x-www-form-urlencoded"}),
        qbo_classic()), 415),
    # Protection: Stripe-Signature HMAC with the endpoint's whsec_ secret.
    "stripe-forged-signature": (lambda: ("stripe", {
        "content-type": "application/json",
        "stripe-signature": stripe_signature(stripe_event(), secret="whsec_attackerGuess1")},
        stripe_event()), 400),
    # Protection: a delivery without Stripe-Signature is refused.
    "stripe-missing-signature": (lambda: ("stripe", UNSIGNED, stripe_event()), 400),
    # Protection: the signed timestamp must be within the tolerance (300 s): no replays.
    "stripe-stale-timestamp": (lambda: ("stripe", stripe_headers(
        stripe_event(), at=int(time.time()) - 301), stripe_event()), 400),
    # Protection: the signed body must be a Stripe event.
    "stripe-malformed-json": (lambda: ("stripe", stripe_headers(b"{not json"), b"{not json"),
                              400),
    # Protection: the content type must be JSON.
    "stripe-wrong-content-type": (lambda: ("stripe", stripe_headers(
        stripe_event(), **{"content-type": "text/plain"}), stripe_event()), 415),
}


@pytest.mark.parametrize("case", sorted(REJECTED))
def test_a_bad_delivery_is_refused_and_leaves_no_trace(world: World, case: str) -> None:
    make, status = REJECTED[case]
    delivery = make()
    with running(world) as client:
        response = post(client, delivery)
        assert response.status_code == status, response.text
        assert "error" in response.json()
        assert world.nothing_happened()
        assert client.get("/healthz").status_code == 200
        control = post(client, genuine(delivery[0], "evt_after_bad_input"))
        assert control.status_code == 200 and control.json()["stored"] == 1


IGNORED: dict[str, Callable[[], Delivery]] = {
    # Protection: only entities the connector knows become inbox items.
    "qbo-unknown-entity-classic": lambda: ("quickbooks", qbo_headers(qbo_classic("Bill")),
                                           qbo_classic("Bill")),
    "qbo-unknown-entity-cloudevents": lambda: (
        "quickbooks", qbo_headers(qbo_cloudevent("qbo.bill.updated.v1")),
        qbo_cloudevent("qbo.bill.updated.v1")),
    "qbo-foreign-event-type": lambda: (
        "quickbooks", qbo_headers(qbo_cloudevent("com.example.thing.created")),
        qbo_cloudevent("com.example.thing.created")),
    # Protection: notifications for another company than the connection's realm are dropped.
    "qbo-unknown-realm-classic": lambda: (
        "quickbooks", qbo_headers(qbo_classic(realm=OTHER_REALM)),
        qbo_classic(realm=OTHER_REALM)),
    "qbo-unknown-realm-cloudevents": lambda: (
        "quickbooks", qbo_headers(qbo_cloudevent(realm=OTHER_REALM)),
        qbo_cloudevent(realm=OTHER_REALM)),
    # Protection: event types no entity follows are acknowledged and dropped.
    "stripe-unfollowed-event-type": lambda: ("stripe", stripe_headers(
        stripe_event("payout.paid")), stripe_event("payout.paid")),
    "stripe-made-up-event-type": lambda: ("stripe", stripe_headers(
        stripe_event("made.up.event")), stripe_event("made.up.event")),
    # Protection: a Connect event names another account, whose objects this connection
    # cannot read; it is acknowledged and dropped.
    "stripe-other-account": lambda: ("stripe", stripe_headers(
        stripe_event(account="acct_someoneElse1")), stripe_event(account="acct_someoneElse1")),
}


@pytest.mark.parametrize("case", sorted(IGNORED))
def test_a_genuine_delivery_we_do_not_serve_is_acknowledged_and_ignored(world: World,
                                                                        case: str) -> None:
    delivery = IGNORED[case]()
    with running(world) as client:
        response = post(client, delivery)
        assert response.status_code == 200, response.text
        assert response.json() == {"received": 0, "stored": 0, "duplicates": 0}
        assert world.nothing_happened()
        control = post(client, genuine(delivery[0], "evt_after_ignored"))
        assert control.status_code == 200 and control.json()["stored"] == 1


@pytest.mark.parametrize("connection", ["quickbooks", "stripe"])
def test_an_oversized_body_is_refused_before_it_is_parsed(world: World,
                                                          connection: str) -> None:
    # Protection: WebhookIntake.max_body, checked on Content-Length and on the bytes read.
    _, headers, body = genuine(connection, "evt_big")
    padded = json.dumps({"padding": "x" * 5_000, "delivery": json.loads(body)}).encode()
    signed = qbo_headers(padded) if connection == "quickbooks" else stripe_headers(padded)
    with running(world, max_body=2_000) as client:
        response = client.post(f"/webhooks/{connection}", content=padded, headers=signed)
        assert response.status_code == 413
        assert world.nothing_happened()
        assert client.get("/healthz").status_code == 200
        assert post(client, (connection, headers, body)).json()["stored"] == 1


def test_a_chunked_body_without_length_is_cut_off_at_the_limit(world: World) -> None:
    # Protection: the intake stops reading at max_body even when no Content-Length tells
    # it the size in advance; otherwise any sender could make it buffer without end.
    with running(world, max_body=2_000) as client:
        host, port = client.base_url.host, client.base_url.port
        with socket.create_connection((host, port), timeout=10) as sock:
            sock.sendall(b"POST /webhooks/stripe HTTP/1.1\r\nHost: x\r\n"
                         b"Content-Type: application/json\r\n"
                         b"Transfer-Encoding: chunked\r\n\r\n")
            chunk = b"x" * 1_000
            for _ in range(4):  # 4 kB sent, the body never ends
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            answer = sock.recv(200)  # blocks until the server answers (or the socket times out)
        assert answer.startswith(b"HTTP/1.1 413"), answer
        assert world.nothing_happened()
        assert client.get("/healthz").status_code == 200


def test_a_burst_of_bad_deliveries_leaves_the_service_healthy(world: World) -> None:
    with running(world) as client:
        for case in sorted(REJECTED):
            make, status = REJECTED[case]
            assert post(client, make()).status_code == status
        for case in sorted(IGNORED):
            assert post(client, IGNORED[case]()).status_code == 200
        assert world.nothing_happened()
        health = client.get("/healthz")
        assert health.status_code == 200 and health.json()["inbox_depth"] == 0
        metrics = client.get("/metrics").text
    rejected = 'mlc_webhook_events_total{connection="stripe",outcome="rejected"}'
    assert f"{rejected} {sum(1 for c in REJECTED if c.startswith('stripe'))}.0" in metrics


class Collect(logging.Handler):
    """Keeps the records of the loggers it is attached to."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_a_sender_that_hangs_up_mid_body_is_not_an_application_error(world: World) -> None:
    # Protection: the intake treats a client disconnect as a refused delivery instead of
    # letting the exception escape as "Exception in ASGI application".
    seen = Collect()
    loggers = [logging.getLogger("uvicorn.error"), logging.getLogger("ml_connector.webhooks")]
    for logger in loggers:
        logger.addHandler(seen)
    try:
        with running(world) as client:
            host, port = client.base_url.host, client.base_url.port
            with socket.create_connection((host, port), timeout=10) as sock:
                sock.sendall(b"POST /webhooks/quickbooks HTTP/1.1\r\nHost: x\r\n"
                             b"Content-Type: application/json\r\nContent-Length: 500\r\n\r\n"
                             b'{"eventNotifications": [')
            assert wait_for(lambda: any(r.levelno >= logging.WARNING for r in seen.records))
            assert client.get("/healthz").status_code == 200
    finally:
        for logger in loggers:
            logger.removeHandler(seen)
    assert [r.name for r in seen.records if r.levelno >= logging.ERROR] == []
    assert "went away" in seen.records[0].getMessage()
    assert world.nothing_happened()


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()
