"""A stateful local emulator of the parts of the Stripe API the connector uses."""

from ml_connector.connectors.stripe.emulator.app import create_app
from ml_connector.connectors.stripe.emulator.service import StripeEmulator

__all__ = ["StripeEmulator", "create_app"]
