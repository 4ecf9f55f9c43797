"""Customers and invoices listed once for matching, with the keys `Reader.find` compares.

A backfill would otherwise search Stripe once per record (`/v1/customers/search` is limited
to 20 requests a second and lags writes); `GET /v1/customers` and `GET /v1/invoices` page
100 objects a call and show every write at once. The keys follow what `find` sends for each
field, so a lookup finds exactly what `find` would:

- `metadata.<key>`: the search `metadata['<key>']:'<value>'`, an exact match of the text;
- `email`: the customer list's `email` filter, which Stripe documents as case-sensitive;
- `customer`: the invoice list's `customer` filter, an id;
- `id`: a retrieve by id.

Other fields (`name`, `phone`, `number`) are searched by `find` with rules Stripe does not
spell out (case, punctuation), so they get no listing and stay on search. Deleted customers
are in neither the list nor a search; voided invoices are listed but `find` never returns
them, so they are left out here and refused when a candidate is fetched again.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Sequence
from typing import Any

from ml_connector.connectors.stripe.forms import scalar
from ml_connector.connectors.stripe.reads import Reader
from ml_connector.connectors.stripe.spec import entity
from ml_connector.engine.plugins.protocol import MatchListing
from ml_connector.engine.records import Record

LISTED = frozenset({"customer", "invoice", "credit_note"})
EXACT_FILTERS = {"customer": frozenset({"email"}), "invoice": frozenset({"customer"}),
                 "credit_note": frozenset({"invoice"})}


def match_listing(reader: Reader, name: str, fields: Sequence[str]) -> MatchListing | None:
    """The entity's live records and their keys, or None when a field has no listing rule."""
    if name not in LISTED or not all(_listable(name, field) for field in fields):
        return None
    return MatchListing(records=_live(reader, name), key=match_key, admits=is_live)


def _listable(name: str, field: str) -> bool:
    return field == "id" or field.startswith("metadata.") or field in EXACT_FILTERS[name]


def match_key(field: str, value: Any) -> Hashable | None:
    """The text Stripe compares for `value`: what `find` puts in the search or the filter."""
    if isinstance(value, dict):  # an expanded object stands for its id
        value = value.get("id")
    if value is None:
        return None
    return str(value) if field.startswith("metadata.") or field == "id" else scalar(value)


def is_live(record: Record) -> bool:
    """`find` passes over voided invoices: they are history, never a match for a new one."""
    return record.data.get("status") != "void"


def _live(reader: Reader, name: str) -> Iterator[Record]:
    for page in reader.pages(entity(name)):
        yield from (record for record in page if is_live(record))
