"""How a synced record reaches its customer, and the pay link written back to the source.

A pipeline's `params.delivery` says it: `email` (the target mails it), `payable` (the
target only makes it payable, and its pay link is written into a field of the source
record so the source's own mail carries it), or `none`. The target connector acts on
`email` itself; `payable` needs the engine, because only the engine talks to both sides.

The write-back is itself a change of the source record, which its webhook, change feed and
poll all report. The engine must know that change as its own, whichever way it arrives and
however late: a SyncToken or timestamp the write answered is outrun by the next edit a
person makes, so it is not used. Instead the source connector removes what a write-back
wrote from every record before it is rendered (`without_write_back`); the rendered payload,
and so its hash, is then what it was before, the decision is `unchanged`, and the field
already holds the link, so nothing is written again. A person's own edit of the same
record still renders differently and still syncs.

The last answer of the target (number, status, pay link) is kept per record, so a
write-back cut off by a failure is done by the next sync even when nothing else changed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from ml_connector.engine.errors import (
    AuthError,
    ConnectorError,
    PermanentError,
    RetryableError,
)
from ml_connector.engine.model.pipeline import Pipeline
from ml_connector.engine.records import Record
from ml_connector.engine.store import Store
from ml_connector.engine.sync.actions import Action
from ml_connector.engine.sync.outcome import Outcome

if TYPE_CHECKING:
    from ml_connector.engine.sync.runtime import Runtime

DELIVERY = "delivery"
FIELD = "pay_link_field"
DELIVERIES = ("email", "payable", "none")
DEFAULT_DELIVERY = "email"
DEFAULT_FIELD = "CustomerMemo"
PAY_LINK = "hosted_invoice_url"   # the answer's key for the page where the customer pays
# Outcomes after which the target exists as synced, so its link belongs in the source.
WRITES_BACK = frozenset({Action.CREATE, Action.RECREATE, Action.UPDATE, Action.ADOPT_UPDATE,
                         Action.UNCHANGED})
PAYABLE = ("open", None)   # a target that tells no status is taken as payable
_ANSWER = "answer:"
_LATEST = "answer-latest:"


@runtime_checkable
class WriteBack(Protocol):
    """A source connector that can carry a pay link in one of its records' fields.

    `field` is the pipeline's `pay_link_field` as written; `field_problem` says why it is
    not one this entity has (None when it is), so a pipeline is refused when it loads.
    """

    def field_problem(self, entity: str, field: str) -> str | None: ...

    def without_write_back(self, entity: str, record: Record, field: str) -> Record: ...

    def holds_write_back(self, entity: str, record: Record, field: str, link: str) -> bool: ...

    def write_back(self, entity: str, record: Record, field: str, link: str) -> Record: ...


def delivery_of(pipeline: Pipeline) -> str:
    return str(pipeline.params.get(DELIVERY, DEFAULT_DELIVERY))


def write_back_field(pipeline: Pipeline) -> str | None:
    """The source field the pay link goes to, when the pipeline delivers `payable`."""
    return write_back_field_of(pipeline.params)


def write_back_field_of(params: Mapping[str, Any]) -> str | None:
    if params.get(DELIVERY, DEFAULT_DELIVERY) != "payable":
        return None
    return str(params.get(FIELD, DEFAULT_FIELD))


def writer_of(runtime: Runtime, pipeline: Pipeline) -> WriteBack:
    """The source connector, as one that can write a pay link back; else a clear error."""
    source = runtime.connector(pipeline.source.connection)
    if not isinstance(source, WriteBack):
        raise PermanentError(f"pipeline {pipeline.name!r} has delivery: payable, but its "
                             f"source connection {pipeline.source.connection!r} cannot take "
                             "a pay link written back; use delivery: email or none")
    return source


def source_view(runtime: Runtime, pipeline: Pipeline) -> Callable[[Record], Record] | None:
    """How the pipeline's renderer sees a source record: without the written-back link."""
    field = write_back_field(pipeline)
    if field is None:
        return None
    entity = pipeline.source.entity

    def view(record: Record) -> Record:
        return writer_of(runtime, pipeline).without_write_back(entity, record, field)

    return view


def param_problems(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(param, message) for a `delivery` or `pay_link_field` that cannot work."""
    problems = []
    delivery = params.get(DELIVERY, DEFAULT_DELIVERY)
    if delivery not in DELIVERIES:
        problems.append((DELIVERY, f"delivery {delivery!r} is not one of "
                                   f"{', '.join(DELIVERIES)}"))
    field = params.get(FIELD)
    if field is not None and (not isinstance(field, str) or not field.strip()):
        problems.append((FIELD, "pay_link_field must name a field: CustomerMemo, "
                                "PrivateNote or CustomField:<name>"))
    elif field is not None and delivery != "payable":
        problems.append((FIELD, f"pay_link_field is used only with delivery: payable, "
                                f"not {delivery!r}"))
    return problems


class Answers:
    """The target's last answer per record, and per pipeline the newest one, in the store."""

    def __init__(self, store: Store):
        self._cursors = store.cursors

    def put(self, pipeline: str, source_id: str, target_id: str,
            answer: Mapping[str, Any]) -> None:
        text = json.dumps({"target_id": target_id, "source_id": source_id, **answer},
                          sort_keys=True)
        self._cursors.put(f"{_ANSWER}{pipeline}:{source_id}", text)
        self._cursors.put(f"{_LATEST}{pipeline}", text)

    def get(self, pipeline: str, source_id: str) -> dict[str, Any] | None:
        text = self._cursors.get(f"{_ANSWER}{pipeline}:{source_id}")
        return json.loads(text) if text else None

    def latest(self, pipeline: str) -> dict[str, Any] | None:
        text = self._cursors.get(f"{_LATEST}{pipeline}")
        return json.loads(text) if text else None


class Delivery:
    """After each sync: keep the target's answer, and write its pay link back if asked."""

    def __init__(self, runtime: Runtime):
        self.runtime = runtime
        self.answers = Answers(runtime.store)

    def after(self, pipeline: Pipeline, record: Record, outcome: Outcome) -> Outcome:
        if outcome.failed or outcome.target_id is None:
            return outcome
        if outcome.answer:
            self.answers.put(pipeline.name, record.id, outcome.target_id, outcome.answer)
        field = write_back_field(pipeline)
        if field is None or record.deleted or outcome.action not in WRITES_BACK:
            return outcome
        answer = outcome.answer or self.answers.get(pipeline.name, record.id) or {}
        link = answer.get(PAY_LINK)
        if not link or answer.get("status") not in PAYABLE or answer.get(
                "target_id", outcome.target_id) != outcome.target_id:
            return outcome   # a draft, paid already, or an answer of a replaced target
        writer, entity = writer_of(self.runtime, pipeline), pipeline.source.entity
        if writer.holds_write_back(entity, record, field, str(link)):
            return outcome
        try:
            written = writer.write_back(entity, record, field, str(link))
        except AuthError:
            raise   # the run stops to ask for authorisation, as for any other write
        except ConnectorError as exc:
            return replace(outcome, action=Action.FAIL,
                           retryable=isinstance(exc, RetryableError),
                           error=f"{pipeline.target.entity} {outcome.target_id} is synced, "
                                 f"but its pay link could not be written into {field} of "
                                 f"{pipeline.source.entity} {record.id}: {exc}")
        return replace(outcome, written_back=field, source_request_ids=written.request_ids)
