"""Many writes to one realm through the batch endpoint: 30 operations per request.

Each operation succeeds or fails on its own (QBO answers 200 with a `Fault` per failed
item); a failed item is classified with the same table as a single call. A batch's
`requestid` is derived from its items' idempotency keys, so a batch retried after a
dropped connection is answered from QBO's memory instead of being applied twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from ml_connector.connectors.quickbooks.api import MAX_BATCH_REQUEST_ID, QboApi, request_id_for
from ml_connector.connectors.quickbooks.errors import Classifier
from ml_connector.connectors.quickbooks.records import to_record
from ml_connector.connectors.quickbooks.spec import QboEntity
from ml_connector.engine.errors import ConnectorError, PermanentError
from ml_connector.engine.records import Record

BATCH_SIZE = 30


@dataclass(frozen=True)
class BatchWrite:
    """One create (no Id) or sparse update (`payload` with Id and SyncToken)."""

    payload: dict[str, Any]
    idempotency_key: str
    operation: str = "create"
    extra: dict[str, Any] = field(default_factory=dict)


class BatchWriter:
    def __init__(self, api: QboApi, reauth_command: str):
        self.api, self.classify = api, Classifier(reauth_command)

    def run(self, spec: QboEntity, writes: list[BatchWrite]) -> list[Record | ConnectorError]:
        results: list[Record | ConnectorError] = []
        for start in range(0, len(writes), BATCH_SIZE):
            results.extend(self._chunk(spec, writes[start:start + BATCH_SIZE]))
        return results

    def _chunk(self, spec: QboEntity, writes: list[BatchWrite]) -> list[Record | ConnectorError]:
        items = [self._item(spec, str(index), write) for index, write in enumerate(writes)]
        key = request_id_for("|".join(w.idempotency_key for w in writes), MAX_BATCH_REQUEST_ID)
        result = self.api.batch(items, request_id=key)
        answers = {a.get("bId"): a for a in result.body.get("BatchItemResponse", [])}
        return [self._outcome(spec, answers.get(str(index)), result.request_id)
                for index in range(len(writes))]

    @staticmethod
    def _item(spec: QboEntity, bid: str, write: BatchWrite) -> dict[str, Any]:
        if write.operation not in ("create", "update"):
            raise PermanentError(f"batch writes are creates or updates, not {write.operation}")
        payload = dict(write.payload)
        if write.operation == "update":
            payload["sparse"] = True
        return {"bId": bid, "operation": write.operation, spec.name: payload}

    def _outcome(self, spec: QboEntity, answer: dict[str, Any] | None,
                 request_id: str | None) -> Record | ConnectorError:
        if answer is None:
            return PermanentError("QuickBooks answered the batch without this item")
        if spec.name in answer:
            return to_record(spec.name, answer[spec.name], request_id)
        fake = httpx.Response(400, json={"Fault": answer.get("Fault", {})},
                              request=httpx.Request("POST", "https://qbo.invalid/batch"),
                              headers={"intuit_tid": request_id or ""})
        error = self.classify(fake) or PermanentError("unclassified batch item failure")
        error.request_id = request_id
        return error
