"""Form encoding of nested and list parameters, as Stripe reads them."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import parse_qsl

from hypothesis import given
from hypothesis import strategies as st

from ml_connector.connectors.stripe.emulator.forms import decode_form
from ml_connector.connectors.stripe.forms import encode, flatten


def test_nested_lists_booleans_and_none() -> None:
    params = {"customer": "cus_1", "auto_advance": False, "description": None,
              "metadata": {"qbo_invoice_id": 130, "note": ""},
              "lines": [{"amount": 15000, "description": "Consulting"},
                        {"unit_amount_decimal": Decimal("333.5"), "quantity": 3,
                         "tax_rates": ["txr_1", "txr_2"], "discountable": True}],
              "expand": ["payments"]}
    assert flatten(params) == [
        ("customer", "cus_1"), ("auto_advance", "false"),
        ("metadata[qbo_invoice_id]", "130"), ("metadata[note]", ""),
        ("lines[0][amount]", "15000"), ("lines[0][description]", "Consulting"),
        ("lines[1][unit_amount_decimal]", "333.5"), ("lines[1][quantity]", "3"),
        ("lines[1][tax_rates][0]", "txr_1"), ("lines[1][tax_rates][1]", "txr_2"),
        ("lines[1][discountable]", "true"), ("expand[0]", "payments")]


def test_decimals_keep_their_exact_digits() -> None:
    assert flatten({"a": Decimal("1E+2"), "b": Decimal("0.000000000001")}) == [
        ("a", "100"), ("b", "0.000000000001")]


def test_the_body_is_url_encoded_and_reads_back_the_same() -> None:
    params = {"name": "Ünïcode & Co", "address": {"line1": "1 Market St #2"},
              "preferred_locales": ["fr", "en"]}
    body = encode(params)
    assert "%5B" in body and " " not in body
    assert decode_form(body) == {"name": "Ünïcode & Co", "address": {"line1": "1 Market St #2"},
                                 "preferred_locales": ["fr", "en"]}
    assert dict(parse_qsl(body))["name"] == "Ünïcode & Co"


_KEYS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8)
_SCALARS = st.one_of(st.text(max_size=12), st.integers(-10**9, 10**9), st.booleans())
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, min_size=1, max_size=3),
                            st.dictionaries(_KEYS, inner, min_size=1, max_size=3)),
    max_leaves=12)


def _as_sent(value: object) -> object:
    """What Stripe receives for a value: every scalar as its text."""
    if isinstance(value, dict):
        return {k: _as_sent(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_sent(v) for v in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@given(st.dictionaries(_KEYS, _VALUES, min_size=1, max_size=4))
def test_any_nested_parameters_read_back_as_sent(params: dict[str, object]) -> None:
    assert decode_form(encode(params)) == _as_sent(params)
