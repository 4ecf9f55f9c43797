"""How many minor units each currency has, as payment APIs count them.

Kept apart from the Jinja filters so connectors can convert amounts with the same table the
mappings use; two tables that disagree would move money by a factor of 100.
"""

from __future__ import annotations

ZERO_DECIMAL: frozenset[str] = frozenset({
    "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA",
    "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF",
})
"""Currencies whose amounts are whole units (JPY 500 is sent as 500)."""

THREE_DECIMAL: frozenset[str] = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})
"""Currencies with a thousandth minor unit (KWD 1.500 is sent as 1500)."""


def normalize_currency(currency: object) -> str:
    """Upper-case ISO 4217 code; accounting systems write 'USD', payment APIs 'usd': both must work.

    Raises ValueError for anything that is not three letters, because a typo here would
    otherwise silently fall back to two decimals.
    """
    if not isinstance(currency, str):
        kind = "none" if currency is None else type(currency).__name__
        raise ValueError(f"currency must be a three-letter code, got {kind}")
    code = currency.strip().upper()
    if len(code) != 3 or not code.isascii() or not code.isalpha():
        raise ValueError(f"{currency!r} is not a three-letter currency code")
    return code


def minor_unit_exponent(currency: str) -> int:
    """Power of ten between the major and the minor unit: 0, 2 or 3 (case-insensitive)."""
    code = normalize_currency(currency)
    if code in ZERO_DECIMAL:
        return 0
    if code in THREE_DECIMAL:
        return 3
    return 2
