"""One exception tree, grouped by what the caller should do about each error.

    MlConnectorError                  root: anything the product raises on purpose
    ├── InvalidInput (exit 2)         the user's files or arguments are wrong; fix and rerun
    │   └── PipelineInvalid           pipeline/project files: carries every located diagnostic
    ├── RecordError                   one record cannot be synced; audit it, go on with the rest
    │   ├── RenderError               a mapping failed for this record
    │   └── MissingLink               a referenced record is not linked yet (synced on demand)
    ├── StoreError                    the state store is unreadable or the master key is wrong
    ├── DefinitionChanged             a pipeline file changed on disk since it was loaded: restart
    └── ConnectorError                a connector call failed; the subclass says how to react
        ├── RetryableError            transient (429, 5xx, timeout): the only kind retries retry
        ├── AuthError                 credentials rejected: names the command that re-authorises
        ├── ConflictError             a concurrent change: refetch and retry
        │   └── ImmutableTargetError  the target cannot accept this change: pipeline policy decides
        └── PermanentError            the request will never succeed as sent
            └── NotFoundError         the addressed record does not exist

Connectors classify their API's errors into this tree; the engine never inspects
vendor-specific codes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ml_connector.engine.diagnostics import Diagnostic


class MlConnectorError(Exception):
    """Root of every error the product raises on purpose; knows its CLI exit code."""

    exit_code = 1


class InvalidInput(MlConnectorError):
    """The user's input (files, arguments, settings) is wrong: exit code 2."""

    exit_code = 2


class PipelineInvalid(InvalidInput):
    """Pipeline or project files failed to load; every problem is reported at once."""

    def __init__(self, diagnostics: Sequence[Diagnostic]):
        self.diagnostics = sorted(diagnostics, key=lambda d: d.sort_key())
        super().__init__("\n".join(str(d) for d in self.diagnostics))


class StoreError(MlConnectorError):
    """The state store cannot be used as it is (wrong master key, unreadable database)."""


class DefinitionChanged(MlConnectorError):
    """The pipeline's file on disk is no longer the one this process loaded.

    A process running the older definition would write its payloads over those a process
    with the newer one wrote, and each would then undo the other. So it syncs nothing of
    that pipeline until it is restarted, and says so.
    """

    def __init__(self, pipeline: str, path: str):
        self.pipeline, self.path = pipeline, path
        super().__init__(f"pipeline {pipeline}: {path} changed on disk since it was loaded; "
                         "start the command again to run the pipeline as the file is now")


class RecordError(MlConnectorError):
    """One record cannot be synced; the run audits it and goes on with the next record."""


class RenderError(RecordError):
    """A mapping expression failed for one record.

    The message names pipeline, field, source record id and expression text, and never the
    render context, which may hold personal data or secrets.
    """

    def __init__(self, pipeline: str, field: str, record_id: str, expression: str, reason: str):
        self.pipeline, self.field, self.record_id = pipeline, field, record_id
        self.expression, self.reason = expression, reason
        super().__init__(
            f"pipeline {pipeline!r}, record {record_id!r}, field {field!r}: {reason} "
            f"(expression: {expression})"
        )


class MissingLink(RecordError):
    """A mapping asked for the target id of a record another pipeline has not linked yet."""

    def __init__(self, pipeline: str, source_id: str):
        self.pipeline, self.source_id = pipeline, source_id
        super().__init__(f"record {source_id!r} of pipeline {pipeline!r} is not linked yet")


class ConnectorError(MlConnectorError):
    """A call to an external system failed. `request_id` is the vendor's id for support."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None,
                 request_id: str | None = None):
        super().__init__(message)
        self.status, self.code, self.request_id = status, code, request_id


class RetryableError(ConnectorError):
    """Transient failure; `retry_after` (seconds) is the server's own hint when it gave one."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: object):
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.retry_after = retry_after


class AuthError(ConnectorError):
    """Credentials were refused and cannot be repaired automatically."""

    def __init__(self, message: str, *, reauth_command: str | None = None, **kw: object):
        if reauth_command:
            message = f"{message}; run `{reauth_command}` to authorise again"
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.reauth_command = reauth_command


class ConflictError(ConnectorError):
    """Someone else changed the record first; refetch and retry."""


class ImmutableTargetError(ConflictError):
    """The target record can no longer take this change (e.g. a finalized invoice's amount)."""


class PermanentError(ConnectorError):
    """The request is wrong for this record and will fail again unchanged."""


class NotFoundError(PermanentError):
    """The addressed record does not exist in the target system."""


class RemovalRefused(PermanentError):
    """The target refuses to remove a record whose loss would destroy more than itself.

    A customer with invoices, subscriptions or saved cards in a payments system is one:
    deleting it would cancel the subscriptions and drop the cards. The engine keeps the record and
    says why in the audit instead of failing the sync.
    """


class RecordsFailed(MlConnectorError):
    """A run finished but some records failed (exit code 1); they are in the audit trail."""

    exit_code = 1
