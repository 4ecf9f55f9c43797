"""Fuzzing both connectors' `parse_webhook`: only `WebhookRejected` or a list of events.

Anything else (a KeyError, a TypeError, a ValueError from a stray header) would surface as a
500 with a traceback in the service, and the sender would retry it for days. Bodies are
signed with the connection's real secret in most examples, so the fuzzing reaches the
parsers behind the signature check instead of stopping at it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ml_connector.connectors.quickbooks.plugin import plugin as qbo_plugin
from ml_connector.connectors.stripe.plugin import plugin as stripe_plugin
from ml_connector.engine.plugins.protocol import Connector, ConnectorContext, WebhookRejected
from ml_connector.engine.records import WebhookEvent

REALM = "9341455000000"
VERIFIER = "qbo-verifier-fuzz-fake123"
WHSEC = "whsec_fakeFuzz123"
FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


class NoCredentials:
    """The parsers must not need credentials; anything asked for is simply absent."""

    def get(self, key: str) -> str | None:
        return None

    def put(self, key: str, value: str) -> None:
        raise AssertionError("parsing a webhook must not store credentials")

    def delete(self, key: str) -> None:
        raise AssertionError("parsing a webhook must not delete credentials")

    def locked(self, key: str) -> Any:
        raise AssertionError("parsing a webhook must not take locks")


@pytest.fixture(scope="module")
def qbo() -> Connector:
    return qbo_plugin.connect(ConnectorContext(
        connection="quickbooks", credentials=NoCredentials(), base_url="http://127.0.0.1:9",
        settings={"client_id": "fuzz", "client_secret": "fuzz-secret-fake123",
                  "realm_id": REALM, "webhook_verifier_token": VERIFIER}))


@pytest.fixture(scope="module")
def stripe() -> Connector:
    return stripe_plugin.connect(ConnectorContext(
        connection="stripe", credentials=NoCredentials(), base_url="http://127.0.0.1:9",
        settings={"secret_key": "sk_test_fakeFuzz123", "webhook_secret": WHSEC}))


def qbo_signed(body: bytes) -> str:
    return base64.b64encode(hmac.new(VERIFIER.encode(), body, hashlib.sha256).digest()).decode()


def stripe_signed(body: bytes, at: int | None = None) -> str:
    stamp = int(time.time()) if at is None else at
    digest = hmac.new(WHSEC.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


def outcome(connector: Connector, headers: Mapping[str, str], body: bytes) -> str:
    """'events' or 'rejected NNN'; any other exception fails the test with its traceback."""
    try:
        events = connector.parse_webhook(headers, body)
    except WebhookRejected as exc:
        assert 400 <= exc.status < 600 and exc.reason
        return f"rejected {exc.status}"
    assert isinstance(events, list)
    for event in events:
        assert isinstance(event, WebhookEvent)
        assert all(isinstance(v, str) and v for v in (event.event_id, event.entity,
                                                      event.record_id, event.operation))
        json.dumps({"extra": dict(event.extra), "account": event.account,
                    "at": event.occurred_at})  # the inbox must be able to store it
    return "events"


# -- JSON-ish values shaped like the deliveries, with every field free to be anything ------

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                    st.text(max_size=12))
anything = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                        | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                        max_leaves=8)


def maybe(value: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(value, anything)


qbo_entity = st.fixed_dictionaries({}, optional={
    "name": maybe(st.sampled_from(["Customer", "invoice", "Bill", ""])),
    "id": maybe(st.text(max_size=6)), "operation": maybe(st.sampled_from(["Create", "Merge"])),
    "lastUpdated": maybe(st.just("2026-07-01T16:20:31.657Z")),
    "deletedId": maybe(st.text(max_size=4))})
qbo_classic = st.fixed_dictionaries({"eventNotifications": maybe(st.lists(maybe(
    st.fixed_dictionaries({}, optional={
        "realmId": maybe(st.sampled_from([REALM, "1"])),
        "dataChangeEvent": maybe(st.fixed_dictionaries({}, optional={
            "entities": maybe(st.lists(maybe(qbo_entity), max_size=3))}))})), max_size=3))})
qbo_cloudevent = st.fixed_dictionaries({"specversion": maybe(st.just("1.0"))}, optional={
    "id": maybe(st.text(max_size=6)),
    "type": maybe(st.sampled_from(["qbo.invoice.updated.v1", "qbo.customer.merged.v1",
                                   "qbo..", "qbo.x", "other.a.b"])),
    "intuitentityid": maybe(st.text(max_size=4)),
    "intuitaccountid": maybe(st.sampled_from([REALM, "2"])),
    "time": maybe(st.just("2026-07-01T16:20:31Z")),
    "data": maybe(st.fixed_dictionaries({}, optional={"deletedid": anything}))})
qbo_bodies = st.one_of(qbo_classic, st.lists(maybe(qbo_cloudevent), max_size=3), anything)

stripe_events = st.fixed_dictionaries({
    "id": maybe(st.text(min_size=1, max_size=6)),
    "type": maybe(st.sampled_from(["refund.created", "customer.deleted", "invoice.paid",
                                   "payout.paid"])),
    "data": maybe(st.fixed_dictionaries({"object": maybe(st.fixed_dictionaries(
        {"id": maybe(st.text(min_size=1, max_size=6))}))}, optional={
            "previous_attributes": anything}))}, optional={
    "created": maybe(st.integers(min_value=-(10**20), max_value=10**20)),
    "livemode": st.just(False), "account": maybe(st.none()),
    "api_version": anything,
    "request": maybe(st.fixed_dictionaries({}, optional={"id": anything,
                                                         "idempotency_key": anything}))})

raw_bytes = st.binary(max_size=200)
header_text = st.text(st.characters(min_codepoint=1, max_codepoint=0xFF), max_size=60)
content_types = st.one_of(st.none(), st.sampled_from(["application/json", "text/plain",
                                                      "application/cloudevents+json"]),
                          header_text)


def encoded(value: Any) -> bytes:
    return json.dumps(value).encode()


@FUZZ
@given(body=st.one_of(qbo_bodies.map(encoded), raw_bytes), content_type=content_types)
def test_qbo_signed_deliveries_of_any_shape_parse_or_are_rejected(
        qbo: Connector, body: bytes, content_type: str | None) -> None:
    headers = {"intuit-signature": qbo_signed(body)}
    if content_type is not None:
        headers["content-type"] = content_type
    outcome(qbo, headers, body)


@FUZZ
@given(body=st.one_of(stripe_events.map(encoded), raw_bytes), content_type=content_types)
def test_stripe_signed_deliveries_of_any_shape_parse_or_are_rejected(
        stripe: Connector, body: bytes, content_type: str | None) -> None:
    headers = {"stripe-signature": stripe_signed(body)}
    if content_type is not None:
        headers["content-type"] = content_type
    outcome(stripe, headers, body)


@FUZZ
@given(headers=st.dictionaries(st.sampled_from(["intuit-signature", "Intuit-Signature",
                                                "content-type", "x-other"]), header_text,
                               max_size=3),
       body=st.one_of(raw_bytes, qbo_bodies.map(encoded)))
def test_qbo_any_headers_are_rejected_unless_signed(qbo: Connector, headers: dict[str, str],
                                                    body: bytes) -> None:
    assert outcome(qbo, headers, body).startswith("rejected")


stripe_header_values = st.one_of(
    header_text,
    st.builds(lambda t, v: f"t={t},v1={v}", st.text(max_size=25), header_text),
    st.builds(lambda t, vs: ",".join([f"t={t}", *(f"v1={v}" for v in vs)]),
              st.integers(min_value=-(10**30), max_value=10**30),
              st.lists(st.text(st.characters(min_codepoint=1, max_codepoint=0x2FF),
                               max_size=70), max_size=3)))


@FUZZ
@given(signature=stripe_header_values, body=st.one_of(raw_bytes, stripe_events.map(encoded)),
       name=st.sampled_from(["stripe-signature", "Stripe-Signature", "x-other"]))
def test_stripe_any_signature_header_is_rejected_unless_signed(
        stripe: Connector, signature: str, body: bytes, name: str) -> None:
    assert outcome(stripe, {name: signature}, body).startswith("rejected")


@FUZZ
@given(offset=st.integers(min_value=-(10**12), max_value=10**12), body=raw_bytes)
def test_stripe_signed_timestamps_far_off_are_rejected_cleanly(
        stripe: Connector, offset: int, body: bytes) -> None:
    at = int(time.time()) + offset
    result = outcome(stripe, {"stripe-signature": stripe_signed(body, at=at)}, body)
    if offset < -300:
        assert result == "rejected 400"
