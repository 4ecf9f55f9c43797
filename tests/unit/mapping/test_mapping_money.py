"""Money filters: exact minor/major unit conversion for 0-, 2- and 3-decimal currencies."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ml_connector.engine.diagnostics import Location
from ml_connector.engine.errors import RenderError
from ml_connector.engine.mapping import CONTEXT_NAMES, compile_expression, render
from ml_connector.engine.mapping.conversions import FilterError
from ml_connector.engine.mapping.currencies import minor_unit_exponent
from ml_connector.engine.mapping.money import decimal, major_units, minor_units, money

ZERO = ["BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA",
        "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"]
THREE = ["BHD", "JOD", "KWD", "OMR", "TND"]
TWO = ["USD", "EUR", "GBP", "CAD", "AUD", "CHF"]
ALL = ZERO + THREE + TWO


@pytest.mark.parametrize("currency, exponent", [
    *[(c, 0) for c in ZERO], *[(c, 3) for c in THREE], *[(c, 2) for c in TWO],
    ("usd", 2), ("jpy", 0), ("Kwd", 3), (" eur ", 2),
])
def test_each_currency_has_its_minor_unit(currency: str, exponent: int) -> None:
    assert minor_unit_exponent(currency) == exponent


@pytest.mark.parametrize("bad", ["", "US", "USDX", "U$D", None, 840])
def test_a_malformed_currency_is_refused(bad: Any) -> None:
    with pytest.raises(ValueError):
        minor_unit_exponent(bad)


@pytest.mark.parametrize("amount, currency, expected", [
    (Decimal("150.00"), "USD", 15000),
    (Decimal("150"), "usd", 15000),
    ("0.10", "EUR", 10),
    (" 19.99 ", "GBP", 1999),
    (7, "USD", 700),
    (Decimal("500"), "JPY", 500),
    (Decimal("500.000"), "jpy", 500),
    (Decimal("1.5"), "KWD", 1500),
    (Decimal("1.234"), "BHD", 1234),
    (Decimal("-12.34"), "USD", -1234),
    (Decimal("12.3400"), "USD", 1234),
    (Decimal("1E+3"), "USD", 100000),
    (Decimal("0"), "USD", 0),
    (Decimal("12345678901234567890123456789.12"), "USD", 1234567890123456789012345678912),
])
def test_minor_units(amount: Any, currency: str, expected: int) -> None:
    result = minor_units(amount, currency)
    assert result == expected and type(result) is int


@pytest.mark.parametrize("amount, currency, shown", [
    (Decimal("12.345"), "USD", "12.345 USD has more decimals than USD allows"),
    (Decimal("500.5"), "jpy", "500.5 JPY has more decimals than JPY allows"),
    (Decimal("1.2345"), "KWD", "1.2345 KWD has more decimals than KWD allows"),
    ("0.001", "usd", "0.001 USD has more decimals than USD allows"),
])
def test_minor_units_refuses_to_drop_money(amount: Any, currency: str, shown: str) -> None:
    with pytest.raises(FilterError) as caught:
        minor_units(amount, currency)
    assert str(caught.value).startswith(shown)
    assert "rounding='half_up'" in str(caught.value)


@pytest.mark.parametrize("amount, currency, expected", [
    (Decimal("12.345"), "USD", 1235),
    (Decimal("12.344"), "USD", 1234),
    (Decimal("-12.345"), "USD", -1235),
    (Decimal("0.005"), "USD", 1),
    (Decimal("500.5"), "JPY", 501),
    (Decimal("499.49"), "JPY", 499),
    (Decimal("1.2345"), "KWD", 1235),
])
def test_minor_units_rounds_half_up_when_asked(amount: Decimal, currency: str,
                                                expected: int) -> None:
    assert minor_units(amount, currency, rounding="half_up") == expected


def test_minor_units_refuses_an_unknown_rounding_mode() -> None:
    with pytest.raises(FilterError, match="unknown rounding 'down'"):
        minor_units(Decimal("1.001"), "USD", rounding="down")


@pytest.mark.parametrize("bad, fragment", [
    (12.5, "got a float (floats cannot hold exact money amounts)"),
    (True, "got a boolean"),
    (None, "got none"),
    ([1], "got a list"),
    ("twelve", "got text that is not a number"),
    (Decimal("NaN"), "needs a finite number"),
    ("Infinity", "needs a finite number"),
])
def test_minor_units_refuses_what_is_not_an_exact_amount(bad: Any, fragment: str) -> None:
    with pytest.raises(FilterError) as caught:
        minor_units(bad, "USD")
    assert fragment in str(caught.value)


@pytest.mark.parametrize("minor, currency, expected", [
    (15000, "usd", Decimal("150.00")),
    (5, "USD", Decimal("0.05")),
    (-1234, "USD", Decimal("-12.34")),
    (500, "JPY", Decimal("500")),
    (1500, "KWD", Decimal("1.500")),
    ("2500", "eur", Decimal("25.00")),
    (Decimal("2500"), "eur", Decimal("25.00")),
    (0, "USD", Decimal("0.00")),
])
def test_major_units(minor: Any, currency: str, expected: Decimal) -> None:
    result = major_units(minor, currency)
    assert result == expected and type(result) is Decimal
    assert str(result) == str(expected)  # the exponent shows the currency's precision


def test_major_units_needs_whole_minor_units() -> None:
    with pytest.raises(FilterError, match=r"whole number of USD minor units, got 12\.5"):
        major_units(Decimal("12.5"), "USD")
    with pytest.raises(FilterError, match="float"):
        major_units(1500.0, "USD")


@pytest.mark.parametrize("amount, currency, expected", [
    (Decimal("12.345"), "USD", "12.35"),
    (Decimal("12.344"), "usd", "12.34"),
    ("7", "USD", "7.00"),
    (Decimal("500.5"), "JPY", "501"),
    (Decimal("1.2345"), "KWD", "1.235"),
    (Decimal("-0.125"), "EUR", "-0.13"),
])
def test_money_quantizes_half_up_to_the_currency(amount: Any, currency: str,
                                                 expected: str) -> None:
    assert str(money(amount, currency)) == expected


@pytest.mark.parametrize("value, expected", [("12.30", "12.30"), (5, "5"), (" 1e2 ", "1E+2"),
                                             (Decimal("0.1"), "0.1")])
def test_decimal_filter(value: Any, expected: str) -> None:
    result = decimal(value)
    assert type(result) is Decimal and str(result) == expected


def test_decimal_filter_refuses_floats() -> None:
    with pytest.raises(FilterError, match="decimal needs a Decimal, an int or numeric text"):
        decimal(0.1)


@pytest.mark.parametrize("source, expected", [
    ("{{ record.Total | minor_units(record.Currency) }}", 1999),
    ("{{ record.Total | minor_units('jpy', rounding='half_up') }}", 20),
    ("{{ 1999 | major_units('usd') }}", Decimal("19.99")),
    ("{{ record.Total | money('usd') }}", Decimal("19.99")),
    ("{{ '19.99' | decimal }}", Decimal("19.99")),
])
def test_filters_are_available_in_expressions(source: str, expected: Any) -> None:
    expression = compile_expression(source, Location("p.yaml", 1, 1), CONTEXT_NAMES)
    context = {"record": {"Total": Decimal("19.99"), "Currency": "USD"}}
    assert expression.evaluate(context) == expected


def test_a_filter_error_becomes_a_render_error_naming_the_field() -> None:
    expression = compile_expression("{{ record.Total | minor_units('usd') }}",
                                    Location("p.yaml", 1, 1), CONTEXT_NAMES)
    with pytest.raises(RenderError) as caught:
        render(expression, {"record": {"Total": 19.99}}, pipeline="p", record_id="7",
               field="amount")
    assert caught.value.field == "amount"
    assert "floats cannot hold exact money amounts" in caught.value.reason


def test_an_undefined_amount_is_reported_as_undefined_not_as_a_type_error() -> None:
    expression = compile_expression("{{ record.Total | minor_units('usd') }}",
                                    Location("p.yaml", 1, 1), CONTEXT_NAMES)
    with pytest.raises(RenderError) as caught:
        render(expression, {"record": {}}, pipeline="p", record_id="7", field="amount")
    assert caught.value.reason == "no field 'Total'"


@given(st.integers(), st.sampled_from(ALL))
def test_minor_to_major_and_back_is_exact(n: int, currency: str) -> None:
    assert minor_units(major_units(n, currency), currency) == n


@given(st.integers(), st.sampled_from(ALL), st.booleans())
def test_quantized_major_to_minor_and_back_is_exact(n: int, currency: str,
                                                    lower: bool) -> None:
    """Any amount with the currency's own number of decimals survives the round trip."""
    amount = Decimal(f"{n}e-{minor_unit_exponent(currency)}")  # exact, however large
    code = currency.lower() if lower else currency
    assert major_units(minor_units(amount, code), code) == amount


@given(st.decimals(min_value=-10**12, max_value=10**12, places=4), st.sampled_from(ALL))
def test_money_never_moves_an_amount_by_more_than_half_a_minor_unit(amount: Decimal,
                                                                    currency: str) -> None:
    quantized = money(amount, currency)
    half = Decimal(5).scaleb(-minor_unit_exponent(currency) - 1)
    assert abs(quantized - amount) <= half
    assert minor_units(quantized, currency) == minor_units(amount, currency,
                                                           rounding="half_up")


@pytest.mark.parametrize(("given", "code"), [("USA", "US"), ("DEU", "DE"), ("JP", "JP"),
                                             ("United States", "US"), ("Canada", "CA")])
def test_country_code_accepts_alpha3_alpha2_and_names(given: str, code: str) -> None:
    from ml_connector.engine.mapping.countries import country_code

    assert country_code(given) == code


def test_unknown_country_is_an_error_unless_a_default_is_given() -> None:
    from ml_connector.engine.mapping.conversions import FilterError
    from ml_connector.engine.mapping.countries import country_code

    with pytest.raises(FilterError, match="'Atlantis' is not a country"):
        country_code("Atlantis")
    assert country_code("Atlantis", None) is None
