"""The secret key: its mode checked against the connection's, then sent as Basic auth.

Stripe keys name their environment (`sk_test_`, `sk_live_`, `rk_test_`, `rk_live_`). A live
key on a connection marked `mode: test` (or the reverse) would write real invoices from a
test setup, or test data into the books, so it is refused before any request is made.
"""

from __future__ import annotations

import re

import httpx

from ml_connector.engine.errors import InvalidInput

_KEY = re.compile(r"^(sk|rk)_(test|live)_\S+$")


def key_mode(key: str) -> str:
    """"test" or "live", from the key's prefix; anything else is not a Stripe secret key."""
    match = _KEY.match(key)
    if match is None:
        raise InvalidInput("the Stripe secret key must start with sk_test_, sk_live_, "
                           "rk_test_ or rk_live_ (publishable pk_ keys cannot call the API)")
    return match.group(2)


def check_key_mode(connection: str, key: str, mode: str) -> None:
    found = key_mode(key)
    if found != mode:
        raise InvalidInput(
            f"connection {connection!r} is marked mode: {mode}, but its secret key is a "
            f"{found} key; store the {mode} key with `ml-connector connections set-secret "
            f"{connection} secret_key`, or change the connection's mode")


def basic_auth(key: str) -> httpx.BasicAuth:
    """HTTP Basic with the key as user name and an empty password, as Stripe documents."""
    return httpx.BasicAuth(key, "")
