"""Checks every webhook endpoint makes of a delivery before reading its body.

Senders that sign a JSON body (most do) all need the same first refusal: a body declared as
something else is answered 415 before any parsing, so a misrouted form post or a proxy that
rewrote the body is reported as what it is rather than as a bad signature.
"""

from __future__ import annotations

from collections.abc import Mapping

from ml_connector.engine.plugins.protocol import WebhookRejected


def require_json_body(headers: Mapping[str, str]) -> None:
    """Refuse a body declared as anything but JSON (`+json` types such as CloudEvents pass).

    A delivery without a Content-Type is let through: the parser then decides.
    """
    given = next((v for k, v in headers.items() if k.lower() == "content-type"), None)
    if given is None:
        return
    media = given.split(";", 1)[0].strip().lower()
    if media != "application/json" and not media.endswith("+json"):
        raise WebhookRejected(415, "the body must be sent as application/json")
