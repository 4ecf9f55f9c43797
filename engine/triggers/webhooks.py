"""Webhook intake: verify, store durably, answer fast; never process in the request.

The sender's timeout is short (seconds) and it retries on anything but 2xx, so the handler
does only what must happen before answering: check the size, let the connector verify the
signature and parse the delivery, and store each event in the inbox (deduplicated by event
id), due at the end of the connection's settle window (see `settling`). Workers do the
syncing afterwards.
"""

from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse

from ml_connector.engine.plugins.protocol import WebhookRejected
from ml_connector.engine.store.types import utcnow
from ml_connector.engine.sync.runtime import Runtime
from ml_connector.engine.triggers.metrics import ServiceMetrics
from ml_connector.engine.triggers.settling import settle_seconds, window_end

log = logging.getLogger("ml_connector.webhooks")

MAX_BODY_BYTES = 1_000_000


class WebhookIntake:
    """The POST /webhooks/{connection} handler."""

    def __init__(self, runtime: Runtime, metrics: ServiceMetrics,
                 max_body: int = MAX_BODY_BYTES):
        self.runtime, self.metrics, self.max_body = runtime, metrics, max_body

    async def handle(self, request: Request) -> JSONResponse:
        connection = request.path_params["connection"]
        if connection not in self.runtime.project.connections:
            return self._reject(connection, 404, "no such connection")
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.max_body:
            return self._reject(connection, 413, "body too large")
        try:
            body = await self._read_body(request)
        except ClientDisconnect:
            return self._reject(connection, 400, "the sender went away before the body ended")
        if body is None:
            return self._reject(connection, 413, "body too large")
        # Verification and the inbox write are blocking calls: keep them off the event loop.
        return await run_in_threadpool(self._accept, connection, dict(request.headers), body)

    async def _read_body(self, request: Request) -> bytes | None:
        """The body, or None as soon as it grows past `max_body`.

        Read chunk by chunk because a chunked request announces no length: reading it whole
        first would let any sender make the service buffer without end.
        """
        received = bytearray()
        async for chunk in request.stream():
            received += chunk
            if len(received) > self.max_body:
                return None
        return bytes(received)

    def _accept(self, connection: str, headers: dict[str, str], body: bytes) -> JSONResponse:
        try:
            events = self.runtime.connector(connection).parse_webhook(headers, body)
        except WebhookRejected as exc:
            return self._reject(connection, exc.status, exc.reason)
        due = window_end(utcnow(), settle_seconds(self.runtime, connection))
        stored = 0
        for event in events:
            payload = {"account": event.account, "occurred_at": event.occurred_at,
                       "extra": dict(event.extra),
                       "record": dict(event.record.data) if event.record else None}
            if self.runtime.store.inbox.add(connection, event.event_id, event.entity,
                                            event.record_id, event.operation, payload,
                                            available_at=due):
                stored += 1
        duplicates = len(events) - stored
        self.metrics.events.labels(connection, "accepted").inc(stored)
        self.metrics.events.labels(connection, "duplicate").inc(duplicates)
        return JSONResponse({"received": len(events), "stored": stored,
                             "duplicates": duplicates})

    def _reject(self, connection: str, status: int, reason: str) -> JSONResponse:
        self.metrics.events.labels(connection, "rejected").inc()
        log.warning("webhook for %s rejected (%s): %s", connection, status, reason)
        return JSONResponse({"error": reason}, status_code=status)
