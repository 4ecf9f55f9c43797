"""Minor units per currency, Stripe's processing fee, and tax rounding.

Amounts are integers in the currency's minor unit: cents for USD, whole yen for JPY (a
zero-decimal currency), fils for KWD (three decimals, where Stripe wants the last digit 0).
Arithmetic that can produce fractions (fees, tax, unit price times quantity) runs on Decimal
and rounds half up to a whole minor unit, the way an accountant would.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

ZERO_DECIMAL = frozenset({"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg",
                          "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"})
THREE_DECIMAL = frozenset({"bhd", "jod", "kwd", "omr", "tnd"})


def exponent(currency: str) -> int:
    code = currency.lower()
    if code in ZERO_DECIMAL:
        return 0
    return 3 if code in THREE_DECIMAL else 2


def round_minor(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def processing_fee(amount: int, currency: str, percent: Decimal, fixed_cents: int) -> int:
    """`percent`% + a fixed part: 30 cents in two-decimal currencies, scaled for others.

    Three-decimal currencies round the fee to a multiple of 10, as Stripe wants amounts in
    them to end in 0; zero-decimal currencies have no fixed part below one unit.
    """
    scale = exponent(currency)
    fixed = Decimal(fixed_cents) * Decimal(10) ** (scale - 2)
    fee = Decimal(amount) * percent / Decimal(100) + fixed
    if scale == 3:
        return round_minor(fee / 10) * 10
    return round_minor(fee)


def tax_amount(base: int, percentage: Decimal, inclusive: bool) -> int:
    """Tax on a line: on top of `base` when exclusive, contained in it when inclusive."""
    rate = percentage / Decimal(100)
    if inclusive:
        return round_minor(Decimal(base) * rate / (1 + rate))
    return round_minor(Decimal(base) * rate)
