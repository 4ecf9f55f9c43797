"""Stripe's test payment methods, and what charging each of them does.

`pm_card_visa` and friends succeed; the `chargeDeclined` family fails with the decline code
Stripe documents for it, so clients can exercise failed payments without real cards.
"""

from __future__ import annotations

from dataclasses import dataclass

from ml_connector.connectors.stripe.emulator.errors import invalid


@dataclass(frozen=True)
class TestCard:
    brand: str
    last4: str
    decline_code: str | None = None

    @property
    def fingerprint(self) -> str:
        return f"fp{self.brand[:3]}{self.last4}EMU"

    def as_dict(self) -> dict[str, str]:
        return {"brand": self.brand, "last4": self.last4, "fingerprint": self.fingerprint}


TEST_CARDS: dict[str, TestCard] = {
    "pm_card_visa": TestCard("visa", "4242"),
    "pm_card_mastercard": TestCard("mastercard", "4444"),
    "pm_card_amex": TestCard("amex", "8431"),
    "pm_card_chargeDeclined": TestCard("visa", "0002", "generic_decline"),
    "pm_card_chargeDeclinedInsufficientFunds": TestCard("visa", "9995", "insufficient_funds"),
    "pm_card_chargeDeclinedExpiredCard": TestCard("visa", "0069", "expired_card"),
}


def card_for(payment_method: str, param: str = "payment_method") -> TestCard:
    card = TEST_CARDS.get(payment_method)
    if card is None:
        raise invalid(f"No such PaymentMethod: '{payment_method}'", param=param,
                      code="resource_missing")
    return card
