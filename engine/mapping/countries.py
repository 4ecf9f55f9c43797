"""Country filter: accounting systems write 'USA', 'DEU' or 'United States'; payment APIs
want ISO 3166-1 alpha-2 ('US'). pycountry carries the ISO tables, so none is copied here."""

from __future__ import annotations

from functools import cache

import pycountry

from ml_connector.engine.mapping.conversions import FilterError


@cache
def _alpha2(text: str) -> str | None:
    try:
        return str(pycountry.countries.lookup(text).alpha_2)
    except LookupError:
        return None


def country_code(value: object, default: object = ...) -> object:
    """ISO alpha-2 code of a country given by alpha-2, alpha-3, numeric code or English name.

    An unknown country is an error naming the value, unless a `default` is given (for
    example `country_code(none)` to leave the field empty).
    """
    text = str(value).strip() if value is not None else ""
    code = _alpha2(text) if text else None
    if code is not None:
        return code
    if default is not ...:
        return default
    raise FilterError(f"{text!r} is not a country pycountry knows (ISO 3166 code or name)")
