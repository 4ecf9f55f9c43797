"""Redaction: secret-shaped keys and text are masked wherever they would be shown."""

from __future__ import annotations

import logging

import pytest

from ml_connector.engine.redaction import RedactingFilter, redact, redact_text, register_secret


@pytest.mark.parametrize("key", [
    "authorization", "Authorization", "AUTHORIZATION", "api_key", "apiKey", "x-api-key",
    "secret", "password", "token", "refresh_token", "access_token", "client_secret",
    "refreshToken", "webhook_secret", "Proxy-Authorization", "cookie",
])
def test_values_under_secret_keys_are_masked(key: str) -> None:
    assert redact({key: "anything at all", "amount": 100}) == {key: "***", "amount": 100}


def test_public_keys_that_look_like_secrets_are_kept() -> None:
    data = {"SyncToken": "3", "idempotency_key": "pipe:58:0", "token_type": "bearer"}
    assert redact(data) == data


def test_nested_structures_are_walked_and_not_mutated() -> None:
    original = {"headers": {"Authorization": "Basic abc"}, "items": [{"password": "p4ss"}],
                "note": None, "refresh_token": None}
    assert redact(original) == {"headers": {"Authorization": "***"},
                                "items": [{"password": "***"}], "note": None,
                                "refresh_token": None}
    assert original["headers"] == {"Authorization": "Basic abc"}


# Live-mode fakes are assembled at run time so no live-shaped key literal sits in the code.
FAKE_LIVE_KEY = "sk_" + "live_" + "51HxAbCdEfGhIjKl"
FAKE_LIVE_RESTRICTED = "rk_" + "live_" + "abcdef123456"


@pytest.mark.parametrize(("text", "leak"), [
    (f"key {FAKE_LIVE_KEY} rejected", FAKE_LIVE_KEY),
    ("key sk_test_fake123 rejected", "sk_test_fake123"),
    (f"restricted {FAKE_LIVE_RESTRICTED}", FAKE_LIVE_RESTRICTED),
    ("restricted rk_test_abcdef123456", "rk_test_abcdef123456"),
    ("signing with whsec_abc123XYZ789", "whsec_abc123XYZ789"),
    ("Authorization: Bearer ya29.a0AfH6SMBx-token", "ya29.a0AfH6SMBx-token"),
    ("authorization: bearer abcdefghijkl", "abcdefghijkl"),
    ("Authorization: Basic c2tfdGVzdF9mYWtlMTIzOg==", "c2tfdGVzdF9mYWtlMTIzOg=="),
    ("token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig-nature_x", "eyJhbGciOiJIUzI1NiJ9"),
    ("qbo eyJlbmMiOiJBMTI4Q0JDIn0..iv123.cipher456.tag789", "cipher456"),
    ("grant_type=refresh_token&refresh_token=AB11abcdef&x=1", "AB11abcdef"),
    ('{"client_secret": "cs-value-9"}', "cs-value-9"),
    ("password=hunter2hunter", "hunter2hunter"),
])
def test_secret_shaped_text_is_masked(text: str, leak: str) -> None:
    masked = redact_text(text)
    assert leak not in masked
    assert "***" in masked


def test_ordinary_text_is_left_alone() -> None:
    text = "Basic information: invoice 1042 for $10.00, customer cus_9 paid via pi_123"
    assert redact_text(text) == text


def test_registered_secrets_are_masked_everywhere_later() -> None:
    register_secret("opaque-value-Q9z")
    assert redact("call failed: opaque-value-Q9z expired") == "call failed: *** expired"
    assert redact({"note": ["x opaque-value-Q9z"]}) == {"note": ["x ***"]}
    assert redact(b"opaque-value-Q9z") == b"***"


def test_short_values_are_not_registered() -> None:
    register_secret("abc12")
    assert redact_text("abc12 is fine") == "abc12 is fine"


def test_logging_filter_masks_arguments_and_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("ml_connector.test.redaction")
    handler_filter = RedactingFilter()
    logger.addFilter(handler_filter)
    try:
        with caplog.at_level(logging.INFO, logger=logger.name):
            logger.info("calling with %s", "Bearer abcdef123456")
            try:
                raise ValueError("bad key sk_test_fake123abc")
            except ValueError:
                logger.exception("failed")
    finally:
        logger.removeFilter(handler_filter)
    assert "abcdef123456" not in caplog.text
    assert "sk_test_fake123abc" not in caplog.text
    assert "calling with Bearer ***" in caplog.text
    assert "ValueError" in caplog.text
