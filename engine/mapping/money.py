"""Money filters: exact conversions between major units (accounting amounts such as 12.50)
and integer minor units (payment APIs' 1250).

All arithmetic is on the integer digits of a Decimal, so no context precision or float
rounding can change an amount. Losing a fraction of a cent is refused unless the mapping
asks for rounding explicitly.
"""

from __future__ import annotations

from decimal import Decimal

from ml_connector.engine.mapping.conversions import FilterError, fail_if_undefined, to_decimal
from ml_connector.engine.mapping.currencies import minor_unit_exponent, normalize_currency

ROUNDING_MODES = ("half_up",)


def _currency(currency: object, filter_name: str) -> tuple[str, int]:
    """Normalised code and exponent, with the filter's name in any error."""
    fail_if_undefined(currency)
    try:
        code = normalize_currency(currency)
    except ValueError as exc:
        raise FilterError(f"{filter_name}: {exc}") from None
    return code, minor_unit_exponent(code)


def _scale_to_int(amount: Decimal, exponent: int, rounding: str | None) -> int | None:
    """amount * 10**exponent as an int, or None when digits would be lost without rounding."""
    sign, digits, exp = amount.as_tuple()
    shift = int(exp) + exponent  # exp is an int: to_decimal admits finite numbers only
    magnitude = int("".join(map(str, digits)) or "0")
    if shift >= 0:
        scaled = magnitude * 10**shift
    else:
        scaled, remainder = divmod(magnitude, 10**-shift)
        if remainder:
            if rounding is None:
                return None
            if 2 * remainder >= 10**-shift:  # half_up: ties go away from zero
                scaled += 1
    return -scaled if sign else scaled


def minor_units(amount: object, currency: object, rounding: str | None = None) -> int:
    """Major units to integer minor units: USD 150.00 -> 15000, JPY 500 -> 500.

    `rounding='half_up'` allows amounts finer than the currency (12.345 USD -> 1235);
    without it such an amount is an error, because dropping it would change the money.
    """
    if rounding is not None and rounding not in ROUNDING_MODES:
        raise FilterError(f"minor_units: unknown rounding {rounding!r} (expected 'half_up')")
    number = to_decimal(amount, "minor_units")
    code, exponent = _currency(currency, "minor_units")
    scaled = _scale_to_int(number, exponent, rounding)
    if scaled is None:
        raise FilterError(
            f"{number:f} {code} has more decimals than {code} allows; "
            "use minor_units(currency, rounding='half_up') to round"
        )
    return scaled


def major_units(amount: object, currency: object) -> Decimal:
    """Integer minor units to a Decimal in major units: 15000 usd -> Decimal('150.00')."""
    number = to_decimal(amount, "major_units")
    code, exponent = _currency(currency, "major_units")
    whole = _scale_to_int(number, 0, None)
    if whole is None:
        raise FilterError(f"major_units needs a whole number of {code} minor units, "
                          f"got {number:f}")
    digits = tuple(int(d) for d in str(abs(whole)))
    return Decimal((int(whole < 0), digits, -exponent))


def money(amount: object, currency: object) -> Decimal:
    """Amount rounded half-up to the currency's precision: 12.345 USD -> Decimal('12.35')."""
    number = to_decimal(amount, "money")
    code, _ = _currency(currency, "money")
    return major_units(minor_units(number, code, rounding="half_up"), code)


def decimal(value: object) -> Decimal:
    """Exact Decimal from text or an int, for amounts a source hands over as strings."""
    return to_decimal(value, "decimal")
