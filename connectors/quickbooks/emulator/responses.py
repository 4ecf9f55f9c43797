"""HTTP answers: QBO envelopes, fault bodies, and a connection dropped mid-answer."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from ml_connector.connectors.quickbooks.emulator.errors import QboFault
from ml_connector.connectors.quickbooks.emulator.jsonio import QboJSONResponse
from ml_connector.connectors.quickbooks.emulator.state import transaction_id


def envelope(payload: dict[str, Any], server_time: str, status: int = 200) -> QboJSONResponse:
    """`{..., "time": ...}` with the `intuit_tid` header every QBO answer carries."""
    return QboJSONResponse({**payload, "time": server_time}, status_code=status,
                           headers={"intuit_tid": transaction_id()})


def fault_response(fault: QboFault, server_time: str) -> QboJSONResponse:
    return envelope({"Fault": fault.fault()}, server_time, fault.status)


def cached_response(status: int, text: str) -> Response:
    """A saved answer replayed for a repeated `requestid`."""
    return Response(text, status_code=status, media_type="application/json",
                    headers={"intuit_tid": transaction_id()})


class DroppedConnection(Response):
    """Sends the status line and headers, then stops: the server closes the socket.

    uvicorn closes the connection when an app returns without completing a response it
    started; the client sees a connection lost mid-answer and cannot know whether the
    request took effect, which is the case `requestid` idempotency exists for.
    """

    def __init__(self) -> None:
        super().__init__(status_code=200, media_type="application/json")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", b"1024")]})
