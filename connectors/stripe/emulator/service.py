"""One emulated Stripe account with everything around it: state, webhook delivery,
idempotency, faults and rate limits. `app.state.emulator` is this object, so tests can look
inside (`.state.objects`, `.webhooks.attempts`, `.state.requests`) and drive it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ml_connector.connectors.stripe.emulator.faults import FaultBook, RateLimits
from ml_connector.connectors.stripe.emulator.idempotency import IdempotencyStore
from ml_connector.connectors.stripe.emulator.options import EmulatorOptions
from ml_connector.connectors.stripe.emulator.state import EmulatorState
from ml_connector.connectors.stripe.emulator.webhook_endpoints import deliver_to
from ml_connector.connectors.stripe.emulator.webhooks import WebhookHub


class StripeEmulator:
    """The emulator behind one app; created by `create_app`."""

    def __init__(self, options: Mapping[str, Any] | EmulatorOptions | None = None):
        if not isinstance(options, EmulatorOptions):
            options = EmulatorOptions.from_mapping(options)
        self.options = options
        self.state = EmulatorState(options)
        self.webhooks = WebhookHub(self.state)
        self.idempotency = IdempotencyStore()
        self.faults = FaultBook(options.random_seed)
        self.rate_limits = RateLimits(options.rate_limits, options.livemode)
        loaded = self.state.load_file()
        if options.seed and not loaded:
            from ml_connector.connectors.stripe.emulator.seed import seed_account

            seed_account(self.state)
            self.state.save()
        if options.webhook_url:
            with self.state.lock:
                deliver_to(self.state, options.webhook_url, options.webhook_secret)
                self.state.save()

    def accepts_key(self, key: str) -> bool:
        if self.options.api_keys is not None:
            return key in self.options.api_keys
        return key.startswith(self.options.key_mode_prefixes()) and len(key) > 8

    def reset(self) -> None:
        """Back to an empty account: no objects, events, endpoints, faults or saved keys."""
        self.webhooks.reset()
        with self.state.lock:
            self.state.clear()
            self.idempotency.clear()
            self.faults.set([])
            self.faults.reset_counts()
            self.rate_limits.configure(self.options.rate_limits)
            self.state.save()

    def close(self) -> None:
        """Stop delivering and save the account, so a restart finds it as it was left."""
        self.webhooks.stop()
        with self.state.lock:
            self.state.save()
