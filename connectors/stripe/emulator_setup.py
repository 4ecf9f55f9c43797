"""The local emulator standing in for a Stripe connection: settings one way, options back.

`ml-connector emulator stripe` prints `emulator_settings` (a made-up test key and the
signing secret of the webhook endpoint the emulator keeps for `serve`), and `ml-connector
emulators start` configures the emulator with `emulator_options` of a project's own
settings: it accepts exactly the project's key and signs its webhooks with the project's
webhook secret.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

EMULATOR_SECRET_KEY = "sk_test_emulator_7Hq2Zk9Rw4Lm"
EMULATOR_WEBHOOK_SECRET = "whsec_emulator_Jd8Vx3Pq6Tn1"


def emulator_settings(base_url: str) -> dict[str, Any]:
    """Connection settings for the emulator at `base_url`, with the credentials it accepts."""
    return {"mode": "test", "secret_key": EMULATOR_SECRET_KEY,
            "webhook_secret": EMULATOR_WEBHOOK_SECRET}


def emulator_options(settings: Mapping[str, Any], *, webhook_url: str) -> dict[str, Any]:
    """Options under which the emulator accepts these settings and signs webhooks for them.

    Without a webhook secret in the settings, `serve` could verify nothing the emulator
    sent, so no endpoint is set up.
    """
    options: dict[str, Any] = {"api_keys": [settings["secret_key"]],
                               "livemode": settings.get("mode") == "live"}
    if settings.get("webhook_secret"):
        options |= {"webhook_url": webhook_url, "webhook_secret": settings["webhook_secret"]}
    return options
