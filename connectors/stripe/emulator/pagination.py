"""Stripe's cursor pagination over newest-first lists, and its search result pages."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ml_connector.connectors.stripe.emulator.errors import invalid, missing
from ml_connector.connectors.stripe.emulator.params import Params

MAX_LIMIT = 100


def page_limit(params: Params) -> int:
    limit = params.int("limit", 10)
    if not 1 <= limit <= MAX_LIMIT:
        raise invalid("Invalid integer: limit must be between 1 and 100", param="limit")
    return limit


def list_page(items: Sequence[dict[str, Any]], params: Params, url: str,
              kind: str) -> dict[str, Any]:
    """One page of `items` (already newest first) as a Stripe list object."""
    limit = page_limit(params)
    after, before = params.str("starting_after"), params.str("ending_before")
    if after and before:
        raise invalid("You may only specify one of these parameters: ending_before, "
                      "starting_after.", param="ending_before")
    ids = [item["id"] for item in items]
    if after:
        start = _position(ids, after, kind, "starting_after") + 1
        window, has_more = items[start:start + limit], len(items) > start + limit
    elif before:
        end = _position(ids, before, kind, "ending_before")
        begin = max(0, end - limit)
        window, has_more = items[begin:end], begin > 0
    else:
        window, has_more = items[:limit], len(items) > limit
    return {"object": "list", "data": list(window), "has_more": has_more, "url": url}


def _position(ids: list[str], cursor: str, kind: str, param: str) -> int:
    try:
        return ids.index(cursor)
    except ValueError:
        raise missing(kind, cursor, param) from None


def search_page(items: Sequence[dict[str, Any]], params: Params, url: str) -> dict[str, Any]:
    """A `search_result` page; `page` is the opaque cursor the previous page returned."""
    limit = page_limit(params)
    page = params.str("page")
    start = 0
    if page:
        if not page.startswith("page_") or not page[5:].isdigit():
            raise invalid("Invalid page cursor", param="page")
        start = int(page[5:])
    window = list(items[start:start + limit])
    more = len(items) > start + limit
    return {"object": "search_result", "data": window, "has_more": more,
            "next_page": f"page_{start + limit}" if more else None, "url": url}
