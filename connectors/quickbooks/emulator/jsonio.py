"""The connector's Decimal-preserving JSON, plus a Starlette response that writes it."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from ml_connector.connectors.quickbooks.jsonio import decimal_text, dumps, loads

__all__ = ["QboJSONResponse", "decimal_text", "dumps", "loads"]


class QboJSONResponse(Response):
    """A JSON response written with `dumps`, so amounts stay exact on the wire."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return dumps(content).encode("utf-8")
