"""Form bodies decode the way Stripe reads them."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from ml_connector.connectors.stripe.emulator.forms import FormError, decode_form


def test_nested_dicts_lists_and_scalars() -> None:
    body = urlencode([
        ("customer", "cus_1"), ("metadata[qbo_invoice_id]", "130"),
        ("lines[0][description]", "Consulting"), ("lines[0][amount]", "15000"),
        ("lines[1][description]", "Travel"), ("lines[1][amount]", "-500"),
        ("lines[1][metadata][k]", "v"), ("auto_advance", "false"),
    ])
    assert decode_form(body) == {
        "customer": "cus_1", "metadata": {"qbo_invoice_id": "130"}, "auto_advance": "false",
        "lines": [{"description": "Consulting", "amount": "15000"},
                  {"description": "Travel", "amount": "-500", "metadata": {"k": "v"}}],
    }


def test_indices_order_numerically_not_as_text() -> None:
    body = "&".join(f"expand[{i}]=f{i}" for i in (10, 2, 0, 1))
    assert decode_form(body) == {"expand": ["f0", "f1", "f2", "f10"]}


def test_empty_brackets_append() -> None:
    assert decode_form("expand[]=payments&expand[]=customer") == {
        "expand": ["payments", "customer"]}


def test_empty_values_are_kept_for_unsetting() -> None:
    assert decode_form("metadata[old]=&description=") == {"metadata": {"old": ""},
                                                          "description": ""}


@pytest.mark.parametrize("body", ["a]=1", "a[b]c=1", "a[][b]=1"])
def test_malformed_keys_are_rejected(body: str) -> None:
    with pytest.raises(FormError):
        decode_form(body)
