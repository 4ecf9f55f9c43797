"""Secret and environment references are resolved by value, never by rewriting text."""

from __future__ import annotations

import pytest

from ml_connector.engine.errors import InvalidInput
from ml_connector.engine.loading.references import (
    Reference,
    is_reference,
    parse_reference,
    resolve_references,
)

SECRETS = {"books.client_secret": "sk_test_fake123"}


def test_references_are_replaced_and_plain_values_kept() -> None:
    settings = {
        "environment": "sandbox",
        "client_id": "${env:BOOKS_CLIENT_ID}",
        "client_secret": "${secret:books.client_secret}",
        "minor_version": 75,
        "webhook": {"verifier": "${env:VERIFIER}", "paths": ["${env:VERIFIER}", "/x"]},
    }
    env = {"BOOKS_CLIENT_ID": "client-1", "VERIFIER": "v-token"}
    resolved = resolve_references(settings, env, SECRETS.get, connection="books")
    assert resolved == {
        "environment": "sandbox",
        "client_id": "client-1",
        "client_secret": "sk_test_fake123",
        "minor_version": 75,
        "webhook": {"verifier": "v-token", "paths": ["v-token", "/x"]},
    }
    assert settings["client_id"] == "${env:BOOKS_CLIENT_ID}"


def test_text_around_a_reference_is_not_interpolated() -> None:
    settings = {"note": "key is ${env:HOME} here"}
    assert resolve_references(settings, {"HOME": "/root"}, SECRETS.get) == settings


def test_unset_environment_variable_names_connection_and_setting() -> None:
    with pytest.raises(InvalidInput) as raised:
        resolve_references({"client_id": "${env:BOOKS_CLIENT_ID}"}, {}, SECRETS.get,
                           connection="books")
    assert str(raised.value) == (
        "connection 'books', setting 'client_id': environment variable BOOKS_CLIENT_ID is not set")


def test_missing_secret_names_the_command_that_stores_it() -> None:
    with pytest.raises(InvalidInput) as raised:
        resolve_references({"api_key": "${secret:cards.api_key}"}, {}, SECRETS.get,
                           connection="cards")
    message = str(raised.value)
    assert "connection 'cards', setting 'api_key'" in message
    assert "`ml-connector connections set-secret cards api_key`" in message


@pytest.mark.parametrize(("value", "expected"), [
    ("${env:A_B}", Reference("env", "A_B")),
    ("${secret:books.client_secret}", Reference("secret", "books.client_secret")),
    ("${vault:x}", None), ("$env:X", None), ("${env:}", None), (42, None), (None, None),
])
def test_parse_reference(value: object, expected: Reference | None) -> None:
    assert parse_reference(value) == expected
    assert is_reference(value) is (expected is not None)


def test_every_missing_value_is_named_at_once() -> None:
    settings = {"client_id": "${env:BOOKS_CLIENT_ID}",
                "client_secret": "${secret:books.client_secret}",     # stored: not named
                "webhook": {"verifier": "${secret:books.verifier}"},
                "token": "${secret:books.token}"}
    with pytest.raises(InvalidInput) as raised:
        resolve_references(settings, {}, SECRETS.get, connection="books")
    assert str(raised.value).splitlines() == [
        "connection 'books': 3 settings have no value:",
        "  setting 'client_id': environment variable BOOKS_CLIENT_ID is not set",
        "  setting 'webhook.verifier': no stored secret 'books.verifier'; store it with "
        "`ml-connector connections set-secret books verifier`",
        "  setting 'token': no stored secret 'books.token'; store it with "
        "`ml-connector connections set-secret books token`",
    ]
