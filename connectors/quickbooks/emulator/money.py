"""Currencies and rounding: every computed total is quantised to its currency's minor unit."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from ml_connector.connectors.quickbooks.emulator import errors

CURRENCY_NAMES = {
    "USD": "United States Dollar", "EUR": "Euro", "GBP": "British Pound Sterling",
    "CAD": "Canadian Dollar", "AUD": "Australian Dollar", "JPY": "Japanese Yen",
    "CHF": "Swiss Franc", "MXN": "Mexican Peso", "KWD": "Kuwaiti Dinar",
}
ZERO_DECIMAL = {"JPY", "KRW", "VND", "CLP", "ISK", "UGX", "XAF", "XOF"}
THREE_DECIMAL = {"KWD", "BHD", "JOD", "OMR", "TND"}
ZERO = Decimal(0)


def places(currency: str) -> int:
    if currency in ZERO_DECIMAL:
        return 0
    return 3 if currency in THREE_DECIMAL else 2


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round half up to the currency's minor unit, the way a ledger posts it."""
    return amount.quantize(Decimal(1).scaleb(-places(currency)), rounding=ROUND_HALF_UP)


def currency_ref(code: str) -> dict[str, str]:
    return {"value": code, "name": CURRENCY_NAMES.get(code, code)}


def amount(value: Any, element: str) -> Decimal:
    """A request amount as `Decimal`; strings of digits are accepted as QBO accepts them."""
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int | float | str) and not isinstance(value, bool):
        try:
            result = Decimal(str(value).strip())
        except InvalidOperation as exc:
            raise errors.invalid_property(element, "is not a number") from exc
    else:
        raise errors.invalid_property(element, "is not a number")
    if not result.is_finite():
        raise errors.invalid_property(element, "is not a finite number")
    return result
