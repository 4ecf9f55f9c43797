"""Form encoding of nested and list parameters, as Stripe reads them."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import parse_qsl

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
