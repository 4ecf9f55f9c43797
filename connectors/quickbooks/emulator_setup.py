"""The local emulator standing in for a QuickBooks connection: settings one way, options back.

`ml-connector emulator quickbooks` prints `emulator_settings` (the emulator's made-up app
credentials, its company and its OAuth endpoints), and `ml-connector emulators start`
configures the emulator with `emulator_options` of a project's own settings, so it accepts
exactly the client, verifier token and company the project uses.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ml_connector.connectors.quickbooks.emulator.oauth_routes import (
    AUTHORIZE_PATH,
    REVOKE_PATH,
    TOKEN_PATH,
)
from ml_connector.connectors.quickbooks.emulator.options import EmulatorOptions

# Intuit is moving every app to CloudEvents; the connector reads both formats.
WEBHOOK_FORMAT = "cloudevents"


def emulator_settings(base_url: str) -> dict[str, Any]:
    """Connection settings for the emulator at `base_url`, with the credentials it accepts."""
    defaults = EmulatorOptions()
    base = base_url.rstrip("/")
    return {"environment": "sandbox", "client_id": defaults.client_id,
            "client_secret": defaults.client_secret, "realm_id": defaults.realm_id,
            "webhook_verifier_token": defaults.verifier_token,
            "authorize_url": base + AUTHORIZE_PATH, "token_url": base + TOKEN_PATH,
            "revoke_url": base + REVOKE_PATH}


def emulator_options(settings: Mapping[str, Any], *, webhook_url: str) -> dict[str, Any]:
    """Options under which the emulator accepts these settings and signs webhooks for them."""
    options: dict[str, Any] = {"client_id": settings["client_id"],
                               "client_secret": settings["client_secret"],
                               "webhook_url": webhook_url, "webhook_format": WEBHOOK_FORMAT}
    if settings.get("webhook_verifier_token"):
        options["verifier_token"] = settings["webhook_verifier_token"]
    if settings.get("realm_id"):
        options["realm_id"] = str(settings["realm_id"])
    return options
